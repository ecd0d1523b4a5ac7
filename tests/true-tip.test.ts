// The simulated world's truth about depth: the plant tracks the deepest true needle tip over the whole path
// (not only at bottom dead centre, and not the sensor's reading), and a run on a simulated board carries it in
// its end record (trueDeepestTipUm), added at the composition root; a run on a real board has no such field.

import { describe, expect, it } from "vitest";
import { runSession, withSimTruth } from "../src/app/session.ts";
import { loadDepthProfileFile, loadMachineFile } from "../src/profiles/files.ts";
import { MemorySink, summarize, type DotRecord, type EndRecord, type SessionRecord } from "../src/log/records.ts";
import { renderSummary } from "../src/cli/render.ts";
import { Plant } from "../src/sim/plant.ts";
import { plantFromMachine } from "../src/sim/rig.ts";

const profile = loadDepthProfileFile("profiles/demo.json");
const rotary = loadMachineFile("profiles/machines/rotary-pmu.json");

describe("the plant's true tip", () => {
  it("keeps the deepest true tip along the whole path, between the board's steps too", () => {
    const coarse = new Plant(plantFromMachine(rotary.calibration, 5));
    const fine = new Plant(plantFromMachine(rotary.calibration, 5));
    let sampledMaxUm = -Infinity;
    for (const p of [coarse, fine]) {
      p.driveOn = true;
      p.dutyPermille = 700;
      p.faults.overshootUm = 300;
    }
    // the actuator goes out and back while the cam turns: the deepest point is not at a step boundary
    for (let tUs = 0; tUs < 200_000; tUs += 250) {
      const setUm = tUs > 60_000 && tUs < 120_000 ? 900 : -400;
      coarse.actuatorSetUm = setUm;
      coarse.step(250);
      for (let k = 0; k < 25; k++) {
        fine.actuatorSetUm = setUm;
        fine.step(10);
        sampledMaxUm = Math.max(sampledMaxUm, fine.tipUm());
      }
    }
    expect(sampledMaxUm).toBeGreaterThan(1000); // 900 um + 300 um overshoot, near bottom dead centre
    // the coarse plant's record is the fine path's maximum (the same cam, within the actuator's 2.5 um per 10 us)
    expect(Math.abs(coarse.deepestTipUm - sampledMaxUm)).toBeLessThan(15);
    expect(fine.deepestTipUm).toBeGreaterThanOrEqual(sampledMaxUm);
  });

  it("sees a tip that goes deep with the cam at a standstill (no bottom dead centre crossed)", () => {
    const p = new Plant(plantFromMachine(rotary.calibration, 5));
    p.phase = 0.45; // stopped just before bottom dead centre
    p.faults.overshootUm = 600; // a broken spring: no give, but no lead either while the cam stands
    p.actuatorSetUm = 1200;
    for (let i = 0; i < 40; i++) p.step(250); // 10 ms: the actuator is out
    expect(p.leadUm).toBe(0);
    expect(p.deepestTipUm).toBeCloseTo(p.tipUm(), 6);
    expect(p.deepestTipUm).toBeCloseTo(p.freeTipUm(0.45), 6); // the free tip: no give left
    expect(p.deepestTipUm).toBeGreaterThan(1100);
  });

  it("a broken spring's lead builds as the cam decelerates, in the air only, never faster than the cam", () => {
    const p = new Plant(plantFromMachine(rotary.calibration, 5));
    p.actuatorSetUm = 1000;
    for (let i = 0; i < 40; i++) p.step(250); // actuator out, cam at rest at top dead centre
    p.driveOn = true;
    p.dutyPermille = 700;
    p.faults.overshootUm = 600;
    let bdcs = 0;
    let grewInSkinOrRising = 0;
    for (let i = 0; i < 6000; i++) {
      const before = { phase: p.phase, leadUm: p.leadUm, freeUm: p.freeTipUm(p.phase), tipUm: p.tipUm() };
      const edges = p.step(25);
      bdcs += edges.length;
      const grewUm = p.leadUm - before.leadUm;
      expect(p.leadUm).toBeLessThanOrEqual(600);
      if (edges.length > 0 || grewUm === 0) continue;
      // no bottom dead centre in this step: the cam moved one way, and the lead grew by no more than it did
      expect(grewUm).toBeLessThanOrEqual(p.freeTipUm(p.phase) - before.freeUm + 1e-9);
      const decelerating = p.phase > 0.25 && before.phase < 0.5; // the step overlaps phases (0.25, 0.5)
      // in the air: the tip moves by the cam's descent and the lead's growth, so it meets the skin after half
      if (!decelerating || before.tipUm >= 0 || grewUm > -before.tipUm / 2 + 1e-9) grewInSkinOrRising++;
    }
    expect(grewInSkinOrRising).toBe(0);
    expect(bdcs).toBeGreaterThan(5); // the cam turned several strokes in 150 ms
    expect(p.leadUm).toBe(600); // and within those the lead is all there
    expect(p.tipUm()).toBeCloseTo(p.freeTipUm(p.phase) + 600, 6);
  });
});

describe("trueDeepestTipUm in the end record", () => {
  it("a simulated run's end record carries the plant's deepest true tip, and the summary shows it", async () => {
    const sink = new MemorySink();
    const result = await runSession({
      profile,
      machine: rotary,
      session: 1,
      dots: 6,
      target: { kind: "sim", virtualTime: true, seed: 2 },
      sink,
      startedAt: "2026-01-01T00:00:00.000Z",
    });
    expect(result.outcome.exitCode).toBe(0);
    const end = sink.records.at(-1) as EndRecord;
    expect(end.type).toBe("end");
    expect(end.trueDeepestTipUm).toBe(Math.round(result.rig!.plant.deepestTipUm));
    // healthy: the truth agrees with the deepest measured stroke within the sensor's noise and resolution
    const dots = sink.records.filter((r): r is DotRecord => r.type === "dot");
    const measuredUm = Math.max(...dots.map((d) => d.maxExtensionUm!));
    expect(Math.abs(end.trueDeepestTipUm! - measuredUm)).toBeLessThan(40);
    const s = summarize(sink.records);
    expect(s.trueDeepestTipUm).toBe(end.trueDeepestTipUm);
    const text = renderSummary(s, { message: "m", logPath: "x.jsonl", wallMs: 1, transport: "sim" });
    expect(text).toContain(`true deepest tip (simulated world): ${end.trueDeepestTipUm} um`);
  });

  it("only the end record gets it, only from a simulated board; without one records pass unchanged", () => {
    const end: EndRecord = {
      type: "end",
      tMs: 1,
      outcome: "done",
      ending: "done",
      reason: "session complete: 0 dots",
      exitCode: 0,
      dotsPlaced: 0,
      link: {},
      loop: { ticks: 0, maxLatenessMs: 0, p99LatenessMs: 0 },
    };
    const state: SessionRecord = { type: "state", tMs: 0, from: "a", to: "b" };
    const real = new MemorySink();
    const onReal = withSimTruth(real, undefined);
    onReal.write(state);
    onReal.write(end);
    expect(real.records).toEqual([state, end]);
    expect("trueDeepestTipUm" in real.records[1]!).toBe(false);
    expect(summarize(real.records).trueDeepestTipUm).toBeUndefined();
    expect(renderSummary(summarize(real.records), { message: "", logPath: "", wallMs: 0, transport: "" })).not.toMatch(
      /true deepest tip/,
    );
    const simulated = new MemorySink();
    const world = { trueDeepestTipUm: () => 1234 };
    const onSim = withSimTruth(simulated, world);
    onSim.write(state);
    onSim.write(end);
    expect(simulated.records).toEqual([state, { ...end, trueDeepestTipUm: 1234 }]);
  });
});
