// A burst cut short still gets its dot record: when a fault (board or host) ends the run with a dot in flight,
// that dot is written with `partial: true` and the deepest stroke measured of it (null if none arrived),
// before the fault record, which names the dot and carries that depth. Virtual time, on the board model and
// on the emulated firmware; the checks are on the records only.

import { describe, expect, it } from "vitest";
import { runSession } from "../src/app/session.ts";
import { loadDepthProfileFile, loadMachineFile } from "../src/profiles/files.ts";
import { MemorySink, type DotRecord, type FaultRecord, type SessionRecord } from "../src/log/records.ts";
import { parseFaultSpec } from "../src/sim/faults.ts";
import { DotAccounting } from "../src/control/accounting.ts";
import { FaultRecorder } from "../src/control/fault-recorder.ts";
import { dotSettings } from "../src/profiles/dots.ts";
import type { PlannedDot } from "../src/control/dot-source.ts";

const profile = loadDepthProfileFile("profiles/demo.json");
const rotary = loadMachineFile("profiles/machines/rotary-pmu.json");

async function run(fault: string, firmware: boolean, dots = 5): Promise<SessionRecord[]> {
  const sink = new MemorySink();
  await runSession({
    profile,
    machine: rotary,
    session: 1,
    dots,
    target: { kind: "sim", virtualTime: true, seed: 1, firmware },
    faults: [parseFaultSpec(fault)],
    sink,
    startedAt: "2026-01-01T00:00:00.000Z",
  });
  return sink.records;
}

/**
 * The order every run keeps: a header, the alarm the board had latched when the run reached it, then state,
 * note and dot records, then the fault, then the end.
 */
function expectOrder(records: readonly SessionRecord[]): void {
  const types = records.map((r) => r.type).filter((t) => t !== "state" && t !== "note");
  expect(types.slice(0, 2)).toEqual(["header", "latched"]);
  expect(types.slice(-2)).toEqual(["fault", "end"]);
  expect(types.slice(2, -2).every((t) => t === "dot")).toBe(true);
}

const dotsOf = (rs: readonly SessionRecord[]) => rs.filter((r): r is DotRecord => r.type === "dot");
const faultOf = (rs: readonly SessionRecord[]) => rs.find((r): r is FaultRecord => r.type === "fault")!;

// A spring that breaks with the needle on its way up shows at the next stroke's bottom dead centre; one that breaks
// on the way down is caught by the board's depth forecast before any stroke of the dot (no deep stroke to record).
// The two boards time their bursts differently: the moment is each board's, on the way up.
describe.each([
  ["board model", false, 40],
  ["emulated firmware", true, 56],
])("a burst cut short, on the %s", (_name, firmware, springBreaksAfterMs) => {
  it("overshoot at dot 2: dot 2 partial with its deep stroke, the fault names it", async () => {
    const records = await run(`overshoot,atDot=2,afterMs=${springBreaksAfterMs}`, firmware);
    expectOrder(records);
    const dots = dotsOf(records);
    expect(dots.map((d) => [d.n, d.partial])).toEqual([
      [1, undefined],
      [2, true],
    ]);
    expect(dots[0]!.telemetry).toBe("complete");
    const cut = dots[1]!;
    expect(cut).toMatchObject({ telemetry: "partial", onTimeMs: 0 });
    expect(cut.strokeCount).toBeGreaterThan(0);
    expect(cut.strokeCount).toBeLessThan(cut.plannedStrokes);
    expect(cut.maxExtensionUm).toBeGreaterThan(cut.targetExtensionUm + 150); // the stroke that tripped
    const fault = faultOf(records);
    // whoever sees the stroke first: the board (deeper than its command) or the host (deeper than the target)
    expect(fault).toMatchObject({ dot: 2 });
    expect([`board OVER_EXTENSION`, `host DEPTH_DEVIATION`]).toContain(`${fault.source} ${fault.code}`);
    expect(fault.deepestMeasuredUm).toBe(cut.maxExtensionUm);
    if (fault.source === "host") expect(fault.detail).toContain(`measured extension ${cut.maxExtensionUm} um`);
    expect(records.at(-1)).toMatchObject({ type: "end", outcome: "fault", dotsPlaced: 1 });
  });

  it("stall at dot 2 (board STALL): dot 2 partial, the board's fault carries dot and depth", async () => {
    const records = await run("stall,atDot=2", firmware);
    expectOrder(records);
    const dots = dotsOf(records);
    expect(dots.map((d) => d.n)).toEqual([1, 2]);
    expect(dots[0]!.partial).toBeUndefined();
    const cut = dots[1]!;
    expect(cut.partial).toBe(true);
    expect(cut.strokeCount).toBeLessThan(cut.plannedStrokes);
    const fault = faultOf(records);
    expect(fault).toMatchObject({ code: "STALL", source: "board", dot: 2 });
    expect(fault.deepestMeasuredUm).toBe(cut.maxExtensionUm);
    expect(cut.maxExtensionUm === null || cut.maxExtensionUm > 0).toBe(true);
  });

  it("the link drops mid-burst (host TELEMETRY_STALE): the fault names the dot in flight and its depth", async () => {
    const records = await run("disconnect,atDot=2,afterMs=20,forMs=500", firmware);
    expectOrder(records);
    const dots = dotsOf(records);
    expect(dots.map((d) => d.n)).toEqual([1, 2]); // dot 2 ended (normally or cut short), never lost
    const fault = faultOf(records);
    expect(fault).toMatchObject({ code: "TELEMETRY_STALE", source: "host", dot: 2 });
    expect(fault.deepestMeasuredUm).toBe(dots[1]!.maxExtensionUm);
  });

  it("an operator STOP mid-burst: the dot in flight is recorded cut short, before the STOP record", async () => {
    const records = await run("stop,atDot=3,afterMs=20", firmware);
    expectOrder(records);
    const dots = dotsOf(records);
    expect(dots.filter((d) => !d.partial).map((d) => d.n)).toEqual([1, 2]);
    expect(dots.filter((d) => d.partial).map((d) => d.n)).toEqual([3]);
    const fault = faultOf(records);
    expect(fault).toMatchObject({ code: "STOP", dot: 3, deepestMeasuredUm: dots[2]!.maxExtensionUm });
  });
});

describe("the books at the run's end", () => {
  const planned = (n: number): PlannedDot => ({ n, settings: dotSettings(profile.profile, "hairline", 1) });
  const command = { commandedExtensionUm: 700, dutyPermille: 650 };
  const stroke = (dot: number, k: number, extensionUm: number) => ({
    dot,
    stroke: k,
    extensionUm,
    periodUs: 9000,
    currentMa: 700,
    tick: 0,
  });

  it("every dot still in flight gets a partial record, oldest first, null depth when no stroke came", () => {
    const books = new DotAccounting(rotary.calibration);
    books.sent(planned(4), command);
    books.sent(planned(5), command);
    expect(books.currentDot).toBe(4);
    books.stroke(stroke(4, 1, 610), 1500);
    books.stroke(stroke(4, 2, 655), 1500);
    expect(books.deepestMeasuredUm(4)).toBe(655);
    expect(books.deepestMeasuredUm(5)).toBeNull();
    const cut = books.cutShort(123.45, 777);
    expect(cut.map((d) => [d.n, d.partial, d.maxExtensionUm, d.strokeCount, d.telemetry])).toEqual([
      [4, true, 655, 2, "partial"],
      [5, true, null, 0, "partial"],
    ]);
    expect(cut[0]).toMatchObject({ tMs: 123.5, boardTick: 777, onTimeMs: 0, meanExtensionUm: 632.5 });
    expect(books.inFlightCount).toBe(0);
    expect(books.currentDot).toBeUndefined();
    expect(books.dotsPlaced).toBe(0); // a burst cut short is not a placed dot
    expect(books.cutShort(200, 0)).toEqual([]); // never twice
    expect(books.deepestMeasuredUm(4)).toBe(655); // still known for the fault record
    expect(books.deepestMeasuredUm(9)).toBeUndefined();
  });

  it("the fault record names the dot in flight at detection, or the telemetry fault's own dot", () => {
    const board = { code: "STALL", source: "board", detail: "" } as const;
    const r = new FaultRecorder();
    r.detected(board, 10, 7);
    expect(r.complete((n) => (n === 7 ? 612 : undefined))).toMatchObject({ dot: 7, deepestMeasuredUm: 612 });
    r.detected({ ...board, dot: 3 }, 10, 7);
    expect(r.complete((n) => (n === 3 ? null : 999))).toMatchObject({ dot: 3, deepestMeasuredUm: null });
    r.detected(board, 10, undefined);
    const none = r.complete(() => 5)!;
    expect("dot" in none || "deepestMeasuredUm" in none).toBe(false);
  });
});
