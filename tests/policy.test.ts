// The run policy (src/profiles/policy.ts): which profile, machine, board and approval combinations may run.
// Each rule refuses with one SmpError naming field, value and limit, and lets the allowed combinations pass.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { SmpError } from "../src/errors/errors.ts";
import { ENVELOPES } from "../src/safety/limits.ts";
import { loadDepthProfileFile, loadMachineFile } from "../src/profiles/files.ts";
import { parseDepthProfile, type LoadedProfile } from "../src/profiles/load.ts";
import { checkRunAllowed, type RunRequest } from "../src/profiles/policy.ts";

const file = (name: string) => fileURLToPath(new URL(`../profiles/${name}`, import.meta.url));
const demo = loadDepthProfileFile(file("demo.json"));
const hairline = loadDepthProfileFile(file("hairline-session1.json")); // session 1 only
const rotary = loadMachineFile(file("machines/rotary-pmu.json"));
const coil = loadMachineFile(file("machines/coil-short.json"));

/** The demo profile declaring the engineer envelope (it fits both envelopes). */
function engineerProfile(): LoadedProfile {
  const json = JSON.parse(readFileSync(file("demo.json"), "utf8")) as Record<string, unknown>;
  return parseDepthProfile(JSON.stringify({ ...json, envelope: "engineer" }), "engineer.json");
}

const base: RunRequest = { profile: demo, machine: rotary, session: 1, engineerApproved: false };

function refusal(r: RunRequest, hints?: { engineer: string }): SmpError {
  try {
    checkRunAllowed(r, hints);
  } catch (e) {
    expect(e).toBeInstanceOf(SmpError);
    return e as SmpError;
  }
  throw new Error("expected the run to be refused");
}

describe("checkRunAllowed", () => {
  it("allows a standard profile on a matching board, approved or not, for every session it has", () => {
    for (const session of [1, 2, 3] as const)
      for (const engineerApproved of [false, true]) {
        expect(() => checkRunAllowed({ ...base, session, engineerApproved })).not.toThrow();
        const simulated = { machine: "coil", name: "--sim coil" } as const;
        expect(() => checkRunAllowed({ ...base, machine: coil, session, engineerApproved, simulated })).not.toThrow();
      }
  });

  it("refuses an engineer-envelope profile without an engineer's approval (LIMIT, exit 2), naming the field", () => {
    const profile = engineerProfile();
    const e = refusal({ ...base, profile }, { engineer: "pass --engineer to confirm an engineer approved it" });
    expect(e.code).toBe("LIMIT");
    expect(e.exitCode).toBe(2);
    expect(e.details).toEqual([{ field: "envelope", value: "engineer", limit: "needs an engineer's approval" }]);
    expect(e.message).toBe(
      `engineer.json: envelope = "engineer": allows extension up to ${ENVELOPES.engineer.extensionUm.max / 1000} mm; ` +
        "pass --engineer to confirm an engineer approved it",
    );
    expect(refusal({ ...base, profile }).message).toMatch(/an engineer must approve the run$/);
    expect(() => checkRunAllowed({ ...base, profile, engineerApproved: true })).not.toThrow();
  });

  it("refuses a calibration whose machine kind the simulated board does not model; a real board is not asked", () => {
    const simulated = { machine: "rotary", name: "--sim firmware" } as const;
    const e = refusal({ ...base, machine: coil, simulated });
    expect(e.code).toBe("INVALID_INPUT");
    expect(e.exitCode).toBe(2);
    expect(e.details).toEqual([
      { field: "machine", value: "coil", limit: "--sim firmware simulates a rotary machine" },
    ]);
    expect(e.message).toContain("coil-short.json is a coil machine but --sim firmware simulates a rotary machine");
    const named = refusal({ ...base, machine: coil, machineName: "--machine coil.json", simulated });
    expect(named.message).toBe("--machine coil.json is a coil machine but --sim firmware simulates a rotary machine");
    expect(() => checkRunAllowed({ ...base, machine: coil })).not.toThrow();
  });

  it("refuses a session no zone of the profile has", () => {
    expect(() => checkRunAllowed({ ...base, profile: hairline, session: 1 })).not.toThrow();
    for (const session of [2, 3] as const) {
      const e = refusal({ ...base, profile: hairline, session });
      expect(e.code).toBe("INVALID_INPUT");
      expect(e.details).toEqual([{ field: "session", value: session, limit: "no zone has it" }]);
      expect(e.message).toBe(`${hairline.source} has no zone with session ${session}`);
    }
  });

  it("reports the envelope rule first when several are broken", () => {
    const simulated = { machine: "rotary", name: "--sim rotary" } as const;
    const e = refusal({ ...base, profile: engineerProfile(), machine: coil, simulated });
    expect(e.details[0]?.field).toBe("envelope");
  });
});
