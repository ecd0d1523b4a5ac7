// A whole hand-held session in virtual time on the board model, played from taps (src/app/taps.ts): dots per
// press, a zone change with the same needle, a STOP that holds and the operator's resume, a zone that needs
// another needle (the pedal blocked until the cartridge is out, in and confirmed), and the operator's end. The
// record must hold every zone and cartridge change, every hold and resume, and each dot with its zone, needle
// and its number in the session.

import { describe, expect, it } from "vitest";
import { playTaps } from "../src/app/taps.ts";
import { HandHeldSession, type HandHeldPhase } from "../src/control/hand-held.ts";
import { MemorySink, type DotRecord, type SessionRecord } from "../src/log/records.ts";
import { loadDepthProfileFile, loadMachineFile } from "../src/profiles/files.ts";
import { parseTapsFile } from "../src/profiles/taps.ts";
import { DEFAULT_BOARD } from "../src/sim/board.ts";
import { SimRig, plantFromMachine } from "../src/sim/rig.ts";
import { VirtualScheduler } from "../src/time/scheduler.ts";

const profile = loadDepthProfileFile("profiles/demo.json");
const machine = loadMachineFile("profiles/machines/rotary-pmu.json");

/** n dots: press 200 ms, release, the next 300 ms later. */
const taps = (n: number) =>
  Array.from({ length: n }, () => [
    { afterMs: 300, act: "press" },
    { afterMs: 200, act: "release" },
  ]).flat();

function run(script: readonly object[]) {
  const scheduler = new VirtualScheduler();
  const rig = new SimRig(scheduler, { plant: plantFromMachine(machine.calibration), board: DEFAULT_BOARD });
  rig.board.inputs.pedalPressed = false;
  const sink = new MemorySink();
  const phases: HandHeldPhase[] = [];
  const session = new HandHeldSession({
    scheduler,
    transport: rig.transport,
    sink,
    profile,
    machine,
    session: 1,
    startedAt: "test",
    observer: (e) => {
      if (e.type === "phase" && phases.at(-1) !== e.phase) phases.push(e.phase);
    },
  });
  void session.start();
  playTaps(parseTapsFile(JSON.stringify(script), "test taps"), {
    scheduler,
    setInputs: (i) => Object.assign(rig.board.inputs, i),
    session,
  });
  scheduler.runUntilCondition(() => session.outcome !== undefined, 120_000);
  const of = <T extends SessionRecord["type"]>(t: T) =>
    sink.records.filter((r): r is Extract<SessionRecord, { type: T }> => r.type === t);
  return { session, rig, sink, phases, of };
}

describe("a hand-held session on the board model, from taps", () => {
  it("places dots zone after zone, holds on STOP until resumed, blocks the pedal for a needle change", () => {
    const { session, rig, phases, of } = run([
      ...taps(3), // hairline, 1RL
      { afterMs: 200, act: "zone-up" }, // temples: the same needle, no change
      ...taps(2),
      { afterMs: 200, act: "stop" },
      { afterMs: 500, act: "press" }, // held: fires nothing
      { afterMs: 200, act: "release" },
      { afterMs: 500, act: "resume" },
      ...taps(2),
      { afterMs: 200, act: "zone-up" }, // mid-scalp: 3RL
      { afterMs: 500, act: "press" }, // blocked: fires nothing
      { afterMs: 200, act: "release" },
      { afterMs: 500, act: "cartridge-out" },
      { afterMs: 2000, act: "cartridge-in" },
      { afterMs: 500, act: "confirm" },
      ...taps(3),
      { afterMs: 500, act: "end" },
    ]);
    expect(session.outcome).toMatchObject({ exitCode: 0, dotsPlaced: 10 });
    const dots = of("dot").filter((d: DotRecord) => d.partial !== true);
    expect(dots.map((d) => d.n)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(dots.map((d) => d.zone)).toEqual([
      ...["hairline", "hairline", "hairline"],
      ...["temples", "temples", "temples", "temples"],
      ...["mid-scalp", "mid-scalp", "mid-scalp"],
    ]);
    expect(dots.slice(0, 7).every((d) => d.needle === "1RL-0.20mm")).toBe(true);
    expect(dots.slice(7).every((d) => d.needle === "3RL-0.25mm")).toBe(true);
    expect(session.outcome!.dotsPerZone).toEqual({ hairline: 3, temples: 4, "mid-scalp": 3, crown: 0 });
    expect(of("zone").map((z) => z.to)).toEqual(["temples", "mid-scalp"]);
    expect(of("cartridge").map((c) => c.act)).toEqual(["out", "in", "confirmed"]);
    const segments = of("segment").map((s) => s.act);
    expect(segments).toEqual(["start", "hold", "resume", "hold", "end"]);
    expect(of("segment")[3]!.reason).toBe("needle change");
    // the board fired exactly the dots recorded: nothing while held or blocked
    expect(rig.board.completedDots).toHaveLength(10);
    expect(phases).toEqual([
      "starting",
      "live",
      "held",
      "starting",
      "live",
      "needle-change",
      "starting",
      "live",
      "ended",
    ]);
    expect(rig.board.parked).toBe(true);
    // every record time is in order
    const times = of("dot").map((d) => d.tMs);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it("the console's e-stop latches, records its fault and ends the session with exit 3, resumable", () => {
    const { session, rig, of } = run([...taps(2), { afterMs: 100, act: "estop" }]);
    expect(session.outcome).toMatchObject({ exitCode: 3, dotsPlaced: 2 });
    expect(of("fault").map((f) => f.code)).toEqual(["ESTOP"]);
    expect(of("segment").map((s) => s.act)).toEqual(["start", "hold", "hold"]); // no "end": resume may continue it
    expect(rig.board.alarm).toBe("ESTOP");
    expect(rig.board.parked).toBe(true);
  });

  it("a stop holds the session; ended from the hold it exits 0: a stop is the operator's, no fault", () => {
    const { session, rig, of } = run([...taps(2), { afterMs: 100, act: "stop" }, { afterMs: 300, act: "end" }]);
    expect(session.outcome).toMatchObject({ exitCode: 0, dotsPlaced: 2 });
    expect(of("segment").map((s) => s.act)).toEqual(["start", "hold", "end"]);
    expect(rig.board.alarm).toBe("STOP");
  });
});
