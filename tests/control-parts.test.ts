// The pure parts beside the session controller, each on its own: the handshake check (INFO against what the
// host speaks and needs), the scripted dot source, the dot pacer, dot accounting (records, partial vs
// complete, loops fed only from complete dots, stroke faults) and fault recording (who measured the parking).

import { TEST_BOARD_INFO } from "./fixtures/board-info.ts";
import { describe, expect, it } from "vitest";
import { loadDepthProfileFile, loadMachineFile } from "../src/profiles/files.ts";
import type { DotSettings } from "../src/profiles/load.ts";
import * as handshake from "../src/control/handshake.ts";
const { MIN_COMMAND_MARGIN_UM } = handshake;
import { ScriptedDotSource, planSession, type PlannedDot } from "../src/control/dot-source.ts";
import { DotPacer } from "../src/control/pacing.ts";
import { DEFAULT_TIMING } from "../src/control/timing.ts";
import { DotAccounting } from "../src/control/accounting.ts";
import { FaultRecorder, parkedMessage } from "../src/control/fault-recorder.ts";

const profile = loadDepthProfileFile("profiles/demo.json");
const machine = loadMachineFile("profiles/machines/rotary-pmu.json");
const plan = planSession(profile, 1, 8);

const INFO = TEST_BOARD_INFO;
const needs = { profile, machine, leaseMs: 250, settings: plan.map((d) => d.settings) };
const fields = (info: Partial<handshake.BoardInfo>, more: Partial<typeof needs> = {}) =>
  handshake.checkBoard({ ...INFO, ...info }, { ...needs, ...more }).map((p) => p.field);

describe("handshake check", () => {
  it("a board that fits has no problem", () => {
    expect(handshake.checkBoard(INFO, needs)).toEqual([]);
  });

  it("names each problem of the board itself (exit 3: not only the limits)", () => {
    const problems = handshake.checkBoard(
      { ...INFO, protocol: 9, schema: "deadbeef", hardMaxLeaseMs: 100, queueSlots: 0, clockHz: 999 },
      needs,
    );
    expect(problems.map((p) => p.field)).toEqual([
      "board.protocol",
      "board.schema",
      "board.hardMaxLeaseMs",
      "board.queueSlots",
      "board.clockHz",
    ]);
    expect(problems[2]).toEqual({ field: "board.hardMaxLeaseMs", value: 100, limit: "below the host's lease 250 ms" });
    expect(handshake.limitsOnly(problems)).toBe(false);
  });

  it("checks the envelope, the profile and the machine current against the hard limits (exit 2)", () => {
    expect(fields({ hardMaxExtensionUm: 1100 })).toContain("envelope.standard.extensionUm.max");
    expect(fields({ hardMaxCurrentMa: 1000 })).toEqual(["machine.drive.maxCurrentMa"]);
    expect(fields({ hardMaxStrokeHz: 100 }).some((f) => f.endsWith("strokeHz"))).toBe(true);
    const problems = handshake.checkBoard({ ...INFO, hardMaxCurrentMa: 1000 }, needs);
    expect(handshake.limitsOnly(problems)).toBe(true);
    expect(handshake.mismatchMessage(problems)).toBe(
      "refusing to arm: the board does not match:\n" +
        "  machine.drive.maxCurrentMa = 1200: above board hard maximum 1000 mA",
    );
  });

  it(`refuses a target past the command cap (the host's ${MIN_COMMAND_MARGIN_UM} um minimum), a problem a zone`, () => {
    const m40 = { ...machine, calibration: { ...machine.calibration, overtravelUm: 40 } };
    const capUm = 1500 - MIN_COMMAND_MARGIN_UM;
    const deep: DotSettings = { ...plan[0]!.settings, targetExtensionUm: capUm + 1 };
    const problems = handshake.checkBoard(INFO, { ...needs, machine: m40, settings: [deep, deep, plan[6]!.settings] });
    expect(problems).toEqual([
      {
        field: "hairline.session1.targetExtensionUm",
        value: capUm + 1,
        limit:
          `above the command cap ${capUm} um: board hard maximum 1500 um ` +
          `less the host's ${MIN_COMMAND_MARGIN_UM} um margin`,
      },
    ]);
    expect(handshake.limitsOnly(problems)).toBe(true); // exit 2: the profile and machine, not the board
    // 40 um of overtravel is inside the host's minimum: the cap is the minimum's, and a target at it is taken
    expect(handshake.commandCapUm(INFO, 40)).toBe(capUm);
    const atCap = [{ ...deep, targetExtensionUm: capUm }];
    expect(handshake.checkBoard(INFO, { ...needs, machine: m40, settings: atCap })).toEqual([]);
  });

  it("takes the margin from the machine file: more overtravel, a shallower deepest target", () => {
    const heavy = { ...machine, calibration: { ...machine.calibration, overtravelUm: 300 } };
    const at = (targetExtensionUm: number) =>
      handshake.checkBoard(INFO, { ...needs, machine: heavy, settings: [{ ...plan[0]!.settings, targetExtensionUm }] });
    expect(at(1199)).toEqual([]);
    expect(at(1200)).toEqual([
      {
        field: "hairline.session1.targetExtensionUm",
        value: 1200,
        limit:
          "above the command cap 1199 um: plus machine overtravelUm 300 um it would reach board hard maximum 1500 um",
      },
    ]);
    // no overtravel at all: the host's minimum margin still holds
    expect(handshake.commandCapUm({ ...INFO, hardMaxExtensionUm: 1200 }, 0)).toBe(1200 - MIN_COMMAND_MARGIN_UM);
  });

  it("builds the header from INFO and the session", () => {
    const header = handshake.headerRecord(INFO, {
      startedAt: "t0",
      profile,
      machine,
      session: 1,
      plannedDots: 8,
      transport: "sim:rotary",
    });
    expect(header).toMatchObject({
      type: "header",
      format: "smp-session/1",
      plannedDots: 8,
      board: { firmware: "test-1", bootId: 7, clockHz: 10_000 },
      hardMaxExtensionUm: 1500,
      envelope: "standard",
      machine: { kind: "rotary", hash: machine.hash },
    });
  });
});

describe("scripted dot source", () => {
  it("spreads the dots over the session's zones in file order", () => {
    expect(plan.map((d) => d.n)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(plan.map((d) => d.settings.zone)).toEqual([
      ...["hairline", "hairline", "temples", "temples"],
      ...["mid-scalp", "mid-scalp", "crown", "crown"],
    ]);
  });

  it("offers the dots in order, sends a late one and those after it again, and runs out", () => {
    const source = new ScriptedDotSource(plan.slice(0, 3));
    expect(source.plannedDots).toBe(3);
    expect(source.settings).toHaveLength(3);
    const taken: number[] = [];
    const take = () => {
      const d = source.next()!;
      taken.push(d.n);
      source.taken(d.n);
    };
    take();
    take();
    expect(source.next()?.n).toBe(3);
    source.resendFrom(2);
    take();
    take();
    expect(source.exhausted).toBe(true);
    expect(source.next()).toBeUndefined();
    expect(taken).toEqual([1, 2, 2, 3]);
  });

  it("finds a dot by its number, not its place: numbers that are not 1..N, unknown numbers ignored", () => {
    // numbers unlike their places (and out of order), so that an index of n - 1 or n would go wrong
    const numbered = [30, 10, 40, 20].map((n, i) => ({ n, settings: plan[i]!.settings }));
    const source = new ScriptedDotSource(numbered);
    expect(source.next()?.n).toBe(30);
    source.taken(10);
    expect(source.next()?.n).toBe(40);
    source.taken(99); // not in the plan: nothing moves
    expect(source.next()?.n).toBe(40);
    source.resendFrom(30);
    expect(source.next()?.n).toBe(30);
    source.resendFrom(7);
    expect(source.next()?.n).toBe(30);
    source.taken(40);
    expect(source.next()?.n).toBe(20);
    expect(source.exhausted).toBe(false);
    source.taken(20);
    expect(source.exhausted).toBe(true);
    source.resendFrom(10);
    expect(source.next()?.n).toBe(10);
    expect(source.exhausted).toBe(false);
  });

  it("keeps the first place of a repeated number, as a search from the start would", () => {
    const repeated = [1, 2, 1, 3].map((n, i) => ({ n, settings: plan[i]!.settings }));
    const source = new ScriptedDotSource(repeated);
    source.taken(1);
    expect(source.next()).toBe(repeated[1]);
    source.taken(3);
    source.resendFrom(1);
    expect(source.next()).toBe(repeated[0]);
  });
});

describe("dot pacer", () => {
  const clockHz = 10_000; // 10 ticks per ms
  const pacer = () => new DotPacer(DEFAULT_TIMING, clockHz, 300);

  it("starts the first dot a lead from now and keeps the profile's interval after it", () => {
    const p = pacer();
    expect(p.due(1000)).toBe(1000 + 800); // lead 80 ms
    p.sent();
    expect(p.due(1000 + 100)).toBeUndefined(); // the next one starts at 1000 + 800 + 3000: not due yet
    expect(p.due(1000 + 3000)).toBe(1000 + 3800);
  });

  it("a dot that would start too soon starts a lead from now instead; reset forgets the schedule", () => {
    const p = pacer();
    p.due(0);
    p.sent(); // next at 3800
    expect(p.due(3600)).toBe(3600 + 800); // only 20 ms left, under a third of the lead
    p.reset();
    expect(p.due(5000)).toBe(5800);
  });

  it("wraps with the board's u32 tick", () => {
    const p = pacer();
    expect(p.due(0xffff_ff00)).toBe((0xffff_ff00 + 800) >>> 0);
    expect(p.leaseTick(0xffff_ff00)).toBe((0xffff_ff00 + 2500) >>> 0);
  });

  it("a keep-alive is due when no lease went out for keepEveryMs", () => {
    const p = pacer();
    expect(p.keepDue(0)).toBe(true);
    p.leased(100);
    expect(p.keepDue(139)).toBe(false);
    expect(p.keepDue(140)).toBe(true);
  });
});

describe("dot accounting", () => {
  const dot: PlannedDot = plan[0]!; // hairline: 650 um, 110 Hz, 6 strokes
  const stroke = (n: number, extensionUm: number, periodUs = 9091, currentMa = 500) => ({
    dot: dot.n,
    stroke: n,
    extensionUm,
    periodUs,
    currentMa,
  });
  const dotEnd = (strokes: number) => ({ dot: dot.n, strokes, maxExtensionUm: 660, onTimeUs: 60_000, tick: 1234 });

  function sentOne() {
    const books = new DotAccounting(machine.calibration);
    books.capAt(1400);
    const command = books.command(dot.settings);
    books.sent(dot, command);
    return { books, command };
  }

  it("a dot with all its strokes and DOTEND is complete and feeds the depth loop", () => {
    const { books, command } = sentOne();
    expect(command.commandedExtensionUm).toBe(Math.round(650 * 1.08)); // the initial correction
    for (let i = 1; i <= 6; i++) expect(books.stroke(stroke(i, 600), 1500)).toBeUndefined();
    const record = books.end(dot.n, 400, () => 999, dotEnd(6))!;
    expect(record).toMatchObject({
      n: 1,
      zone: "hairline",
      telemetry: "complete",
      strokeCount: 6,
      meanExtensionUm: 600,
      maxExtensionUm: 660,
      boardTick: 1234,
      onTimeMs: 60,
      commandedExtensionUm: command.commandedExtensionUm,
      peakCurrentMa: 500,
    });
    expect(books.dotsPlaced).toBe(1);
    expect(books.inFlightCount).toBe(0);
    // measured 50 um shallow: the next hairline dot is commanded deeper
    expect(books.command(dot.settings).commandedExtensionUm).toBeGreaterThan(command.commandedExtensionUm);
  });

  it("a dot whose DOTEND was lost is partial, from the strokes that arrived, and feeds no loop", () => {
    const { books, command } = sentOne();
    books.stroke(stroke(1, 600), 1500);
    books.stroke(stroke(2, 640), 1500);
    expect(books.through(0)).toEqual([]);
    expect(books.through(1)).toEqual([1]);
    const record = books.end(dot.n, 400, () => 999, undefined)!;
    expect(record).toMatchObject({ telemetry: "partial", strokeCount: 2, maxExtensionUm: 640, boardTick: 999 });
    expect(record.onTimeMs).toBe(0);
    expect(books.command(dot.settings)).toEqual(command);
    expect(books.end(dot.n, 500, () => 0, undefined)).toBeUndefined(); // ended once only
  });

  it("a DOTEND with strokes missing is partial too", () => {
    const { books } = sentOne();
    books.stroke(stroke(1, 600), 1500);
    expect(books.end(dot.n, 400, () => 999, dotEnd(6))!.telemetry).toBe("partial");
  });

  it("an implausible stroke or a stall is a host fault naming the dot", () => {
    const deep = sentOne().books.stroke(stroke(1, 1510), 1500);
    expect(deep).toMatchObject({ code: "DEPTH_DEVIATION", dot: 1 });
    expect(deep!.detail).toMatch(/^dot 1 stroke 1: measured extension 1510 um above board hard maximum 1500 um/);
    const { books } = sentOne();
    let stalled;
    for (let i = 1; i <= 20 && !stalled; i++) stalled = books.stroke(stroke(i, 600, 20_000), 1500); // 50 Hz of 110
    expect(stalled).toMatchObject({ code: "HOST_STALL", dot: 1 });
    expect(sentOne().books.stroke({ ...stroke(1, 600), dot: 9 }, 1500)).toBeUndefined(); // not in flight
  });

  it("a late dot leaves the books with every later one, and counts in a row until a dot ends", () => {
    const books = new DotAccounting(machine.calibration);
    for (const d of plan.slice(0, 3)) books.sent(d, books.command(d.settings));
    expect(books.late(9)).toBe(false);
    expect(books.late(2)).toBe(true);
    expect(books.through(99)).toEqual([1]);
    expect(books.lateDotsInARow).toBe(1);
    books.end(1, 0, () => 0, undefined);
    expect(books.lateDotsInARow).toBe(0);
  });
});

describe("fault recording", () => {
  const hostFault = { code: "HOST_STALL", source: "host", detail: "stalled", dot: 4 } as const;
  const boardFault = { code: "OVER_CURRENT", source: "board", detail: "board latched OVER_CURRENT" } as const;
  /** The board's ALARM frame for a latch the host's clock puts at atMs. */
  const alarm = (code: number, parkedUs: number, atMs: number) => ({
    frame: { alarm: code, tick: 1234, parkedUs },
    clock: { hostMsAt: (tick: number) => (tick === 1234 ? atMs : NaN) },
  });

  it("a host fault is measured by the host, from detection to the first sight of the needle parked", () => {
    const r = new FaultRecorder();
    r.detected(hostFault, 100);
    r.detected(boardFault, 101); // first cause wins
    expect(r.pendingSinceMs).toBe(100);
    r.parkedSeen(112.34);
    r.parkedSeen(150);
    r.boardStatus("STALL"); // the latest STATUS says what the board has latched now
    const record = r.complete()!;
    expect(r.records).toEqual([record]);
    expect(record).toEqual({
      type: "fault",
      tMs: 100,
      code: "HOST_STALL",
      codeNumber: expect.any(Number),
      source: "host",
      detail: "stalled",
      parkedAfterMs: 12.3,
      parkedMeasuredBy: "host",
      boardAlarm: "STALL",
      dot: 4,
    });
    expect(r.pendingSinceMs).toBeUndefined();
    expect(r.complete()).toBeUndefined();
    expect(parkedMessage(record)).toBe("safety fault HOST_STALL: stalled; needle parked after 12.3 ms");
  });

  it("a board fault takes the board's own measurement and latch from its ALARM frame", () => {
    const r = new FaultRecorder();
    r.detected(boardFault, 200);
    r.boardStatus("OVER_CURRENT");
    r.parkedSeen(210);
    const a = alarm(7, 3250, 199.5);
    expect(r.alarmFrame(a.frame, a.clock, 230)).toBe(true);
    expect(r.complete()).toMatchObject({
      parkedAfterMs: 3.3,
      parkedMeasuredBy: "board",
      boardAlarm: "OVER_CURRENT",
      boardEvent: { alarm: "OVER_CURRENT", tick: 1234, parkedUs: 3250, atMs: 199.5 },
    });
    expect(r.alarmFrame(a.frame, a.clock, 240)).toBe(false); // nothing pending: the frame means nothing
  });

  it("a host fault keeps its own measure when the board latched after it; no word at all is unknown", () => {
    const r = new FaultRecorder();
    r.detected(hostFault, 0);
    const a = alarm(2, 3000, 5); // the E-STOP the host asked for, latched 5 ms after the detection
    r.alarmFrame(a.frame, a.clock, 20);
    expect(r.complete()).toMatchObject({ parkedAfterMs: 20, parkedMeasuredBy: "host", boardAlarm: "ESTOP" });
    r.detected({ code: "STOP", source: "host", detail: "operator stop" }, 50);
    const record = r.complete()!;
    expect(record).toMatchObject({ parkedAfterMs: null, parkedMeasuredBy: "unconfirmed", boardAlarm: "unknown" });
    expect(record.parkNote).toMatch(/no word from the board since the detection/);
    expect(record).not.toHaveProperty("dot");
    expect(parkedMessage(record)).toBe("stopped STOP: operator stop; needle parked UNCONFIRMED");
  });

  it("a board that latched before the host detected its fault: the board's figure, and the record says so", () => {
    const r = new FaultRecorder();
    r.detected({ code: "HOST_LATE", source: "host", detail: "late", asleepFromMs: 870 }, 1867);
    r.boardStatus("LEASE_EXPIRED");
    r.parkedSeen(1867);
    const a = alarm(4, 250, 1085.1);
    r.alarmFrame(a.frame, a.clock, 1867);
    const record = r.complete()!;
    expect(record).toMatchObject({
      code: "HOST_LATE",
      parkedAfterMs: 0.3,
      parkedMeasuredBy: "board",
      boardAlarm: "LEASE_EXPIRED",
      boardEvent: { alarm: "LEASE_EXPIRED", tick: 1234, parkedUs: 250, atMs: 1085.1 },
      hostAsleep: { fromMs: 870, wokeAtMs: 1867 },
    });
    expect(record.parkNote).toMatch(/latched LEASE_EXPIRED 781.9 ms before the host detected its fault/);
  });

  it("an ACTUATOR_FAULT board cannot confirm a park: its feedback is what failed", () => {
    const r = new FaultRecorder();
    r.detected({ code: "ACTUATOR_FAULT", source: "board", detail: "board latched ACTUATOR_FAULT" }, 10);
    r.boardStatus("ACTUATOR_FAULT");
    const a = alarm(20, 0, 9); // the feedback froze at the park position: it reads parked at once
    r.alarmFrame(a.frame, a.clock, 12);
    const record = r.complete()!;
    expect(record).toMatchObject({ parkedAfterMs: null, parkedMeasuredBy: "unconfirmed" });
    expect(record.parkNote).toMatch(/actuator feedback, its only evidence of the park, is what failed/);
  });

  it("a refusal at the handshake is recorded at once, never armed", () => {
    const r = new FaultRecorder();
    const record = r.neverArmed({ code: "HANDSHAKE_MISMATCH", source: "host", detail: "no" }, 42.06);
    expect(r.records).toEqual([record]);
    expect(record).toEqual({
      type: "fault",
      tMs: 42.1,
      code: "HANDSHAKE_MISMATCH",
      codeNumber: 57,
      source: "host",
      detail: "no",
      parkedAfterMs: 0,
      parkedMeasuredBy: "never-armed",
    });
  });
});
