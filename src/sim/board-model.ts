// What every simulated board is and needs: the interface the rig drives (BoardModel: the reference board of
// src/sim/board.ts, or the firmware in emulation, src/sim/firmware.ts), the physical inputs around it, the
// reference board's configuration and defaults (from BOARD_DEFAULTS), and the view of the board its parts
// share (BoardCore, for src/sim/board-burst.ts and src/sim/board-guard.ts).

import {
  BOARD_DEFAULTS,
  type AlarmName,
  type BoardStateName,
  type Frame,
  type ResetCauseName,
} from "../protocol/table.ts";
import type { Plant } from "./plant.ts";

export interface BoardConfig {
  readonly firmware: string;
  readonly clockHz: number;
  readonly hardMaxExtensionUm: number;
  readonly hardMaxStrokeHz: number;
  readonly hardMaxCurrentMa: number;
  readonly hardMaxDwellMs: number;
  readonly hardMaxLeaseMs: number;
  readonly queueSlots: number;
  readonly stepUs: number;
  readonly stallWindowMs: number;
  readonly lateToleranceMs: number;
  readonly pedalDebounceMs: number;
}

const D = BOARD_DEFAULTS;

export const DEFAULT_BOARD: BoardConfig = {
  firmware: "smp-sim-1.0.0",
  clockHz: D.clockHz,
  hardMaxExtensionUm: D.hardMaxExtensionUm,
  hardMaxStrokeHz: D.hardMaxStrokeHz,
  hardMaxCurrentMa: D.hardMaxCurrentMa,
  hardMaxDwellMs: D.hardMaxDwellMs,
  hardMaxLeaseMs: D.hardMaxLeaseMs,
  queueSlots: D.queueSlots,
  stepUs: 250, // the simulation's main-loop step (the firmware's guard runs every 200 us)
  stallWindowMs: D.stallWindowMs,
  lateToleranceMs: D.lateToleranceMs,
  pedalDebounceMs: D.pedalDebounceMs,
};

/** The physical inputs around the board: the operator's pedal (two contacts), e-stop button, cartridge switch. */
export interface BoardInputs {
  pedalPressed: boolean;
  /** A welded normally-open contact: reads pressed whatever the operator does. */
  pedalStuck: boolean;
  estopButton: boolean;
  cartridgePresent: boolean;
}

/** One latched alarm, with when it latched and how long the needle took to park (undefined: not yet). */
export interface AlarmRecord {
  code: AlarmName;
  atUs: number;
  parkedUs: number | undefined;
}

/** What the simulated rig needs from a board: this TypeScript model, or the real firmware in emulation. */
export interface BoardModel {
  readonly inputs: BoardInputs;
  /** Run the board up to time tUs (microseconds since the rig started). */
  advanceTo(tUs: number): void;
  /** One byte arrives on the board's serial input. */
  receiveByte(byte: number): void;
  /** Physical truth: needle parked up and drive off. */
  readonly parked: boolean;
  /** Dot whose burst is running, if known. */
  readonly currentDot: number | undefined;
  /** A reset with this cause (default: the reset pin); the board reboots latched in the cause's alarm. */
  reset(bootId: number, cause?: ResetCauseName): void;
  halt(): void;
  /** The board's own account, for tests: dots completed, alarms latched, state. */
  readonly completedDots: readonly number[];
  readonly alarmHistory: readonly AlarmRecord[];
  readonly state: BoardStateName;
  readonly alarm: AlarmName | undefined;
}

/** The reference board as its parts (bursts, guard) see it: its time, its state, and what they may make it do. */
export interface BoardCore {
  readonly plant: Plant;
  readonly config: BoardConfig;
  readonly inputs: BoardInputs;
  /** Microseconds since the rig started. */
  nowUs(): number;
  /** Board ticks since the last power-up. */
  tick(): number;
  state(): BoardStateName;
  setState(state: BoardStateName): void;
  /** Drive off, needle parks, queue dropped, state ALARM (the first alarm's code is kept). */
  latch(code: AlarmName): void;
  send(frame: Frame): void;
}

/** Needle extension for a position ADC count, by the plant's sensor calibration. */
export function sensorUm(plant: Plant, count: number): number {
  return (count - plant.params.sensorZeroCount) * plant.params.sensorUmPerCount;
}

/** The board's own view of parked, as the firmware's parked(): drive off and the actuator's position feedback
 * (ADC1) at or behind 0 um. A lying feedback is caught by the actuator check (ACTUATOR_FAULT). */
export function feedbackParked(plant: Plant): boolean {
  return !plant.driveOn && plant.actuatorFeedbackUm() <= 0;
}
