// `smp session resume`: a hand-held session cut off (its record torn mid-line, as a kill or a power loss leaves
// it) is continued from its record: held until the operator re-arms, dot numbers and dots per zone carried on,
// appended to the same record. Virtual time, on the board model, through runHandHeld and the record file.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runHandHeld } from "../src/app/hand-held.ts";
import { resumePoint } from "../src/control/hand-held.ts";
import { SessionFile, readSessionFile } from "../src/log/file.ts";
import type { DotRecord, SegmentRecord } from "../src/log/records.ts";
import { loadDepthProfileFile, loadMachineFile } from "../src/profiles/files.ts";
import { parseTapsFile } from "../src/profiles/taps.ts";

const profile = loadDepthProfileFile("profiles/demo.json");
const machine = loadMachineFile("profiles/machines/rotary-pmu.json");
const taps = (n: number) =>
  Array.from({ length: n }, () => [
    { afterMs: 300, act: "press" },
    { afterMs: 200, act: "release" },
  ]).flat();

async function play(path: string, script: readonly object[], resume = false) {
  const file = new SessionFile(path, false, resume);
  const point = resume ? resumePoint(readSessionFile(path).records) : undefined;
  if (point && "why" in point) throw new Error(point.why);
  try {
    return await runHandHeld({
      profile,
      machine,
      session: 1,
      target: { kind: "sim", virtualTime: true },
      sink: file,
      startedAt: "test",
      taps: parseTapsFile(JSON.stringify(script), "taps"),
      ...(point ? { resume: point.resume } : {}),
    });
  } finally {
    file.close();
  }
}

describe("smp session resume", () => {
  it("continues a session cut off mid-record: held until re-armed, numbering and zone counts carried on", async () => {
    const dir = mkdtempSync(join(tmpdir(), "smp-resume-"));
    const path = join(dir, "s.jsonl");
    await play(path, [...taps(3), { afterMs: 200, act: "zone-up" }, ...taps(2), { afterMs: 300, act: "end" }]);
    // cut the record after the fifth dot's record, half-way into the next line: a process killed mid-write
    const lines = readFileSync(path, "utf8").split("\n");
    const fifth = lines.findIndex((l) => l.includes('"type":"dot"') && l.includes('"n":5,'));
    writeFileSync(path, lines.slice(0, fifth + 1).join("\n") + "\n" + lines[fifth + 1]!.slice(0, 20));
    const point = resumePoint(readSessionFile(path).records);
    expect(point).toMatchObject({ resume: { dots: 5, dotsPerZone: { hairline: 3, temples: 2 }, zone: "temples" } });

    // nothing fires until the operator's re-arm: the first press is before it
    const r = await play(
      path,
      [
        { afterMs: 100, act: "press" },
        { afterMs: 200, act: "release" },
        { afterMs: 300, act: "resume" },
        ...taps(2),
        { afterMs: 300, act: "end" },
      ],
      true,
    );
    expect(r.outcome).toMatchObject({ exitCode: 0, dotsPlaced: 7 });
    expect(r.outcome.dotsPerZone).toMatchObject({ hairline: 3, temples: 4 });
    const records = readSessionFile(path).records; // every line parses: the torn one was cut off
    const dots = records.filter((x): x is DotRecord => x.type === "dot");
    expect(dots.map((d) => d.n)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(dots.slice(5).every((d) => d.zone === "temples")).toBe(true);
    const segments = records.filter((x): x is SegmentRecord => x.type === "segment");
    expect(segments.map((s) => s.act)).toEqual(["start", "resume", "resume", "end"]);
    expect(segments[1]!.resumedFrom).toMatchObject({ dots: 5 });
  });

  it("refuses to resume a session the operator ended, and a record that is no hand-held session", async () => {
    const dir = mkdtempSync(join(tmpdir(), "smp-resume-"));
    const path = join(dir, "s.jsonl");
    await play(path, [...taps(1), { afterMs: 300, act: "end" }]);
    expect(resumePoint(readSessionFile(path).records)).toEqual({ why: expect.stringMatching(/ended that session/) });
    expect(resumePoint([])).toEqual({ why: expect.stringMatching(/not the record of a hand-held session/) });
  });
});
