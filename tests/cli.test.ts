// The smp command as a user meets it: the bin entry, exit codes, messages that name field, value and limit,
// and the session record it leaves behind.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseSessionLog, type DotRecord, type FaultRecord, type HeaderRecord } from "../src/log/records.ts";
import type { EndRecord, NoteRecord } from "../src/log/records.ts";
import { PROTOCOL_VERSION, schemaHash } from "../src/protocol/table.ts";

function smp(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/smp.js", ...args], { encoding: "utf8", timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const tmp = () => mkdtempSync(join(tmpdir(), "smp-cli-"));

describe("smp", () => {
  it("runs a short session in virtual time, prints a JSON summary and writes the record", () => {
    const log = join(tmp(), "s.jsonl");
    const r = smp("run", "--virtual-time", "--dots", "12", "--json", "--log", log);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
    expect(summary).toMatchObject({ type: "summary", outcome: "done", exitCode: 0, log });
    expect(summary.trueDeepestTipUm).toEqual(expect.any(Number)); // a simulated board: the world's truth
    expect(Object.keys(summary.dotsByZone).length).toBeGreaterThanOrEqual(3);
    const { records, tornTail } = parseSessionLog(readFileSync(log, "utf8"));
    expect(tornTail).toBe(false);
    const header = records[0] as HeaderRecord;
    expect(header.type).toBe("header");
    expect(header.hardMaxExtensionUm).toBe(1500);
    const dots = records.filter((x): x is DotRecord => x.type === "dot");
    expect(dots).toHaveLength(12);
    for (const d of dots) {
      expect(d).toMatchObject({
        type: "dot",
        zone: expect.any(String),
        targetExtensionUm: expect.any(Number),
        maxExtensionUm: expect.any(Number),
        strokeCount: expect.any(Number),
        strokeHz: expect.any(Number),
      });
    }
  });

  it("prints a readable summary table", () => {
    const r = smp("run", "--virtual-time", "--dots", "8", "--log", join(tmp(), "s.jsonl"));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/depth error \(um\)/);
    expect(r.stdout).toMatch(/true deepest tip \(simulated world\): -?\d+ um/);
    expect(r.stdout).toMatch(/hairline\s+\d+/);
    expect(r.stdout).toMatch(/session record: .*s\.jsonl/);
  });

  it("ends a faulted session with exit 3 and a fault record with parkedAfterMs", () => {
    const log = join(tmp(), "f.jsonl");
    const r = smp("run", "--virtual-time", "--dots", "12", "--fault", "sensor-dropout", "--log", log);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/FAULT SENSOR_DROPOUT/);
    const fault = parseSessionLog(readFileSync(log, "utf8")).records.find((x): x is FaultRecord => x.type === "fault");
    expect(fault).toMatchObject({ type: "fault", code: "SENSOR_DROPOUT", parkedAfterMs: expect.any(Number) });
  });

  it("after a watchdog reset a plain run refuses, naming the cause and --unlock; with --unlock it proceeds", () => {
    const dir = tmp();
    const refused = smp("run", "--virtual-time", "--dots", "4", "--fault", "watchdog,atMs=0", "--log", join(dir, "a"));
    expect(refused.code).toBe(3);
    const said = `${refused.stdout}${refused.stderr}`;
    expect(said).toMatch(/WATCHDOG_RESET is latched \(the board's watchdog reset it/);
    expect(said).toMatch(/--unlock/);
    const record = parseSessionLog(readFileSync(join(dir, "a"), "utf8")).records;
    expect(record.find((x): x is EndRecord => x.type === "end")?.reason).toMatch(/WATCHDOG_RESET.*--unlock/);
    expect(record.some((x) => x.type === "dot")).toBe(false); // nothing was armed
    const unlocked = smp(
      "run",
      "--virtual-time",
      "--dots",
      "4",
      "--fault",
      "watchdog,atMs=0",
      "--unlock",
      "--log",
      join(dir, "b"),
    );
    expect(unlocked.code).toBe(0);
    const after = parseSessionLog(readFileSync(join(dir, "b"), "utf8")).records;
    const note = after.find((x): x is NoteRecord => x.type === "note");
    expect(note?.text).toMatch(
      /WATCHDOG_RESET is latched .*unlocking because the operator started this run with --unlock/,
    );
    expect(after.filter((x) => x.type === "dot")).toHaveLength(4);
  });

  it("refuses a bad profile with exit 2, naming field, value and limit", () => {
    const r = smp("run", "--virtual-time", "--profile", "profiles/invalid/extension-above-envelope.json");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/targetExtensionUm/);
    expect(r.stderr).toMatch(/1250|1300|1201/);
    expect(r.stderr).toMatch(/1200/);
    expect(r.stdout).not.toMatch(/state/); // nothing ran
  });

  it("validates profiles: good ones exit 0, a bad one exits 2", () => {
    expect(smp("profile", "validate", "profiles/demo.json", "profiles/machines/coil-short.json").code).toBe(0);
    const bad = smp("profile", "validate", "profiles/invalid/unknown-top-level-key.json");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown/i);
  });

  it("shows a profile as a table", () => {
    const r = smp("profile", "show", "profiles/demo.json");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/crown\s+3\s+3RL/);
  });

  it("rejects bad usage with exit 2", () => {
    expect(smp("run", "--sim", "banana").code).toBe(2);
    expect(smp("run", "--dots", "0").code).toBe(2);
    expect(smp("run", "--sim", "coil", "--port", "/dev/null").code).toBe(2);
    expect(smp("run", "--fault", "meteor").code).toBe(2);
    expect(smp("frobnicate").code).toBe(2);
  });

  it("has --help everywhere", () => {
    for (const args of [
      ["--help"],
      ["run", "--help"],
      ["profile", "--help"],
      ["ports", "--help"],
      ["sim", "--help"],
      ["profile", "show", "--help"],
      ["help", "run"],
    ]) {
      const r = smp(...args);
      expect(r.code, args.join(" ")).toBe(0);
      expect(r.stdout).toMatch(/smp/);
    }
  });

  it("prints the package version, the protocol version and the schema hash for --version and -V", () => {
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { name: string; version: string };
    for (const flag of ["--version", "-V"]) {
      const r = smp(flag);
      expect(r.code, flag).toBe(0);
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe(`${pkg.name} ${pkg.version}\nprotocol ${PROTOCOL_VERSION}\nschema ${schemaHash()}\n`);
    }
  });

  it("refuses positional arguments a command does not take with exit 2, naming the argument", () => {
    for (const args of [
      ["run", "extra"],
      ["ports", "x"],
      ["sim", "--pty", "extra"],
      ["profile", "show", "profiles/demo.json", "surplus"],
    ]) {
      const r = smp(...args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`unexpected argument '${args.at(-1)}'`));
      expect(r.stdout).toBe("");
    }
    const none = smp("profile", "validate");
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/smp profile validate needs a FILE/);
    expect(smp("run", "--bogus").code).toBe(2);
    expect(smp("--bogus").code).toBe(2);
  });

  it("runs a profile in the engineer envelope only with --engineer", () => {
    const dir = tmp();
    const profile = join(dir, "engineer.json");
    const demo = JSON.parse(readFileSync("profiles/demo.json", "utf8")) as Record<string, unknown>;
    writeFileSync(profile, JSON.stringify({ ...demo, envelope: "engineer" }));
    const refused = smp("run", "--virtual-time", "--dots", "2", "--profile", profile, "--log", join(dir, "a.jsonl"));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/envelope = "engineer".*pass --engineer/);
    expect(refused.stdout).toBe("");
    const log = join(dir, "b.jsonl");
    const ok = smp("run", "--virtual-time", "--dots", "2", "--profile", profile, "--engineer", "--log", log);
    expect(ok.code).toBe(0);
    expect(parseSessionLog(readFileSync(log, "utf8")).records.filter((x) => x.type === "dot")).toHaveLength(2);
  });

  it("lists serial ports, or says clearly that the system cannot", () => {
    const r = smp("ports");
    if (r.code === 0) expect(r.stdout.length).toBeGreaterThan(0);
    else {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/cannot enumerate serial ports/);
    }
  });

  it("fails cleanly with exit 1 on a port that does not exist", () => {
    const r = smp("run", "--port", "/dev/does-not-exist-smp");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot open serial port \/dev\/does-not-exist-smp/);
  });
});
