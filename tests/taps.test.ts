// The taps file (src/profiles/taps.ts): operator acts with their waits, refused naming field, value and limit.

import { describe, expect, it } from "vitest";
import { SmpError } from "../src/errors/errors.ts";
import { MAX_TAP_GAP_MS, parseTapsFile } from "../src/profiles/taps.ts";

function refusal(text: string): SmpError {
  try {
    parseTapsFile(text, "taps.json");
  } catch (e) {
    if (e instanceof SmpError) return e;
    throw e;
  }
  throw new Error(`accepted: ${text}`);
}

describe("taps file", () => {
  it("times every act from the pedal first live, each after the one before", () => {
    const taps = parseTapsFile(
      JSON.stringify([
        { afterMs: 100, act: "press" },
        { afterMs: 80, act: "release" },
        { afterMs: 0, act: "zone", zone: "crown" },
        { afterMs: 500, act: "end" },
      ]),
      "taps.json",
    );
    expect(taps.map((t) => t.atMs)).toEqual([100, 180, 180, 680]);
    expect(taps[2]!.tap).toEqual({ afterMs: 0, act: "zone", zone: "crown" });
  });

  it.each([
    ["an unknown act", [{ afterMs: 1, act: "jump" }], "[0].act", "jump"],
    ["a negative wait", [{ afterMs: -5, act: "press" }], "[0].afterMs", -5],
    ["a wait above an hour", [{ afterMs: MAX_TAP_GAP_MS + 1, act: "press" }], "[0].afterMs", MAX_TAP_GAP_MS + 1],
    ["a fractional wait", [{ afterMs: 1.5, act: "press" }], "[0].afterMs", 1.5],
    [
      "a zone act without its zone",
      [
        { afterMs: 1, act: "press" },
        { afterMs: 1, act: "zone" },
      ],
      "[1].zone",
      undefined,
    ],
    ["a zone name that no profile could have", [{ afterMs: 1, act: "zone", zone: "Crown!" }], "[0].zone", "Crown!"],
    ["a zone on another act", [{ afterMs: 1, act: "press", zone: "crown" }], "[0].zone", "crown"],
  ])("refuses %s, naming the field and the value", (_, taps, field, value) => {
    const e = refusal(JSON.stringify(taps));
    expect(e.code).toBe("INVALID_INPUT");
    expect(e.details).toHaveLength(1);
    expect(e.details[0]).toMatchObject({ field, value });
  });

  it("refuses an empty list and a file that is not JSON", () => {
    expect(refusal("[]").details[0]!.field).toBe("(root)");
    expect(refusal("[{").details[0]!.field).toBe("(json)");
  });
});
