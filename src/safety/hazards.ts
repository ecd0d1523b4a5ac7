// The hazards of docs/safety.md and their budgets, as one table: the fault campaign (tests/faults/) judges
// every run against it and tests/safety-doc.test.ts checks that the hazard file states the same numbers.
// A budget is what the design promises under a single fault: the true needle tip never beyond the board's
// hard maximum (BOARD_DEFAULTS.hardMaxExtensionUm), and the needle parked (drive off, actuator retracted)
// within parkedWithinMs of the moment the fault struck.

export const HAZARDS = {
  "over-depth": { title: "Over-depth", parkedWithinMs: 100 },
  "over-speed": { title: "Over-speed", parkedWithinMs: 60 },
  stall: { title: "Stall and heating", parkedWithinMs: 250 },
  "over-current": { title: "Over-current, drive stuck on", parkedWithinMs: 20 },
  "host-dead": { title: "Host process dead or frozen", parkedWithinMs: 270 },
  "link-corrupt": { title: "Serial link corrupt", parkedWithinMs: 270 },
  "link-lost": { title: "Serial link lost or unplugged", parkedWithinMs: 270 },
  "board-reset": { title: "Board reset or brown-out mid-burst", parkedWithinMs: 20 },
  sensor: { title: "Position sensor stuck, noisy, offset or missing", parkedWithinMs: 100 },
  "actuator-stuck": { title: "Actuator or its feedback stuck", parkedWithinMs: 100 },
  "pedal-estop-wiring": { title: "Pedal or e-stop wiring broken", parkedWithinMs: 50 },
  "operator-stop": { title: "Operator stop and e-stop", parkedWithinMs: 20 },
} as const satisfies Record<string, { readonly title: string; readonly parkedWithinMs: number }>;

export type HazardName = keyof typeof HAZARDS;
export const HAZARD_BUDGETS: Readonly<Record<HazardName, { readonly parkedWithinMs: number }>> = HAZARDS;
