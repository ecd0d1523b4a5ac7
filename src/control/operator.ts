// The operator script of `smp run`, pure: what the command does on the operator's behalf after each STATUS
// from the board. Starting the run is the operator's deliberate act, so the command goes on by itself: it
// unlocks the board's POWER_UP latch (any other latched alarm, and a board whose BOOT named another reset cause,
// only with --unlock), arms the board, and starts
// as soon as the dot source has a dot (the scripted plan at once; a pedal source when it is pressed). The
// state machine decides what each step means in the state it finds.

import type { AlarmName, BoardStateName, ResetCauseName } from "../protocol/table.ts";
import type { Input, SupervisorState } from "../safety/fsm.ts";
import type { DotSource } from "./dot-source.ts";
import type { PedalSource } from "./pedal-dispatch.ts";

export interface OperatorView {
  /** The board state of this STATUS (undefined: a state this host does not know). */
  readonly board: BoardStateName | undefined;
  /** The last alarm the board reported; a board that has reported none is latched in POWER_UP. */
  readonly lastBoardAlarm: AlarmName | undefined;
  readonly linkIdle: boolean;
  /** The operator's --unlock: clear a latched alarm other than POWER_UP (default: no). */
  readonly unlockLatched?: boolean;
  /** The reset cause of the board's BOOT, when the host saw one since it connected. */
  readonly bootCause?: ResetCauseName | undefined;
  readonly source: DotSource | PedalSource;
}

export type OperatorStep = (s: SupervisorState, v: OperatorView) => Input | undefined;

/** Go on: unlock the board or arm it, as far as the state machine finds it may (its proceed input). */
const goOn: OperatorStep = (_s, v) => ({
  type: "proceed",
  board: v.board,
  latched: v.lastBoardAlarm ?? "POWER_UP",
  linkIdle: v.linkIdle,
  unlockLatched: v.unlockLatched ?? false,
  ...(v.bootCause !== undefined ? { bootCause: v.bootCause } : {}),
});

/** Armed, and the source has a dot ready (a pedal source always: it arms the selected zone): start (the state
 * machine sends ARM, which a hand-held session sends as PEDAL). */
const ready = (source: DotSource | PedalSource): boolean =>
  source.kind === "pedal" ? !source.exhausted : source.next() !== undefined;
const start: OperatorStep = (s, v) => (s.name === "armed" && ready(v.source) ? { type: "start" } : undefined);

/** The operator's turn after a STATUS, in order: each step is given the state the step before it left. */
export const OPERATOR_TURN: readonly OperatorStep[] = [goOn, start];
