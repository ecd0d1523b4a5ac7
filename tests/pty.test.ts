// The real-port path end to end: `smp sim --pty` serves the simulated board on a pseudo-terminal and
// `smp run --port` drives a session through serialport and the kernel's tty layer.

import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { parseSessionLog, type DotRecord, type FaultRecord } from "../src/log/records.ts";

async function withPtyBoard<T>(
  args: string[],
  body: (path: string) => Promise<T> | T,
): Promise<{ result: T; serverExit: number | null }> {
  const server = spawn(process.execPath, ["bin/smp.js", "sim", "--pty", ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const firstLine = await new Promise<string>((resolve, reject) => {
    createInterface({ input: server.stdout }).once("line", resolve);
    server.once("exit", (code) => reject(new Error(`smp sim exited early with ${code}`)));
  });
  try {
    const result = await body(firstLine);
    server.kill("SIGINT");
    const serverExit = await new Promise<number | null>((r) => server.once("exit", (code) => r(code)));
    return { result, serverExit };
  } finally {
    server.kill("SIGKILL");
  }
}

const run = (...args: string[]) =>
  spawnSync(process.execPath, ["bin/smp.js", "run", ...args], { encoding: "utf8", timeout: 60_000 });

describe("a simulated board on a pseudo-terminal", () => {
  it("prints its device path first and serves a whole session to smp run --port", async () => {
    const log = join(mkdtempSync(join(tmpdir(), "smp-pty-")), "s.jsonl");
    const { result, serverExit } = await withPtyBoard([], (path) => {
      expect(path).toMatch(/^\/dev\/pts\/\d+$/);
      return run("--port", path, "--dots", "8", "--log", log);
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const { records } = parseSessionLog(readFileSync(log, "utf8"));
    expect(records.filter((r): r is DotRecord => r.type === "dot")).toHaveLength(8);
    expect(records[0]).toMatchObject({ type: "header", transport: expect.stringMatching(/^\/dev\/pts\//) });
    expect(serverExit).toBe(0); // SIGINT ends it cleanly
  });

  it("carries a device fault through the serial stack: the session ends with exit 3 and a fault record", async () => {
    const log = join(mkdtempSync(join(tmpdir(), "smp-pty-")), "f.jsonl");
    const { result } = await withPtyBoard(["--fault", "overcurrent,atDot=2"], (path) =>
      run("--port", path, "--dots", "8", "--log", log),
    );
    expect(result.status).toBe(3);
    const fault = parseSessionLog(readFileSync(log, "utf8")).records.find((r): r is FaultRecord => r.type === "fault");
    expect(fault).toMatchObject({ code: "OVER_CURRENT", source: "board", parkedAfterMs: expect.any(Number) });
  });

  it("serves the real firmware in emulation the same way (smp sim --pty --sim firmware)", async () => {
    const log = join(mkdtempSync(join(tmpdir(), "smp-pty-")), "fw.jsonl");
    const { result } = await withPtyBoard(["--sim", "firmware"], (path) =>
      run("--port", path, "--dots", "6", "--log", log),
    );
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const { records } = parseSessionLog(readFileSync(log, "utf8"));
    expect(records[0]).toMatchObject({ type: "header", board: { firmware: expect.stringMatching(/^smp-fw-/) } });
    expect(records.filter((r): r is DotRecord => r.type === "dot")).toHaveLength(6);
  });

  it("smp run --port loads neither the simulator nor the AVR emulator (they load lazily, for --sim only)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "smp-pty-"));
    const traced = (file: string, ...args: string[]) =>
      spawnSync(
        process.execPath,
        ["--import", "tsx/esm", "--import", "./tests/fixtures/trace-modules.mjs", "src/cli/main.ts", "run", ...args],
        { encoding: "utf8", timeout: 60_000, env: { ...process.env, SMP_TRACE_MODULES: join(dir, file) } },
      );
    const loaded = (file: string) => readFileSync(join(dir, file), "utf8").split("\n");
    const simulator = (urls: string[]) => urls.filter((u) => /\/src\/sim\/(?!faults\.ts$)|\/avr8js\//.test(u));
    // the trace sees the simulator when a run does use it (in virtual time it runs in this process)
    const sim = traced("sim.txt", "--virtual-time", "--sim", "firmware", "--dots", "1", "--log", join(dir, "a.jsonl"));
    expect(sim.status).toBe(0);
    expect(simulator(loaded("sim.txt"))).toEqual(
      expect.arrayContaining([expect.stringMatching(/\/avr8js\//), expect.stringMatching(/\/src\/sim\/rig\.ts$/)]),
    );
    const { result } = await withPtyBoard(["--sim", "firmware"], (path) =>
      traced("port.txt", "--port", path, "--dots", "2", "--log", join(dir, "b.jsonl")),
    );
    expect(result.status).toBe(0);
    expect(loaded("port.txt")).toContainEqual(expect.stringMatching(/\/src\/transport\/serial\.ts$/));
    expect(simulator(loaded("port.txt"))).toEqual([]);
  });

  it("refuses host-side faults, which belong to smp run", () => {
    const r = spawnSync(process.execPath, ["bin/smp.js", "sim", "--pty", "--fault", "estop"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/host-side/);
  });
});
