// Vitest settings for the firmware's emulation tests (not part of `npm test`): the contract suite
// rewritten for the emulated target (generated into build/emu by `make emu-contract`) and the
// firmware-only scenarios in this folder.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: fileURLToPath(new URL("../../..", import.meta.url)),
  test: {
    include: ["firmware-bridge/build/emu/*.test.ts", "firmware-bridge/test/emu/*.test.ts"],
    testTimeout: 600_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
