// `smp session start` and `smp session resume LOG`: a hand-held session on the simulated board or a serial port,
// the operator's console (keyboard, a Firmata board, or a taps file on the simulated board), a live status line,
// and the session record (a new file, or appended to the one being resumed). Ctrl-C once: STOP, the session
// holds; again within 3 s: E-STOP. SIGTERM: STOP, then the session ends. The exit code is the session's.

import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { runHandHeld } from "../app/hand-held.ts";
import type { BoardTarget } from "../app/session.ts";
import { resumePoint, type HandHeldResume, type HandHeldSession } from "../control/hand-held.ts";
import { SmpError, type ExitCode } from "../errors/errors.ts";
import { SessionFile, readSessionFile } from "../log/file.ts";
import type { OperatorConsole } from "../ports/console.ts";
import { needleName } from "../profiles/dots.ts";
import { loadConsoleFile, loadDepthProfileFile, loadMachineFile } from "../profiles/files.ts";
import { checkRunAllowed } from "../profiles/policy.ts";
import { DEFAULT_MACHINE_FILES, type SessionNumber } from "../profiles/schema.ts";
import { parseTapsFile } from "../profiles/taps.ts";
import { openSerialTransport } from "../transport/serial.ts";
import { parseCommand, usage } from "./args.ts";
import { SIM_BOARDS } from "./boards.ts";
import { printHelp } from "./help.ts";
import { LiveScreen } from "./live.ts";
import { packageFile } from "./package.ts";

/** A second Ctrl-C within this of the first is E-STOP. */
export const ESTOP_WINDOW_MS = 3000;
/** The keyboard's simulated foot: p presses the simulated board's pedal this long. */
const PEDAL_TAP_MS = 150;

export async function startCommand(args: readonly string[]): Promise<ExitCode> {
  const parsed = parseCommand("session start", args);
  if (parsed.help) return printHelp("session start");
  return handHeld(parsed.values, undefined);
}

export async function resumeCommand(args: readonly string[]): Promise<ExitCode> {
  const parsed = parseCommand("session resume", args);
  if (parsed.help) return printHelp("session resume");
  const logPath = parsed.positionals[0]!;
  const log = readSessionFile(logPath);
  const point = resumePoint(log.records);
  if ("why" in point) throw new SmpError("INVALID_INPUT", `cannot resume ${logPath}: ${point.why}`);
  return handHeld(parsed.values, { logPath, ...point });
}

type Values =
  ReturnType<typeof parseCommand<"session start">> extends infer P
    ? P extends { values: infer V }
      ? V
      : never
    : never;

async function handHeld(
  v: Values,
  resuming:
    | {
        logPath: string;
        resume: HandHeldResume;
        header: { profile: { source: string; hash: string }; session: number };
      }
    | undefined,
): Promise<ExitCode> {
  const board = SIM_BOARDS[v.sim];
  const profile = loadDepthProfileFile(resuming ? resuming.header.profile.source : v.profile);
  if (resuming && profile.hash !== resuming.header.profile.hash)
    throw new SmpError(
      "INVALID_INPUT",
      `the profile ${profile.source} has changed since the session was recorded (sha256 ${profile.hash}, ` +
        `record ${resuming.header.profile.hash}): a session is resumed with the profile it started with`,
    );
  const session = (resuming ? resuming.header.session : v.session) as SessionNumber;
  const machine = loadMachineFile(v.machine ?? packageFile(DEFAULT_MACHINE_FILES[board.machine]));
  checkRunAllowed(
    {
      profile,
      machine,
      machineName: `--machine ${machine.source}`,
      session,
      engineerApproved: v.engineer,
      ...(v.port === undefined ? { simulated: { machine: board.machine, name: `--sim ${v.sim}` } } : {}),
    },
    { engineer: "pass --engineer to confirm an engineer approved it" },
  );
  const taps = v.taps !== undefined ? parseTapsFile(readFileSync(v.taps, "utf8"), v.taps) : undefined;
  const consoleKind = v.console ?? (process.stdin.isTTY && !taps ? "keyboard" : "none");
  if (consoleKind !== "keyboard" && consoleKind !== "none" && v["console-port"] === undefined)
    usage(`--console ${consoleKind} is a Firmata console file: give its board's --console-port`, "session start");
  const startedAt = new Date().toISOString();
  const logPath = resuming?.logPath ?? v.log ?? resolve(join("sessions", `${startedAt.replace(/[:.]/g, "-")}.jsonl`));
  const file = new SessionFile(logPath, true, resuming !== undefined);
  let target: BoardTarget | undefined;
  let operatorConsole: OperatorConsole | undefined;
  let hand: HandHeldSession | undefined;
  let lastInterruptMs = -Infinity;
  /** The simulated board's pedal and cartridge switch, for the keyboard's p (a tap), P (down, or up again) and c
   * (the cartridge out, or in again). */
  let simPedal: ((i: { pedalPressed?: boolean; cartridgePresent?: boolean }) => void) | undefined;
  let pedalHeld = false;
  let cartridgeIn = true;
  const onPedalKey = (chunk: Buffer | string) => {
    for (const key of chunk.toString()) {
      if (key === "p" && simPedal) {
        simPedal({ pedalPressed: true });
        setTimeout(() => simPedal?.({ pedalPressed: pedalHeld }), PEDAL_TAP_MS);
      } else if (key === "P" && simPedal) {
        pedalHeld = !pedalHeld;
        simPedal({ pedalPressed: pedalHeld });
      } else if (key === "c" && simPedal) {
        cartridgeIn = !cartridgeIn;
        simPedal({ cartridgePresent: cartridgeIn });
      }
    }
  };
  const onInterrupt = () => {
    const nowMs = performance.now();
    hand?.act(nowMs - lastInterruptMs <= ESTOP_WINDOW_MS ? "estop" : "stop");
    lastInterruptMs = nowMs;
  };
  const onTerminate = () => {
    hand?.act("stop");
    hand?.act("end");
  };
  try {
    target =
      v.port !== undefined
        ? { kind: "transport", transport: await openSerialTransport(v.port, v.baud) }
        : { kind: "sim", virtualTime: v["virtual-time"], seed: v.seed, firmware: board.firmware };
    operatorConsole = await openConsole(consoleKind, v["console-port"]);
    if (consoleKind === "keyboard" && target.kind === "sim") process.stdin.on("data", onPedalKey);
    process.on("SIGINT", onInterrupt);
    process.on("SIGTERM", onTerminate);
    const screen = new LiveScreen(process.stdout, v.json);
    const onResize = () => screen.resized();
    process.stdout.on("resize", onResize);
    const result = await runHandHeld({
      profile,
      machine,
      session,
      target,
      sink: file,
      startedAt,
      ...(taps ? { taps } : {}),
      ...(operatorConsole ? { console: operatorConsole } : {}),
      ...(resuming ? { resume: resuming.resume } : {}),
      engineerApproved: v.engineer,
      onSession: (s) => (hand = s),
      onSimInputs: (set) => (simPedal = set),
      observer: (e) => {
        if (!hand) return;
        screen.event(e, {
          phase: hand.phase,
          session,
          zone: hand.desk.zone.zone,
          needle: needleName(hand.desk.needle),
          dots: hand.dotsPlaced,
          dotsPerZone: hand.desk.dotsPerZone,
          pedalDown: ((hand.boardStatus?.inputs ?? 0) & 1) !== 0,
          link: hand.linkStats,
          toleranceUm: profile.profile.depthToleranceUm,
        });
      },
    });
    screen.close();
    process.stdout.off("resize", onResize);
    const o = result.outcome;
    const perZone = Object.entries(o.dotsPerZone)
      .map(([zone, n]) => `${zone} ${n}`)
      .join(", ");
    if (v.json) console.log(JSON.stringify({ type: "summary", ...o, log: logPath }));
    else console.log(`${o.message}\ndots per zone: ${perZone}\nrecord: ${logPath}`);
    return o.exitCode;
  } finally {
    process.off("SIGINT", onInterrupt);
    process.off("SIGTERM", onTerminate);
    process.stdin.off("data", onPedalKey);
    await operatorConsole?.close();
    file.close();
  }
}

async function openConsole(kind: string, port: string | undefined): Promise<OperatorConsole | undefined> {
  if (kind === "none") return undefined;
  if (kind === "keyboard") {
    const { keyboardConsole } = await import("../console/keyboard-console.ts");
    return keyboardConsole(process.stdin, process.stdout);
  }
  const file = loadConsoleFile(kind);
  const { openFirmataConsoleOnPort } = await import("../console/firmata-console.ts");
  return openFirmataConsoleOnPort(port!, file);
}
