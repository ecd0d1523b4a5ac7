// Benchmarks: the timing goals live here, never in tests. Measures the wall-clock control loop's lateness
// during a real-time demo, how fast virtual-time sessions run (board model and emulated firmware), and
// codec throughput. Prints a table.

import { runSession } from "../src/app/session.ts";
import { loadDepthProfileFile, loadMachineFile } from "../src/profiles/files.ts";
import { MemorySink } from "../src/log/records.ts";
import { DEFAULT_TIMING } from "../src/control/timing.ts";
import { decodeFrame, encodeFrame } from "../src/protocol/codec.ts";

const profile = loadDepthProfileFile("profiles/demo.json");
const machine = loadMachineFile("profiles/machines/rotary-pmu.json");
const rows: [string, string, string][] = [];

async function realTimeLoop(): Promise<void> {
  const t0 = performance.now();
  const r = await runSession({
    profile,
    machine,
    session: 1,
    dots: 40,
    target: { kind: "sim", virtualTime: false },
    sink: new MemorySink(),
    startedAt: new Date().toISOString(),
    timing: { ...DEFAULT_TIMING, latenessBudgetMs: 1e9 },
  });
  const h = r.controller.lateness;
  rows.push(["real-time demo, 40 dots", `${((performance.now() - t0) / 1000).toFixed(2)} s wall`, r.outcome.outcome]);
  rows.push([
    "loop lateness p50 / p99 / max",
    `${h.quantile(0.5).toFixed(2)} / ${h.quantile(0.99).toFixed(2)} / ${h.maxMs.toFixed(2)} ms`,
    `budget ${DEFAULT_TIMING.latenessBudgetMs} ms, ${h.count} ticks`,
  ]);
}

async function virtualTime(dots: number, firmware: boolean): Promise<void> {
  const t0 = performance.now();
  const r = await runSession({
    profile,
    machine,
    session: 1,
    dots,
    target: { kind: "sim", virtualTime: true, firmware },
    sink: new MemorySink(),
    startedAt: "bench",
  });
  const wallS = (performance.now() - t0) / 1000;
  const what = firmware ? "emulated firmware" : "board model";
  rows.push([
    `virtual-time session, ${what}, ${dots} dots`,
    `${wallS.toFixed(2)} s wall for ${(r.elapsedMs / 1000).toFixed(0)} s simulated`,
    `${(r.elapsedMs / 1000 / wallS).toFixed(1)}x real time, ${r.outcome.outcome}`,
  ]);
}

function codec(): void {
  const frame = {
    id: "DOT",
    seq: 1234,
    fields: {
      dot: 42,
      atTick: 123456,
      extensionUm: 812,
      strokeHz: 120,
      dutyPermille: 640,
      strokes: 9,
      leaseTick: 125000,
    },
  } as const;
  const n = 200_000;
  let t0 = performance.now();
  let line = "";
  for (let i = 0; i < n; i++) line = encodeFrame(frame);
  const encUs = ((performance.now() - t0) * 1000) / n;
  t0 = performance.now();
  for (let i = 0; i < n; i++) decodeFrame(line);
  const decUs = ((performance.now() - t0) * 1000) / n;
  rows.push([
    "codec, DOT frame",
    `encode ${encUs.toFixed(2)} us, decode ${decUs.toFixed(2)} us`,
    `${line.length} bytes`,
  ]);
}

codec();
await virtualTime(2000, false);
await virtualTime(40, true);
await realTimeLoop();
const w = [0, 1].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const [a, b, c] of rows) console.log(`${a.padEnd(w[0]!)}  ${b.padEnd(w[1]!)}  ${c}`);
