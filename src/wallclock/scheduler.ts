// The one wall-clock adapter: the Scheduler port on performance.now() and setTimeout. Used by the
// composition roots (app, cli) and by the simulator when it runs on the wall clock; nothing in the pure core
// reaches it.

import type { Scheduler } from "../time/scheduler.ts";

/** Wall-clock scheduler on performance.now(). Timers fire on absolute times; lateness is the caller's to measure. */
export class WallClockScheduler implements Scheduler {
  private readonly origin = performance.now();

  nowMs(): number {
    return performance.now() - this.origin;
  }

  at(tMs: number, fn: () => void): () => void {
    const handle = setTimeout(fn, Math.max(0, tMs - this.nowMs()));
    return () => clearTimeout(handle);
  }
}
