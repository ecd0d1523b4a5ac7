// What a hand-held session sends, pure: the board fires one burst per pedal press itself (docs/protocol.md
// §7.13), so the host only keeps one burst armed. PEDAL arms the selected zone's settings with the depth and
// speed loops' command; a new PEDAL goes out whenever that changes (the zone changed, a dot ended and the loops
// moved); else a keep-alive keeps the lease. Each FIRE names the PEDAL whose settings it used, so the dot goes
// on the books with exactly those. Board dot numbers start at 1 after every HELLO; the session's continue from
// `dotBase`.

import type { HostCommand } from "../protocol/hostlink.ts";
import type { FrameOf } from "../protocol/table.ts";
import type { DotRecord } from "../log/records.ts";
import type { DotSettings } from "../profiles/dots.ts";
import type { DotAccounting, DotCommand } from "./accounting.ts";
import type { Dispatch, LateDot } from "./dispatch.ts";
import { commandCapUm, commandLimit, type BoardInfo } from "./handshake.ts";
import type { DotPacer } from "./pacing.ts";
import { SessionEndWatch, type ReachWatch, type Unreachable } from "./reach.ts";

/** Where a hand-held session's dots come from: the zone the operator has selected, until the segment ends. */
export interface PedalSource {
  readonly kind: "pedal";
  /** Every zone's settings, checked against the board's limits at the handshake. */
  readonly settings: readonly DotSettings[];
  /** Dots the session plans (the progress total); 0 when open-ended. */
  readonly plannedDots: number;
  /** The settings a press fires now: the selected zone's. */
  armed(): DotSettings;
  /** Dots placed before this segment (earlier holds, an interrupted session): board dot d is session dot dotBase+d. */
  readonly dotBase: number;
  /** The operator ended the segment (a hold, a needle change, the session's end): disarm once no dot is in flight. */
  readonly exhausted: boolean;
}

interface Armed {
  readonly settings: DotSettings;
  readonly command: DotCommand;
}

/** How many PEDAL settings are remembered for the FIRE frames that name them (a FIRE follows within one dot). */
const ARMS_KEPT = 8;

export class PedalDispatcher {
  private armId = 0;
  private readonly arms = new Map<number, Armed>();
  private readonly end: SessionEndWatch;

  constructor(
    private readonly source: PedalSource,
    private readonly books: DotAccounting,
    private readonly pacer: DotPacer,
    private readonly info: BoardInfo,
    private readonly overtravelUm: number,
    reach: ReachWatch,
  ) {
    this.end = new SessionEndWatch(
      reach,
      () => source.exhausted,
      () => books.inFlightCount,
    );
  }

  /** The arming command: PEDAL with the selected zone's settings and a lease from boardNowTick. */
  arm(nowMs: number, boardNowTick: number): HostCommand {
    const d = this.pedal(nowMs, boardNowTick);
    // a zone whose command is past the cap already was refused at the handshake (commandCapUm): never here
    if (d.kind !== "arm") throw new Error(d.kind === "tooDeep" ? d.detail : "no settings to arm");
    return d.command;
  }

  /** Re-arm when the settings or the loops' command changed since the last PEDAL, else a keep-alive when due. */
  next(nowMs: number, boardNowTick: number, linkIdle: boolean): Dispatch | undefined {
    if (!linkIdle) return undefined;
    if (!this.source.exhausted && !this.end.stopped && this.changed()) return this.pedal(nowMs, boardNowTick);
    if (!this.pacer.keepDue(nowMs)) return undefined;
    this.pacer.leased(nowMs);
    return { kind: "keep", command: { id: "KEEP", fields: { leaseTick: this.pacer.leaseTick(boardNowTick) } } };
  }

  /** A burst fired (FIRE): its dot goes on the books with the settings its PEDAL armed. */
  fired(f: FrameOf<"FIRE">["fields"]): void {
    const armed = this.arms.get(f.armId);
    if (!armed) return; // not ours (an earlier host's PEDAL): its strokes are ignored, as any unknown dot's
    this.books.sent({ n: this.source.dotBase + f.dot, settings: armed.settings }, armed.command);
  }

  late(): LateDot {
    return { kind: "unknown" }; // PEDAL has no start tick
  }

  ended(record: DotRecord): Unreachable | undefined {
    return this.end.ended(record);
  }

  get held(): { held?: Unreachable } {
    return this.end.held;
  }

  get complete(): boolean {
    return this.end.complete;
  }

  private changed(): boolean {
    const last = this.arms.get(this.armId);
    const s = this.source.armed();
    if (!last) return true;
    const c = this.books.command(s);
    return (
      last.settings !== s ||
      last.command.commandedExtensionUm !== c.commandedExtensionUm ||
      last.command.dutyPermille !== c.dutyPermille
    );
  }

  private pedal(nowMs: number, boardNowTick: number): Dispatch {
    const s = this.source.armed();
    const command = this.books.command(s);
    const extensionUm = command.commandedExtensionUm;
    if (extensionUm > commandCapUm(this.info, this.overtravelUm)) {
      const limit = commandLimit(this.info, this.overtravelUm);
      return { kind: "tooDeep", detail: `zone ${s.zone}: commanded extension ${extensionUm} um ${limit}` };
    }
    this.armId = (this.armId + 1) >>> 0;
    this.arms.set(this.armId, { settings: s, command });
    for (const old of this.arms.keys()) if (this.arms.size > ARMS_KEPT) this.arms.delete(old);
    this.pacer.leased(nowMs);
    const fields = {
      armId: this.armId,
      extensionUm,
      strokeHz: Math.round(s.strokeHz),
      dutyPermille: command.dutyPermille,
      strokes: s.strokes,
      repeatMs: s.repeatMs ?? 0,
      leaseTick: this.pacer.leaseTick(boardNowTick),
    };
    return { kind: "arm", command: { id: "PEDAL", fields } };
  }
}
