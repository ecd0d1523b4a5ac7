// Healthy sessions end done on every simulated board the fault campaign uses (the board model and the emulated
// firmware, rotary and coil): no false stop, and the true tip never beyond the hard maximum. Among them the
// emulated firmware with the coil calibration, whose spin-up check once took the previous burst's strokes,
// seen while the actuator was going back to park, for a tip ahead of it (OVER_EXTENSION at dot 2). Then every
// target at the host's closest command to the hard maximum, where the depth forecast must still leave healthy
// strokes alone.

import { describe, expect, it } from "vitest";
import { BOARDS, executeRun, type CampaignBoard } from "./faults/campaign.ts";
import { readFileSync } from "node:fs";
import { BOARD_DEFAULTS } from "../src/protocol/table.ts";
import { runSession } from "../src/app/session.ts";
import { loadMachineFile } from "../src/profiles/files.ts";
import { parseDepthProfile } from "../src/profiles/load.ts";
import { MemorySink, type FaultRecord } from "../src/log/records.ts";
import { commandCapUm } from "../src/control/handshake.ts";

const PROFILES = ["profiles/demo.json", "profiles/hairline-session1.json", "profiles/crown.json"] as const;
/** Every profile, as shipped and at the envelope's deepest, on the board model; two of them on the emulated
 * firmware (slower: 3 dots, enough for the second burst that used to latch). */
type Case = readonly [board: CampaignBoard, profilePath: string, deep: boolean, dots: number];
const CASES: readonly Case[] = BOARDS.flatMap((board): Case[] =>
  board.startsWith("model")
    ? PROFILES.flatMap((p) => [false, true].map((deep): Case => [board, p, deep, 5]))
    : [
        [board, "profiles/hairline-session1.json", false, 3],
        [board, "profiles/demo.json", true, 3],
      ],
);

describe("healthy sessions on every simulated board", () => {
  it.each(CASES)(
    "%s: %s (every target at the machine's deepest: %s, %i dots) ends done",
    async (board, profilePath, deep, dots) => {
      const v = await executeRun({ seed: 3, board, profilePath, deep, dots, faults: [] });
      expect(v.firstFault).toBeUndefined();
      expect(v.exitCode).toBe(0);
      expect(v.trueDeepestTipUm).toBeLessThanOrEqual(BOARD_DEFAULTS.hardMaxExtensionUm);
      expect(v.trueDeepestTipUm).toBeGreaterThan(deep ? 800 : 400); // the needle did go into the skin
    },
    60_000,
  );
});

/** A shipped machine file, or (closest) the same with its overtravel inside the host's minimum margin, so its
 * command cap is the closest the host ever commands to the hard maximum (MIN_COMMAND_MARGIN_UM). */
function machineAt(file: string, closest: boolean) {
  const shipped = loadMachineFile(file);
  return closest ? { ...shipped, calibration: { ...shipped.calibration, overtravelUm: 0 } } : shipped;
}

describe("healthy sessions with every target at the command cap: the depth forecast leaves good strokes alone", () => {
  const cases = ["rotary-pmu", "coil-short"].flatMap((machine) =>
    [false, true].flatMap((closest) =>
      [false, true].flatMap((firmware) => [60, 120, 150].map((strokeHz) => ({ machine, closest, firmware, strokeHz }))),
    ),
  );
  it.each(cases)(
    "$machine (closest command: $closest), emulated firmware: $firmware, $strokeHz strokes/s: no stop",
    async ({ machine, closest, firmware, strokeHz }) => {
      const m = machineAt(`profiles/machines/${machine}.json`, closest);
      const targetUm = commandCapUm(
        { hardMaxExtensionUm: BOARD_DEFAULTS.hardMaxExtensionUm },
        m.calibration.overtravelUm,
      );
      const profile = parseDepthProfile(
        readFileSync("profiles/demo.json", "utf8")
          .replace('"envelope": "standard"', '"envelope": "engineer"')
          .replace(/"targetExtensionUm": \d+/g, `"targetExtensionUm": ${targetUm}`)
          .replace(/"strokeHz": \d+/g, `"strokeHz": ${strokeHz}`)
          .replace(/"strokesPerDot": \d+/g, `"strokesPerDot": 5`), // a burst that fits the dot interval at 60 Hz
        `demo.json at ${targetUm} um, ${strokeHz} Hz`,
      );
      for (const seed of firmware ? [1] : [1, 2, 3]) {
        const sink = new MemorySink();
        const result = await runSession({
          profile,
          machine: m,
          session: 1,
          dots: 3,
          target: { kind: "sim", virtualTime: true, seed, firmware },
          engineerApproved: true,
          sink,
          startedAt: "2026-01-01T00:00:00.000Z",
        });
        const fault = sink.records.find((r): r is FaultRecord => r.type === "fault");
        // a stiff skin may leave the target out of reach (held, TARGET_UNREACHABLE): that is the loop's, not a stop
        if (fault?.code !== "TARGET_UNREACHABLE") expect(fault, `seed ${seed}`).toBeUndefined();
        expect(result.rig!.plant.deepestTipUm).toBeLessThanOrEqual(BOARD_DEFAULTS.hardMaxExtensionUm);
      }
    },
    60_000,
  );
});
