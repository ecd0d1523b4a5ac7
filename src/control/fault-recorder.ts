// Fault recording, pure: the run's first fault is held from its detection until the needle is known parked
// (or the wait ran out), with the evidence as it arrives (the host's sight of the park, the board's ALARM frame
// with its own latch and timing, each STATUS saying what the board has latched now), then written as one
// FaultRecord: how long parking took and who measured it, and why when the host could not; the alarm latched
// on the board now, or "unknown" when the board has not been heard since; the board's own event; for a frozen
// host, when it woke; the dot in flight at the detection with its deepest measured stroke. A provisional fault
// (a refusal that only says the board is not where the host thought) records the board's own latch instead, once
// the board reports it. A refusal at the handshake is recorded at once.

import { ALARMS, type AlarmName, type FrameOf } from "../protocol/table.ts";
import type { BoardClockEstimate } from "../time/ticks.ts";
import type { Fault } from "../safety/fsm.ts";
import { parkedText, type FaultRecord } from "../log/records.ts";
import { round1 } from "./precision.ts";
import { knownAlarm } from "./frames.ts";

/** The board's ALARM frame, with its tick on the host's clock (estimated). */
export interface BoardEvent {
  readonly alarm: AlarmName | undefined;
  readonly tick: number;
  readonly parkedUs: number;
  readonly atMs: number;
}

interface Pending {
  readonly fault: Fault;
  readonly detectedAtMs: number;
  /** The fault's own dot (a telemetry fault), else the dot in flight at the detection. */
  readonly dot: number | undefined;
  parkedSeenAtMs: number | undefined;
  event: BoardEvent | undefined;
  /** What the board's latest STATUS since the detection showed latched ("none": nothing). */
  boardAlarm: AlarmName | "none" | undefined;
}

type Park = Pick<FaultRecord, "parkedAfterMs" | "parkedMeasuredBy" | "parkNote">;

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
    const fresh = { parkedSeenAtMs: undefined, event: undefined, boardAlarm: undefined };
    this.pending ??= { fault, detectedAtMs: nowMs, dot, ...fresh };
  }

  /** Host time of the pending fault's detection; undefined when none is pending. */
  get pendingSinceMs(): number | undefined {
    return this.pending?.detectedAtMs;
  }

  /**
   * A STATUS (the one that reported a board fault included): the alarm it shows latched, if any. A latch clears only
   * by UNLOCK, so a STATUS without one that comes after one with it (queued on the board before the latch, whose
   * STATUS jumps the queue) does not clear it.
   */
  boardStatus(alarm: AlarmName | undefined): void {
    if (!this.pending) return;
    if (alarm !== undefined) this.pending.boardAlarm = alarm;
    else this.pending.boardAlarm ??= "none";
  }

  /**
   * The board showed the needle parked (a STATUS in ALARM with parked set, or an ALARM frame); true when it had
   * shown it before, since the detection.
   */
  parkedSeen(nowMs: number): boolean {
    if (!this.pending) return false;
    const before = this.pending.parkedSeenAtMs !== undefined;
    this.pending.parkedSeenAtMs ??= nowMs;
    return before;
  }

  /**
   * An ALARM frame: the board's own latch, and its own measure of the park (sent once it saw it parked), its
   * tick placed on the host's clock. False when no fault is pending (the frame means nothing then).
   */
  alarmFrame(f: FrameOf<"ALARM">["fields"], clock: Pick<BoardClockEstimate, "hostMsAt">, nowMs: number): boolean {
    const p = this.pending;
    if (!p) return false;
    this.parkedSeen(nowMs);
    const event = {
      alarm: knownAlarm(f.alarm),
      tick: f.tick,
      parkedUs: f.parkedUs,
      atMs: clock.hostMsAt(f.tick, nowMs),
    };
    p.event ??= event;
    if (p.boardAlarm === undefined || p.boardAlarm === "none") p.boardAlarm = event.alarm;
    return true;
  }

  /**
   * The pending fault's record, now that parking is confirmed or the wait ran out. deepestUm gives a dot's
   * deepest measured stroke (null: none; undefined: unknown), for the record's dot.
   */
  complete(deepestUm: (dot: number) => number | null | undefined = () => undefined): FaultRecord | undefined {
    const p = this.pending;
    if (!p) return undefined;
    this.pending = undefined;
    const { dot, event } = p;
    const boardAlarm = p.boardAlarm ?? "unknown";
    const fault = boardCause(p, boardAlarm) ?? p.fault;
    const { code, source, detail, asleepFromMs, resetCause } = fault;
    const deepestMeasuredUm = dot === undefined ? undefined : deepestUm(dot);
    return this.keep({
      type: "fault",
      tMs: round1(p.detectedAtMs),
      code,
      codeNumber: ALARMS[code].code,
      source,
      detail: detail || ALARMS[code].doc,
      ...park(p, boardAlarm, fault),
      boardAlarm,
      ...(event
        ? {
            boardEvent: {
              alarm: event.alarm ?? "unknown",
              tick: event.tick,
              parkedUs: event.parkedUs,
              atMs: round1(event.atMs),
            },
          }
        : {}),
      ...(asleepFromMs !== undefined
        ? { hostAsleep: { fromMs: round1(asleepFromMs), wokeAtMs: round1(p.detectedAtMs) } }
        : {}),
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

/** Alarms the host itself asks the board to latch when it parks: never the board's own cause. */
const HOST_REQUESTED: readonly AlarmName[] = ["STOP", "ESTOP"];

/**
 * A provisional fault (the host's inference from a refusal, a NAK BAD_STATE) gives way to the board's own
 * latch, the refusal's real cause: the alarm of the board's ALARM frame when the board latched it before the
 * host's detection (the host's clock estimate of a board tick errs late, never early: docs/protocol.md §8), or
 * else the alarm its STATUS shows latched now, unless that is the STOP or E-STOP the host asked for when it
 * parked (the board keeps its first latch, so a board in ALARM before the host's request shows its own).
 */
function boardCause(p: Pending, boardAlarm: AlarmName | "none" | "unknown"): Fault | undefined {
  if (!p.fault.provisional) return undefined;
  const { event } = p;
  const latched = event?.alarm !== undefined && event.atMs < p.detectedAtMs ? event.alarm : boardAlarm;
  if (latched === "none" || latched === "unknown" || HOST_REQUESTED.includes(latched)) return undefined;
  const refusal = `the host first saw it as a refusal: ${p.fault.detail}`;
  const detail = `board latched ${latched}: ${ALARMS[latched].doc}; ${refusal}`;
  return { code: latched, source: "board", detail, ...(p.fault.dot !== undefined ? { dot: p.fault.dot } : {}) };
}

/**
 * How the park is known. The board's own figure (its ALARM frame) counts for a fault the board detected, and
 * for a host fault when the board had latched before the host detected it (a frozen or cut-off host could
 * not measure the park: the needle was parked, or parking, before it knew). Otherwise the host's measure
 * from its detection to the board's confirmation. An ACTUATOR_FAULT board cannot confirm a park at all: its
 * actuator feedback, the only evidence it has of the park, is what failed.
 */
function park(p: Pending, boardAlarm: AlarmName | "none" | "unknown", fault: Fault): Park {
  const { event } = p;
  if (event?.alarm === "ACTUATOR_FAULT" || boardAlarm === "ACTUATOR_FAULT") {
    const parkNote =
      "the board's actuator feedback, its only evidence of the park, is what failed: the actuator was " +
      "commanded to park and the drive cut, but no one could confirm the needle parked; check the handpiece";
    return { parkedAfterMs: null, parkedMeasuredBy: "unconfirmed", parkNote };
  }
  const boardFirst = event !== undefined && event.atMs < p.detectedAtMs;
  if (event && (fault.source === "board" || boardFirst)) {
    const parkedAfterMs = round1(Math.max(0, event.parkedUs / 1000));
    if (fault.source === "board") return { parkedAfterMs, parkedMeasuredBy: "board" };
    const parkNote =
      `the board latched ${event.alarm ?? "an alarm"} ${round1(p.detectedAtMs - event.atMs)} ms before the host ` +
      "detected its fault, so the host could not measure the park: this is the board's figure, from its latch";
    return { parkedAfterMs, parkedMeasuredBy: "board", parkNote };
  }
  if (p.parkedSeenAtMs !== undefined) {
    const parkedAfterMs = round1(Math.max(0, p.parkedSeenAtMs - p.detectedAtMs));
    if (fault.source !== "board") return { parkedAfterMs, parkedMeasuredBy: "host" };
    const parkNote =
      `the board latched ${fault.code} before the host detected it, and its own figure (its ALARM frame) did ` +
      "not arrive: this is the host's, from its detection to the board's confirmation";
    return { parkedAfterMs, parkedMeasuredBy: "host", parkNote };
  }
  const parkNote =
    boardAlarm === "unknown"
      ? "no word from the board since the detection (the link is gone): the board parks on its own when its " +
        "lease runs out; the next contact records what it latched"
      : "the board did not show the needle parked within the wait";
  return { parkedAfterMs: null, parkedMeasuredBy: "unconfirmed", parkNote };
}

/** The run's closing message for a fault, stop or hold that parked. */
export function parkedMessage(r: FaultRecord): string {
  const what = r.code === "STOP" ? "stopped" : r.code === "TARGET_UNREACHABLE" ? "held" : "safety fault";
  const board =
    r.code === "TARGET_UNREACHABLE"
      ? ", board disarmed, nothing latched; no more dots: change the profile or the machine before the next run"
      : "";
  return `${what} ${r.code}: ${r.detail}; needle parked ${parkedText(r)}${board}`;
}
