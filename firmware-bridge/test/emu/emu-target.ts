// A contract-suite BoardTarget (hardware-tests/harness.ts) for the real firmware in avr8js emulation:
// smp-board.hex with smp-board.eep, the rotary machine of profiles/machines/rotary-pmu.json attached to the
// pins (emulated-board.ts). Time is the emulated CPU clock. Build the images first (make -C firmware-bridge).

import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BoardConnection, BoardTarget } from "../../../hardware-tests/harness.ts";
import { loadMachineFile } from "../../../src/profiles/files.ts";
import { plantFromMachine } from "../../../src/sim/rig.ts";
import { EmulatedBoard } from "./emulated-board.ts";

const here = dirname(fileURLToPath(import.meta.url));
export const FIRMWARE_DIR = join(here, "..", "..");
export const HEX_PATH = join(FIRMWARE_DIR, "smp-board.hex");
export const EEP_PATH = join(FIRMWARE_DIR, "smp-board.eep");

export interface EmulatedConnection extends BoardConnection {
  readonly board: EmulatedBoard;
}

export function connectEmulated(options: { eepPath?: string; eeprom?: Uint8Array; seed?: number; machineFile?: string } = {}): EmulatedConnection {
  const machine = loadMachineFile(options.machineFile ?? join(FIRMWARE_DIR, "..", "profiles", "machines", "rotary-pmu.json"));
  const board = new EmulatedBoard({
    hexPath: HEX_PATH,
    eepPath: options.eepPath ?? EEP_PATH,
    eeprom: options.eeprom,
    plant: plantFromMachine(machine.calibration, options.seed ?? 3),
  });
  const lineListeners: ((line: string) => void)[] = [];
  let closed = false;
  board.onLine((line) => { if (!closed) for (const l of lineListeners) l(line); });
  return {
    board,
    transport: {
      description: "avr8js:smp-board.hex",
      write: (bytes) => { if (!closed) board.write(bytes); },
      onLine: (l) => { lineListeners.push(l); },
      onClose: () => {},
      close: async () => { closed = true; },
    },
    nowMs: () => board.nowMs,
    waitMs: async (ms) => { board.runMs(ms); },
    world: {
      setPedal: (pressed) => { board.inputs.pedalPressed = pressed; board.applyInputs(); },
      setEstopButton: (pressed) => { board.inputs.estopButton = pressed; board.applyInputs(); },
      parked: () => board.parked,
    },
    close: async () => { closed = true; },
  };
}

export const emulatedTarget: BoardTarget = {
  name: "firmware smp-board.hex in avr8js",
  unavailable: existsSync(HEX_PATH) ? undefined : "smp-board.hex not built (make -C firmware-bridge)",
  async connect() {
    return connectEmulated();
  },
};
