// Text rendering of a session summary for the terminal: dots per zone, depth and speed error, faults with what
// the board latched and how the park is known.

import { parkedText, type Summary } from "../log/records.ts";

export interface RenderContext {
  readonly message: string;
  readonly logPath: string;
  readonly wallMs: number;
  readonly transport: string;
}

const f1 = (x: number) => x.toFixed(1);

export function renderSummary(s: Summary, c: RenderContext): string {
  const lines: string[] = [];
  lines.push(
    "",
    `Session ${s.outcome}: ${c.message}`,
    `board: ${c.transport}; wall time ${(c.wallMs / 1000).toFixed(1)} s`,
    "",
  );
  lines.push("zone         dots");
  for (const [zone, n] of Object.entries(s.dotsByZone)) lines.push(`${zone.padEnd(12)} ${String(n).padStart(4)}`);
  const placed = Object.values(s.dotsByZone).reduce((a, b) => a + b, 0);
  lines.push(`${"total".padEnd(12)} ${String(placed).padStart(4)}`);
  if (s.cutShortDots > 0)
    lines.push(`cut short   ${String(s.cutShortDots).padStart(5)} (a fault or stop ended the burst)`);
  lines.push("");
  lines.push("                         mean     p99     max");
  lines.push(
    `depth error (um)   ${f1(s.depthErrorUm.mean).padStart(9)} ` +
      `${f1(s.depthErrorUm.p99).padStart(7)} ${f1(s.depthErrorUm.max).padStart(7)}`,
  );
  lines.push(
    `speed error (Hz)   ${f1(s.speedErrorHz.mean).padStart(9)} ` +
      `${f1(s.speedErrorHz.p99).padStart(7)} ${f1(s.speedErrorHz.max).padStart(7)}`,
  );
  if (s.depthErrorUm.n > 0) lines.push(`deepest stroke: ${s.deepestStrokeUm} um`);
  if (s.trueDeepestTipUm !== undefined) lines.push(`true deepest tip (simulated world): ${s.trueDeepestTipUm} um`);
  lines.push("", s.faults.length === 0 ? "faults: none" : "faults:");
  for (const f of s.faults) {
    const board = f.boardAlarm && f.boardAlarm !== f.code ? `, board alarm ${f.boardAlarm}` : "";
    lines.push(`  ${f.code} (${f.source}${board}): ${f.detail}; parked ${parkedText(f, true)}`);
    const e = f.boardEvent;
    if (e && e.alarm !== f.code)
      lines.push(`    board latched ${e.alarm} at tick ${e.tick} (host ${e.atMs} ms), parked ${e.parkedUs} us later`);
    if (f.hostAsleep)
      lines.push(`    host not running from ${f.hostAsleep.fromMs} ms, woke at ${f.hostAsleep.wokeAtMs} ms`);
    if (f.parkNote) lines.push(`    ${f.parkNote}`);
  }
  lines.push("", `session record: ${c.logPath}`);
  return lines.join("\n");
}
