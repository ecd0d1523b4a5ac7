// The operator's zones and cartridges in a hand-held session (issue 8, part 2), pure: which zone is selected,
// which needle is in the handpiece, and whether the pedal may fire. Selecting a zone whose needle differs from
// the cartridge in use blocks the pedal until a cartridge change is seen (the drive parked, the board's cartridge
// switch open, then closed) and the operator confirms the new needle. Every change is returned as an event with
// its time, for the session record. Time arrives as an argument.

import type { DotSettings } from "../profiles/dots.ts";
import type { Needle } from "../profiles/schema.ts";

/** Why the pedal may not fire now, or "live". */
export type PedalGate =
  | "live"
  /** The zone needs another needle: park, then take the cartridge out. */
  | "cartridge-out"
  /** Out: put the new cartridge in. */
  | "cartridge-in"
  /** In: the operator confirms the needle fitted is the zone's. */
  | "confirm";

export type DeskEvent =
  | {
      readonly type: "zone";
      readonly atMs: number;
      readonly from: string;
      readonly to: string;
      readonly needle: Needle;
    }
  | {
      readonly type: "cartridge";
      readonly atMs: number;
      readonly act: "out" | "in" | "confirmed";
      readonly needle: Needle;
    };

export const sameNeedle = (a: Needle, b: Needle): boolean =>
  a.configuration === b.configuration && a.diameterMm === b.diameterMm;

export class ZoneDesk {
  private index = 0;
  /** The needle in the handpiece as the operator last confirmed it. */
  private fitted: Needle;
  private gate: PedalGate = "live";
  /** Dots placed per zone, carried across holds and resumed sessions. */
  readonly dotsPerZone = new Map<string, number>();

  /** zones: the session's zones in the profile's order; the session starts in `startZone` (default the first)
   * with its needle fitted. */
  constructor(
    readonly zones: readonly DotSettings[],
    startZone?: string,
  ) {
    if (zones.length === 0) throw new Error("a hand-held session needs at least one zone");
    if (startZone !== undefined) this.index = this.indexOf(startZone);
    this.fitted = this.zone.needle;
    for (const z of zones) this.dotsPerZone.set(z.zone, 0);
  }

  get zone(): DotSettings {
    return this.zones[this.index]!;
  }

  get needle(): Needle {
    return this.fitted;
  }

  get pedal(): PedalGate {
    return this.gate;
  }

  /** zone-up / zone-down (clamped at the ends: no wrap from the scar back to the hairline), or a zone by name. */
  select(to: number | string, atMs: number): DeskEvent[] {
    const next =
      typeof to === "string" ? this.indexOf(to) : Math.min(this.zones.length - 1, Math.max(0, this.index + to));
    if (next === this.index) return [];
    const from = this.zone.zone;
    this.index = next;
    const zone = this.zone;
    // before the cartridge is out, the fitted needle decides; once it is out, the change goes on to its confirm
    if (this.gate === "live" || this.gate === "cartridge-out")
      this.gate = sameNeedle(this.fitted, zone.needle) ? "live" : "cartridge-out";
    return [{ type: "zone", atMs, from, to: zone.zone, needle: zone.needle }];
  }

  /** The board's cartridge switch as STATUS shows it; `parked`: drive off and needle parked (STATUS parked). */
  cartridgeSwitch(present: boolean, parked: boolean, atMs: number): DeskEvent[] {
    if (this.gate === "cartridge-out" && !present && parked) {
      this.gate = "cartridge-in";
      return [{ type: "cartridge", atMs, act: "out", needle: this.fitted }];
    }
    if (this.gate === "cartridge-in" && present) {
      this.gate = "confirm";
      return [{ type: "cartridge", atMs, act: "in", needle: this.zone.needle }];
    }
    return [];
  }

  /** The operator confirms the needle fitted is the zone's (a confirm at any other time does nothing). */
  confirm(atMs: number): DeskEvent[] {
    if (this.gate !== "confirm") return [];
    this.gate = "live";
    this.fitted = this.zone.needle;
    return [{ type: "cartridge", atMs, act: "confirmed", needle: this.fitted }];
  }

  /** A dot placed in `zone` (the zone it was fired in, which the operator may have left since). */
  countDot(zone: string): void {
    this.dotsPerZone.set(zone, (this.dotsPerZone.get(zone) ?? 0) + 1);
  }

  private indexOf(zone: string): number {
    const i = this.zones.findIndex((z) => z.zone === zone);
    if (i < 0) throw new Error(`no zone ${zone} in this session (has ${this.zones.map((z) => z.zone).join(", ")})`);
    return i;
  }
}
