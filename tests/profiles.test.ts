// Profiles module: the example files load, the invalid files fail for the one reason listed in
// profiles/invalid/README.md, envelope boundaries are exact, and the per-dot helpers compute what they claim.

import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SmpError } from "../src/errors/errors.ts";
import type { HardLimits } from "../src/safety/limits.ts";
import { loadDepthProfileFile, loadMachineFile } from "../src/profiles/files.ts";
import {
  dotSettings,
  parseDepthProfile,
  parseMachineCalibration,
  profileFitsBoard,
  zonesForSession,
} from "../src/profiles/load.ts";
import type { DepthProfile } from "../src/profiles/schema.ts";

const PROFILES_DIR = fileURLToPath(new URL("../profiles/", import.meta.url));
const INVALID_DIR = join(PROFILES_DIR, "invalid");
const MACHINES_DIR = join(PROFILES_DIR, "machines");
const jsonFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort();
const text = (path: string) => readFileSync(path, "utf8");
const HEX64 = /^[0-9a-f]{64}$/;
const BOARD: HardLimits = {
  hardMaxExtensionUm: 1500,
  hardMaxStrokeHz: 160,
  hardMaxCurrentMa: 3000,
  hardMaxDwellMs: 300,
  hardMaxLeaseMs: 1000,
};

/** Runs fn, expecting an SmpError; returns it. */
function smpErrorOf(fn: () => unknown): SmpError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SmpError);
    return e as SmpError;
  }
  throw new Error("expected an SmpError, but nothing was thrown");
}

const load = (name: string) => loadDepthProfileFile(join(PROFILES_DIR, name)).profile;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- profile JSON edited freely to make bad cases
type Mutable = Record<string, any>;
const hairlineJson = (): Mutable => JSON.parse(text(join(PROFILES_DIR, "hairline-session1.json"))) as Mutable;
const parseObj = (obj: unknown) => parseDepthProfile(JSON.stringify(obj), "test");

describe("example files", () => {
  it.each(jsonFiles(PROFILES_DIR))("profiles/%s loads, with the sha256 of its bytes", (name) => {
    const path = join(PROFILES_DIR, name);
    const loaded = loadDepthProfileFile(path);
    expect(loaded.hash).toMatch(HEX64);
    expect(loaded.hash).toBe(createHash("sha256").update(readFileSync(path)).digest("hex"));
    expect(loaded.source).toBe(path);
    expect(profileFitsBoard(loaded.profile, BOARD)).toEqual([]);
  });

  it.each(jsonFiles(MACHINES_DIR))("profiles/machines/%s loads", (name) => {
    const loaded = loadMachineFile(join(MACHINES_DIR, name));
    expect(loaded.hash).toMatch(HEX64);
    expect(["rotary", "coil"]).toContain(loaded.calibration.machine);
  });

  it("has all the expected examples", () => {
    expect(jsonFiles(PROFILES_DIR)).toEqual([
      "crown.json",
      "demo.json",
      "density-session2.json",
      "hairline-session1.json",
      "scar-camouflage.json",
    ]);
    expect(jsonFiles(MACHINES_DIR)).toEqual(["coil-short.json", "rotary-pmu.json"]);
  });

  it("demo.json has hairline, temples, mid-scalp and crown with sessions 1-3, one zone using dwellMs", () => {
    const demo = load("demo.json");
    expect(demo.zones.map((z) => z.zone)).toEqual(["hairline", "temples", "mid-scalp", "crown"]);
    for (const z of demo.zones) expect(z.sessions.map((s) => s.session)).toEqual([1, 2, 3]);
    expect(
      demo.zones.some((z) => z.sessions.every((s) => s.dwellMs !== undefined && s.strokesPerDot === undefined)),
    ).toBe(true);
  });

  it("changing one byte changes the hash; whitespace alone changes the hash but not the profile", () => {
    const original = text(join(PROFILES_DIR, "demo.json"));
    const a = parseDepthProfile(original, "a");
    const oneByte = original.replace('"targetExtensionUm": 650', '"targetExtensionUm": 651');
    expect(oneByte).not.toBe(original);
    const b = parseDepthProfile(oneByte, "b");
    expect(b.hash).not.toBe(a.hash);
    const spaced = parseDepthProfile(original + " ", "c");
    expect(spaced.hash).not.toBe(a.hash);
    expect(spaced.profile).toEqual(a.profile);
  });

  it("loaded profiles are frozen", () => {
    const p = load("demo.json");
    expect(Object.isFrozen(p)).toBe(true);
    expect(Object.isFrozen(p.zones)).toBe(true);
    expect(Object.isFrozen(p.zones[0]?.sessions[0]?.needle)).toBe(true);
  });
});

interface InvalidRow {
  readonly file: string;
  readonly kind: "profile" | "machine";
  readonly code: string;
  readonly field: string;
  readonly value: string;
}

/** The table in profiles/invalid/README.md, located by its header names. */
function readInvalidTable(): InvalidRow[] {
  const lines = text(join(INVALID_DIR, "README.md"))
    .split("\n")
    .filter((l) => l.trim().startsWith("|"));
  const cells = (l: string) =>
    l
      .trim()
      .replace(/^\||\|$/g, "")
      .split("|")
      .map((c) => c.trim().replace(/^`(.*)`$/, "$1"));
  const header = cells(lines[0] ?? "");
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`README table has no "${name}" column`);
    return i;
  };
  const [file, kind, code, field, value] = ["file", "kind", "code", "field", "value"].map(col) as [
    number,
    number,
    number,
    number,
    number,
  ];
  return lines.slice(2).map((l) => {
    const c = cells(l);
    const k = c[kind];
    if (k !== "profile" && k !== "machine") throw new Error(`bad kind in README row: ${l}`);
    return { file: c[file] ?? "", kind: k, code: c[code] ?? "", field: c[field] ?? "", value: c[value] ?? "" };
  });
}

describe("invalid files", () => {
  const rows = readInvalidTable();

  it("every invalid file has exactly one README row and every row a file; at least 12", () => {
    expect(rows.map((r) => r.file).sort()).toEqual(jsonFiles(INVALID_DIR));
    expect(new Set(rows.map((r) => r.file)).size).toBe(rows.length);
    expect(rows.length).toBeGreaterThanOrEqual(12);
    expect(rows.some((r) => r.kind === "machine")).toBe(true);
  });

  it.each(rows)("$file fails on $field", (row) => {
    const path = join(INVALID_DIR, row.file);
    const err = smpErrorOf(() => (row.kind === "profile" ? loadDepthProfileFile(path) : loadMachineFile(path)));
    expect(err.code).toBe(row.code);
    expect(err.details).toHaveLength(1); // exactly one reason
    expect(err.details[0]?.field).toBe(row.field);
    expect(JSON.stringify(err.details[0]?.value)).toBe(row.value);
    expect(err.message).toContain(row.value);
    expect(err.message).toContain(path);
    expect(err.details[0]?.limit).not.toBe("");
  });

  it("machine files are refused by the profile parser and vice versa", () => {
    const machine = text(join(MACHINES_DIR, "rotary-pmu.json"));
    expect(smpErrorOf(() => parseDepthProfile(machine, "m")).code).toBe("INVALID_INPUT");
    const profile = text(join(PROFILES_DIR, "demo.json"));
    expect(smpErrorOf(() => parseMachineCalibration(profile, "p")).code).toBe("INVALID_INPUT");
  });
});

describe("every problem is listed in one error", () => {
  it("shape problems", () => {
    const p = hairlineJson();
    p["author"] = "x";
    p.zones[0].sessions[0].strokeHz = "fast";
    p.zones[0].sessions[0].needle.configuration = "4RL";
    const err = smpErrorOf(() => parseObj(p));
    expect(err.code).toBe("INVALID_INPUT");
    expect(err.details.map((d) => d.field).sort()).toEqual([
      "author",
      "zones[0].sessions[0].needle.configuration",
      "zones[0].sessions[0].strokeHz",
    ]);
    expect(err.details.find((d) => d.field === "author")?.limit).toBe("unknown key");
  });

  it("a missing required key is named, not defaulted", () => {
    const p = hairlineJson();
    delete p.zones[0].sessions[0].densityDotsPerCm2;
    delete p["dotIntervalMs"];
    const err = smpErrorOf(() => parseObj(p));
    expect(err.details.map((d) => [d.field, d.limit])).toEqual([
      ["dotIntervalMs", "required: expected number"],
      ["zones[0].sessions[0].densityDotsPerCm2", "required: expected number"],
    ]);
  });

  it("envelope problems", () => {
    const p = hairlineJson();
    p.zones[0].sessions[0].targetExtensionUm = 1300;
    p.zones[0].sessions[0].strokeHz = 200;
    p.zones[0].sessions[0].needle.diameterMm = 0.1;
    const err = smpErrorOf(() => parseObj(p));
    expect(err.code).toBe("LIMIT");
    expect(err.details.map((d) => [d.field, d.value, d.limit])).toEqual([
      ["zones[0].sessions[0].needle.diameterMm", 0.1, "below standard envelope minimum 0.18 mm"],
      ["zones[0].sessions[0].targetExtensionUm", 1300, "above standard envelope maximum 1200 um"],
      ["zones[0].sessions[0].strokeHz", 200, "above standard envelope maximum 150 Hz"],
    ]);
  });

  it("a missing file names the path", () => {
    const path = join(PROFILES_DIR, "no-such-profile.json");
    const err = smpErrorOf(() => loadDepthProfileFile(path));
    expect(err.code).toBe("INVALID_INPUT");
    expect(err.message).toContain(path);
    expect(err.details[0]?.value).toBe(path);
  });
});

describe("envelope boundaries: at the limit passes, one unit beyond fails", () => {
  type Edit = (p: Mutable, s: Mutable) => void;
  /** Switches the session to dwellMs at 100 Hz, where every whole-ms dwell is a whole number of strokes. */
  const useDwell = (s: Mutable, dwellMs: number) => {
    delete s["strokesPerDot"];
    Object.assign(s, { dwellMs, strokeHz: 100 });
  };
  const cases: [string, string, Edit, Edit][] = [
    [
      "extension max",
      "targetExtensionUm",
      (_p, s) => (s.targetExtensionUm = 1200),
      (_p, s) => (s.targetExtensionUm = 1201),
    ],
    [
      "extension min",
      "targetExtensionUm",
      (_p, s) => (s.targetExtensionUm = 200),
      (_p, s) => (s.targetExtensionUm = 199),
    ],
    [
      "engineer extension max",
      "targetExtensionUm",
      (p, s) => ((p.envelope = "engineer"), (s.targetExtensionUm = 1400)),
      (p, s) => ((p.envelope = "engineer"), (s.targetExtensionUm = 1401)),
    ],
    ["stroke rate max", "strokeHz", (_p, s) => (s.strokeHz = 150), (_p, s) => (s.strokeHz = 151)],
    ["stroke rate min", "strokeHz", (_p, s) => (s.strokeHz = 30), (_p, s) => (s.strokeHz = 29)],
    [
      "strokes per dot max",
      "strokesPerDot",
      (_p, s) => ((s.strokeHz = 150), (s.strokesPerDot = 30)),
      (_p, s) => ((s.strokeHz = 150), (s.strokesPerDot = 31)),
    ],
    [
      "implied dwell max",
      "strokesPerDot",
      (_p, s) => ((s.strokeHz = 100), (s.strokesPerDot = 25)),
      (_p, s) => ((s.strokeHz = 100), (s.strokesPerDot = 26)),
    ],
    ["dwell max", "dwellMs", (_p, s) => useDwell(s, 250), (_p, s) => useDwell(s, 251)],
    ["dwell min", "dwellMs", (_p, s) => useDwell(s, 10), (_p, s) => useDwell(s, 9)],
    [
      "needle max",
      "needle.diameterMm",
      (_p, s) => (s.needle.diameterMm = 0.35),
      (_p, s) => (s.needle.diameterMm = 0.36),
    ],
    [
      "needle min",
      "needle.diameterMm",
      (_p, s) => (s.needle.diameterMm = 0.18),
      (_p, s) => (s.needle.diameterMm = 0.17),
    ],
    ["dot interval max", "dotIntervalMs", (p) => (p.dotIntervalMs = 10_000), (p) => (p.dotIntervalMs = 10_001)],
    // 200 ms interval = 70 ms dwell + 80 ms burst overhead (LINK.burstOverheadMs) + 50 ms free
    [
      "50 ms free after the burst",
      "dwellMs",
      (p, s) => ((p.dotIntervalMs = 200), useDwell(s, 70)),
      (p, s) => ((p.dotIntervalMs = 200), useDwell(s, 71)),
    ],
  ];
  const edited = (edit: Edit) => {
    const p = hairlineJson();
    edit(p, p.zones[0].sessions[0]);
    return p;
  };

  it.each(cases)("%s", (_name, field, atLimit, beyond) => {
    expect(() => parseObj(edited(atLimit))).not.toThrow();
    const err = smpErrorOf(() => parseObj(edited(beyond)));
    expect(err.code).toBe("LIMIT");
    expect(err.details).toHaveLength(1);
    const expected = field === "dotIntervalMs" ? field : `zones[0].sessions[0].${field}`;
    expect(err.details[0]?.field).toBe(expected);
  });

  it("a dwellMs session is checked on the burst the board will run (whole strokes at strokeHz)", () => {
    const at = (dwellMs: number, strokeHz: number) => {
      const p = hairlineJson();
      delete p.zones[0].sessions[0].strokesPerDot;
      Object.assign(p.zones[0].sessions[0], { dwellMs, strokeHz });
      return p;
    };
    expect(() => parseObj(at(200, 150))).not.toThrow(); // 30 strokes, 200 ms
    expect(smpErrorOf(() => parseObj(at(210, 150))).details).toEqual([
      {
        field: "zones[0].sessions[0].dwellMs",
        value: 210,
        limit: "210 ms at 150 Hz is 32 strokes: above standard envelope maximum 30 strokes",
      },
    ]);
    expect(smpErrorOf(() => parseObj(at(250, 110))).details).toEqual([
      {
        field: "zones[0].sessions[0].dwellMs",
        value: 250,
        limit: "burst of 28 strokes at 110 Hz lasts 254.5 ms: above standard envelope maximum 250 ms",
      },
    ]);
  });

  it("any extension passes exactly when it is inside 200..1200 um (standard)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3000 }), (extensionUm) => {
        const p = hairlineJson();
        p.zones[0].sessions[0].targetExtensionUm = extensionUm;
        const inside = extensionUm >= 200 && extensionUm <= 1200;
        if (inside) expect(parseObj(p).profile.zones[0]?.sessions[0]?.targetExtensionUm).toBe(extensionUm);
        else expect(smpErrorOf(() => parseObj(p)).code).toBe("LIMIT");
      }),
      { numRuns: 200 },
    );
  });

  it("machine stroke ranges are per kind", () => {
    const m = JSON.parse(text(join(MACHINES_DIR, "rotary-pmu.json"))) as Mutable;
    const strokeOk = (machine: string, strokeUm: number) => {
      try {
        parseMachineCalibration(JSON.stringify({ ...m, machine, strokeUm }), "m");
        return true;
      } catch (e) {
        expect((e as SmpError).details[0]?.field).toBe("strokeUm");
        return false;
      }
    };
    expect([
      strokeOk("rotary", 1500),
      strokeOk("rotary", 1499),
      strokeOk("rotary", 5000),
      strokeOk("rotary", 5001),
    ]).toEqual([true, false, true, false]);
    expect([strokeOk("coil", 2500), strokeOk("coil", 2499), strokeOk("coil", 3800), strokeOk("coil", 3801)]).toEqual([
      true,
      false,
      true,
      false,
    ]);
  });
});

describe("dotSettings", () => {
  it("with strokesPerDot: dwell is strokes / rate", () => {
    const d = dotSettings(load("demo.json"), "hairline", 1);
    expect(d).toMatchObject({ zone: "hairline", session: 1, targetExtensionUm: 650, strokeHz: 110, strokes: 6 });
    expect(d.needle).toEqual({ configuration: "1RL", diameterMm: 0.2 });
    expect(d.dwellMs).toBeCloseTo(6000 / 110, 9);
  });

  it("with dwellMs: strokes are round(dwell * rate), at least 1", () => {
    const temples = dotSettings(load("demo.json"), "temples", 1);
    expect(temples).toMatchObject({ zone: "temples", session: 1, strokeHz: 100, strokes: 6, dwellMs: 60 });
    const at = (dwellMs: number, strokeHz: number) => {
      const p = hairlineJson();
      const s = p.zones[0].sessions[0];
      delete s.strokesPerDot;
      Object.assign(s, { dwellMs, strokeHz });
      return dotSettings(parseObj(p).profile, "hairline", 1);
    };
    expect(at(65, 110)).toMatchObject({ strokes: 7, dwellMs: 65 }); // 7.15
    expect(at(68, 110)).toMatchObject({ strokes: 7, dwellMs: 68 }); // 7.48
    expect(at(69, 110)).toMatchObject({ strokes: 8, dwellMs: 69 }); // 7.59
    expect(at(10, 30)).toMatchObject({ strokes: 1, dwellMs: 10 }); // 0.3 rounds to 0, floor is 1
  });

  it("names a missing zone or session", () => {
    const p = load("hairline-session1.json");
    const noZone = smpErrorOf(() => dotSettings(p, "crown", 1));
    expect(noZone.code).toBe("INVALID_INPUT");
    expect(noZone.message).toContain("crown");
    const noSession = smpErrorOf(() => dotSettings(p, "hairline", 2));
    expect(noSession.code).toBe("INVALID_INPUT");
    expect(noSession.message).toMatch(/hairline has no session 2/);
  });
});

describe("zonesForSession", () => {
  it("lists zones in file order that have the session", () => {
    expect(zonesForSession(load("demo.json"), 2)).toEqual(["hairline", "temples", "mid-scalp", "crown"]);
    expect(zonesForSession(load("density-session2.json"), 2)).toEqual(["mid-scalp", "crown", "hairline", "temples"]);
    expect(zonesForSession(load("density-session2.json"), 1)).toEqual([]);
    expect(zonesForSession(load("hairline-session1.json"), 1)).toEqual(["hairline"]);
  });
});

describe("profileFitsBoard", () => {
  const deepest = (p: DepthProfile) => Math.max(...p.zones.flatMap((z) => z.sessions.map((s) => s.targetExtensionUm)));

  it("flags every session deeper than the board's hard maximum, passes at 1500 and at exactly the deepest", () => {
    const demo = load("demo.json");
    const maxUm = deepest(demo);
    expect(maxUm).toBe(1000);
    const problems = profileFitsBoard(demo, { ...BOARD, hardMaxExtensionUm: maxUm - 1 });
    expect(problems).toEqual([
      {
        field: "zones[3].sessions[1].targetExtensionUm",
        value: 1000,
        limit: `above board hard maximum ${maxUm - 1} um`,
      },
    ]);
    expect(profileFitsBoard(demo, { ...BOARD, hardMaxExtensionUm: maxUm })).toEqual([]);
    expect(profileFitsBoard(demo, { ...BOARD, hardMaxExtensionUm: 1500 })).toEqual([]);
    expect(profileFitsBoard(demo, { ...BOARD, hardMaxExtensionUm: 600 }).length).toBe(11); // all but temples s1 (600)
  });

  it("flags stroke rate and (implied) dwell above the board's caps", () => {
    const demo = load("demo.json");
    const fast = profileFitsBoard(demo, { ...BOARD, hardMaxStrokeHz: 130 });
    expect(fast).toEqual([
      { field: "zones[3].sessions[1].strokeHz", value: 140, limit: "above board hard maximum 130 Hz" },
    ]);
    const shortDwell = profileFitsBoard(demo, { ...BOARD, hardMaxDwellMs: 175 });
    // the board caps the burst plus 80 ms overhead: 95 ms are left for the strokes.
    // mid-scalp s2: 12 strokes at 130 Hz = 92.3 ms fits; crown s2: 14 at 140 = 100 ms does not.
    expect(shortDwell.map((d) => d.field)).toEqual(["zones[3].sessions[1].strokesPerDot"]);
    expect(shortDwell[0]?.limit).toBe(
      "burst of 14 strokes at 140 Hz lasts 100 ms: above board hard (less 80 ms burst overhead) maximum 95 ms",
    );
  });
});
