// The fault campaign at its CI size inside `npm test` (issue 7 part 6, docs/safety.md): seeds 1 to
// CI_CAMPAIGN_RUNS, every board (the board model and the emulated firmware, rotary and coil), each seed one test
// named by its run so that a failure says what to replay (`npm run test:faults -- --replay SEED`). Every run must
// keep every promise of tests/faults/campaign.ts: true tip within the hard maximum, needle parked within the
// hazard's budget, the alarm latched, and the first fault record naming a true cause. Then the seeds beyond the
// CI size that once broke a promise, kept as regressions.

import { describe, expect, it } from "vitest";
import {
  BOARDS,
  CAMPAIGN_KINDS,
  blindDoubleFault,
  executeRun,
  planRun,
  replayCommand,
  type CampaignRun,
} from "./faults/campaign.ts";
import { CI_CAMPAIGN_RUNS } from "./faults/sizes.ts";
import { parseFaultSpec } from "../src/sim/faults.ts";

const seeds = Array.from({ length: CI_CAMPAIGN_RUNS }, (_, i) => i + 1);
const runs = seeds.map(planRun);
const title = (seed: number) => {
  const r = planRun(seed);
  return `seed ${seed}: ${r.board}, ${r.faults.join(" + ")}`;
};

describe("the fault campaign at its CI size", () => {
  it("covers every board and at least 20 fault kinds, each at least twice", () => {
    expect(new Set(runs.map((r) => r.board))).toEqual(new Set(BOARDS));
    const kinds = runs.flatMap((r) => r.faults.map((f) => parseFaultSpec(f).kind));
    const counts = new Map<string, number>();
    for (const k of kinds) counts.set(k, (counts.get(k) ?? 0) + 1);
    expect(counts.size).toBeGreaterThanOrEqual(20);
    expect(CAMPAIGN_KINDS.filter((k) => (counts.get(k) ?? 0) < 2)).toEqual([]);
  });

  it.each(seeds.map((seed) => ({ seed, name: title(seed) })))("$name", async ({ seed }) => {
    const v = await executeRun(planRun(seed));
    expect(v.violations, replayCommand(v.run)).toEqual([]);
  });
});

/** Runs beyond the CI size that once broke a promise, pinned by their plans (a seed's plan changes whenever a fault
 * kind is added: the planner draws from the list of kinds). */
const REGRESSIONS: readonly (CampaignRun & { was: string })[] = [
  {
    ...{ seed: 66, board: "model-rotary", profilePath: "profiles/demo.json", deep: false, dots: 5 },
    faults: ["pedal-release,atMs=37", "sensor-dropout,atDot=1,afterMs=69"],
    was: "UNEXPECTED_NAK for an ARM refused with the pedal released",
  },
  {
    ...{ seed: 99, board: "model-rotary", profilePath: "profiles/crown.json", deep: true, dots: 5 },
    faults: ["delay,atDot=2,afterMs=71,ms=15,count=1", "unplug,atMs=83"],
    was: "exit 3 with no fault record: unplugged before arming",
  },
  {
    ...{ seed: 1114, board: "firmware-coil", profilePath: "profiles/crown.json", deep: true, dots: 5 },
    faults: ["overshoot,atDot=4,afterMs=16"],
    was: "true tip 1544 um: a broken spring on the firmware, before its depth forecast",
  },
  {
    ...{ seed: 1380, board: "firmware-coil", profilePath: "profiles/demo.json", deep: true, dots: 5 },
    faults: ["sensor-stuck,atDot=3,afterMs=68", "estop,atMs=23"],
    was: "exit 3 with no fault record: e-stopped before the session started",
  },
  {
    ...{ seed: 1548, board: "model-coil", profilePath: "profiles/demo.json", deep: true, dots: 5 },
    faults: ["sensor-stuck,atDot=1,afterMs=58", "watchdog,atDot=2,afterMs=81"],
    was: "first fault DEPTH_DEVIATION for a sensor frozen low, not an expected cause",
  },
  {
    ...{ seed: 2283, board: "model-coil", profilePath: "profiles/crown.json", deep: false, dots: 5 },
    faults: ["delay,atMs=1362,ms=9,count=1", "sensor-stuck,atDot=2,afterMs=72"],
    was: "OVER_EXTENSION for a sensor frozen off its floor, seen at spin-up as a tip ahead",
  },
];

describe("runs beyond the CI size that once broke a promise", () => {
  it.each(REGRESSIONS)("seed $seed (was: $was)", async ({ was: _was, ...run }) => {
    const v = await executeRun(run);
    expect(v.violations, replayCommand(v.run)).toEqual([]);
  });
});

describe("the one pair judged on the sensed tip", () => {
  const at = (kind: string, atMs: number, shallowZeroChecks: number) => ({ kind, atMs, shallowZeroChecks });
  it("is a sensor reading shallow, then a depth fault before any zero check could see the sensor", () => {
    expect(blindDoubleFault([at("sensor-offset", 100, 0), at("overshoot", 130, 0)])).toContain("sensor-offset");
    expect(blindDoubleFault([at("sensor-drift", 100, 2), at("give-loss", 400, 2)])).toContain("give-loss");
  });
  it("is not: a zero check that could see it came between, the depth fault came first, or no depth fault", () => {
    expect(blindDoubleFault([at("sensor-offset", 100, 0), at("overshoot", 400, 1)])).toBeUndefined();
    expect(blindDoubleFault([at("overshoot", 100, 0), at("sensor-offset", 130, 0)])).toBeUndefined();
    expect(blindDoubleFault([at("sensor-offset", 100, 0), at("stall", 130, 0)])).toBeUndefined();
    expect(blindDoubleFault([at("sensor-stuck", 100, 0), at("overshoot", 130, 0)])).toBeUndefined();
  });
});
