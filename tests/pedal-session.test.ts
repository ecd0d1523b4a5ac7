// The session controller in a hand-held segment (a PedalSource): it arms the selected zone with PEDAL, the board
// fires one dot per press of the simulated pedal, and every FIRE becomes a dot record with its zone, needle and
// the session's dot number; a zone change re-arms; the segment ends (disarmed) when the source is exhausted.
// Virtual time, on the board model.

import { describe, expect, it } from "vitest";
import { SessionController } from "../src/control/controller.ts";
import type { PedalSource } from "../src/control/pedal-dispatch.ts";
import { MemorySink, type DotRecord, type SessionRecord } from "../src/log/records.ts";
import { loadDepthProfileFile, loadMachineFile } from "../src/profiles/files.ts";
import { dotSettings, zonesForSession, type DotSettings } from "../src/profiles/dots.ts";
import type { FrameOf } from "../src/protocol/table.ts";
import { DEFAULT_BOARD } from "../src/sim/board.ts";
import { SimRig, plantFromMachine } from "../src/sim/rig.ts";
import { VirtualScheduler } from "../src/time/scheduler.ts";

const profile = loadDepthProfileFile("profiles/demo.json");
const machine = loadMachineFile("profiles/machines/rotary-pmu.json");
const zones = zonesForSession(profile.profile, 1).map((z) => dotSettings(profile.profile, z, 1));

class TestPedalSource implements PedalSource {
  readonly kind = "pedal";
  readonly settings: readonly DotSettings[] = zones;
  readonly plannedDots = 0;
  zone = zones[0]!;
  exhausted = false;
  constructor(readonly dotBase = 0) {}
  armed(): DotSettings {
    return this.zone;
  }
}

function bench(dotBase = 0) {
  const scheduler = new VirtualScheduler();
  const rig = new SimRig(scheduler, { plant: plantFromMachine(machine.calibration), board: DEFAULT_BOARD });
  rig.board.inputs.pedalPressed = false;
  const sink = new MemorySink();
  const source = new TestPedalSource(dotBase);
  const sent: FrameOf<"PEDAL">["fields"][] = [];
  const c = new SessionController({
    scheduler,
    transport: {
      ...rig.transport,
      write: (b) => {
        const line = Buffer.from(b).toString("latin1");
        if (/^\d+ PEDAL /.test(line))
          sent.push(
            Object.fromEntries(
              line
                .split(" ")
                .slice(2)
                .map((kv) => kv.split("=")),
            ),
          );
        rig.transport.write(b);
      },
      onLine: (l) => rig.transport.onLine(l),
      onClose: (l) => rig.transport.onClose(l),
    },
    sink,
    profile,
    machine,
    session: 1,
    source,
    startedAt: "test",
  });
  void c.run();
  /** Press for holdMs, then release, starting at atMs (virtual time). */
  const tap = (atMs: number, holdMs: number) => {
    scheduler.at(atMs, () => (rig.board.inputs.pedalPressed = true));
    scheduler.at(atMs + holdMs, () => (rig.board.inputs.pedalPressed = false));
  };
  const dots = () => sink.records.filter((r: SessionRecord): r is DotRecord => r.type === "dot");
  return { scheduler, rig, sink, source, c, tap, dots, sent };
}

describe("a hand-held segment on the board model", () => {
  it("places one dot per press with its zone and needle, re-arms on a zone change, and ends disarmed", () => {
    const { scheduler, rig, source, c, tap, dots, sent } = bench(10);
    for (let i = 0; i < 3; i++) tap(400 + i * 400, 200);
    scheduler.at(1500, () => (source.zone = zones[1]!));
    for (let i = 0; i < 2; i++) tap(1700 + i * 400, 200);
    scheduler.at(2600, () => (source.exhausted = true));
    scheduler.runUntilCondition(() => c.outcome !== undefined, 10_000);
    expect(c.outcome).toMatchObject({ ending: "done", exitCode: 0, dotsPlaced: 5 });
    const placed = dots();
    expect(placed.map((d) => d.n)).toEqual([11, 12, 13, 14, 15]);
    expect(placed.map((d) => d.zone)).toEqual([
      zones[0]!.zone,
      zones[0]!.zone,
      zones[0]!.zone,
      zones[1]!.zone,
      zones[1]!.zone,
    ]);
    const needle = (s: DotSettings) => `${s.needle.configuration}-${s.needle.diameterMm.toFixed(2)}mm`;
    expect(placed[0]!.needle).toBe(needle(zones[0]!));
    expect(placed[4]!.needle).toBe(needle(zones[1]!));
    for (const d of placed) expect(d).toMatchObject({ telemetry: "complete", strokeCount: d.plannedStrokes });
    // re-armed: at least once per dot for the depth loop, and the second zone's stroke rate once it was selected
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(sent.some((p) => Number(p.strokeHz) === zones[1]!.strokeHz)).toBe(true);
    expect(rig.board.state).toBe("IDLE");
    expect(rig.board.parked).toBe(true);
  });

  it("a release mid-burst gives a dot marked released, judged deep but not shallow, and the session goes on", () => {
    const { scheduler, source, c, tap, dots } = bench();
    tap(400, 25 + 1000 / zones[0]!.strokeHz); // up in the middle of the burst: spin-up then about one stroke
    tap(900, 300);
    scheduler.at(1400, () => (source.exhausted = true));
    scheduler.runUntilCondition(() => c.outcome !== undefined, 10_000);
    expect(c.outcome).toMatchObject({ ending: "done", exitCode: 0 });
    const [cut, whole] = dots();
    expect(cut!.released).toBe(true);
    expect(cut!.strokeCount).toBeLessThan(cut!.plannedStrokes);
    expect(whole!.released).toBeUndefined();
    expect(whole!.strokeCount).toBe(whole!.plannedStrokes);
  });

  it("a press while the host is between segments fires nothing: no armed dot without the host", () => {
    const { scheduler, rig, source, c, tap, dots } = bench();
    scheduler.at(300, () => (source.exhausted = true));
    scheduler.runUntilCondition(() => c.outcome !== undefined, 10_000);
    tap(scheduler.nowMs() + 50, 100);
    scheduler.runUntil(scheduler.nowMs() + 500);
    expect(dots()).toHaveLength(0);
    expect(rig.board.completedDots).toHaveLength(0);
  });
});
