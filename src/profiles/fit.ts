// Does a shape-valid depth profile fit its SMP envelope, and the board's hard limits (from HELLO)? Each check
// returns every violation as a LimitDetail naming field, value and limit; empty when it fits. Nothing is
// clamped. Burst time is checked as the board runs it: the strokes sent at strokeHz, plus spin-up overhead.

import type { LimitDetail } from "../errors/errors.ts";
import { LINK } from "../protocol/table.ts";
import { checkRange, type Envelope, type HardLimits, type Range } from "../safety/limits.ts";
import { forEachSession, strokesOf } from "./dots.ts";
import type { DepthProfile, ZoneSession } from "./schema.ts";

/** Time the dot interval must keep free after the burst, ms. */
export const MIN_FREE_AFTER_BURST_MS = 50;

/** Every envelope violation of a shape-valid profile; empty when it fits. */
export function profileEnvelopeProblems(profile: DepthProfile, env: Envelope): LimitDetail[] {
  const out: LimitDetail[] = [];
  const what = `${env.name} envelope`;
  checkRange(out, "dotIntervalMs", profile.dotIntervalMs, env.dotIntervalMs, what, "ms");
  checkRange(out, "depthToleranceUm", profile.depthToleranceUm, env.depthToleranceUm, what, "um");
  forEachSession(profile, (s, base) => {
    checkRange(out, `${base}.needle.diameterMm`, s.needle.diameterMm, env.needleDiameterMm, what, "mm");
    checkRange(out, `${base}.targetExtensionUm`, s.targetExtensionUm, env.extensionUm, what, "um");
    checkRange(out, `${base}.strokeHz`, s.strokeHz, env.strokeHz, what, "Hz");
    const b = burstOf(s, base);
    if (s.dwellMs !== undefined) checkRange(out, b.field, s.dwellMs, env.dwellMs, what, "ms");
    derived(
      out,
      b,
      b.strokes,
      env.strokesPerDot,
      what,
      "strokes",
      s.dwellMs === undefined ? "" : `${ms(s.dwellMs)} ms at ${s.strokeHz} Hz is ${b.strokes} strokes: `,
    );
    derived(out, b, b.burstMs, env.dwellMs, what, "ms", b.says);
    const freeMs = profile.dotIntervalMs - Math.max(b.burstMs, s.dwellMs ?? 0) - LINK.burstOverheadMs;
    if (freeMs < MIN_FREE_AFTER_BURST_MS && !out.some((d) => d.field === b.field)) {
      out.push({
        field: b.field,
        value: b.value,
        limit:
          `burst ${ms(profile.dotIntervalMs - freeMs)} ms ` +
          `(with ${LINK.burstOverheadMs} ms spin-up and actuator travel) ` +
          `leaves ${ms(freeMs)} ms of dotIntervalMs ${profile.dotIntervalMs} ms free; ` +
          `at least ${MIN_FREE_AFTER_BURST_MS} ms must stay free`,
      });
    }
    const burstMs = Math.max(b.burstMs, s.dwellMs ?? 0) + LINK.burstOverheadMs;
    if (s.repeatMs !== undefined && s.repeatMs < burstMs + MIN_FREE_AFTER_BURST_MS) {
      out.push({
        field: `${base}.repeatMs`,
        value: s.repeatMs,
        limit:
          `a repeat must leave the burst (${ms(burstMs)} ms with ${LINK.burstOverheadMs} ms spin-up and actuator ` +
          `travel) and ${MIN_FREE_AFTER_BURST_MS} ms free: at least ${ms(burstMs + MIN_FREE_AFTER_BURST_MS)} ms`,
      });
    }
  });
  return out;
}

/** Checks every session entry against the board's hard limits (from its HELLO reply). Empty when it fits. */
export function profileFitsBoard(profile: DepthProfile, hard: HardLimits): LimitDetail[] {
  const out: LimitDetail[] = [];
  const what = "board hard";
  forEachSession(profile, (s, base) => {
    checkRange(
      out,
      `${base}.targetExtensionUm`,
      s.targetExtensionUm,
      { min: 0, max: hard.hardMaxExtensionUm },
      what,
      "um",
    );
    checkRange(out, `${base}.strokeHz`, s.strokeHz, { min: 0, max: hard.hardMaxStrokeHz }, what, "Hz");
    const b = burstOf(s, base);
    const maxDwellMs = hard.hardMaxDwellMs - LINK.burstOverheadMs; // the board caps the burst with its overhead
    if (s.dwellMs !== undefined)
      checkRange(
        out,
        b.field,
        s.dwellMs,
        { min: 0, max: maxDwellMs },
        `${what} (less ${LINK.burstOverheadMs} ms burst overhead)`,
        "ms",
      );
    derived(
      out,
      b,
      b.burstMs,
      { min: 0, max: maxDwellMs },
      `${what} (less ${LINK.burstOverheadMs} ms burst overhead)`,
      "ms",
      b.says,
    );
  });
  return out;
}

/** The burst the board really runs (strokes at strokeHz), named by the field that set it. */
interface Burst {
  readonly field: string;
  readonly value: number;
  readonly strokes: number;
  readonly burstMs: number;
  /** How the burst time was reached, for limit messages. */
  readonly says: string;
}

function burstOf(s: ZoneSession, base: string): Burst {
  const strokes = strokesOf(s);
  const burstMs = (strokes * 1000) / s.strokeHz;
  const given = s.strokesPerDot === undefined ? "dwellMs" : "strokesPerDot";
  const says = `burst of ${strokes} strokes at ${s.strokeHz} Hz lasts ${ms(burstMs)} ms: `;
  return { field: `${base}.${given}`, value: s.strokesPerDot ?? s.dwellMs ?? 0, strokes, burstMs, says };
}

/** A check on a quantity derived from the burst; skipped when its field is already reported. */
function derived(
  out: LimitDetail[],
  b: Burst,
  v: number,
  range: Range,
  what: string,
  unit: string,
  prefix: string,
): void {
  if (out.some((d) => d.field === b.field)) return;
  const found: LimitDetail[] = [];
  checkRange(found, b.field, v, range, what, unit);
  for (const d of found) out.push({ field: b.field, value: b.value, limit: prefix + d.limit });
}

const ms = (v: number): string => String(Math.round(v * 10) / 10);
