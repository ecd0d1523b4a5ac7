// Fault recording, pure: the run's first fault is held from its detection until the needle is known parked
// (or the wait ran out), with the evidence of parking as it arrives, then written as one FaultRecord that
// says how long parking took and who measured it, and names the dot in flight at the detection with its
// deepest measured stroke. A refusal at the handshake is recorded at once.

import { ALARMS, type AlarmName } from "../protocol/table.ts";
import type { Fault } from "../safety/fsm.ts";
import { parkedText, type FaultRecord } from "../log/records.ts";
import { round1 } from "./precision.ts";

interface Pending {
  readonly fault: Fault;
  readonly detectedAtMs: number;
  /** The fault's own dot (a telemetry fault), else the dot in flight at the detection. */
  readonly dot: number | undefined;
  parkedSeenAtMs: number | undefined;
  boardParkedMs: number | undefined;
}

export class FaultRecorder {
  private pending: Pending | undefined;
  /** Every fault record of the run, in order. */
  readonly records: FaultRecord[] = [];

  /**
   * Start recording a fault detected at host time nowMs (the state machine sends only a run's first);
   * dotInFlight is the dot whose burst was running or due then, if any.
   */
  detected(fault: Fault, nowMs: number, dotInFlight?: number): void {
    const dot = fault.dot ?? dotInFlight;
    this.pending ??= { fault, detectedAtMs: nowMs, dot, parkedSeenAtMs: undefined, boardParkedMs: undefined };
  }

  /** Host time of the pending fault's detection; undefined when none is pending. */
  get pendingSinceMs(): number | undefined {
    return this.pending?.detectedAtMs;
  }

  /** The board showed the needle parked (a STATUS in ALARM with parked set, or an ALARM frame). */
  parkedSeen(nowMs: number): void {
    if (this.pending) this.pending.parkedSeenAtMs ??= nowMs;
  }

  /** An ALARM frame: the board measured its own parking; that counts for a fault the board detected. */
  alarmFrame(parkedMs: number, nowMs: number): void {
    const p = this.pending;
    if (!p) return;
    this.parkedSeen(nowMs);
    if (p.fault.source === "board") p.boardParkedMs = parkedMs;
  }

  /**
   * The pending fault's record, now that parking is confirmed or the wait ran out. deepestUm gives a dot's
   * deepest measured stroke (null: none; undefined: unknown), for the record's dot.
   */
  complete(
    boardAlarm: AlarmName | undefined,
    deepestUm: (dot: number) => number | null | undefined = () => undefined,
  ): FaultRecord | undefined {
    const p = this.pending;
    if (!p) return undefined;
    this.pending = undefined;
    const { dot } = p;
    const { code, source, detail, resetCause } = p.fault;
    const deepestMeasuredUm = dot === undefined ? undefined : deepestUm(dot);
    const hostMs = p.parkedSeenAtMs !== undefined ? p.parkedSeenAtMs - p.detectedAtMs : undefined;
    const parkedAfterMs = p.boardParkedMs ?? hostMs;
    return this.keep({
      type: "fault",
      tMs: round1(p.detectedAtMs),
      code,
      codeNumber: ALARMS[code].code,
      source,
      detail: detail || ALARMS[code].doc,
      parkedAfterMs: parkedAfterMs === undefined ? null : round1(Math.max(0, parkedAfterMs)),
      parkedMeasuredBy: p.boardParkedMs !== undefined ? "board" : hostMs !== undefined ? "host" : "unconfirmed",
      ...(boardAlarm ? { boardAlarm } : {}),
      ...(dot !== undefined ? { dot } : {}),
      ...(deepestMeasuredUm !== undefined ? { deepestMeasuredUm } : {}),
      ...(resetCause !== undefined ? { resetCause } : {}),
    });
  }

  /** A fault the host refused to arm for: the drive was never enabled, so there is nothing to wait for. */
  neverArmed(fault: Fault, nowMs: number): FaultRecord {
    return this.keep({
      type: "fault",
      tMs: round1(nowMs),
      code: fault.code,
      codeNumber: ALARMS[fault.code].code,
      source: fault.source,
      detail: fault.detail,
      parkedAfterMs: 0,
      parkedMeasuredBy: "never-armed",
    });
  }

  private keep(record: FaultRecord): FaultRecord {
    this.records.push(record);
    return record;
  }
}

/** The run's closing message for a fault or stop that parked. */
export function parkedMessage(r: FaultRecord): string {
  return `${r.code === "STOP" ? "stopped" : "safety fault"} ${r.code}: ${r.detail}; needle parked ${parkedText(r)}`;
}
