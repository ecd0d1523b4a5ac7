// The simulator's public entry (package subpath "./sim"): the reference board, the plant, the emulated
// firmware, the rig that joins them to a simulated cable, fault specs, and the board on a pseudo-terminal.
// The main entry (src/index.ts) does not load any of this.

export { SimBoard, DEFAULT_BOARD, type BoardConfig, type BoardModel } from "./board.ts";
export { Plant, type PlantParams, type SkinParams } from "./plant.ts";
export { EmulatedBoard, FIRMWARE_HEX, type EmulatedBoardOptions } from "./firmware.ts";
export { SimRig, plantFromMachine, type SimRigOptions } from "./rig.ts";
export { parseFaultSpec, type FaultSpec, type FaultKind } from "./faults.ts";
export { servePtyBoard, type PtyBoard } from "./pty.ts";
