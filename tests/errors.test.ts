// The exit-code table (src/errors/errors.ts): every exit code an error or a run ending can produce is in the
// one table, and the mapping from run endings to exit codes is the one the CLI documents, written out by hand.

import { describe, expect, it } from "vitest";
import { ERROR_CODES, EXIT_CODES, RUN_ENDINGS, SmpError, runExitCode, type RunEnding } from "../src/errors/errors.ts";

describe("exit codes", () => {
  it("the table lists exactly 0, 1, 2 and 3, each with its meaning", () => {
    expect(Object.keys(EXIT_CODES)).toEqual(["0", "1", "2", "3", "4"]);
    for (const doc of Object.values(EXIT_CODES)) expect(doc.length).toBeGreaterThan(10);
  });

  it("every error code and every run ending exits with a code of the table", () => {
    for (const { exit } of [...Object.values(ERROR_CODES), ...Object.values(RUN_ENDINGS)])
      expect(Object.keys(EXIT_CODES)).toContain(String(exit));
  });

  it("maps each run ending to its exit code and reported outcome", () => {
    const expected: Record<RunEnding, [number, string]> = {
      done: [0, "done"],
      fault: [3, "fault"],
      stopped: [3, "stopped"],
      held: [4, "held"],
      limitsRefused: [2, "refused"],
      boardMismatch: [3, "refused"],
      noBoard: [3, "refused"],
      alarmLatched: [3, "refused"],
      unlockRefused: [3, "refused"],
    };
    expect(Object.keys(RUN_ENDINGS).sort()).toEqual(Object.keys(expected).sort());
    for (const [ending, [exit, outcome]] of Object.entries(expected) as [RunEnding, [number, string]][]) {
      expect(runExitCode(ending), ending).toBe(exit);
      expect(RUN_ENDINGS[ending].outcome, ending).toBe(outcome);
    }
  });

  it("an SmpError exits with its code's class: input 2, port and internal 1", () => {
    expect(new SmpError("USAGE", "x").exitCode).toBe(2);
    expect(new SmpError("LIMIT", "x").exitCode).toBe(2);
    expect(new SmpError("INVALID_INPUT", "x").exitCode).toBe(2);
    expect(new SmpError("PORT", "x").exitCode).toBe(1);
    expect(new SmpError("INTERNAL", "x").exitCode).toBe(1);
  });
});
