// The board's actuator and analog front end (firmware-bridge/README.md, pin map and analog conventions): one
// table for the emulated board's pin wiring (src/sim/firmware.ts), the simulated plant (src/sim/plant.ts) and
// the firmware, which gets every entry as SMP_WIRING_<NAME> in the generated board_tables.h
// (scripts/gen-firmware-header.ts) for its actuator steps and its EEPROM calibration defaults. Integers only,
// each name ending in its unit. Not part of the schema hash: none of it is on the wire.

import { BOARD_DEFAULTS } from "./board-defaults.ts";

export const BOARD_WIRING = {
  /** Actuator setpoint: Timer2 PWM on OC2A, BOARD_DEFAULTS.parkUm plus this per OCR2A step (park = step 0). */
  actuatorUmPerStep: 8,
  /** Actuator position feedback on ADC1: nanometres per count (2.5 um). */
  actuatorFeedbackNmPerCount: 2500,
  /** ADC1 count with the actuator at 0 um (park, -400 um, reads count 90). */
  actuatorFeedbackZeroCount: 250,
  /** The ADC reference (AVCC): the full scale of every channel, 1024 counts. */
  adcRefMv: 5000,
  /** Drive current sense on ADC2: 1 V per A (for example a 50 mOhm shunt and a gain-20 amplifier). */
  currentSenseMvPerA: 1000,
  /** How fast the actuator travels; actuatorSettleMs in BOARD_DEFAULTS is sized for it. */
  actuatorRateUmPerMs: 250,
  /** The actuator starts to follow a new setpoint within this long of its write (its driver's filter and loop); the
   * firmware's depth forecast allows for twice it after its model of the actuator has arrived (docs/protocol.md
   * §7.12). A bench engineer checks it with a scope on the feedback. */
  actuatorLagUs: 100,
} as const;

export type BoardWiringName = keyof typeof BOARD_WIRING;

/** ADC counts of the full scale (10 bit: 0 to BOARD_DEFAULTS.adcMaxCount). */
export const ADC_COUNTS: number = BOARD_DEFAULTS.adcMaxCount + 1;

/** Current sense in uA per ADC2 count, rounded: the firmware's EEPROM default (5000 mA / 1024 = 4883 uA). */
export function currentSenseUaPerCount(): number {
  const fullScaleUa = (BOARD_WIRING.adcRefMv * 1e6) / BOARD_WIRING.currentSenseMvPerA;
  return Math.round(fullScaleUa / ADC_COUNTS);
}
