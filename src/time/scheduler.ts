// Time is injected: everything that waits does so through a Scheduler. VirtualScheduler runs a whole
// session in simulated time (tests, --virtual-time); the wall-clock adapter (src/wallclock/) maps the same
// calls onto the real clock. Pure: nothing here reads a clock.

export interface Scheduler {
  /** Host monotonic time in milliseconds. */
  nowMs(): number;
  /** Run fn at absolute time tMs (or as soon as possible after it). Returns a cancel function. */
  at(tMs: number, fn: () => void): () => void;
}

interface Timer {
  tMs: number;
  order: number;
  fn: () => void;
  cancelled: boolean;
}

/** Discrete-event scheduler: time only moves when run* is called; ties run in the order they were set. */
export class VirtualScheduler implements Scheduler {
  private tMs = 0;
  private order = 0;
  private heap: Timer[] = [];

  nowMs(): number {
    return this.tMs;
  }

  at(tMs: number, fn: () => void): () => void {
    const timer: Timer = { tMs: Math.max(tMs, this.tMs), order: this.order++, fn, cancelled: false };
    this.push(timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Run every timer due up to and including tMs, then set the clock to tMs. */
  runUntil(tMs: number): void {
    for (;;) {
      const top = this.heap[0];
      if (!top || top.tMs > tMs) break;
      this.pop();
      if (top.cancelled) continue;
      this.tMs = top.tMs;
      top.fn();
    }
    this.tMs = Math.max(this.tMs, tMs);
  }

  /** Run until done() is true (checked after each timer) or time passes limitMs. Returns whether done. */
  runUntilCondition(done: () => boolean, limitMs: number): boolean {
    while (!done()) {
      const top = this.heap[0];
      if (!top || top.tMs > limitMs) {
        this.tMs = Math.max(this.tMs, limitMs);
        return done();
      }
      this.pop();
      if (top.cancelled) continue;
      this.tMs = top.tMs;
      top.fn();
    }
    return true;
  }

  private less(a: Timer, b: Timer): boolean {
    return a.tMs < b.tMs || (a.tMs === b.tMs && a.order < b.order);
  }

  private push(timer: Timer): void {
    const h = this.heap;
    h.push(timer);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
