// Press to first puncture, in board time (issue 8): a hand-held segment armed on a simulated board, the pedal
// pressed at varied moments, and the time from the press to the first moment the simulated needle tip is out of
// the grip (the plant's truth, to 0.1 ms), p50 / p99 / max. With the host idle, and with the host frozen for
// 200 ms from each press (the board fires on its own). Also release to needle back in the grip. Virtual time:
// the figures are the simulation's, not this machine's speed.
//   npx tsx bench/pedal-latency.ts [presses]

import { SessionController } from "../src/control/controller.ts";
import { DEFAULT_TIMING } from "../src/control/timing.ts";
import type { PedalSource } from "../src/control/pedal-dispatch.ts";
import { MemorySink } from "../src/log/records.ts";
import { dotSettings, type DotSettings } from "../src/profiles/dots.ts";
import { loadDepthProfileFile, loadMachineFile } from "../src/profiles/files.ts";
import { DEFAULT_BOARD } from "../src/sim/board.ts";
import { FreezableScheduler } from "../src/sim/host-freeze.ts";
import { SimRig, plantFromMachine } from "../src/sim/rig.ts";
import { VirtualScheduler } from "../src/time/scheduler.ts";

const profile = loadDepthProfileFile("profiles/demo.json");
const presses = Number(process.argv[2] ?? 60);
const STEP_MS = 0.1;

interface Figures {
  readonly firstMs: number[];
  readonly releaseMs: number[];
}

function measure(machineFile: string, firmware: boolean, freezeMs: number): Figures {
  const machine = loadMachineFile(machineFile);
  const base = new VirtualScheduler();
  const host = new FreezableScheduler(base);
  const rig = new SimRig(base, {
    plant: plantFromMachine(machine.calibration),
    board: DEFAULT_BOARD,
    firmware,
    pumpMs: STEP_MS,
  });
  rig.board.inputs.pedalPressed = false;
  const zone: DotSettings = dotSettings(profile.profile, "mid-scalp", 1);
  const source: PedalSource & { exhausted: boolean } = {
    kind: "pedal",
    settings: [zone],
    plannedDots: 0,
    dotBase: 0,
    exhausted: false,
    armed: () => zone,
  };
  const c = new SessionController({
    ...{ scheduler: host, transport: host.transport(rig.transport), sink: new MemorySink(), profile, machine },
    ...{ session: 1, source, startedAt: "bench" },
    // a frozen host must not stop itself here (the workstation issue makes a late host slow, not stopped)
    timing: { ...DEFAULT_TIMING, latenessBudgetMs: 1e9, staleMs: 1e9 },
  });
  void c.run();
  base.runUntilCondition(() => c.supervisorState.name === "running", 5000);
  const out: Figures = { firstMs: [], releaseMs: [] };
  const tipOut = () => rig.plant.tipUm() > 0;
  for (let i = 0; i < presses; i++) {
    // varied phases of the cam at the press: a different wait each time (golden-ratio steps over 20 ms)
    base.runUntil(base.nowMs() + 300 + ((i * 0.618 * 20) % 20));
    const pressedMs = base.nowMs();
    rig.board.inputs.pedalPressed = true;
    if (freezeMs > 0) host.freezeForMs(freezeMs);
    while (!tipOut() && base.nowMs() - pressedMs < 500) base.runUntil(base.nowMs() + STEP_MS);
    out.firstMs.push(base.nowMs() - pressedMs);
    base.runUntil(base.nowMs() + 25); // a few strokes, then up mid-burst
    const releasedMs = base.nowMs();
    rig.board.inputs.pedalPressed = false;
    let lastOutMs = releasedMs;
    while (base.nowMs() - releasedMs < 100) {
      base.runUntil(base.nowMs() + STEP_MS);
      if (tipOut()) lastOutMs = base.nowMs();
    }
    out.releaseMs.push(lastOutMs - releasedMs);
  }
  if (c.outcome) throw new Error(`the segment ended: ${c.outcome.message}`);
  return out;
}

const q = (xs: readonly number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
};
const fmt = (xs: readonly number[]) =>
  `${q(xs, 0.5).toFixed(1)} / ${q(xs, 0.99).toFixed(1)} / ${Math.max(...xs).toFixed(1)}`;

const rows: string[][] = [["board", "host", "press -> first puncture p50/p99/max ms", "release -> needle in ms"]];
for (const [name, file, firmware] of [
  ["model, rotary", "profiles/machines/rotary-pmu.json", false],
  ["model, coil", "profiles/machines/coil-short.json", false],
  ["firmware, rotary", "profiles/machines/rotary-pmu.json", true],
] as const) {
  for (const freezeMs of [0, 200]) {
    const f = measure(file, firmware, freezeMs);
    rows.push([name, freezeMs ? "frozen 200 ms" : "idle", fmt(f.firstMs), fmt(f.releaseMs)]);
  }
}
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join("  "));
console.log(
  `${presses} presses each; mid-scalp, session 1 (${dotSettings(profile.profile, "mid-scalp", 1).strokeHz} Hz)`,
);
