// Dot accounting, pure: the dots in flight and the stroke telemetry of each, the plausibility and stall
// checks on every stroke, each dot's record when it ends (complete from the board's DOTEND, partial when
// telemetry was lost), and the depth and speed loops fed from complete dots only.

import type { FrameOf } from "../protocol/table.ts";
import type { AlarmName } from "../protocol/table.ts";
import type { MachineCalibration } from "../profiles/schema.ts";
import type { DotSettings } from "../profiles/load.ts";
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
}

export class DotAccounting {
  private readonly inFlight = new Map<number, InFlight>();
  /** Replaced at the handshake by one capped below the board's hard maximum. */
  private depth = new DepthLoop();
  private readonly speed: SpeedLoop;
  private readonly stall = new StallDetector();
  /** Dots ended with a record, complete or partial. */
  dotsPlaced = 0;
  /** Dots the board refused LATE since the last one that ended. */
  lateDotsInARow = 0;

  constructor(private readonly machine: MachineCalibration) {
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
    // a puncture made while the needle retracts (past the planned count) may be shallow by design
    const retracting = s.stroke > strokes;
    const maxCurrentMa = this.machine.drive.maxCurrentMa;
    const bad = strokeFault(s, commanded, hardMaxExtensionUm, maxCurrentMa, !retracting);
    if (bad) return { code: bad.code, detail: `dot ${s.dot} stroke ${s.stroke}: ${bad.detail}`, dot: s.dot };
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
    this.inFlight.delete(n);
    this.lateDotsInARow = 0;
    this.stall.reset();
    const s = dot.planned.settings;
    const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined);
    const meanExtensionUm = mean(dot.extensionsUm);
    const meanPeriodUs = mean(dot.periodsUs);
    const strokeHz = meanPeriodUs ? 1e6 / meanPeriodUs : 0;
    const complete = end !== undefined && dot.extensionsUm.length === end.strokes;
    if (complete && meanExtensionUm !== undefined) {
      this.depth.update(s.zone, s.targetExtensionUm, meanExtensionUm);
      this.speed.update(s.zone, s.strokeHz, strokeHz);
    }
    const seenMax = dot.extensionsUm.length ? Math.max(...dot.extensionsUm) : null;
    this.dotsPlaced++;
    return {
      type: "dot",
      n,
      zone: s.zone,
      session: s.session,
      tMs: round1(tMs),
      boardTick: end?.tick ?? boardTick(),
      targetExtensionUm: s.targetExtensionUm,
      commandedExtensionUm: dot.commandedExtensionUm,
      maxExtensionUm: end ? end.maxExtensionUm : seenMax,
      meanExtensionUm: meanExtensionUm === undefined ? null : round1(meanExtensionUm),
      telemetry: complete ? "complete" : "partial",
      strokeCount: end ? end.strokes : dot.extensionsUm.length,
      plannedStrokes: s.strokes,
      strokeHz: round1(strokeHz),
      commandedStrokeHz: s.strokeHz,
      dutyPermille: dot.dutyPermille,
      peakCurrentMa: dot.peakCurrentMa,
      onTimeMs: end ? round1(end.onTimeUs / 1000) : 0,
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
