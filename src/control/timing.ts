// The control loop's timing: period, lateness budget, how far ahead dots go out, leases, keep-alives and
// the bounds on silence, the handshake and the wait for the needle to park; and, pure, which of them has run
// out and when HELLO goes out again. All host milliseconds.

import type { Input } from "../safety/fsm.ts";

export interface LoopTiming {
  /** Control loop period (200 Hz). */
  readonly periodMs: number;
  /** A tick later than this holds the session (STOP, HOST_LATE). */
  readonly latenessBudgetMs: number;
  /** How far ahead of its start a dot is sent to the board. */
  readonly leadMs: number;
  /** Lease granted with every dot and keep-alive; the board parks when it runs out. */
  readonly leaseMs: number;
  /** A keep-alive goes out when no lease-renewing command was sent for this long. */
  readonly keepEveryMs: number;
  /** No STATUS for this long is a fault. */
  readonly staleMs: number;
  readonly handshakeTimeoutMs: number;
  /** How long to wait for the board to confirm the needle is parked after a fault. */
  readonly parkConfirmTimeoutMs: number;
}

export const DEFAULT_TIMING: LoopTiming = {
  periodMs: 5,
  latenessBudgetMs: 50,
  leadMs: 80,
  leaseMs: 250,
  keepEveryMs: 40,
  staleMs: 200,
  handshakeTimeoutMs: 1500,
  parkConfirmTimeoutMs: 2000,
};

/** HELLO goes out again after this long when it was acknowledged but its INFO never arrived. */
export const HELLO_RETRY_MS = 100;
/** More dots than this in a row refused LATE by the board hold the session (HOST_LATE). */
export const MAX_LATE_DOTS_IN_A_ROW = 3;

/**
 * A loop tick that ran at nowMs, latenessMs after its deadline, beyond the budget: the HOST_LATE hold's input,
 * which says from when the host was not running (the deadline it missed).
 */
export function lateTick(nowMs: number, latenessMs: number, t: LoopTiming): Input | undefined {
  const budgetMs = t.latenessBudgetMs;
  if (latenessMs <= budgetMs) return undefined;
  const detail = `loop tick ${latenessMs.toFixed(1)} ms late, budget ${budgetMs} ms`;
  return { type: "late", detail, asleepFromMs: nowMs - latenessMs };
}

/**
 * The next tick's deadline on the absolute grid t0Ms + k * periodMs, after the tick due at deadlineMs ran at
 * nowMs: skipping any deadline already missed (no catch-up burst).
 */
export function nextDeadlineMs(t0Ms: number, deadlineMs: number, nowMs: number, periodMs: number): number {
  const k = Math.max(Math.floor((nowMs - t0Ms) / periodMs) + 1, Math.round((deadlineMs - t0Ms) / periodMs) + 1);
  return t0Ms + k * periodMs;
}

export interface Watch {
  readonly t0Ms: number;
  /** The board has answered HELLO. */
  readonly connected: boolean;
  /** Host time of the last valid frame from the board. */
  readonly lastRxMs: number | undefined;
  /** The deadline of the loop tick that asks: silence after it is the host's own lateness (a frozen or starved host's
   * frames wait for it in the transport), not the board's. Absent: the silence counts up to now. */
  readonly tickDeadlineMs?: number;
  /** Host time HELLO last went out. */
  readonly lastHelloMs: number;
  /** No command is waiting for its acknowledgement. */
  readonly linkIdle: boolean;
  /** A fault is parking (silence no longer matters): since when. */
  readonly parkingSinceMs: number | undefined;
  readonly parking: boolean;
  readonly transport: string;
}

export interface Due {
  /** HELLO goes out again: it was acknowledged, but its INFO was lost on the way back. */
  readonly helloAgain: boolean;
  /** The bound that has run out, as an input to the supervisor: the handshake, silence, parking. */
  readonly input: Input | undefined;
}

/** What the clock asks of the loop at nowMs: a bound that has run out, and whether to ask HELLO again. */
export function timeouts(nowMs: number, w: Watch, t: LoopTiming): Due {
  const input = overdue(nowMs, w, t);
  const helloLost = !w.connected && w.linkIdle && nowMs - w.lastHelloMs > HELLO_RETRY_MS;
  return { helloAgain: input?.type !== "handshakeTimeout" && helloLost, input };
}

function overdue(nowMs: number, w: Watch, t: LoopTiming): Input | undefined {
  if (!w.connected && nowMs - w.t0Ms > t.handshakeTimeoutMs) {
    const detail = `no HELLO reply from ${w.transport} within ${t.handshakeTimeoutMs} ms`;
    return { type: "handshakeTimeout", detail };
  }
  const silentMs = w.lastRxMs === undefined ? 0 : Math.min(nowMs, w.tickDeadlineMs ?? nowMs) - w.lastRxMs;
  if (!w.parking && w.connected && silentMs > t.staleMs) {
    const detail = `no valid frame from the board for ${silentMs.toFixed(0)} ms, bound ${t.staleMs} ms`;
    return { type: "fault", code: "TELEMETRY_STALE", detail };
  }
  const sinceMs = w.parkingSinceMs;
  return sinceMs !== undefined && nowMs - sinceMs > t.parkConfirmTimeoutMs ? { type: "parkTimeout" } : undefined;
}
