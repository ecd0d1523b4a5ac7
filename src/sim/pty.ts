// Serves a simulated board on a pseudo-terminal so any serial client (smp run --port, a terminal
// program, the contract suite) reaches it through the real serial stack. scripts/pty-pair.py (Python
// standard library only) makes two raw pseudo-terminals and relays between them, as `socat pty pty` would;
// the board side is opened with serialport like any device, the other side's path is what clients open.
// Runs on the wall clock until stopped.

import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { SerialPort } from "serialport";
import { SmpError } from "../errors/errors.ts";
import { WallClockScheduler } from "../wallclock/scheduler.ts";
import { SimRig, plantFromMachine } from "./rig.ts";
import { warmUpEmulator } from "./firmware.ts";
import { Plant } from "./plant.ts";
import type { FaultSpec } from "./faults.ts";
import type { MachineCalibration } from "../profiles/schema.ts";
import { LINK } from "../protocol/table.ts";

export interface PtyBoard {
  /** The path a client opens. */
  readonly clientPath: string;
  readonly rig: SimRig;
  stop(): Promise<void>;
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

export async function servePtyBoard(
  machine: MachineCalibration,
  faults: readonly FaultSpec[],
  seed = 1,
  firmware = false,
): Promise<PtyBoard> {
  const { relay, boardPath, clientPath } = await startPtyPair();
  const port = new SerialPort({ path: boardPath, baudRate: LINK.baud, autoOpen: false });
  await new Promise<void>((res, rej) =>
    port.open((e) => (e ? rej(new SmpError("PORT", `cannot open ${boardPath}: ${e.message}`)) : res())),
  );
  if (firmware) warmUpEmulator(new Plant(plantFromMachine(machine, seed)));
  const scheduler = new WallClockScheduler();
  const rig = new SimRig(scheduler, {
    plant: plantFromMachine(machine, seed),
    seed,
    pumpMs: 1,
    firmware,
    rawHostSink: (bytes) => port.write(Buffer.from(bytes)),
  });
  port.on("data", (chunk: Buffer) => rig.transport.write(chunk));
  for (const f of faults) rig.arm(f);
  return {
    clientPath,
    rig,
    stop: async () => {
      await rig.transport.close();
      await new Promise<void>((res) => (port.isOpen ? port.close(() => res()) : res()));
      relay.kill("SIGTERM");
    },
  };
}
