// The firmware's own C unit tests (firmware-bridge/test/*.c: codec against tests/golden/frames.txt and the
// generated header, limits and guard, EEPROM record), built with the host compiler and run by
// `make -C firmware-bridge host-test`. Needs only the host's cc and make, not the AVR toolchain; ASan and
// UBSan are used when the host compiler has them (the Makefile probes for them and falls back cleanly).

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const FIRMWARE_DIR = fileURLToPath(new URL("../firmware-bridge/", import.meta.url));

describe("firmware host tests (make -C firmware-bridge host-test)", () => {
  it("builds the C tests with the host compiler and every check passes", () => {
    // a build directory of its own: other test files may run make in firmware-bridge at the same time
    const r = spawnSync("make", ["-C", FIRMWARE_DIR, "--no-print-directory", "BUILD=build/vitest-host", "host-test"], {
      encoding: "utf8",
      timeout: 240_000,
    });
    const output = `${r.stdout}\n${r.stderr}`;
    expect(r.error, output).toBeUndefined();
    expect(r.status, output).toBe(0);
    expect(output).toMatch(/host tests: sanitizers (on|off)/);
    expect(output).toMatch(/test_codec: \d+ golden frames decoded and re-encoded byte for byte/);
    for (const t of ["test_codec", "test_limits", "test_wrap", "test_config"])
      expect(output).toMatch(new RegExp(`${t}: all \\d+ checks passed`));
    expect(output).toContain("host tests: all passed");
    expect(output).not.toMatch(/CHECK failed|FAILED|runtime error|AddressSanitizer/);
  });
});
