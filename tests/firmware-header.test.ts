// One source of truth: the firmware's protocol header must be exactly what the generator makes from the
// protocol table today, so a table change that is not regenerated and committed fails here (and in CI).

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { HEADER_PATH, generateHeader } from "../scripts/gen-firmware-header.ts";
import { ALARMS, NAKS, schemaHash } from "../src/protocol/table.ts";

describe("firmware protocol header", () => {
  const committed = readFileSync(HEADER_PATH, "utf8");

  it("matches a fresh generation from src/protocol/table.ts (run npm run gen:header if not)", () => {
    expect(committed).toBe(generateHeader());
  });

  it("carries the schema hash and every alarm and NAK code under the same names", () => {
    expect(committed).toContain(`#define SMP_SCHEMA_HASH "${schemaHash()}"`);
    for (const [name, s] of Object.entries(ALARMS)) expect(committed).toContain(`#define SMP_ALARM_${name} ${s.code}u`);
    for (const [name, s] of Object.entries(NAKS)) expect(committed).toContain(`#define SMP_NAK_${name} ${s.code}u`);
  });
});
