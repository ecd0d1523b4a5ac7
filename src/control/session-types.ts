// The controller's public types: what it is given (ControllerOptions), what it reports while it runs
// (ControllerEvent) and how a run ended (RunOutcome: its exit code follows from the ending, RUN_ENDINGS).

import type { FaultRecord, DotRecord } from "../log/records.ts";
import type { SessionSink } from "../ports/session-sink.ts";
import type { LineTransport } from "../ports/line-transport.ts";
import type { LoadedMachine, LoadedProfile } from "../profiles/load.ts";
import type { SessionNumber } from "../profiles/schema.ts";
import type { ExitCode, RunEnding, RunOutcomeName } from "../errors/errors.ts";
import type { Scheduler } from "../time/scheduler.ts";
import type { DotSource } from "./dot-source.ts";
import type { PedalSource } from "./pedal-dispatch.ts";
import type { LoopTiming } from "./timing.ts";

export type ControllerEvent =
  | { type: "state"; from: string; to: string; cause?: string }
  | { type: "dot"; record: DotRecord; total: number }
  | { type: "fault"; record: FaultRecord }
  | { type: "info"; message: string };

export interface RunOutcome {
  /** How the run ended; outcome and exitCode follow from it (RUN_ENDINGS). */
  readonly ending: RunEnding;
  readonly outcome: RunOutcomeName;
  readonly exitCode: ExitCode;
  readonly message: string;
  readonly dotsPlaced: number;
  readonly faults: readonly FaultRecord[];
}

export interface ControllerOptions {
  readonly scheduler: Scheduler;
  readonly transport: LineTransport;
  readonly sink: SessionSink;
  readonly profile: LoadedProfile;
  readonly machine: LoadedMachine;
  readonly session: SessionNumber;
  /** Where the dots come from: a ScriptedDotSource over planSession(...), or a hand-held session's PedalSource. */
  readonly source: DotSource | PedalSource;
  readonly startedAt: string;
  readonly timing?: LoopTiming;
  readonly observer?: (event: ControllerEvent) => void;
  /** Clear a latched board alarm other than POWER_UP at the start (the operator's explicit --unlock). */
  readonly unlockLatched?: boolean;
  /** Called as the run ends, synchronously (a virtual-time driver runs no promise callbacks meanwhile). */
  readonly onEnd?: (outcome: RunOutcome) => void;
  /** Called when a dot is sent: the simulated world uses it to know which zone the handpiece is on. */
  readonly onDotSent?: (n: number, zone: string) => void;
}
