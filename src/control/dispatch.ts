// What a running session sends next, pure: the next dot of the source when it is due (with the loops'
// command, checked once more against the board's cap, and a fresh lease), else a keep-alive; what a dot
// refused LATE by the board means (send it and those after it again, or hold: the host is too late); no more
// dots once a zone's target proves out of reach (reach.ts); and the last check before any command goes out,
// that DOT and KEEP go out only while the drive is enabled.

import type { HostCommand } from "../protocol/hostlink.ts";
import { driveEnabled, type Input, type SupervisorState } from "../safety/fsm.ts";
import type { DotAccounting } from "./accounting.ts";
import type { DotSource, PlannedDot } from "./dot-source.ts";
import { commandCapUm, commandLimit, type BoardInfo } from "./handshake.ts";
import { DotPacer } from "./pacing.ts";
import { MAX_LATE_DOTS_IN_A_ROW, type LoopTiming } from "./timing.ts";
import { ReachWatch, SessionEndWatch, type Unreachable } from "./reach.ts";
import type { DotRecord } from "../log/records.ts";
import type { LoadedProfile } from "../profiles/load.ts";
import { BoardClockEstimate } from "../time/ticks.ts";
import type { FrameOf } from "../protocol/table.ts";
import { PedalDispatcher, type PedalSource } from "./pedal-dispatch.ts";

export type Dispatch =
  | { readonly kind: "dot"; readonly planned: PlannedDot; readonly command: HostCommand }
  /** Hand-held: PEDAL, the settings the next press fires (src/control/pedal-dispatch.ts). */
  | { readonly kind: "arm"; readonly command: HostCommand }
  | { readonly kind: "keep"; readonly command: HostCommand }
  /** The depth loop's command would pass the cap: a DEPTH_DEVIATION fault, nothing sent. */
  | { readonly kind: "tooDeep"; readonly detail: string };

export type LateDot =
  | { readonly kind: "unknown" } // not in flight: nothing to do
  | { readonly kind: "again" } // it and the dots after it go out again, with fresh start ticks
  | { readonly kind: "tooLate"; readonly detail: string }; // too many in a row: HOST_LATE

type HostFault = Extract<Input, { type: "fault" }>;

/**
 * The check where commands are sent: DOT and KEEP (a dot fires, a lease keeps the board armed) only in a
 * state where the supervisor has the drive enabled (driveEnabled). The loop plans dots only then, so a
 * violation is a bug in the host: the command is not sent, and the returned input e-stops the run like a host
 * fault. ARM is the request to enable the drive: the state machine sends it on entering arming, and the drive
 * is enabled once the board acknowledges it.
 */
export function driveGuard(state: SupervisorState, command: HostCommand): HostFault | undefined {
  if (command.id === "PEDAL" && state.name === "arming") return undefined; // the hand-held session's ARM
  if ((command.id !== "DOT" && command.id !== "KEEP" && command.id !== "PEDAL") || driveEnabled(state))
    return undefined;
  const detail = `host invariant broken: ${command.id} about to go out in ${state.name}, with the drive not enabled`;
  const dot = command.id === "DOT" ? { dot: command.fields.dot } : {};
  return { type: "fault", code: "ESTOP", detail: `${detail}; not sent, e-stopped`, ...dot };
}

/** What the controller asks of a session's dispatcher: the scheduled one here, or the hand-held PedalDispatcher. */
export interface Dispatcher {
  /** The command that enables the drive: ARM, or PEDAL for a hand-held session. */
  arm(nowMs: number, boardNowTick: number): HostCommand;
  next(nowMs: number, boardNowTick: number, linkIdle: boolean): Dispatch | undefined;
  late(n: number): LateDot;
  /** A pedal burst fired (FIRE); a scheduled session has none. */
  fired?(f: FrameOf<"FIRE">["fields"]): void;
  ended(record: DotRecord): Unreachable | undefined;
  readonly held: { held?: Unreachable };
  readonly complete: boolean;
}

export class DotDispatcher implements Dispatcher {
  private readonly end: SessionEndWatch;

  constructor(
    private readonly source: DotSource,
    private readonly books: DotAccounting,
    private readonly pacer: DotPacer,
    private readonly info: BoardInfo,
    /** The machine's worst-case overtravel (its calibration file): commands stay that far under the hard maximum. */
    private readonly overtravelUm: number,
    reach: ReachWatch,
  ) {
    this.end = new SessionEndWatch(
      reach,
      () => source.exhausted,
      () => books.inFlightCount,
    );
  }

  /** ARM, with a lease from boardNowTick. */
  arm(nowMs: number, boardNowTick: number): HostCommand {
    this.pacer.leased(nowMs);
    return { id: "ARM", fields: { leaseTick: this.pacer.leaseTick(boardNowTick) } };
  }

  /**
   * What to send on this tick of a running session. A dot goes out only on an idle link (one queued behind a
   * retransmission would carry a stale start tick) and while the board's queue has room.
   */
  next(nowMs: number, boardNowTick: number, linkIdle: boolean): Dispatch | undefined {
    const planned = this.end.stopped ? undefined : this.source.next();
    if (planned && this.books.inFlightCount < Math.max(1, this.info.queueSlots - 1) && linkIdle) {
      const atTick = this.pacer.due(boardNowTick);
      if (atTick !== undefined) return this.dot(planned, atTick, nowMs, boardNowTick);
    }
    if (!this.pacer.keepDue(nowMs) || !linkIdle) return undefined;
    this.pacer.leased(nowMs);
    return { kind: "keep", command: { id: "KEEP", fields: { leaseTick: this.pacer.leaseTick(boardNowTick) } } };
  }

  private dot(planned: PlannedDot, atTick: number, nowMs: number, boardNowTick: number): Dispatch {
    const s = planned.settings;
    const command = this.books.command(s);
    const extensionUm = command.commandedExtensionUm;
    // second check of the limits at planning time: the correction may never take a dot past the board's cap
    if (extensionUm > commandCapUm(this.info, this.overtravelUm)) {
      const limit = commandLimit(this.info, this.overtravelUm);
      return { kind: "tooDeep", detail: `dot ${planned.n}: commanded extension ${extensionUm} um ${limit}` };
    }
    this.books.sent(planned, command);
    this.source.taken(planned.n);
    this.pacer.sent();
    this.pacer.leased(nowMs);
    const { strokes } = s;
    const leaseTick = this.pacer.leaseTick(boardNowTick);
    const fields = { dot: planned.n, atTick, extensionUm, strokeHz: Math.round(s.strokeHz) };
    return {
      kind: "dot",
      planned,
      command: { id: "DOT", fields: { ...fields, dutyPermille: command.dutyPermille, strokes, leaseTick } },
    };
  }

  /** The board refused dot n as LATE: nothing of it fired. */
  late(n: number): LateDot {
    if (!this.books.late(n)) return { kind: "unknown" };
    const inARow = this.books.lateDotsInARow;
    if (inARow > MAX_LATE_DOTS_IN_A_ROW)
      return { kind: "tooLate", detail: `${inARow} dots in a row reached the board after their start tick` };
    this.source.resendFrom(n);
    this.pacer.reset();
    return { kind: "again" };
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
}

/** What the host has of the board once it has answered HELLO: its INFO, its clock and the dispatcher. */
export interface ConnectedBoard {
  readonly info: BoardInfo;
  readonly clock: BoardClockEstimate;
  readonly dispatch: Dispatcher;
}

/** The board's INFO arrived at nowMs: its clock from INFO's tick, and the session's dispatcher for it. */
export function connectBoard(
  info: BoardInfo,
  nowMs: number,
  c: {
    readonly profile: LoadedProfile;
    readonly source: DotSource | PedalSource;
    readonly books: DotAccounting;
    readonly timing: LoopTiming;
    readonly overtravelUm: number;
  },
): ConnectedBoard {
  const clock = new BoardClockEstimate(info.clockHz);
  clock.sample(info.tick, nowMs);
  const { dotIntervalMs, depthToleranceUm } = c.profile.profile;
  const pacer = new DotPacer(c.timing, info.clockHz, dotIntervalMs);
  const reach = new ReachWatch(depthToleranceUm);
  const dispatch =
    c.source.kind === "pedal"
      ? new PedalDispatcher(c.source, c.books, pacer, info, c.overtravelUm, reach)
      : new DotDispatcher(c.source, c.books, pacer, info, c.overtravelUm, reach);
  return { info, clock, dispatch };
}
