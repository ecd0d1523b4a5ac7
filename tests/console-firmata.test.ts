// The operator console through johnny-five against the real StandardFirmata build (issue 8 part 4), running on an
// emulated Arduino Uno (src/sim/firmata-uno.ts): its buttons pressed by driving its input pins, its light and
// buzzer read back from its output pins. No mock stands in for Firmata or johnny-five. The waits are for an event
// or a pin to change, bounded generously: the outcome never depends on how fast the machine is.

import { afterEach, describe, expect, it } from "vitest";
import { openFirmataConsole } from "../src/console/firmata-console.ts";
import { CONSOLE_COLOURS } from "../src/console/colours.ts";
import { loadConsoleFile } from "../src/profiles/files.ts";
import { EmulatedUno } from "../src/sim/firmata-uno.ts";
import { ensureStandardFirmata } from "../src/sim/standard-firmata.ts";
import type { ConsoleAct, ConsoleShows, OperatorConsole } from "../src/ports/console.ts";

const PINS = loadConsoleFile("profiles/consoles/uno-console.json").console.pins;
const WAIT_MS = 20_000;

async function until(what: string, ok: () => boolean): Promise<void> {
  const t0 = performance.now();
  while (!ok()) {
    if (performance.now() - t0 > WAIT_MS) throw new Error(`still waiting for ${what} after ${WAIT_MS} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

let uno: EmulatedUno | undefined;
let opened: OperatorConsole | undefined;
afterEach(async () => {
  await opened?.close();
  uno?.stop();
  opened = undefined;
  uno = undefined;
});

/** An emulated console at power-up: buttons released (pulled up), the e-stop's contact as given. */
interface Bench {
  uno: EmulatedUno;
  c: OperatorConsole;
  acts: ConsoleAct[];
}

async function consoleWith(estopClosed: boolean): Promise<Bench> {
  uno = new EmulatedUno({ hexPath: ensureStandardFirmata() });
  for (const pin of [PINS.zoneUp, PINS.zoneDown, PINS.arm]) uno.setInput(pin, true);
  uno.setInput(PINS.estop, estopClosed ? false : undefined); // open: the pin's pull-up reads high
  uno.start();
  opened = await openFirmataConsole({ port: uno.transport, pins: PINS, description: "emulated console" });
  const acts: ConsoleAct[] = [];
  opened.onAct((a) => acts.push(a));
  return { uno, c: opened, acts };
}

/** The Uno runs on for ms of its own time (a pin level held that long, at whatever speed the machine allows). */
async function unoFor(u: EmulatedUno, ms: number): Promise<void> {
  const until_ = u.nowMs() + ms;
  await until(`${ms} ms of Uno time`, () => u.nowMs() >= until_);
}

/** A press as a finger makes it: the button down 80 ms, then up 80 ms (johnny-five debounces 7 ms). */
async function press(u: EmulatedUno, pin: number, acts: ConsoleAct[], expected: ConsoleAct): Promise<void> {
  const before = acts.length;
  u.setInput(pin, false);
  await unoFor(u, 80);
  await until(`${expected} after pin ${pin} went low`, () => acts.length > before);
  u.setInput(pin, true);
  await unoFor(u, 80);
  expect(acts.slice(before)).toEqual([expected]);
}

describe("operator console: johnny-five on the real StandardFirmata, emulated Uno", () => {
  it("each button press is one act, in order", async () => {
    const { uno: u, acts } = await consoleWith(true);
    await press(u, PINS.zoneUp, acts, "zone-up");
    await press(u, PINS.zoneUp, acts, "zone-up");
    await press(u, PINS.zoneDown, acts, "zone-down");
    await press(u, PINS.arm, acts, "arm");
    expect(acts).toEqual(["zone-up", "zone-up", "zone-down", "arm"]);
  });

  it("the normally-closed e-stop: open stops, closed again releases; closed at connect says nothing", async () => {
    const { uno: u, acts } = await consoleWith(true);
    await unoFor(u, 200); // the first report (closed) has come and gone
    expect(acts).toEqual([]);
    u.setInput(PINS.estop, true);
    await until("estop", () => acts.includes("estop"));
    u.setInput(PINS.estop, false);
    await until("estop-release", () => acts.includes("estop-release"));
    expect(acts).toEqual(["estop", "estop-release"]);
  });

  it("a broken e-stop wire at connect reads as stop at once", async () => {
    const { acts } = await consoleWith(false);
    await until("estop", () => acts.length > 0);
    expect(acts[0]).toBe("estop");
  });

  it("the status light shows one colour per state on its three pins, and the buzzer sounds", async () => {
    const { uno: u, c } = await consoleWith(true);
    const lit = () => ({
      red: u.outputHigh(PINS.ledRed),
      green: u.outputHigh(PINS.ledGreen),
      blue: u.outputHigh(PINS.ledBlue),
    });
    for (const state of ["armed", "fault", "held", "idle", "off"] as ConsoleShows[]) {
      c.show(state);
      const want = CONSOLE_COLOURS[state];
      await until(`the light showing ${state}`, () => JSON.stringify(lit()) === JSON.stringify(want));
    }
    expect(u.outputHigh(PINS.buzzer)).toBe(false);
    c.buzz(true);
    await until("the buzzer on", () => u.outputHigh(PINS.buzzer));
    c.buzz(false);
    await until("the buzzer off", () => !u.outputHigh(PINS.buzzer));
  });
});
