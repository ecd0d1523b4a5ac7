// The firmware fuzz targets' regression inputs (firmware-bridge/fuzz/regress/) and seed corpus
// (firmware-bridge/fuzz/corpus/) replayed through each target by `make -C firmware-bridge fuzz-replay`: the
// targets built with the host compiler under a plain driver (fuzz/replay.c, ASan and UBSan when the compiler
// has them), so this needs no clang and is never skipped. The bounded libFuzzer run itself (clang) is a step of
// .ci/run beside npm test: `make -C firmware-bridge fuzz`.

import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const FIRMWARE_DIR = fileURLToPath(new URL("../firmware-bridge/", import.meta.url));
const TARGETS = ["codec", "limits", "mainloop"] as const;
const inputsOf = (dir: string) => readdirSync(`${FIRMWARE_DIR}fuzz/${dir}`).filter((f) => !f.startsWith(".")).length;

describe("firmware fuzz targets: regression inputs and corpus (make -C firmware-bridge fuzz-replay)", () => {
  it("every kept input runs clean through its target", () => {
    const r = spawnSync(
      "make",
      ["-C", FIRMWARE_DIR, "--no-print-directory", "BUILD=build/vitest-fuzz", "fuzz-replay"],
      {
        encoding: "utf8",
        timeout: 240_000,
      },
    );
    const output = `${r.stdout}\n${r.stderr}`;
    expect(r.error, output).toBeUndefined();
    expect(r.status, output).toBe(0);
    for (const t of TARGETS) {
      const expected = inputsOf(`regress/${t}`) + inputsOf(`corpus/${t}`);
      expect(expected, `no inputs for ${t}`).toBeGreaterThan(0);
      expect(output).toContain(`fuzz-replay: ${t}: replay: ${expected} inputs, 0 failed`);
    }
    expect(output).toContain("fuzz-replay: all passed");
    expect(output).not.toMatch(/FAILED|runtime error|AddressSanitizer/);
  });
});
