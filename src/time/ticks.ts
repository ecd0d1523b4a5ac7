// The one place that converts between the two time domains: host monotonic milliseconds (float) and
// board ticks (u32, wrapping, at the rate the board reports in HELLO). Pure.

export const U32 = 0x1_0000_0000;

/** Wrap-aware difference a - b of two u32 tick values, as a signed number (valid within +/- 2^31 ticks). */
export function tickDiff(a: number, b: number): number {
  return (a - b) | 0;
}

/** a is strictly before b on the wrapping tick line. */
export const tickBefore = (a: number, b: number): boolean => tickDiff(a, b) < 0;

export const tickAdd = (tick: number, delta: number): number => (((tick + delta) % U32) + U32) % U32;

export const msToTicks = (ms: number, clockHz: number): number => Math.round((ms * clockHz) / 1000);
export const ticksToMs = (ticks: number, clockHz: number): number => (ticks * 1000) / clockHz;

/**
 * Maps host time to board time from (board tick, host receive time) samples. A frame can only arrive after
 * it was stamped, so each sample gives a lower bound of the board clock; we keep the largest offset seen in
 * a sliding window, which tracks slow drift and ignores delayed frames.
 */
export class BoardClockEstimate {
  private offsets: number[] = [];
  private best: number | undefined;

  constructor(
    readonly clockHz: number,
    private readonly window = 32,
  ) {}

  sample(boardTick: number, hostMs: number): void {
    // offset in ticks between the unwrapped host-derived tick count and the board's tick; kept wrap-free by
    // expressing the board tick relative to the first sample.
    const hostTicks = (hostMs * this.clockHz) / 1000;
    const unwrapped = this.unwrap(boardTick, hostTicks);
    this.offsets.push(unwrapped - hostTicks);
    if (this.offsets.length > this.window) this.offsets.shift();
    this.best = Math.max(...this.offsets);
  }

  get synced(): boolean {
    return this.best !== undefined;
  }

  /** Best estimate of the board's tick at host time hostMs (u32). */
  boardTickAt(hostMs: number): number {
    if (this.best === undefined) throw new Error("board clock not synced yet");
    return tickAdd(0, Math.round((hostMs * this.clockHz) / 1000 + this.best));
  }

  /** Host time at which the board clock will read `tick`. */
  hostMsAt(tick: number, nearHostMs: number): number {
    const nowTick = this.boardTickAt(nearHostMs);
    return nearHostMs + ticksToMs(tickDiff(tick, nowTick), this.clockHz);
  }

  private unwrap(boardTick: number, hostTicks: number): number {
    if (this.best === undefined) return boardTick;
    const predicted = hostTicks + this.best;
    return predicted + tickDiff(boardTick, tickAdd(0, Math.round(predicted)));
  }
}
