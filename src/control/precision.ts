// The session record's precision, pure: host times and measured values are written to a tenth (0.1 ms,
// 0.1 um, 0.1 Hz), the one rounding every record of the run shares.

export const round1 = (x: number): number => Math.round(x * 10) / 10;
