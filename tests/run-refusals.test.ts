// Runs refused before they start, whoever starts them: the faults a real port cannot act out (one check,
// sim/faults.ts realPortRefusal, used by runSession and by smp run before it opens anything) and the run
// policy (profiles/policy.ts), which runSession enforces for every caller. A refused run writes nothing to the
// board or the record and closes the port it was given.

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { runSession, type RunOptions } from "../src/app/session.ts";
import { runCommand } from "../src/cli/run.ts";
import { SmpError } from "../src/errors/errors.ts";
import { MemorySink } from "../src/log/records.ts";
import type { LineTransport } from "../src/ports/line-transport.ts";
import { loadDepthProfileFile, loadMachineFile } from "../src/profiles/files.ts";
import { parseDepthProfile } from "../src/profiles/load.ts";
import { checkRunAllowed } from "../src/profiles/policy.ts";
import { BYTE_FAULTS, DEVICE_FAULTS, HOST_FAULTS, parseFaultSpec, realPortRefusal } from "../src/sim/faults.ts";

const profile = loadDepthProfileFile("profiles/demo.json");
const machine = loadMachineFile("profiles/machines/rotary-pmu.json");
const hairline = loadDepthProfileFile("profiles/hairline-session1.json"); // session 1 only
/** The demo profile declaring the engineer envelope (it fits both envelopes). */
const engineerProfile = parseDepthProfile(
  JSON.stringify({ ...(JSON.parse(readFileSync("profiles/demo.json", "utf8")) as object), envelope: "engineer" }),
  "engineer.json",
);
const RIG_FAULTS = [...BYTE_FAULTS, ...DEVICE_FAULTS];

/** A port that records what happens to it; no board behind it. */
function fakePort() {
  const port = { written: 0, closed: 0 };
  const transport: LineTransport = {
    description: "/dev/fake",
    write: () => void port.written++,
    onLine: () => undefined,
    onClose: () => undefined,
    close: () => {
      port.closed++;
      return Promise.resolve();
    },
  };
  return { port, transport };
}

function options(transport: LineTransport, faults: string[], sink = new MemorySink()): RunOptions {
  return {
    profile,
    machine,
    session: 1,
    dots: 4,
    target: { kind: "transport", transport },
    faults: faults.map(parseFaultSpec),
    sink,
    startedAt: "2026-01-01T00:00:00.000Z",
  };
}

async function refusal(run: Promise<unknown>): Promise<SmpError> {
  const e: unknown = await run.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(SmpError);
  return e as SmpError;
}

describe("faults on a real port (realPortRefusal)", () => {
  it("lets the host's faults through when they fire at a time, and nothing else", () => {
    expect(realPortRefusal([])).toBeUndefined();
    expect(realPortRefusal(HOST_FAULTS.map((k) => parseFaultSpec(`${k},atMs=500`)))).toBeUndefined();
    for (const kind of RIG_FAULTS) {
      const message = realPortRefusal([parseFaultSpec(`${kind},atMs=500`)]);
      expect(message).toBe(
        `--fault ${kind} needs the simulated board (--sim); ` +
          `on a real port only the host's faults (${HOST_FAULTS.join(", ")}), with atMs=`,
      );
    }
    for (const kind of HOST_FAULTS) {
      for (const spec of [kind, `${kind},atDot=2`])
        expect(realPortRefusal([parseFaultSpec(spec)])).toBe(`--fault ${kind} needs atMs= on a real port`);
    }
  });

  it("names the first fault that cannot run", () => {
    const faults = ["estop,atMs=100", "stop", "stall"].map(parseFaultSpec);
    expect(realPortRefusal(faults)).toBe("--fault stop needs atMs= on a real port");
  });

  it("runSession refuses them (USAGE, exit 2) with the same message, closes the port and writes nothing", async () => {
    for (const faults of [["stall"], ["estop,atMs=100", "hang"]]) {
      const { port, transport } = fakePort();
      const sink = new MemorySink();
      const e = await refusal(runSession(options(transport, faults, sink)));
      expect(e.code).toBe("USAGE");
      expect(e.exitCode).toBe(2);
      expect(e.message).toBe(realPortRefusal(faults.map(parseFaultSpec)));
      expect(port).toEqual({ written: 0, closed: 1 });
      expect(sink.records).toEqual([]);
    }
  });

  it("smp run refuses them before it opens the port, with the command's usage hint", async () => {
    const e = await refusal(runCommand(["--port", "/dev/no-such-port", "--fault", "overcurrent"]));
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe(`${realPortRefusal([parseFaultSpec("overcurrent")])}\nRun 'smp run --help' for usage.`);
  });
});

describe("the run policy, enforced by runSession for every caller", () => {
  const policyRefusal = (r: Parameters<typeof checkRunAllowed>[0]): string => {
    try {
      checkRunAllowed(r);
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error("expected the policy to refuse");
  };

  it("refuses an engineer-envelope profile without engineerApproved (LIMIT, exit 2), port or simulator", async () => {
    const expected = policyRefusal({ profile: engineerProfile, machine, session: 1, engineerApproved: false });
    const { port, transport } = fakePort();
    const sink = new MemorySink();
    const onPort = await refusal(runSession({ ...options(transport, [], sink), profile: engineerProfile }));
    expect(onPort).toMatchObject({ code: "LIMIT", exitCode: 2, message: expected });
    expect(port).toEqual({ written: 0, closed: 1 });
    expect(sink.records).toEqual([]);
    const simulated = {
      ...options(transport, [], sink),
      profile: engineerProfile,
      target: { kind: "sim", virtualTime: true },
    } as const;
    expect(await refusal(runSession(simulated))).toMatchObject({ code: "LIMIT", message: expected });
    expect(await refusal(runSession({ ...simulated, engineerApproved: false }))).toMatchObject({ code: "LIMIT" });
    expect(sink.records).toEqual([]);
  });

  it("runs it when the caller says an engineer approved it", async () => {
    const sink = new MemorySink();
    const result = await runSession({
      ...options(fakePort().transport, [], sink),
      profile: engineerProfile,
      target: { kind: "sim", virtualTime: true },
      engineerApproved: true,
    });
    expect(result.outcome).toMatchObject({ outcome: "done", exitCode: 0, dotsPlaced: 4 });
  });

  it("refuses a session no zone of the profile has", async () => {
    const { port, transport } = fakePort();
    const e = await refusal(runSession({ ...options(transport, []), profile: hairline, session: 2 }));
    expect(e).toMatchObject({ code: "INVALID_INPUT", message: `${hairline.source} has no zone with session 2` });
    expect(port.closed).toBe(1);
  });
});

describe("smp run's own refusals, before it opens anything", () => {
  it("a calibration the --sim board does not model: the message names --machine and --sim (exit 2)", async () => {
    const file = resolve("profiles/machines/rotary-pmu.json");
    const e = await refusal(runCommand(["--sim", "coil", "--machine", file, "--log", "/nonexistent/dir/s.jsonl"]));
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe(`--machine ${file} is a rotary machine but --sim coil simulates a coil machine`);
  });
});
