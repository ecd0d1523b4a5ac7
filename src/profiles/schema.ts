// File formats for depth profiles and machine calibrations (zod 4). Every object is strict: an unknown key is
// an error, never ignored. Ranges here are physical sanity only; the SMP envelope is checked in fit.ts.
// Parsed data is frozen (.readonly()) so a validated profile cannot be changed afterwards.

import { z } from "zod";
import type { Envelope } from "../safety/limits.ts";
import { BOARD_DEFAULTS } from "../protocol/board-defaults.ts";
import { LINK } from "../protocol/table.ts";

export const ZONE_NAME_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;
export const NEEDLE_CONFIGURATION_PATTERN = /^(1|3|5|7)(RL|RS)$/;
export const ENVELOPE_NAMES = ["standard", "engineer"] as const satisfies readonly Envelope["name"][];
/** The machine kinds a calibration can describe (and the simulated rig can model). */
export const MACHINE_KINDS = ["rotary", "coil"] as const;
/**
 * The default calibration file of each machine kind, shipped with the package (path relative to its root): the
 * one smp uses when no machine file is given, and the one each EEPROM image of the firmware build is made from.
 */
export const DEFAULT_MACHINE_FILES = {
  rotary: "profiles/machines/rotary-pmu.json",
  coil: "profiles/machines/coil-short.json",
} as const satisfies Record<(typeof MACHINE_KINDS)[number], string>;

/** Cross-field checks run even when a sibling field failed, so one pass reports every problem. A custom
 * issue may carry the offending value in params.value when it is not simply the value at its path. */
const whenObject = { when: (p: z.core.ParsePayload) => typeof p.value === "object" && p.value !== null };
const isSet = (v: unknown): boolean => v !== undefined;

export const NeedleSchema = z
  .strictObject({
    configuration: z.string().regex(NEEDLE_CONFIGURATION_PATTERN),
    diameterMm: z.number().gt(0).max(2),
  })
  .readonly();

export const ZoneSessionSchema = z
  .strictObject({
    session: z.literal([1, 2, 3]),
    needle: NeedleSchema,
    targetExtensionUm: z.int().min(0).max(3000),
    strokeHz: z.int().min(1).max(1000), // whole Hz: the wire carries an integer
    strokesPerDot: z.int().min(1).max(1000).optional(),
    dwellMs: z.number().gt(0).max(10_000).optional(),
    densityDotsPerCm2: z.number().min(1).max(80),
    /** Hand-held: while the pedal is held, another dot every repeatMs (absent: one dot per press). */
    repeatMs: z.int().min(LINK.pedalRepeatMinMs).max(LINK.pedalRepeatMaxMs).optional(),
    note: z.string().max(500).optional(),
  })
  .readonly()
  .superRefine((s, ctx) => {
    const strokes = isSet(s.strokesPerDot);
    const dwell = isSet(s.dwellMs);
    if (strokes === dwell) {
      const why = strokes ? "both are set" : "neither is set";
      const value = strokes ? { strokesPerDot: s.strokesPerDot, dwellMs: s.dwellMs } : {};
      ctx.addIssue({
        code: "custom",
        message: `must set exactly one of strokesPerDot or dwellMs (${why})`,
        path: [],
        params: { value },
      });
    }
  }, whenObject);

/** Reports the second and later entries whose `key` repeats an earlier one. */
function uniqueBy(key: string, what: string) {
  return (items: readonly unknown[], ctx: z.core.$RefinementCtx<readonly unknown[]>): void => {
    const firstIndex = new Map<unknown, number>();
    items.forEach((item, i) => {
      if (typeof item !== "object" || item === null || !(key in item)) return;
      const v = (item as Record<string, unknown>)[key];
      const first = firstIndex.get(v);
      if (first === undefined) firstIndex.set(v, i);
      else ctx.addIssue({ code: "custom", message: `duplicate ${what} (first at index ${first})`, path: [i, key] });
    });
  };
}
const whenArray = { when: (p: z.core.ParsePayload) => Array.isArray(p.value) };

export const ZoneSchema = z
  .strictObject({
    zone: z.string().regex(ZONE_NAME_PATTERN),
    sessions: z
      .array(ZoneSessionSchema)
      .min(1)
      .max(3)
      .readonly()
      .superRefine(uniqueBy("session", "session number"), whenArray),
  })
  .readonly();

export const DepthProfileSchema = z
  .strictObject({
    kind: z.literal("smp-depth-profile"),
    version: z.literal(1),
    name: z.string().min(1).max(80),
    envelope: z.enum(ENVELOPE_NAMES),
    dotIntervalMs: z.int().min(1).max(600_000),
    /** A stroke measured deeper than its zone's target by more than this is a fault, whatever was commanded. */
    depthToleranceUm: z.int().min(0).max(1000),
    notes: z.string().max(2000).optional(),
    zones: z.array(ZoneSchema).min(1).max(12).readonly().superRefine(uniqueBy("zone", "zone name"), whenArray),
  })
  .readonly();

/** How far behind the grip a machine's needle sensor must still read: the parked needle's bottom dead centre and a
 * margin under it, for the board's zero check at every spin-up. */
const PARKED_NEEDLE_VISIBLE_UM = -BOARD_DEFAULTS.parkUm + BOARD_DEFAULTS.sensorZeroVisibleUm;

/** The most overtravel a usable machine may have: beyond it, too little of the hard maximum is left to work in. */
export const MAX_OVERTRAVEL_UM = 300;

/** Stroke length each machine kind can physically have, um. */
export const MACHINE_STROKE_UM = {
  rotary: { min: 1500, max: 5000 },
  coil: { min: 2500, max: 3800 },
} as const satisfies Record<(typeof MACHINE_KINDS)[number], { min: number; max: number }>;

export const MachineCalibrationSchema = z
  .strictObject({
    kind: z.literal("smp-machine-calibration"),
    version: z.literal(1),
    name: z.string().min(1).max(80),
    machine: z.enum(MACHINE_KINDS),
    strokeUm: z.int(),
    drive: z
      .strictObject({
        minDutyPermille: z.int().min(0).max(1000),
        maxDutyPermille: z.int().min(0).max(1000),
        maxCurrentMa: z.int().min(100).max(3000),
        /** Rotary: unloaded stroke rate at full duty. Coil: not used, but required. */
        freeStrokeHzAtFullDuty: z.number().min(50).max(400),
        /** How much the stroke rate sags in skin. */
        loadDroopPercent: z.number().min(0).max(50),
      })
      .readonly()
      .superRefine((d, ctx) => {
        if (
          typeof d.minDutyPermille === "number" &&
          typeof d.maxDutyPermille === "number" &&
          d.maxDutyPermille <= d.minDutyPermille
        ) {
          ctx.addIssue({
            code: "custom",
            message: `must be above minDutyPermille ${d.minDutyPermille} permille`,
            path: ["maxDutyPermille"],
          });
        }
      }, whenObject),
    sensor: z
      .strictObject({
        extensionUmPerCount: z.number().gt(0).max(1000),
        extensionZeroCount: z.int().min(0).max(1023),
      })
      .readonly()
      .superRefine((c, ctx) => {
        // the board's zero check reads the parked needle at every spin-up (docs/protocol.md §7.5): in range
        if (typeof c.extensionUmPerCount !== "number" || typeof c.extensionZeroCount !== "number") return;
        const floorUm = c.extensionZeroCount * c.extensionUmPerCount;
        if (floorUm < PARKED_NEEDLE_VISIBLE_UM)
          ctx.addIssue({
            code: "custom",
            message:
              `x extensionUmPerCount ${c.extensionUmPerCount} um reads ${floorUm} um behind the grip at the ` +
              `sensor's floor, under ${PARKED_NEEDLE_VISIBLE_UM} um: the board's zero check could not see the ` +
              `parked needle (${-BOARD_DEFAULTS.parkUm} um behind the grip, ` +
              `+ ${BOARD_DEFAULTS.sensorZeroVisibleUm} um)`,
            path: ["extensionZeroCount"],
          });
      }, whenObject),
    /** Spring give of the cartridge. */
    cartridgeGiveUm: z.int().min(0).max(1500),
    /**
     * The farthest the needle tip can go past the commanded extension, in normal operation (needle overtravel,
     * the position sensor's error; cartridge give only shortens) or under any single fault before the board's
     * depth guard has it back (docs/protocol.md section 7.12). The worst single fault is a broken cartridge
     * spring: the needle gains its lead as fast as the cam descends and the actuator retracts at only
     * 250 um/ms, so the residual grows with the stroke rate; tests/overtravel.test.ts measures it at the
     * envelope's fastest stroke rate for every shipped machine file. The host keeps every commanded extension
     * this far (+1 um, at least 100 um) under the board's hard maximum, and refuses a target above that cap.
     */
    overtravelUm: z.int().min(0).max(MAX_OVERTRAVEL_UM),
    notes: z.string().max(2000).optional(),
  })
  .readonly()
  .superRefine((m, ctx) => {
    // the field schemas report a machine that is not a known kind; this runs on the raw value too (zod refines
    // after a failed field), so look it up only as an own key of the table: an object could not even be a key
    const known = typeof m.machine === "string" && Object.hasOwn(MACHINE_STROKE_UM, m.machine);
    const range = known ? (MACHINE_STROKE_UM[m.machine] as { min: number; max: number }) : undefined;
    if (range === undefined || !Number.isInteger(m.strokeUm)) return; // those are reported by the field schemas
    if (m.strokeUm < range.min)
      ctx.addIssue({
        code: "custom",
        message: `below ${m.machine} stroke minimum ${range.min} um`,
        path: ["strokeUm"],
      });
    if (m.strokeUm > range.max)
      ctx.addIssue({
        code: "custom",
        message: `above ${m.machine} stroke maximum ${range.max} um`,
        path: ["strokeUm"],
      });
  }, whenObject);

export type Needle = z.infer<typeof NeedleSchema>;
export type ZoneSession = z.infer<typeof ZoneSessionSchema>;
export type SessionNumber = ZoneSession["session"];
export type Zone = z.infer<typeof ZoneSchema>;
export type DepthProfile = z.infer<typeof DepthProfileSchema>;
export type MachineKind = z.infer<typeof MachineCalibrationSchema>["machine"];
export type MachineCalibration = z.infer<typeof MachineCalibrationSchema>;
