// When the next dot goes out and with which start tick, when a keep-alive is due, and the lease every
// lease-renewing command carries. Pure: host time and the board's tick come in as arguments.

import { msToTicks, tickAdd } from "../time/ticks.ts";
import type { LoopTiming } from "./timing.ts";

export class DotPacer {
  private nextAtTick: number | undefined;
  private lastLeaseMs = -Infinity;
  private readonly leadTicks: number;
  private readonly minLeadTicks: number;
  private readonly intervalTicks: number;
  private readonly leaseTicks: number;

  constructor(
    private readonly timing: LoopTiming,
    clockHz: number,
    dotIntervalMs: number,
  ) {
    this.leadTicks = msToTicks(timing.leadMs, clockHz);
    this.minLeadTicks = msToTicks(timing.leadMs / 3, clockHz);
    this.intervalTicks = msToTicks(dotIntervalMs, clockHz);
    this.leaseTicks = msToTicks(timing.leaseMs, clockHz);
  }

  /**
   * The start tick of the next dot if it should go out now, else undefined. Dots keep the profile's
   * interval in board time; one that would start too soon (the session paused, or a dot was sent again)
   * starts a lead from now instead.
   */
  due(boardNowTick: number): number | undefined {
    if (this.nextAtTick === undefined || ((this.nextAtTick - boardNowTick) | 0) < this.minLeadTicks)
      this.nextAtTick = tickAdd(boardNowTick, this.leadTicks);
    return ((this.nextAtTick - boardNowTick) | 0) <= this.leadTicks ? this.nextAtTick : undefined;
  }

  /** The dot due() offered went out: the next one starts an interval later. */
  sent(): void {
    if (this.nextAtTick !== undefined) this.nextAtTick = tickAdd(this.nextAtTick, this.intervalTicks);
  }

  /** Forget the schedule: the next dot starts a lead from whenever it is due. */
  reset(): void {
    this.nextAtTick = undefined;
  }

  /** The board tick a lease granted at boardNowTick runs out. */
  leaseTick(boardNowTick: number): number {
    return tickAdd(boardNowTick, this.leaseTicks);
  }

  /** A lease-renewing command (ARM, DOT, KEEP) went out at host time nowMs. */
  leased(nowMs: number): void {
    this.lastLeaseMs = nowMs;
  }

  keepDue(nowMs: number): boolean {
    return nowMs - this.lastLeaseMs >= this.timing.keepEveryMs;
  }
}
