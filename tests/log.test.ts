// The session record survives crashes: one complete line per record, a torn last line tolerated on read,
// a corrupt line elsewhere refused. The kill test stops a long run with SIGKILL mid-session.

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, truncateSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SessionFile, readSessionFile } from "../src/log/file.ts";
import { MemorySink, parkedText, parseSessionLog, stats, summarize } from "../src/log/records.ts";
import type { DotRecord, FaultRecord, SessionRecord } from "../src/log/records.ts";
import type { SessionSink } from "../src/ports/session-sink.ts";

const dir = () => mkdtempSync(join(tmpdir(), "smp-log-"));
const dot = (n: number, maxExtensionUm: number): DotRecord => ({
  type: "dot",
  n,
  zone: "crown",
  session: 1,
  tMs: n,
  boardTick: n,
  targetExtensionUm: 800,
  commandedExtensionUm: 900,
  maxExtensionUm,
  meanExtensionUm: maxExtensionUm - 5,
  telemetry: "complete",
  strokeCount: 8,
  plannedStrokes: 8,
  strokeHz: 119,
  commandedStrokeHz: 120,
  dutyPermille: 600,
  peakCurrentMa: 800,
  onTimeMs: 110,
});

describe("MemorySink", () => {
  // records.ts cannot say `implements SessionSink` (the port imports the record types: a type import cycle),
  // so tsc checks it here: every member of the port, and write's parameter exactly (a method's parameter
  // is bivariant, so a narrowed one would still pass the assignment alone)
  type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
  const sameWrite: Same<Parameters<MemorySink["write"]>, Parameters<SessionSink["write"]>> = true;

  it("is a SessionSink that keeps what is written, in order", () => {
    const memory = new MemorySink();
    const sink: SessionSink = memory satisfies SessionSink;
    sink.write(dot(1, 800));
    sink.write(dot(2, 810));
    expect(memory.records).toEqual([dot(1, 800), dot(2, 810)]);
    expect(sameWrite).toBe(true);
  });
});

describe("parkedText", () => {
  const fault = (parkedAfterMs: number | null, parkedMeasuredBy: FaultRecord["parkedMeasuredBy"]) => ({
    parkedAfterMs,
    parkedMeasuredBy,
  });

  it("says how long parking took, and whose clock measured it when asked", () => {
    expect(parkedText(fault(12.3, "board"))).toBe("after 12.3 ms");
    expect(parkedText(fault(12.3, "board"), true)).toBe("after 12.3 ms (board clock)");
    expect(parkedText(fault(0, "host"), true)).toBe("after 0 ms (host clock)");
  });

  it("says UNCONFIRMED when the board never confirmed, with or without the clock", () => {
    expect(parkedText(fault(null, "unconfirmed"))).toBe("UNCONFIRMED");
    expect(parkedText(fault(null, "unconfirmed"), true)).toBe("UNCONFIRMED");
  });

  it("says the needle stayed parked when the board was never armed, not a time measured by no clock", () => {
    expect(parkedText(fault(0, "never-armed"))).toBe("throughout (never armed)");
    expect(parkedText(fault(0, "never-armed"), true)).toBe("throughout (never armed)");
  });
});

describe("session record", () => {
  it("appends one line per record and reads them back", () => {
    const path = join(dir(), "a.jsonl");
    const f = new SessionFile(path);
    for (let i = 1; i <= 5; i++) f.write(dot(i, 800 + i));
    f.close();
    const { records, tornTail } = readSessionFile(path);
    expect(tornTail).toBe(false);
    expect(records.map((r) => (r as DotRecord).n)).toEqual([1, 2, 3, 4, 5]);
    // a second session never truncates nor mixes into an existing record
    expect(() => new SessionFile(path)).toThrow(/already exists/);
    expect(readSessionFile(path).records).toHaveLength(5);
  });

  it("tolerates a torn last line and loses only that record", () => {
    const path = join(dir(), "b.jsonl");
    const f = new SessionFile(path);
    for (let i = 1; i <= 4; i++) f.write(dot(i, 800));
    f.close();
    truncateSync(path, statSync(path).size - 20);
    const { records, tornTail } = readSessionFile(path);
    expect(tornTail).toBe(true);
    expect(records).toHaveLength(3);
  });

  it("refuses a corrupt line that is not the last", () => {
    const text = `${JSON.stringify(dot(1, 800))}\n{"type":"dot",\n${JSON.stringify(dot(3, 800))}\n`;
    expect(() => parseSessionLog(text)).toThrow(/line 2/);
  });

  it("summarises depth error, speed error and dots per zone", () => {
    const records: SessionRecord[] = [dot(1, 810), dot(2, 790), { ...dot(3, 850), zone: "hairline" }];
    const s = summarize(records);
    expect(s.dotsByZone).toEqual({ crown: 2, hairline: 1 });
    expect(s.depthErrorUm.max).toBe(50);
    expect(s.depthErrorUm.mean).toBeCloseTo((10 + 10 + 50) / 3);
    expect(s.speedErrorHz.mean).toBeCloseTo(1);
    expect(s.deepestStrokeUm).toBe(850);
    expect(stats([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).p99).toBe(10);
  });

  it("keeps a burst cut short out of the placed dots and the error figures, but not out of the deepest stroke", () => {
    const cut: DotRecord = { ...dot(3, 1368), partial: true, telemetry: "partial", strokeCount: 1, strokeHz: 60 };
    const s = summarize([dot(1, 810), dot(2, 790), cut]);
    expect(s.dotsByZone).toEqual({ crown: 2 });
    expect(s.cutShortDots).toBe(1);
    expect(s.partialDots).toBe(0);
    expect(s.depthErrorUm).toMatchObject({ n: 2, max: 10 });
    expect(s.speedErrorHz.n).toBe(2);
    expect(s.deepestStrokeUm).toBe(1368);
  });

  it("a run killed with SIGKILL mid-session leaves a readable record of every dot logged", async () => {
    const path = join(dir(), "killed.jsonl");
    // virtual time: no host-lateness stop can end the run early on a loaded machine, and 20,000 dots take far
    // longer than the wait for the first few
    const child = spawn(process.execPath, ["bin/smp.js", "run", "--virtual-time", "--dots", "20000", "--log", path], {
      stdio: "ignore",
    });
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    // wait until a few dots are on disk, then kill without warning
    const deadline = Date.now() + 30_000;
    const dotsOnDisk = () => (existsSync(path) ? (readFileSync(path, "utf8").match(/"type":"dot"/g) ?? []).length : 0);
    while (Date.now() < deadline && dotsOnDisk() < 4) await new Promise((r) => setTimeout(r, 50));
    expect(child.exitCode, "the run ended before it was killed").toBeNull();
    child.kill("SIGKILL");
    await exited;
    const { records } = parseSessionLog(readFileSync(path, "utf8"));
    const dots = records.filter((r): r is DotRecord => r.type === "dot");
    expect(records[0]!.type).toBe("header");
    expect(dots.length).toBeGreaterThanOrEqual(4);
    expect(dots.map((d) => d.n)).toEqual(dots.map((_, i) => i + 1));
    expect(records.some((r) => r.type === "end")).toBe(false);
  });
});
