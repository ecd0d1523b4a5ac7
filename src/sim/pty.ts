// Serves a simulated board (or the emulated operator console, servePtyConsole) on a pseudo-terminal so any serial
// client (smp run --port, a terminal program, the contract suite) reaches it through the real serial stack.
// scripts/pty-pair.py (Python standard library only) makes two raw pseudo-terminals and relays between them, as `socat
// pty pty` would; the board side is opened with serialport like any device, the other side's path is what clients open.
// Runs until stopped, on a board clock of its own, like a real board's crystal: it follows the wall clock in steps of
// at most BOARD_STEP_MS of board time, and on a machine too loaded to emulate the board in real time it runs slower
// instead of catching up in ever longer bursts (which would starve the port of reads and writes).

import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { SerialPort } from "serialport";
import { SmpError } from "../errors/errors.ts";
import { WallClockScheduler } from "../wallclock/scheduler.ts";
import { VirtualScheduler } from "../time/scheduler.ts";
import { SimRig, plantFromMachine } from "./rig.ts";
import { warmUpEmulator } from "./firmware.ts";
import { Plant } from "./plant.ts";
import type { FaultSpec } from "./faults.ts";
import type { MachineCalibration } from "../profiles/schema.ts";
import { LINK } from "../protocol/table.ts";
import { EmulatedUno } from "./firmata-uno.ts";
import { STANDARD_FIRMATA } from "./standard-firmata.ts";

export interface PtyBoard {
  /** The path a client opens. */
  readonly clientPath: string;
  readonly rig: SimRig;
  stop(): Promise<void>;
}

/** The most board time emulated between two looks at the port: 5 ms, 20 STATUS-free main-loop windows at most. */
const BOARD_STEP_MS = 5;

/**
 * Drive `board` (a VirtualScheduler that the rig runs on) from the wall clock: every millisecond or so, advance it
 * by the wall time that passed, but by no more than BOARD_STEP_MS; time the process did not get is lost, not
 * caught up. Returns the stop function.
 */
function runBoardClock(board: VirtualScheduler): () => void {
  const wall = new WallClockScheduler();
  let lastWallMs = wall.nowMs();
  let cancel = () => {};
  const step = () => {
    const wallMs = wall.nowMs();
    board.runUntil(board.nowMs() + Math.min(wallMs - lastWallMs, BOARD_STEP_MS));
    lastWallMs = wallMs;
    cancel = wall.at(wall.nowMs() + 1, step);
  };
  step();
  return () => cancel();
}

const PTY_PAIR_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), "../../scripts/pty-pair.py");

/** Start the relay and return the two pseudo-terminal paths it made (board side, client side). */
function startPtyPair(): Promise<{ relay: ChildProcess; boardPath: string; clientPath: string }> {
  return new Promise((resolve, reject) => {
    const relay = spawn("python3", [PTY_PAIR_SCRIPT], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    relay.on("error", (e) =>
      reject(new SmpError("PORT", `cannot start the pseudo-terminal relay (python3 ${PTY_PAIR_SCRIPT}): ${e.message}`)),
    );
    relay.on("exit", (code) => reject(new SmpError("PORT", `pseudo-terminal relay exited (${code}): ${err.trim()}`)));
    relay.stderr.on("data", (c: Buffer) => {
      err += c.toString();
    });
    relay.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      const paths = out.split("\n").filter((l) => l.startsWith("/dev/"));
      if (paths.length >= 2) resolve({ relay, boardPath: paths[0]!, clientPath: paths[1]! });
    });
  });
}

/** What a test may watch from the board's side of the line: the bytes each way, as the board sends or takes them. */
export interface PtyTap {
  toClient?(bytes: Uint8Array): void;
  fromClient?(bytes: Uint8Array): void;
}

export async function servePtyBoard(
  machine: MachineCalibration,
  faults: readonly FaultSpec[],
  seed = 1,
  firmware = false,
  tap: PtyTap = {},
): Promise<PtyBoard> {
  const { relay, boardPath, clientPath } = await startPtyPair();
  const port = new SerialPort({ path: boardPath, baudRate: LINK.baud, autoOpen: false });
  await new Promise<void>((res, rej) =>
    port.open((e) => (e ? rej(new SmpError("PORT", `cannot open ${boardPath}: ${e.message}`)) : res())),
  );
  // a close with a read pending reports "canceled": the end of the port, not a fault
  port.on("error", (e: Error & { canceled?: boolean }) => {
    if (!e.canceled) throw e;
  });
  if (firmware) warmUpEmulator(new Plant(plantFromMachine(machine, seed)));
  const scheduler = new VirtualScheduler();
  const rig = new SimRig(scheduler, {
    plant: plantFromMachine(machine, seed),
    seed,
    pumpMs: 1,
    firmware,
    rawHostSink: (bytes) => {
      tap.toClient?.(bytes);
      port.write(Buffer.from(bytes));
    },
  });
  port.on("data", (chunk: Buffer) => {
    tap.fromClient?.(chunk);
    rig.transport.write(chunk);
  });
  for (const f of faults) rig.arm(f);
  const stopClock = runBoardClock(scheduler);
  return {
    clientPath,
    rig,
    stop: async () => {
      stopClock();
      await rig.transport.close();
      await new Promise<void>((res) => (port.isOpen ? port.close(() => res()) : res()));
      relay.kill("SIGTERM");
    },
  };
}

export interface PtyConsole {
  readonly clientPath: string;
  readonly uno: EmulatedUno;
  stop(): Promise<void>;
}

/** The operator console in emulation (StandardFirmata on an emulated Uno, at the wall clock's pace) on a
 * pseudo-terminal at Firmata's 57600 baud, for `smp session start --console FILE --console-port PATH`. The caller
 * sets the Uno's inputs (buttons released) and then starts it. */
export async function servePtyConsole(hexPath: string): Promise<PtyConsole> {
  const { relay, boardPath, clientPath } = await startPtyPair();
  const port = new SerialPort({ path: boardPath, baudRate: STANDARD_FIRMATA.baud, autoOpen: false });
  await new Promise<void>((res, rej) =>
    port.open((e) => (e ? rej(new SmpError("PORT", `cannot open ${boardPath}: ${e.message}`)) : res())),
  );
  port.on("error", (e: Error & { canceled?: boolean }) => {
    if (!e.canceled) throw e;
  });
  const uno = new EmulatedUno({ hexPath, realTime: true });
  uno.transport.on("data", (bytes: Buffer) => port.write(bytes));
  port.on("data", (chunk: Buffer) => uno.transport.write(chunk));
  return {
    clientPath,
    uno,
    stop: async () => {
      uno.stop();
      await new Promise<void>((res) => (port.isOpen ? port.close(() => res()) : res()));
      relay.kill("SIGTERM");
    },
  };
}
