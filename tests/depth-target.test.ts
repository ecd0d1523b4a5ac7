// Depth checked against the zone's target (issue 7 part 2): a stroke deeper than the target plus the profile's
// depthToleranceUm is a DEPTH_DEVIATION fault whatever the depth loop commanded. The issue's case: the loop has
// learned to command deep for a stiff scar zone, then the cartridge's give disappears and the needle goes to
// the command; before, a 500 um target received ~760 um and the run ended "done", exit 0. The shallow side: a
// target the loop cannot reach within the tolerance ends the session held (TARGET_UNREACHABLE, exit 4).

import { ISSUE_TARGET_UM, demoAtIssueTarget, rotaryWith40UmOvertravel } from "./fixtures/issue-cases.ts";
import { describe, expect, it } from "vitest";
import { SessionController } from "../src/control/controller.ts";
import { ScriptedDotSource, planSession } from "../src/control/dot-source.ts";
import { VirtualScheduler } from "../src/time/scheduler.ts";
import { MemorySink, type DotRecord, type FaultRecord } from "../src/log/records.ts";
import { loadDepthProfileFile, loadMachineFile } from "../src/profiles/files.ts";
import { runSession } from "../src/app/session.ts";
import { REACH_SETTLING_DOTS, ReachWatch } from "../src/control/reach.ts";
import { SimRig, plantFromMachine } from "../src/sim/rig.ts";
import type { PlantParams } from "../src/sim/plant.ts";
import { readFileSync } from "node:fs";
import { parseDepthProfile } from "../src/profiles/load.ts";
import { parseFaultSpec } from "../src/sim/faults.ts";
import { BOARD_DEFAULTS } from "../src/protocol/table.ts";
import { commandCapUm } from "../src/control/handshake.ts";

const profile = loadDepthProfileFile("profiles/scar-camouflage.json"); // session 1: 500 um, tolerance 150 um
const machine = loadMachineFile("profiles/machines/rotary-pmu.json");

/** One run of `dots` scar dots; the cartridge's give goes to zero when dot `giveLostAtDot` starts (if set). */
function run(dots: number, giveLostAtDot?: number) {
  const scheduler = new VirtualScheduler();
  const rig = new SimRig(scheduler, { plant: plantFromMachine(machine.calibration, 4) });
  // the plant's parameters are fixed for a run; this test breaks that on purpose, as a worn cartridge does
  const plant = rig.plant.params as { -readonly [K in keyof PlantParams]: PlantParams[K] };
  for (let n = 1; n <= dots; n++) rig.zoneOfDot.set(n, "scar"); // the handpiece on the scar: stiff skin
  if (giveLostAtDot !== undefined)
    rig.burstListeners.push((dot) => {
      if (dot >= giveLostAtDot) plant.cartridgeGiveUm = 0;
    });
  const sink = new MemorySink();
  const c = new SessionController({
    scheduler,
    transport: rig.transport,
    sink,
    profile,
    machine,
    session: 1,
    source: new ScriptedDotSource(planSession(profile, 1, dots)),
    startedAt: "test",
    unlockLatched: false,
  });
  void c.run();
  scheduler.runUntilCondition(() => c.outcome !== undefined, scheduler.nowMs() + 60_000);
  const dotRecords = sink.records.filter((r): r is DotRecord => r.type === "dot");
  const faults = sink.records.filter((r): r is FaultRecord => r.type === "fault");
  return { outcome: c.outcome!, dotRecords, faults };
}

describe("a stroke deeper than the zone's target plus tolerance", () => {
  it("healthy: the loop commands deep for the stiff scar skin, the strokes stay within the tolerance", () => {
    const { outcome, dotRecords, faults } = run(10);
    expect(outcome.exitCode).toBe(0);
    expect(faults).toEqual([]);
    expect(profile.profile.depthToleranceUm).toBe(150);
    expect(Math.max(...dotRecords.map((d) => d.commandedExtensionUm))).toBeGreaterThan(650); // beyond 500 + 150
    for (const d of dotRecords) expect(d.maxExtensionUm!).toBeLessThanOrEqual(650);
  });

  it("the give disappears mid-session: DEPTH_DEVIATION against the target, not exit 0", () => {
    const { outcome, dotRecords, faults } = run(10, 6);
    expect(outcome).toMatchObject({ outcome: "fault", exitCode: 3 });
    expect(faults[0]).toMatchObject({ code: "DEPTH_DEVIATION", source: "host" });
    expect(faults[0]!.detail).toMatch(
      /^dot 6 stroke 1: measured extension \d+ um deeper than zone target 500 um by more than the profile's depthToleranceUm 150 um/,
    );
    // the stroke that tripped was within the command's own plausibility bound (the old check alone let it pass):
    // the loop had settled, so dot 6 was commanded like dot 5
    const measuredUm = Number(/measured extension (\d+) um/.exec(faults[0]!.detail)![1]);
    // dots 1-5 ended normally within the tolerance; dot 6, cut short by the fault, still has its record
    expect(dotRecords.map((d) => d.n)).toEqual([1, 2, 3, 4, 5, 6]);
    const normal = dotRecords.slice(0, 5);
    expect(normal.every((d) => d.maxExtensionUm! <= 650 && d.partial === undefined)).toBe(true);
    const cut = dotRecords[5]!;
    expect(cut).toMatchObject({ n: 6, partial: true, telemetry: "partial" });
    expect(cut.maxExtensionUm).toBeGreaterThanOrEqual(measuredUm);
    expect(faults[0]).toMatchObject({ dot: 6, deepestMeasuredUm: cut.maxExtensionUm });
    expect(measuredUm).toBeGreaterThan(650);
    expect(measuredUm).toBeLessThanOrEqual(dotRecords[4]!.commandedExtensionUm + 120);
  });
});

describe("a target the loop cannot reach within tolerance ends the session held", () => {
  const shipped = loadMachineFile("profiles/machines/rotary-pmu.json");
  // the issue's machine and profile (tests/fixtures/issue-cases.ts); today's file refuses it: tested below
  const rotary = rotaryWith40UmOvertravel();
  const deep = demoAtIssueTarget();

  it(`on today's rotary pen (a 1199 um cap) refuses the ${ISSUE_TARGET_UM} um profile before arming`, async () => {
    const sink = new MemorySink();
    const r = await runSession({
      ...{ profile: deep, machine: shipped, session: 1, dots: 20, sink, startedAt: "test", engineerApproved: true },
      target: { kind: "sim", virtualTime: true, seed: 1 },
    });
    expect(r.outcome).toMatchObject({ exitCode: 2, dotsPlaced: 0 });
    expect(sink.records.find((x) => x.type === "fault")).toMatchObject({ code: "HANDSHAKE_MISMATCH" });
    expect(r.rig!.board.completedDots).toHaveLength(0);
  });

  it(`${ISSUE_TARGET_UM} um, out of reach: TARGET_UNREACHABLE after a zone's settling dots, exit 4`, async () => {
    const sink = new MemorySink();
    const r = await runSession({
      ...{ profile: deep, machine: rotary, session: 1, dots: 20, sink, startedAt: "test", engineerApproved: true },
      target: { kind: "sim", virtualTime: true, seed: 1 },
    });
    expect(r.outcome).toMatchObject({ ending: "held", outcome: "held", exitCode: 4 });
    const dots = sink.records.filter((x): x is DotRecord => x.type === "dot");
    expect(dots).toHaveLength(REACH_SETTLING_DOTS); // the first zone's settling dots, no more
    for (const d of dots) expect(d.maxExtensionUm!).toBeLessThan(ISSUE_TARGET_UM - deep.profile.depthToleranceUm);
    const faults = sink.records.filter((x): x is FaultRecord => x.type === "fault");
    expect(faults).toMatchObject([{ code: "TARGET_UNREACHABLE", source: "host", boardAlarm: "none", dot: 3 }]);
    const reachedUm = Math.max(...dots.map((d) => d.maxExtensionUm!));
    expect(faults[0]!.detail).toBe(
      `zone hairline: its last 3 dots reached at most ${reachedUm} um (deepest strokes ` +
        `${dots.map((d) => d.maxExtensionUm).join(", ")} um), short of target ${ISSUE_TARGET_UM} um ` +
        `less depthToleranceUm 150 um = ${ISSUE_TARGET_UM - 150} um, ` +
        `commanded ${commandCapUm({ hardMaxExtensionUm: 1500 }, 40)} um`,
    );
    expect(r.outcome.message).toMatch(/^held TARGET_UNREACHABLE: zone hairline: .*board disarmed, nothing latched/);
    expect(sink.records.at(-1)).toMatchObject({ type: "end", outcome: "held", ending: "held", exitCode: 4 });
    // a hold the operator can end: the needle parked and the board disarmed, nothing latched to unlock
    expect(r.rig!.board.state).toBe("IDLE");
    expect(r.rig!.board.parked).toBe(true);
    expect(r.rig!.board.alarm).toBeUndefined();
  });

  it("ReachWatch: three complete short dots of a zone in a row; a dot in reach clears its zone's run", () => {
    const w = new ReachWatch(150);
    const dot = (n: number, zone: string, maxUm: number | null, extra: Partial<DotRecord> = {}): DotRecord => ({
      ...{ type: "dot", n, zone, session: 1, tMs: 0, boardTick: 0, targetExtensionUm: 1000 },
      ...{ commandedExtensionUm: 1100, maxExtensionUm: maxUm, meanExtensionUm: maxUm, telemetry: "complete" },
      ...{ strokeCount: 6, plannedStrokes: 6, strokeHz: 110, commandedStrokeHz: 110 },
      ...{ dutyPermille: 600, peakCurrentMa: 700, onTimeMs: 90 },
      ...extra,
    });
    expect(w.dot(dot(1, "a", 849))).toBeUndefined();
    expect(w.dot(dot(2, "a", 850))).toBeUndefined(); // exactly target - tolerance is in reach: clears the run
    expect(w.dot(dot(3, "a", 800))).toBeUndefined();
    expect(w.dot(dot(4, "b", 100))).toBeUndefined(); // another zone has its own run
    expect(w.dot(dot(5, "a", 810, { telemetry: "partial" }))).toBeUndefined(); // counts neither way
    expect(w.dot(dot(6, "a", null))).toBeUndefined();
    expect(w.dot(dot(7, "a", 820, { partial: true }))).toBeUndefined();
    expect(w.dot(dot(8, "a", 830))).toBeUndefined();
    const out = w.dot(dot(9, "a", 840));
    expect(out).toMatchObject({ code: "TARGET_UNREACHABLE", dot: 9 });
    expect(out!.detail).toMatch(/^zone a: its last 3 dots reached at most 840 um \(deepest strokes 800, 830, 840 um\)/);
  });
});

describe("a sensor reading shallow (offset, drift) never takes the true tip past the hard maximum", () => {
  // until the next spin-up's zero check catches it, the depth loop believes the skin gives more and commands
  // deeper, but never past the command cap; with a healthy cartridge the tip is at or behind the actuator, so
  // under the hard maximum. Every target at the cap.
  const cases = ["sensor-offset", "sensor-drift"].flatMap((kind) =>
    ["rotary-pmu", "coil-short"].flatMap((m) => [false, true].map((firmware) => ({ kind, m, firmware }))),
  );
  it.each(cases)("$kind on $m, emulated firmware: $firmware", async ({ kind, m, firmware }) => {
    const machine = loadMachineFile(`profiles/machines/${m}.json`);
    const capUm = commandCapUm(BOARD_DEFAULTS, machine.calibration.overtravelUm);
    const profile = parseDepthProfile(
      readFileSync("profiles/demo.json", "utf8")
        .replace('"envelope": "standard"', '"envelope": "engineer"')
        .replace(/"targetExtensionUm": \d+/g, `"targetExtensionUm": ${capUm}`),
      `demo.json at ${capUm} um`,
    );
    const sink = new MemorySink();
    const r = await runSession({
      ...{ profile, machine, session: 1, dots: 6, sink, startedAt: "test", engineerApproved: true },
      target: { kind: "sim", virtualTime: true, seed: 2, firmware },
      faults: [parseFaultSpec(`${kind},atDot=2,afterMs=20`)],
    });
    expect(r.rig!.faultsStruck.map((f) => f.kind)).toEqual([kind]);
    expect(r.rig!.trueDeepestTipUm).toBeLessThanOrEqual(BOARD_DEFAULTS.hardMaxExtensionUm);
    const commands = sink.records.filter((x): x is DotRecord => x.type === "dot").map((d) => d.commandedExtensionUm);
    expect(Math.max(...commands)).toBeLessThanOrEqual(capUm); // the loop pushed, the cap held
    const fault = sink.records.find((x): x is FaultRecord => x.type === "fault");
    if (kind === "sensor-offset") {
      // 150 um shallow from 20 ms into dot 2: the zero check at the next tachometer edge with the actuator parked
      // (dot 2's spin-up if it is still spinning up, else dot 3's) reads the parked needle that far behind the
      // actuator and latches before the actuator goes out (docs/protocol.md §7.5): that dot has no stroke
      expect(fault).toMatchObject({ code: "SENSOR_OFFSET", source: "board" });
      expect([2, 3]).toContain(fault!.dot);
      expect(sink.records.find((x): x is DotRecord => x.type === "dot" && x.n === fault!.dot)?.strokeCount ?? 0).toBe(
        0,
      );
    } else {
      expect(["SENSOR_OFFSET", "DEPTH_DEVIATION", "TARGET_UNREACHABLE"]).toContain(fault?.code);
    }
  });
});
