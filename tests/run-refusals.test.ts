// Runs refused before they start, whoever starts them: the faults a real port cannot act out (one check,
// sim/faults.ts realPortRefusal, used by runSession and by smp run before it opens anything). A refused run
// writes nothing to the board or the record and closes the port it was given.

import { describe, expect, it } from "vitest";
import { runSession, type RunOptions } from "../src/app/session.ts";
import { runCommand } from "../src/cli/run.ts";
import { SmpError } from "../src/errors/errors.ts";
import { MemorySink } from "../src/log/records.ts";
import type { LineTransport } from "../src/ports/line-transport.ts";
import { loadDepthProfileFile, loadMachineFile } from "../src/profiles/files.ts";
import { BYTE_FAULTS, DEVICE_FAULTS, HOST_FAULTS, parseFaultSpec, realPortRefusal } from "../src/sim/faults.ts";

const profile = loadDepthProfileFile("profiles/demo.json");
const machine = loadMachineFile("profiles/machines/rotary-pmu.json");
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
