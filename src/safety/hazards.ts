// The hazards of docs/safety.md and their budgets, as one table: the fault campaign (tests/faults/) judges
// every run against it, and tests/safety-doc.test.ts checks that the hazard file lists every hazard with these
// numbers and names tests that exist. A budget is what the design promises under a single fault, counted from
// the moment the fault strikes: the drive off within driveOffWithinMs, the needle parked (drive off, actuator
// retracted) within parkedWithinMs, and the true needle tip never beyond the board's hard maximum
// (BOARD_DEFAULTS.hardMaxExtensionUm) at any time. Hazards dealt with before anything moves (a bad profile, a
// wrong calibration) have no time budget: nothing is armed.

export interface HazardBudget {
  readonly title: string;
  /** Fault strike to drive off, ms; undefined: refused before arming, nothing runs. */
  readonly driveOffWithinMs?: number;
  /** Fault strike to needle parked, ms; undefined as above. */
  readonly parkedWithinMs?: number;
}

export const HAZARDS = {
  "over-depth": { title: "Over-depth", driveOffWithinMs: 100, parkedWithinMs: 110 },
  "over-speed": { title: "Over-speed", driveOffWithinMs: 60, parkedWithinMs: 70 },
  "stall-heating": { title: "Stall and heating", driveOffWithinMs: 250, parkedWithinMs: 260 },
  "drive-stuck-on": { title: "Drive stuck on", driveOffWithinMs: 420, parkedWithinMs: 430 },
  "host-dead": { title: "Host process dead or frozen", driveOffWithinMs: 270, parkedWithinMs: 280 },
  link: { title: "Serial link corrupt, lost or unplugged", driveOffWithinMs: 270, parkedWithinMs: 280 },
  "board-reset": { title: "Board reset or brown-out mid-burst", driveOffWithinMs: 70, parkedWithinMs: 80 },
  sensor: { title: "Position sensor stuck, noisy, offset or missing", driveOffWithinMs: 100, parkedWithinMs: 110 },
  "actuator-stuck": { title: "Actuator or its feedback stuck", driveOffWithinMs: 100, parkedWithinMs: 110 },
  "pedal-estop-wiring": { title: "Pedal or e-stop wiring broken", driveOffWithinMs: 50, parkedWithinMs: 60 },
  profile: { title: "Wrong, stale or corrupted profile" },
  "machine-calibration": { title: "Wrong machine calibration" },
  cartridge: {
    title: "Cartridge without membrane, with a broken spring, or reused",
    driveOffWithinMs: 100,
    parkedWithinMs: 110,
  },
  clock: { title: "Clock problems", driveOffWithinMs: 270, parkedWithinMs: 280 },
  "operator-stop": { title: "Operator stop and e-stop not obeyed", driveOffWithinMs: 20, parkedWithinMs: 30 },
} as const satisfies Record<string, HazardBudget>;

export type HazardName = keyof typeof HAZARDS;
export const HAZARD_BUDGETS: Readonly<Record<HazardName, HazardBudget>> = HAZARDS;
