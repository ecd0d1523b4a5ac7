// A taps file (issue 8, `smp session start --taps FILE`): the operator's acts of a hand-held session as a JSON
// array, played on the simulated board's pedal and cartridge switch and on the console, so a whole hand-held
// session runs in virtual time in tests and demos. Each entry waits `afterMs` after the previous one (the first
// after the pedal is first live). Validated with zod like every other file: a bad file is refused naming the
// field, the value and the limit. Pure.

import { z } from "zod";
import { ZONE_NAME_PATTERN } from "./schema.ts";
import { parseWith } from "./validate.ts";

/** The acts that take no argument. */
export const TAP_ACTS = [
  "press", // the foot pedal down
  "release", // the foot pedal up
  "zone-up",
  "zone-down",
  "stop", // hold: needle parked, drive off, the session stays open
  "resume", // the operator's resume after a hold
  "estop", // the console's secondary e-stop pressed
  "estop-release",
  "cartridge-out", // the board's cartridge switch opens
  "cartridge-in", // ... and closes
  "confirm", // the operator confirms the new needle
  "end", // the operator ends the session (exit 0)
] as const;
export type TapAct = (typeof TAP_ACTS)[number];

/** The longest wait between two acts: an hour (a break between zones is minutes). */
export const MAX_TAP_GAP_MS = 3_600_000;
/** The most acts in one file: a long session's 20,000 dots, each a press and a release, and room to spare. */
export const MAX_TAPS = 100_000;

const afterMs = z.int().min(0).max(MAX_TAP_GAP_MS);
const TapSchema = z.discriminatedUnion("act", [
  z.strictObject({ afterMs, act: z.enum(TAP_ACTS) }).readonly(),
  z.strictObject({ afterMs, act: z.literal("zone"), zone: z.string().regex(ZONE_NAME_PATTERN) }).readonly(),
]);
export const TapsFileSchema = z.array(TapSchema).min(1).max(MAX_TAPS).readonly();

export type Tap = z.infer<typeof TapSchema>;

/** The acts of a taps file, each with its time from the pedal first live, ms. */
export interface TimedTap {
  readonly atMs: number;
  readonly tap: Tap;
}

export function parseTapsFile(text: string, source: string): readonly TimedTap[] {
  const taps = parseWith(TapsFileSchema, text, source, "taps file");
  let atMs = 0;
  return taps.map((tap) => ({ atMs: (atMs += tap.afterMs), tap }));
}
