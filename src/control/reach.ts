// Whether each zone's target depth is in reach, pure: the shallow side of the depth check against the target
// (the deep side is a stroke fault, loops.ts strokeFault). The depth loop starts a zone shallow on purpose and
// holds the target from about its third dot; a zone whose last REACH_SETTLING_DOTS complete dots all have their
// deepest stroke short of the target by more than the profile's depthToleranceUm cannot be reached (skin,
// give or the command cap), and the session ends held (TARGET_UNREACHABLE) instead of placing shallow dots.

import type { DotRecord } from "../log/records.ts";

/** Complete dots of one zone, in a row, that must all fall short before the target counts as out of reach. */
export const REACH_SETTLING_DOTS = 3;

export interface Unreachable {
  readonly code: "TARGET_UNREACHABLE";
  readonly detail: string;
  /** The zone's last dot, the one that decided. */
  readonly dot: number;
}

export class ReachWatch {
  /** Per zone, the deepest strokes of its last complete dots (at most REACH_SETTLING_DOTS). */
  private readonly shortUm = new Map<string, number[]>();

  constructor(private readonly depthToleranceUm: number) {}

  /**
   * One dot ended. Only a complete dot (its DOTEND, every stroke seen) with a measured stroke counts; a dot that
   * reaches target - depthToleranceUm clears its zone's run of short dots.
   */
  dot(d: DotRecord): Unreachable | undefined {
    if (d.partial || d.telemetry !== "complete" || d.maxExtensionUm === null) return undefined;
    const floorUm = d.targetExtensionUm - this.depthToleranceUm;
    const run = d.maxExtensionUm < floorUm ? [...(this.shortUm.get(d.zone) ?? []), d.maxExtensionUm] : [];
    this.shortUm.set(d.zone, run.slice(-REACH_SETTLING_DOTS));
    if (run.length < REACH_SETTLING_DOTS) return undefined;
    const reachedUm = Math.max(...run);
    const detail =
      `zone ${d.zone}: its last ${REACH_SETTLING_DOTS} dots reached at most ${reachedUm} um ` +
      `(deepest strokes ${run.join(", ")} um), short of target ${d.targetExtensionUm} um less depthToleranceUm ` +
      `${this.depthToleranceUm} um = ${floorUm} um, commanded ${d.commandedExtensionUm} um`;
    return { code: "TARGET_UNREACHABLE", detail, dot: d.n };
  }
}

/** A session's end as both dispatchers see it: no more dots once a zone's target proves out of reach, and complete
 * once the source has run out (or that happened) and no dot is in flight. */
export class SessionEndWatch {
  private unreachable: Unreachable | undefined;

  constructor(
    private readonly reach: ReachWatch,
    private readonly exhausted: () => boolean,
    private readonly inFlight: () => number,
  ) {}

  /** No more dots go out (the target proved out of reach). */
  get stopped(): boolean {
    return this.unreachable !== undefined;
  }

  /** A dot ended with this record: when it shows its zone's target out of reach, no more dots go out. */
  ended(record: DotRecord): Unreachable | undefined {
    if (this.unreachable) return undefined;
    this.unreachable = this.reach.dot(record);
    return this.unreachable;
  }

  /** Why the session ends held, for its sessionDone: empty when it does not. */
  get held(): { held?: Unreachable } {
    return this.unreachable ? { held: this.unreachable } : {};
  }

  get complete(): boolean {
    return (this.unreachable !== undefined || this.exhausted()) && this.inFlight() === 0;
  }
}
