// Fixed-size histogram of control-loop lateness (0.05 ms bins up to 200 ms, one overflow bin), so a
// six-hour session measures its own timing without keeping millions of samples.

const BIN_MS = 0.05;
const BINS = 4000;

export class LatenessHistogram {
  private readonly counts = new Uint32Array(BINS + 1);
  count = 0;
  maxMs = 0;

  add(latenessMs: number): void {
    const x = Math.max(0, latenessMs);
    this.counts[Math.min(BINS, Math.floor(x / BIN_MS))]!++;
    this.count++;
    if (x > this.maxMs) this.maxMs = x;
  }

  /** Upper edge of the bin holding quantile q (0..1); maxMs for the overflow bin. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const target = Math.ceil(q * this.count);
    let seen = 0;
    for (let i = 0; i <= BINS; i++) {
      seen += this.counts[i]!;
      if (seen >= target) return i === BINS ? this.maxMs : Math.min(this.maxMs, (i + 1) * BIN_MS);
    }
    return this.maxMs;
  }
}
