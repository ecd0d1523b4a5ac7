// `smp console --sim --pty`: the operator console in emulation (the real StandardFirmata build on an emulated
// Uno) served on a pseudo-terminal, for trying a session's console by hand: `smp session start --console FILE
// --console-port PATH`. Keys on stdin press its buttons; its light and buzzer are printed as they change.

import type { ExitCode } from "../errors/errors.ts";
import { CONSOLE_COLOURS } from "../console/colours.ts";
import { loadConsoleFile } from "../profiles/files.ts";
import type { ConsoleShows } from "../ports/console.ts";
import { parseCommand } from "./args.ts";
import { printHelp } from "./help.ts";

const BUTTON_MS = 120;

export async function consoleCommand(args: readonly string[]): Promise<ExitCode> {
  const parsed = parseCommand("console", args);
  if (parsed.help) return printHelp("console");
  const pins = loadConsoleFile(parsed.values.console).console.pins;
  const { ensureStandardFirmata } = await import("../sim/standard-firmata.ts");
  const { servePtyConsole } = await import("../sim/pty.ts");
  const served = await servePtyConsole(ensureStandardFirmata());
  const uno = served.uno;
  for (const pin of [pins.zoneUp, pins.zoneDown, pins.arm]) uno.setInput(pin, true);
  let estopClosed = true;
  uno.setInput(pins.estop, false); // normally closed: closed is healthy
  uno.start();
  console.log(served.clientPath);
  console.error("keys: u zone up, d zone down, a arm, e e-stop open/closed; Ctrl-C ends");
  const press = (pin: number) => {
    uno.setInput(pin, false);
    setTimeout(() => uno.setInput(pin, true), BUTTON_MS);
  };
  const onKey = (chunk: Buffer) => {
    for (const key of chunk.toString()) {
      if (key === "u") press(pins.zoneUp);
      else if (key === "d") press(pins.zoneDown);
      else if (key === "a") press(pins.arm);
      else if (key === "e") {
        estopClosed = !estopClosed;
        uno.setInput(pins.estop, estopClosed ? false : undefined);
        console.error(`e-stop ${estopClosed ? "closed (healthy)" : "OPEN (stop)"}`);
      } else if (key === "\x03") process.kill(process.pid, "SIGINT");
    }
  };
  if (process.stdin.isTTY) process.stdin.setRawMode(true);
  process.stdin.on("data", onKey);
  let shown = "";
  const watch = setInterval(() => {
    const lit = {
      red: uno.outputHigh(pins.ledRed),
      green: uno.outputHigh(pins.ledGreen),
      blue: uno.outputHigh(pins.ledBlue),
    };
    const state = (Object.keys(CONSOLE_COLOURS) as ConsoleShows[]).find((s) => {
      const c = CONSOLE_COLOURS[s];
      return c.red === lit.red && c.green === lit.green && c.blue === lit.blue;
    });
    const now = `light ${state ?? JSON.stringify(lit)}${uno.outputHigh(pins.buzzer) ? ", BUZZER" : ""}`;
    if (now !== shown) console.error(now);
    shown = now;
  }, 50);
  await new Promise<void>((res) => {
    process.once("SIGINT", res);
    process.once("SIGTERM", res);
  });
  clearInterval(watch);
  process.stdin.off("data", onKey);
  if (process.stdin.isTTY) process.stdin.setRawMode(false);
  process.stdin.pause();
  await served.stop();
  return 0;
}
