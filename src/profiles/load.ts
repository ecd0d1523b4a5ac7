// The pure profiles module's entry: depth-profile and machine-calibration text in, validated (validate.ts),
// envelope-checked (fit.ts) and frozen data out, or ONE SmpError whose details name every problem found
// (field, value, limit). Shape problems (INVALID_INPUT) are reported first; envelope problems (LIMIT) once
// the shape is valid. Nothing is clamped or defaulted. No fs, no clock. The per-dot helpers (dots.ts) and the
// fit checks are re-exported here, so callers import the module from one place.

import { createHash } from "node:crypto";
import { limitError } from "../errors/errors.ts";
import { ENVELOPES } from "../safety/limits.ts";
import { profileEnvelopeProblems } from "./fit.ts";
import { parseWith } from "./validate.ts";
import { DepthProfileSchema, MachineCalibrationSchema, type DepthProfile, type MachineCalibration } from "./schema.ts";

export { dotSettings, zonesForSession, type DotSettings } from "./dots.ts";
export { MIN_FREE_AFTER_BURST_MS, profileEnvelopeProblems, profileFitsBoard } from "./fit.ts";
export { fieldName, inputError } from "./validate.ts";

export interface LoadedProfile {
  readonly profile: DepthProfile;
  /** sha256 hex of the exact text. */
  readonly hash: string;
  readonly source: string;
}

export interface LoadedMachine {
  readonly calibration: MachineCalibration;
  readonly hash: string;
  readonly source: string;
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

export function parseDepthProfile(text: string, source: string): LoadedProfile {
  const profile = parseWith(DepthProfileSchema, text, source, "depth profile");
  const envelope = ENVELOPES[profile.envelope];
  const problems = profileEnvelopeProblems(profile, envelope);
  if (problems.length > 0) throw limitError(problems, `${source}: depth profile outside the ${envelope.name} envelope`);
  return { profile, hash: sha256Hex(text), source };
}

export function parseMachineCalibration(text: string, source: string): LoadedMachine {
  const calibration = parseWith(MachineCalibrationSchema, text, source, "machine calibration");
  return { calibration, hash: sha256Hex(text), source };
}
