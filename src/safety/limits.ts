// Layered limits, pure. A profile must fit the SMP envelope; the envelope must fit the board's hard limits
// reported in HELLO. No input value is ever clamped: one outside is reported with its field, value and
// limit. (At run time the depth loop's command is bounded below the board's cap, and the board checks
// every dot again whatever the host sends.)

import type { LimitDetail } from "../errors/errors.ts";
import { LINK } from "../protocol/table.ts";

export interface Range {
  readonly min: number;
  readonly max: number;
}

/** The SMP operating envelope. "engineer" allows deeper work and needs an engineer-level profile. */
export interface Envelope {
  readonly name: "standard" | "engineer";
  readonly extensionUm: Range;
  readonly strokeHz: Range;
  readonly strokesPerDot: Range;
  readonly dwellMs: Range;
  readonly dotIntervalMs: Range;
  readonly needleDiameterMm: Range;
  /** How much deeper than its zone's target a stroke may measure before it is a fault (the profile's choice). */
  readonly depthToleranceUm: Range;
}

export const ENVELOPES: Readonly<Record<Envelope["name"], Envelope>> = {
  standard: {
    name: "standard",
    extensionUm: { min: 200, max: 1200 },
    strokeHz: { min: 30, max: 150 },
    strokesPerDot: { min: 1, max: 30 },
    dwellMs: { min: 10, max: 250 },
    dotIntervalMs: { min: 150, max: 10_000 },
    needleDiameterMm: { min: 0.18, max: 0.35 },
    depthToleranceUm: { min: 50, max: 200 },
  },
  engineer: {
    name: "engineer",
    extensionUm: { min: 100, max: 1400 },
    strokeHz: { min: 30, max: 150 },
    strokesPerDot: { min: 1, max: 40 },
    dwellMs: { min: 10, max: 300 },
    dotIntervalMs: { min: 150, max: 10_000 },
    needleDiameterMm: { min: 0.18, max: 0.35 },
    depthToleranceUm: { min: 50, max: 300 },
  },
};

/** The board's own caps, as reported in HELLO (INFO). The board enforces these whatever the host sends. */
export interface HardLimits {
  readonly hardMaxExtensionUm: number;
  readonly hardMaxStrokeHz: number;
  readonly hardMaxCurrentMa: number;
  readonly hardMaxDwellMs: number;
  readonly hardMaxLeaseMs: number;
}

/** Check one value against a range; push a detail naming field, value and limit when outside. */
export function checkRange(
  out: LimitDetail[],
  field: string,
  value: number,
  range: Range,
  what: string,
  unit: string,
): void {
  if (!Number.isFinite(value)) out.push({ field, value, limit: `${what} requires a finite number` });
  else if (value < range.min) out.push({ field, value, limit: `below ${what} minimum ${range.min} ${unit}` });
  else if (value > range.max) out.push({ field, value, limit: `above ${what} maximum ${range.max} ${unit}` });
}

/** The envelope must sit inside the board's hard limits; otherwise the host refuses to arm. */
export function envelopeFitsBoard(env: Envelope, hard: HardLimits): LimitDetail[] {
  const out: LimitDetail[] = [];
  const check = (field: string, value: number, limit: number, unit: string) => {
    if (value > limit)
      out.push({ field: `envelope.${env.name}.${field}`, value, limit: `above board hard maximum ${limit} ${unit}` });
  };
  check("extensionUm.max", env.extensionUm.max, hard.hardMaxExtensionUm, "um");
  check("strokeHz.max", env.strokeHz.max, hard.hardMaxStrokeHz, "Hz");
  // the board caps the whole burst: the profile's dwell plus spin-up and actuator travel
  check("dwellMs.max + burstOverheadMs", env.dwellMs.max + LINK.burstOverheadMs, hard.hardMaxDwellMs, "ms");
  return out;
}
