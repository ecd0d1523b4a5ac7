// What the record says about a run's phases and its end, pure: the state record of a phase change (in the
// smp-session/1 vocabulary), the closing message, the end record, and the RunOutcome whose exit code follows
// from the ending (RUN_ENDINGS, the one table).

import { RUN_ENDINGS, runExitCode, type RunEnding } from "../errors/errors.ts";
import type { LinkStats } from "../protocol/hostlink.ts";
import { shown, type SupervisorState } from "../safety/fsm.ts";
import type { EndRecord, FaultRecord, StateRecord } from "../log/records.ts";
import { round1 } from "./precision.ts";
import { parkedMessage } from "./fault-recorder.ts";
import type { LatenessHistogram } from "./lateness.ts";
import type { ControllerEvent, RunOutcome } from "./session-types.ts";

/** The record of a step from one state to another, when what the record shows changed. */
export function stateChange(
  before: SupervisorState,
  after: SupervisorState,
  tMs: number,
): { record: StateRecord; event: ControllerEvent } | undefined {
  const from = shown(before).name;
  const { name: to, cause } = shown(after);
  if (from === to) return undefined;
  const why = cause ? { cause } : {};
  return { record: { type: "state", tMs: round1(tMs), from, to, ...why }, event: { type: "state", from, to, ...why } };
}

export interface Closing {
  readonly ending: RunEnding;
  /** The state machine's message for the ending ("" when a record tells it). */
  readonly detail: string;
  /** The fault record of a run that parked. */
  readonly parked: FaultRecord | undefined;
  readonly faults: readonly FaultRecord[];
  readonly dotsPlaced: number;
  readonly tMs: number;
  readonly link: LinkStats;
  readonly ticks: number;
  readonly lateness: LatenessHistogram;
}

export function closeRun(c: Closing): { end: EndRecord; outcome: RunOutcome } {
  const { ending, dotsPlaced } = c;
  const { outcome } = RUN_ENDINGS[ending];
  const message = c.parked
    ? parkedMessage(c.parked)
    : ending === "done"
      ? `session complete: ${dotsPlaced} dots`
      : c.detail;
  const end: EndRecord = {
    type: "end",
    tMs: round1(c.tMs),
    outcome: outcome === "refused" ? "fault" : outcome,
    ...(!c.parked && ending !== "done" && message ? { detail: message } : {}),
    dotsPlaced,
    link: { ...c.link },
    loop: {
      ticks: c.ticks,
      maxLatenessMs: round1(c.lateness.maxMs),
      p99LatenessMs: round1(c.lateness.quantile(0.99)),
    },
  };
  return { end, outcome: { ending, outcome, exitCode: runExitCode(ending), message, dotsPlaced, faults: c.faults } };
}
