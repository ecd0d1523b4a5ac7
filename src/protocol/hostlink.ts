// Host end of the link layer, pure: sequence numbers, stop-and-wait delivery of commands with ACK/NAK,
// retransmission on an adaptive timeout (RFC 6298 style, Karn's rule), and gap counting on the board's
// frames. The caller passes time in and writes the lines that poll() returns.

import { SEQ_MODULO, decodeFrame, encodeFrame, nextSeq, type DecodeError } from "./codec.ts";
import { isHostMessageId, type BoardMessageId, type Frame, type HostMessageId } from "./table.ts";

type Unseq<F> = F extends { seq: number } ? Omit<F, "seq"> : never;
export type HostCommand = Unseq<Extract<Frame, { id: HostMessageId }>>;
export type BoardFrame = Extract<Frame, { id: Exclude<BoardMessageId, "ACK" | "NAK"> }>;

export type LinkEvent =
  | { type: "frame"; frame: BoardFrame }
  | { type: "acked"; command: HostCommand; rttMs: number }
  | { type: "naked"; command: HostCommand; nak: number }
  | { type: "lost"; command: HostCommand; attempts: number }
  | { type: "corrupt"; error: DecodeError; line: string };

export interface LinkTiming {
  readonly initialRtoMs: number;
  readonly minRtoMs: number;
  readonly maxRtoMs: number;
  readonly maxAttempts: number;
}

export const DEFAULT_LINK_TIMING: LinkTiming = { initialRtoMs: 30, minRtoMs: 8, maxRtoMs: 120, maxAttempts: 5 };

/** A jump in the board's sequence numbers shorter than this is a gap (lost frames); a longer one a restart. */
const MAX_GAP = 1000;
/** How many of the sequence numbers counted missing are remembered, in case they arrive late. */
const MAX_SKIPPED_KEPT = 64;

export interface LinkStats {
  txFrames: number;
  retransmits: number;
  rxFrames: number;
  rxCorrupt: number;
  rxMissing: number;
  naks: number;
  srttMs: number | undefined;
  rtoMs: number;
}

interface Outstanding {
  command: HostCommand;
  seq: number;
  line: string;
  firstSentMs: number;
  lastSentMs: number;
  attempts: number;
}

export class HostLink {
  readonly stats: LinkStats;
  private pending: HostCommand[] = [];
  private outstanding: Outstanding | undefined;
  private txSeq: number;
  private rxExpected: number | undefined;
  /** Sequence numbers counted missing (the latest MAX_SKIPPED_KEPT), in case they arrive late. */
  private readonly rxSkipped = new Set<number>();
  private rttvarMs = 0;

  constructor(
    private readonly timing: LinkTiming = DEFAULT_LINK_TIMING,
    firstSeq = 0,
  ) {
    this.txSeq = firstSeq % SEQ_MODULO;
    this.stats = {
      txFrames: 0,
      retransmits: 0,
      rxFrames: 0,
      rxCorrupt: 0,
      rxMissing: 0,
      naks: 0,
      srttMs: undefined,
      rtoMs: timing.initialRtoMs,
    };
  }

  /** Queue a command; it goes out when every earlier one has been acknowledged. */
  send(command: HostCommand): void {
    this.pending.push(command);
  }

  /** Nothing waiting and nothing in flight. */
  get idle(): boolean {
    return this.outstanding === undefined && this.pending.length === 0;
  }

  get inFlight(): HostCommand | undefined {
    return this.outstanding?.command;
  }

  /** Drop everything not yet sent (after a fault: no dot may go out late). The frame in flight stays. */
  dropPending(): void {
    this.pending = [];
  }

  /** Lines to write now: the next command, or a retransmission. Reports a command given up on as lost. */
  poll(nowMs: number): { lines: string[]; events: LinkEvent[] } {
    const o = this.outstanding;
    if (o) {
      if (nowMs - o.lastSentMs < this.stats.rtoMs) return { lines: [], events: [] };
      if (o.attempts >= this.timing.maxAttempts) {
        this.outstanding = undefined;
        this.pending = [];
        return { lines: [], events: [{ type: "lost", command: o.command, attempts: o.attempts }] };
      }
      o.attempts++;
      o.lastSentMs = nowMs;
      this.stats.retransmits++;
      this.stats.rtoMs = Math.min(this.timing.maxRtoMs, this.stats.rtoMs * 2); // back off
      return { lines: [o.line], events: [] };
    }
    const command = this.pending.shift();
    if (!command) return { lines: [], events: [] };
    const seq = this.txSeq;
    this.txSeq = nextSeq(seq);
    const line = encodeFrame({ ...command, seq });
    this.outstanding = { command, seq, line, firstSentMs: nowMs, lastSentMs: nowMs, attempts: 1 };
    this.stats.txFrames++;
    return { lines: [line], events: [] };
  }

  /** Handle one received line. */
  receive(line: string, nowMs: number): LinkEvent[] {
    const decoded = decodeFrame(line);
    if (!decoded.ok) {
      this.stats.rxCorrupt++;
      return [{ type: "corrupt", error: decoded.error, line }];
    }
    const frame = decoded.frame;
    if (isHostMessageId(frame.id)) {
      this.stats.rxCorrupt++; // a host command echoed back: a loop-back wiring fault, not a board frame
      return [{ type: "corrupt", error: { reason: "unknown-id", id: frame.id }, line }];
    }
    this.stats.rxFrames++;
    this.countGap(frame);
    if (frame.id === "ACK" || frame.id === "NAK") {
      const o = this.outstanding;
      if (!o || frame.fields.ackSeq !== o.seq) return []; // late duplicate of an answer already handled
      this.outstanding = undefined;
      if (o.attempts === 1) this.sampleRtt(nowMs - o.firstSentMs);
      if (frame.id === "ACK") return [{ type: "acked", command: o.command, rttMs: nowMs - o.firstSentMs }];
      this.stats.naks++;
      return [{ type: "naked", command: o.command, nak: frame.fields.nak }];
    }
    return [{ type: "frame", frame: frame as BoardFrame }];
  }

  /**
   * Gaps in the board's sequence numbers (docs/protocol.md §3.4). A frame from behind the expected number is a
   * duplicate, or a frame the board sent late on purpose (a latch's STATUS goes ahead of the telemetry queued
   * before it, §7.7): it takes back its place in the count if it was counted missing, and the expected number
   * does not move back.
   */
  private countGap(frame: Frame): void {
    if (frame.id === "BOOT") {
      this.rxExpected = nextSeq(frame.seq);
      this.rxSkipped.clear();
      return;
    }
    const expected = this.rxExpected;
    if (expected !== undefined && frame.seq !== expected) {
      const ahead = (frame.seq - expected + SEQ_MODULO) % SEQ_MODULO;
      if (ahead >= SEQ_MODULO - MAX_GAP) {
        if (this.rxSkipped.delete(frame.seq)) this.stats.rxMissing--; // late, not lost
        return;
      }
      if (ahead < MAX_GAP) {
        this.stats.rxMissing += ahead;
        for (let k = 0; k < ahead; k++) this.rxSkipped.add((expected + k) % SEQ_MODULO);
        for (const old of this.rxSkipped) {
          if (this.rxSkipped.size <= MAX_SKIPPED_KEPT) break;
          this.rxSkipped.delete(old); // the oldest: a frame that late is lost
        }
      }
    }
    this.rxExpected = nextSeq(frame.seq);
  }

  private sampleRtt(rttMs: number): void {
    const s = this.stats;
    if (s.srttMs === undefined) {
      s.srttMs = rttMs;
      this.rttvarMs = rttMs / 2;
    } else {
      this.rttvarMs = 0.75 * this.rttvarMs + 0.25 * Math.abs(s.srttMs - rttMs);
      s.srttMs = 0.875 * s.srttMs + 0.125 * rttMs;
    }
    s.rtoMs = Math.min(this.timing.maxRtoMs, Math.max(this.timing.minRtoMs, s.srttMs + 4 * this.rttvarMs));
  }
}
