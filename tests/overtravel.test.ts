// Each shipped machine file's overtravelUm holds the worst single fault, a broken cartridge spring, under the
// hard maximum (issue 7 part 1): with every target at the command cap (the hard maximum less the overtravel)
// and the envelope's fastest stroke rate, the spring breaks at moments spread over whole strokes of the second
// dot, and the simulated world's true tip never passes BOARD_DEFAULTS.hardMaxExtensionUm. Virtual time.

import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { runSession } from "../src/app/session.ts";
import { loadMachineFile } from "../src/profiles/files.ts";
import { parseDepthProfile } from "../src/profiles/load.ts";
import { ENVELOPES } from "../src/safety/limits.ts";
import { MemorySink, type EndRecord, type FaultRecord } from "../src/log/records.ts";
import { parseFaultSpec } from "../src/sim/faults.ts";
import { commandCapUm } from "../src/control/handshake.ts";
import { BOARD_DEFAULTS } from "../src/protocol/table.ts";

const HARD_MAX_UM = BOARD_DEFAULTS.hardMaxExtensionUm;
const FASTEST_HZ = ENVELOPES.standard.strokeHz.max;
/** Strike moments into dot 2's burst, ms: 2.3 ms apart, so they fall at every cam phase of ~15 strokes. */
const STRIKES_MS = Array.from({ length: 44 }, (_, i) => Number((i * 2.3).toFixed(1)));

for (const file of ["profiles/machines/rotary-pmu.json", "profiles/machines/coil-short.json"]) {
  const machine = loadMachineFile(file);
  const capUm = commandCapUm({ hardMaxExtensionUm: HARD_MAX_UM }, machine.calibration.overtravelUm);
  // every target at the cap (the engineer envelope allows it): the depth loop adds the skin's give and meets it
  const targetUm = capUm;
  const text = readFileSync("profiles/demo.json", "utf8")
    .replace('"envelope": "standard"', '"envelope": "engineer"')
    .replace(/"targetExtensionUm": \d+/g, `"targetExtensionUm": ${targetUm}`)
    .replace(/"strokeHz": \d+/g, `"strokeHz": ${FASTEST_HZ}`);
  const profile = parseDepthProfile(text, `demo.json, every target at ${targetUm} um, ${FASTEST_HZ} Hz`);

  describe(`${machine.calibration.name}: overtravelUm ${machine.calibration.overtravelUm}`, () => {
    const title = `a spring breaking at ${STRIKES_MS.length} moments of dot 2, to ${capUm} um at ${FASTEST_HZ} Hz`;
    it(`${title}: true tip <= ${HARD_MAX_UM} um`, async () => {
      const tipsUm: number[] = [];
      let maxCommandUm = 0;
      for (const afterMs of STRIKES_MS) {
        const sink = new MemorySink();
        const result = await runSession({
          profile,
          machine,
          session: 1,
          dots: 3,
          target: { kind: "sim", virtualTime: true, seed: 1 },
          engineerApproved: true,
          faults: [parseFaultSpec(`overshoot,atDot=2,afterMs=${afterMs}`)],
          sink,
          startedAt: "2026-01-01T00:00:00.000Z",
        });
        const end = sink.records.at(-1) as EndRecord;
        maxCommandUm = Math.max(
          maxCommandUm,
          ...sink.records.flatMap((r) => (r.type === "dot" ? [r.commandedExtensionUm] : [])),
        );
        tipsUm.push(end.trueDeepestTipUm!);
        // the fault is caught, whoever sees it first, and the needle is parked
        expect(result.outcome.exitCode, `strike at ${afterMs} ms`).toBe(3);
        const fault = sink.records.find((r): r is FaultRecord => r.type === "fault");
        expect(["OVER_EXTENSION", "DEPTH_DEVIATION"]).toContain(fault?.code);
        expect(result.rig!.plant.driveOn).toBe(false);
      }
      expect(maxCommandUm).toBe(capUm); // the loop did command as deep as the host allows
      expect(Math.max(...tipsUm)).toBeLessThanOrEqual(HARD_MAX_UM);
      // the sweep does press the margin: some strikes take the tip well past the commanded extension
      expect(Math.max(...tipsUm)).toBeGreaterThan(capUm + machine.calibration.overtravelUm / 2);
    }, 120_000);
  });
}
