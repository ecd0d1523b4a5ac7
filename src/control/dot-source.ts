// Where a session's dots come from, behind one interface the control loop asks "what is the next dot to
// send, and has the session run out of dots". Today's source is the scripted plan (planSession spreads N
// dots over the session's zones); a pedal-driven source plugs in here without touching the loop.

import { dotSettings, zonesForSession, type DotSettings, type LoadedProfile } from "../profiles/load.ts";
import type { SessionNumber } from "../profiles/schema.ts";

export interface PlannedDot {
  readonly n: number;
  readonly settings: DotSettings;
}

export interface DotSource {
  readonly kind?: "scripted";
  /** How many dots the session plans: the header's plannedDots and the progress total. */
  readonly plannedDots: number;
  /** Every dot setting this source can produce, checked against the board's limits at the handshake. */
  readonly settings: readonly DotSettings[];
  /** The next dot to send, or undefined when there is none now (none ready yet, or the session ran out). */
  next(): PlannedDot | undefined;
  /** The dot that next() returned went out. */
  taken(n: number): void;
  /** The board refused dot n as late (nothing fired): it and every dot after it go out again. */
  resendFrom(n: number): void;
  /** No dot will come any more: the session ends when the last one in flight has ended. */
  readonly exhausted: boolean;
}

/** Spread `count` dots over the zones of a session, zone by zone, in file order. */
export function planSession(profile: LoadedProfile, session: SessionNumber, count: number): PlannedDot[] {
  const zones = zonesForSession(profile.profile, session);
  const dots: PlannedDot[] = [];
  for (let i = 0; i < count; i++) {
    const zone = zones[Math.floor((i * zones.length) / count)]!;
    dots.push({ n: i + 1, settings: dotSettings(profile.profile, zone, session) });
  }
  return dots;
}

/** A fixed plan, sent in order: every dot is ready at once. */
export class ScriptedDotSource implements DotSource {
  private index = 0;
  readonly settings: readonly DotSettings[];
  /** Dot number -> its place in the plan (the first, should a number repeat): O(1) taken and resendFrom. */
  private readonly indexOf = new Map<number, number>();

  constructor(private readonly plan: readonly PlannedDot[]) {
    this.settings = plan.map((d) => d.settings);
    plan.forEach((d, i) => {
      if (!this.indexOf.has(d.n)) this.indexOf.set(d.n, i);
    });
  }

  get plannedDots(): number {
    return this.plan.length;
  }

  next(): PlannedDot | undefined {
    return this.plan[this.index];
  }

  taken(n: number): void {
    const i = this.indexOf.get(n);
    if (i !== undefined) this.index = i + 1;
  }

  resendFrom(n: number): void {
    const i = this.indexOf.get(n);
    if (i !== undefined) this.index = i;
  }

  get exhausted(): boolean {
    return this.index >= this.plan.length;
  }
}
