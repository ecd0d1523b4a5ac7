// Dot accounting, pure: the dots in flight and the stroke telemetry of each, the plausibility and stall
// checks on every stroke, each dot's record when it ends (complete from the board's DOTEND, partial when
// telemetry was lost, cut short when the run ended with its burst unfinished), and the depth and speed loops
// fed from complete dots only.

import type { FrameOf } from "../protocol/table.ts";
import type { AlarmName } from "../protocol/table.ts";
import type { MachineCalibration } from "../profiles/schema.ts";
import type { DotSettings } from "../profiles/load.ts";
import { needleName } from "../profiles/dots.ts";
import type { DotRecord } from "../log/records.ts";
import { DepthLoop, SpeedLoop, StallDetector, strokeFault } from "./loops.ts";
import type { PlannedDot } from "./dot-source.ts";
import { round1 } from "./precision.ts";

export type StrokeFrame = FrameOf<"STROKE">["fields"];
export type DotEndFrame = FrameOf<"DOTEND">["fields"];

/** What the host commands for a dot: the loops' extension and duty for its zone. */
export interface DotCommand {
  readonly commandedExtensionUm: number;
  readonly dutyPermille: number;
}

/** A host-detected fault in a dot's telemetry. */
export interface TelemetryFault {
  readonly code: AlarmName;
  readonly detail: string;
  readonly dot: number;
}

interface InFlight extends DotCommand {
  readonly planned: PlannedDot;
  readonly extensionsUm: number[];
  readonly periodsUs: number[];
  peakCurrentMa: number;
  /** Hand-held: the latest stroke, judged shallow once a later one shows it was not the burst's last. */
  lastStroke?: StrokeFrame;
}

/** How many ended dots keep their deepest measured stroke for a fault record that names one of them. */
const DEEPEST_KEPT = 32;

export class DotAccounting {
  private readonly inFlight = new Map<number, InFlight>();
  /** The deepest measured stroke of the last DEEPEST_KEPT dots that ended (null: none measured). */
  private readonly endedDeepestUm = new Map<number, number | null>();
  /** Replaced at the handshake by one capped below the board's hard maximum. */
  private depth = new DepthLoop();
  private readonly speed: SpeedLoop;
  private readonly stall = new StallDetector();
  /** Dots ended with a record, complete or partial telemetry (not those cut short, see cutShort). */
  dotsPlaced = 0;
  /** Dots the board refused LATE since the last one that ended. */
  lateDotsInARow = 0;

  /** handHeld: the bursts are the pedal's, and a release may end one early (docs/protocol.md §7.13). */
  constructor(
    private readonly machine: MachineCalibration,
    private readonly handHeld = false,
  ) {
    this.speed = new SpeedLoop({ machine: machine.machine, ...machine.drive });
  }

  /** The depth loop never commands past capUm (handshake.commandCapUm: below the hard maximum by the overtravel). */
  capAt(capUm: number): void {
    this.depth = new DepthLoop(capUm);
  }

  command(s: DotSettings): DotCommand {
    return {
      commandedExtensionUm: this.depth.commandUm(s.zone, s.targetExtensionUm),
      dutyPermille: this.speed.dutyFor(s.zone, s.strokeHz),
    };
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** The dot in flight now: the oldest sent that has not ended (the board runs them in order), if any. */
  get currentDot(): number | undefined {
    let first: number | undefined;
    for (const n of this.inFlight.keys()) if (first === undefined || n < first) first = n;
    return first;
  }

  /** Dot n's deepest measured stroke so far (null: none arrived); undefined if n is not known (any more). */
  deepestMeasuredUm(n: number): number | null | undefined {
    const dot = this.inFlight.get(n);
    if (dot) return dot.extensionsUm.length ? Math.max(...dot.extensionsUm) : null;
    return this.endedDeepestUm.get(n);
  }

  sent(planned: PlannedDot, command: DotCommand): void {
    this.inFlight.set(planned.n, { planned, ...command, extensionsUm: [], periodsUs: [], peakCurrentMa: 0 });
  }

  /** One stroke of a dot in flight; a fault when it is implausible or the drive stalls. */
  stroke(s: StrokeFrame, hardMaxExtensionUm: number): TelemetryFault | undefined {
    const dot = this.inFlight.get(s.dot);
    if (!dot) return undefined;
    dot.extensionsUm.push(s.extensionUm);
    dot.periodsUs.push(s.periodUs);
    dot.peakCurrentMa = Math.max(dot.peakCurrentMa, s.currentMa);
    const { strokeHz, strokes, targetExtensionUm, depthToleranceUm } = dot.planned.settings;
    const commanded = { extensionUm: dot.commandedExtensionUm, strokeHz, targetExtensionUm, depthToleranceUm };
    // not judged shallow: a puncture made while the needle retracts (past the planned count), shallow by design;
    // nor a burst's first, which the board may make before the actuator has arrived: after a slow spin-up it
    // extends at its spin-up timeout, mid-stroke, and nothing on the wire says so (docs/protocol.md §9). In a
    // hand-held session a release retracts the needle at any stroke, so a stroke is judged shallow only once a
    // later one shows it was not the burst's last (the one the release cut); deep is judged at once, always
    const inBurst = (f: StrokeFrame) => f.stroke > 1 && f.stroke <= strokes;
    const limits = {
      hardMaxExtensionUm,
      maxCurrentMa: this.machine.drive.maxCurrentMa,
      cartridgeGiveUm: this.machine.cartridgeGiveUm,
    };
    const prev = dot.lastStroke;
    dot.lastStroke = s;
    let bad = strokeFault(s, commanded, limits, !this.handHeld && inBurst(s));
    let at = s.stroke;
    if (!bad && this.handHeld && prev && inBurst(prev)) {
      bad = strokeFault(prev, commanded, limits, true);
      at = prev.stroke;
    }
    if (bad) return { code: bad.code, detail: `dot ${s.dot} stroke ${at}: ${bad.detail}`, dot: s.dot };
    if (this.stall.stroke(s.periodUs, strokeHz)) {
      const detail = `dot ${s.dot}: stroke rate below 70 % of ${strokeHz} Hz for more than 100 ms`;
      return { code: "HOST_STALL", detail, dot: s.dot };
    }
    return undefined;
  }

  /** Dots in flight up to and including lastDot (the board's STATUS says their bursts completed). */
  through(lastDot: number): number[] {
    return [...this.inFlight.keys()].filter((n) => n <= lastDot);
  }

  /**
   * Dot n ended: its record. With the board's DOTEND the counts and the deepest stroke are the board's own;
   * without it (lost on the link) the record is built from the strokes that did arrive, marked partial, and
   * the loops are not fed from it. boardTick is used only without DOTEND. Undefined if n is not in flight.
   */
  end(n: number, tMs: number, boardTick: () => number, end: DotEndFrame | undefined): DotRecord | undefined {
    const dot = this.inFlight.get(n);
    if (!dot) return undefined;
    this.lateDotsInARow = 0;
    this.stall.reset();
    const record = this.close(n, dot, tMs, end?.tick ?? boardTick(), end);
    const complete = record.telemetry === "complete";
    // a burst a release cut short holds its retract's shallow punctures: it says nothing of the depth reached
    if (complete && record.meanExtensionUm !== null && record.released !== true) {
      const s = dot.planned.settings;
      this.depth.update(s.zone, s.targetExtensionUm, mean(dot.extensionsUm)!);
      this.speed.update(s.zone, s.strokeHz, strokeHzOf(dot.periodsUs));
    }
    this.dotsPlaced++;
    return record;
  }

  /**
   * The run ends with dots still in flight: every one of them (its burst started, or was sent and may have
   * started, and did not end normally) gets a record marked `partial: true` from the strokes that arrived,
   * oldest first. They feed no loop and do not count as placed.
   */
  cutShort(tMs: number, boardTick: number): DotRecord[] {
    const left = [...this.inFlight.entries()].sort(([a], [b]) => a - b);
    return left.map(([n, dot]) => ({ ...this.close(n, dot, tMs, boardTick, undefined), partial: true }));
  }

  /** Take dot n off the books and build its record. */
  private close(n: number, dot: InFlight, tMs: number, boardTick: number, end: DotEndFrame | undefined): DotRecord {
    this.inFlight.delete(n);
    const s = dot.planned.settings;
    const meanExtensionUm = mean(dot.extensionsUm);
    const complete = end !== undefined && dot.extensionsUm.length === end.strokes;
    const seenMax = dot.extensionsUm.length ? Math.max(...dot.extensionsUm) : null;
    const maxExtensionUm = end ? end.maxExtensionUm : seenMax;
    this.endedDeepestUm.set(n, maxExtensionUm);
    for (const old of this.endedDeepestUm.keys()) {
      if (this.endedDeepestUm.size <= DEEPEST_KEPT) break;
      this.endedDeepestUm.delete(old);
    }
    return {
      type: "dot",
      n,
      zone: s.zone,
      session: s.session,
      tMs: round1(tMs),
      boardTick,
      targetExtensionUm: s.targetExtensionUm,
      commandedExtensionUm: dot.commandedExtensionUm,
      maxExtensionUm,
      meanExtensionUm: meanExtensionUm === undefined ? null : round1(meanExtensionUm),
      telemetry: complete ? "complete" : "partial",
      strokeCount: end ? end.strokes : dot.extensionsUm.length,
      plannedStrokes: s.strokes,
      strokeHz: round1(strokeHzOf(dot.periodsUs)),
      commandedStrokeHz: s.strokeHz,
      dutyPermille: dot.dutyPermille,
      peakCurrentMa: dot.peakCurrentMa,
      onTimeMs: end ? round1(end.onTimeUs / 1000) : 0,
      needle: needleName(s.needle),
      ...(this.handHeld && end && end.strokes < s.strokes ? { released: true as const } : {}),
    };
  }

  /**
   * The board refused dot n as late: nothing of it fired. It and every later dot leave the books (they go
   * out again); false when n is not in flight.
   */
  late(n: number): boolean {
    if (!this.inFlight.has(n)) return false;
    for (const later of [...this.inFlight.keys()]) if (later >= n) this.inFlight.delete(later);
    this.lateDotsInARow++;
    return true;
  }
}

function mean(xs: readonly number[]): number | undefined {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined;
}

/** The mean measured stroke rate from the stroke periods; 0 without any. */
function strokeHzOf(periodsUs: readonly number[]): number {
  const meanPeriodUs = mean(periodsUs);
  return meanPeriodUs ? 1e6 / meanPeriodUs : 0;
}
