// Per-dot settings from a validated depth profile: what one dot of one zone in one session needs (needle,
// target depth, stroke rate, strokes and dwell), and which zones a session covers. Pure.

import { inputError } from "./validate.ts";
import type { DepthProfile, Needle, SessionNumber, ZoneSession } from "./schema.ts";

/** What one dot of one zone in one session needs. `strokes` is a count; dwellMs may be fractional. */
export interface DotSettings {
  readonly zone: string;
  readonly session: SessionNumber;
  readonly needle: Needle;
  readonly targetExtensionUm: number;
  /** The profile's depthToleranceUm: a stroke deeper than the target by more than this is a fault. */
  readonly depthToleranceUm: number;
  readonly strokeHz: number;
  readonly strokes: number;
  readonly dwellMs: number;
  /** Hand-held: another dot every repeatMs while the pedal is held; absent: one dot per press. */
  readonly repeatMs?: number;
}

/** A needle as records and the operator read it: configuration and diameter, "3RL-0.25mm". */
export const needleName = (n: Needle): string => `${n.configuration}-${n.diameterMm.toFixed(2)}mm`;

export function dotSettings(profile: DepthProfile, zone: string, session: SessionNumber): DotSettings {
  const entry = profile.zones.find((candidate) => candidate.zone === zone);
  if (entry === undefined) {
    const have = profile.zones.map((c) => c.zone).join(", ");
    throw inputError(
      [{ field: "zone", value: zone, limit: `no such zone in profile "${profile.name}" (has ${have})` }],
      "dot settings",
    );
  }
  const s = entry.sessions.find((candidate) => candidate.session === session);
  if (s === undefined) {
    const have = entry.sessions.map((c) => c.session).join(", ");
    throw inputError(
      [{ field: "session", value: session, limit: `zone ${zone} has no session ${session} (has ${have})` }],
      "dot settings",
    );
  }
  const strokes = strokesOf(s);
  const dwellMs = s.dwellMs ?? (strokes * 1000) / s.strokeHz;
  return {
    zone,
    session,
    needle: s.needle,
    targetExtensionUm: s.targetExtensionUm,
    depthToleranceUm: profile.depthToleranceUm,
    strokeHz: s.strokeHz,
    strokes,
    dwellMs,
    ...(s.repeatMs !== undefined ? { repeatMs: s.repeatMs } : {}),
  };
}

/** Zones, in file order, that have an entry for this session. */
export function zonesForSession(profile: DepthProfile, session: SessionNumber): string[] {
  return profile.zones.filter((z) => z.sessions.some((s) => s.session === session)).map((z) => z.zone);
}

/** Calls fn with every zone-session entry and its field path, e.g. "zones[1].sessions[0]". */
export function forEachSession(profile: DepthProfile, fn: (s: ZoneSession, base: string) => void): void {
  profile.zones.forEach((z, i) => z.sessions.forEach((s, j) => fn(s, `zones[${i}].sessions[${j}]`)));
}

/** Strokes the board is sent for one dot: strokesPerDot, or dwellMs at strokeHz rounded (at least 1). */
export function strokesOf(s: ZoneSession): number {
  return s.strokesPerDot ?? Math.max(1, Math.round(((s.dwellMs ?? 0) * s.strokeHz) / 1000));
}
