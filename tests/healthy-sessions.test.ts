// Healthy sessions end done on every simulated board the fault campaign uses (the board model and the emulated
// firmware, rotary and coil): no false stop, and the true tip never beyond the hard maximum. Among them the
// emulated firmware with the coil calibration, whose spin-up check once took the previous burst's strokes,
// seen while the actuator was going back to park, for a tip ahead of it (OVER_EXTENSION at dot 2).

import { describe, expect, it } from "vitest";
import { BOARDS, executeRun, type CampaignBoard } from "./faults/campaign.ts";
import { BOARD_DEFAULTS } from "../src/protocol/table.ts";

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
