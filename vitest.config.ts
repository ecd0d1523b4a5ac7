// Test runner settings: unit, property and virtual-time integration tests under tests/, the contract
// suite under hardware-tests/ (its real-board target reports itself skipped unless HIL_PORT is set). With
// HIL_PORT set the test files run one after another: one board, one client at a time.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts", "hardware-tests/**/*.test.ts"],
    testTimeout: 60_000,
    pool: "forks",
    fileParallelism: !process.env.HIL_PORT,
  },
});
