// The closed loops and plausibility checks of the controller, pure. Depth: per-zone correction of the
// commanded extension from the measured per-stroke extension, bounded. Speed: per-zone drive duty from the
// measured stroke rate. Stall: rate below 70 % of setpoint for longer than 100 ms of board time.

import type { AlarmName } from "../protocol/table.ts";

export const LOOP_GAINS = {
  /** Fraction of the depth error corrected after each dot (scaled by the measured plant gain). */
  depthGain: 0.8,
  /** Largest correction of commanded extension over the zone target, either way: this or half the target. */
  maxDepthCorrectionUm: 400,
  maxDepthCorrectionFraction: 0.5,
  /** A stroke shallower than this fraction of commanded is implausible: the sensor, not the skin. */
  shallowPlausibilityFraction: 0.4,
  /** Over the machine's cartridgeGiveUm, what a healthy stroke may still fall short of its command: sensor noise
   * (6 um rms in the plant) and the actuator's settling. Healthy sessions fall short by at most the give + 16 um
   * (coil) and 53 um under it (rotary). A sensor reading shallow blinds the board's tip guard by as much; this
   * catches an error larger than the give + this less the skin's actual give (up to ~380 um on a 300 um give),
   * after the burst's first stroke; the board's zero check catches one over 40 um at the next spin-up. */
  giveSlackUm: 80,
  /** Initial correction, as a fraction of the target: the stiffest skin's give, so the first dot is never deep. */
  initialDepthCorrection: 0.08,
  /** Duty change per Hz of speed error, as a fraction of the feed-forward slope. */
  speedGain: 0.6,
  stallFraction: 0.7,
  stallMs: 100,
  /** A measured stroke deeper than commanded by more than this is physically implausible (give only shortens). */
  depthPlausibilityUm: 120,
  /** A stroke faster than the setpoint by more than this fraction means the drive is running away. */
  overSpeedFraction: 0.3,
} as const;

/**
 * Per-zone depth correction. The command is bounded twice: the correction by maxDepthCorrectionUm (or half
 * the target), and the command itself by `capUm` (below the board's hard maximum by the machine's overtravel).
 * Where skin and give would need more than that, the dot is placed shallower than its target and the record
 * shows it; the correction does not wind up beyond what can be commanded.
 */
export class DepthLoop {
  private readonly correctionUm = new Map<string, number>();

  constructor(private readonly capUm = Infinity) {}

  /** Commanded extension for the next dot in a zone. */
  commandUm(zone: string, targetUm: number): number {
    return Math.round(
      this.bounded(targetUm, this.correctionUm.get(zone) ?? targetUm * LOOP_GAINS.initialDepthCorrection),
    );
  }

  private bounded(targetUm: number, correctionUm: number): number {
    const bound = Math.min(LOOP_GAINS.maxDepthCorrectionUm, LOOP_GAINS.maxDepthCorrectionFraction * targetUm);
    return Math.min(this.capUm, targetUm + Math.max(-bound, Math.min(bound, correctionUm)));
  }

  /**
   * Feed back one dot's measured extension (mean of its strokes). Skin and cartridge give make measured
   * extension a fraction of commanded; dividing the error by that fraction (bounded to 1..2) converges in
   * a few dots whatever the skin's stiffness.
   */
  update(zone: string, targetUm: number, measuredUm: number): void {
    const current = this.correctionUm.get(zone) ?? targetUm * LOOP_GAINS.initialDepthCorrection;
    const commandedUm = targetUm + current;
    const inversePlantGain = measuredUm > 0 ? Math.min(2, Math.max(1, commandedUm / measuredUm)) : 1;
    const next = current + LOOP_GAINS.depthGain * inversePlantGain * (targetUm - measuredUm);
    this.correctionUm.set(zone, this.bounded(targetUm, next) - targetUm);
  }
}

export interface DriveCalibration {
  readonly machine: "rotary" | "coil";
  readonly minDutyPermille: number;
  readonly maxDutyPermille: number;
  readonly freeStrokeHzAtFullDuty: number;
  readonly loadDroopPercent: number;
}

export class SpeedLoop {
  /** Learned per zone: actual duty needed over the calibration's feed-forward (skin load differs by zone). */
  private readonly gain = new Map<string, number>();

  constructor(private readonly drive: DriveCalibration) {}

  /**
   * Rotary: feed-forward from the calibration times the zone's learned gain. Coil: the pulse rate sets the
   * speed; duty sets the hit.
   */
  dutyFor(zone: string, strokeHz: number): number {
    const d = this.drive;
    if (d.machine === "coil") return Math.round((d.minDutyPermille + d.maxDutyPermille) / 2);
    return this.bound(this.feedForward(strokeHz) * (this.gain.get(zone) ?? 1));
  }

  update(zone: string, setpointHz: number, measuredHz: number): void {
    const d = this.drive;
    if (d.machine === "coil" || !(measuredHz > 0)) return;
    const slope = 1000 / d.freeStrokeHzAtFullDuty;
    const ff = this.feedForward(setpointHz);
    const current = Math.max(d.minDutyPermille, Math.min(d.maxDutyPermille, ff * (this.gain.get(zone) ?? 1)));
    const next = current + LOOP_GAINS.speedGain * slope * (setpointHz - measuredHz);
    this.gain.set(zone, Math.max(0.5, Math.min(2, next / ff)));
  }

  private feedForward(strokeHz: number): number {
    const d = this.drive;
    return (strokeHz / (d.freeStrokeHzAtFullDuty * (1 - d.loadDroopPercent / 200))) * 1000;
  }

  private bound(duty: number): number {
    return Math.round(Math.max(this.drive.minDutyPermille, Math.min(this.drive.maxDutyPermille, duty)));
  }
}

/** Accumulates board-measured stroke periods; trips when slow strokes add up to more than the stall bound. */
export class StallDetector {
  private slowUs = 0;

  /** Feed one stroke; returns true when stalled. */
  stroke(periodUs: number, setpointHz: number): boolean {
    const hz = periodUs > 0 ? 1e6 / periodUs : 0;
    if (hz < LOOP_GAINS.stallFraction * setpointHz) this.slowUs += periodUs;
    else this.slowUs = 0;
    return this.slowUs > LOOP_GAINS.stallMs * 1000;
  }

  reset(): void {
    this.slowUs = 0;
  }
}

export interface StrokeSample {
  readonly extensionUm: number;
  readonly currentMa: number;
  readonly periodUs: number;
}

export interface StrokeCommand {
  readonly extensionUm: number;
  readonly strokeHz: number;
  /** The zone's target and the profile's tolerance over it: deeper is a fault whatever was commanded. */
  readonly targetExtensionUm: number;
  readonly depthToleranceUm: number;
}

/** What a stroke is judged against besides its command: the board's hard maximum and the machine's calibration. */
export interface StrokeLimits {
  readonly hardMaxExtensionUm: number;
  readonly maxCurrentMa: number;
  /** The most the cartridge's spring gives under skin load (machine file): a stroke shallower than its command by
   * more than this (and LOOP_GAINS.giveSlackUm) is the sensor reading shallow, not the skin. */
  readonly cartridgeGiveUm: number;
}

/** Host-side plausibility of one stroke against what was commanded and the machine's calibration. */
export function strokeFault(
  s: StrokeSample,
  commanded: StrokeCommand,
  limits: StrokeLimits,
  checkShallow = true,
): { code: AlarmName; detail: string } | undefined {
  const { hardMaxExtensionUm, maxCurrentMa, cartridgeGiveUm } = limits;
  const commandedExtensionUm = commanded.extensionUm;
  if (s.extensionUm > hardMaxExtensionUm) {
    return {
      code: "DEPTH_DEVIATION",
      detail: `measured extension ${s.extensionUm} um above board hard maximum ${hardMaxExtensionUm} um`,
    };
  }
  if (s.extensionUm > commanded.targetExtensionUm + commanded.depthToleranceUm) {
    return {
      code: "DEPTH_DEVIATION",
      detail:
        `measured extension ${s.extensionUm} um deeper than zone target ${commanded.targetExtensionUm} um ` +
        `by more than the profile's depthToleranceUm ${commanded.depthToleranceUm} um`,
    };
  }
  if (s.extensionUm > commandedExtensionUm + LOOP_GAINS.depthPlausibilityUm) {
    return {
      code: "DEPTH_DEVIATION",
      detail:
        `measured extension ${s.extensionUm} um exceeds commanded ${commandedExtensionUm} um ` +
        `by more than ${LOOP_GAINS.depthPlausibilityUm} um`,
    };
  }
  if (checkShallow && s.extensionUm < commandedExtensionUm * LOOP_GAINS.shallowPlausibilityFraction) {
    return {
      code: "DEPTH_DEVIATION",
      detail:
        `measured extension ${s.extensionUm} um below ${LOOP_GAINS.shallowPlausibilityFraction * 100} % ` +
        `of commanded ${commandedExtensionUm} um: a sensor fault, not skin give`,
    };
  }
  if (checkShallow && commandedExtensionUm - s.extensionUm > cartridgeGiveUm + LOOP_GAINS.giveSlackUm) {
    return {
      code: "DEPTH_DEVIATION",
      detail:
        `measured extension ${s.extensionUm} um shallower than commanded ${commandedExtensionUm} um by more than ` +
        `machine cartridgeGiveUm ${cartridgeGiveUm} um + ${LOOP_GAINS.giveSlackUm} um: the sensor reads shallow ` +
        `(offset or drift), and would hide a needle gone deep`,
    };
  }
  const hz = s.periodUs > 0 ? 1e6 / s.periodUs : Infinity; // a zero period is no physical stroke
  if (hz > commanded.strokeHz * (1 + LOOP_GAINS.overSpeedFraction)) {
    return {
      code: "HOST_OVER_SPEED",
      detail:
        `stroke rate ${hz.toFixed(1)} Hz above setpoint ${commanded.strokeHz} Hz ` +
        `by more than ${LOOP_GAINS.overSpeedFraction * 100} %`,
    };
  }
  if (s.currentMa > maxCurrentMa) {
    return {
      code: "HOST_OVER_CURRENT",
      detail: `stroke current ${s.currentMa} mA above machine limit ${maxCurrentMa} mA`,
    };
  }
  return undefined;
}
