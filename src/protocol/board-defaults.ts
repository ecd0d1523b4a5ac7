// The board's behaviour constants: one table for the simulated board (src/sim/board.ts, src/sim/plant.ts) and
// the firmware, which gets every entry as SMP_DEFAULT_<NAME> in the generated protocol.h
// (scripts/gen-firmware-header.ts) and uses them in include/limits.h and src/eeprom_config.c. Pure data:
// integers only (the firmware has no floating point), each name ending in its unit. Not part of the schema
// hash: the hard limits and queue depth travel in INFO and the host checks those itself.

export const BOARD_DEFAULTS = {
  /** Board tick rate (INFO clockHz). */
  clockHz: 10_000,
  /** Default hard cap on needle extension (INFO hardMaxExtensionUm; EEPROM default). */
  hardMaxExtensionUm: 1500,
  /** Default hard cap on the stroke rate (INFO hardMaxStrokeHz; EEPROM default). */
  hardMaxStrokeHz: 160,
  /** Default hard cap on the drive current (INFO hardMaxCurrentMa; EEPROM default). */
  hardMaxCurrentMa: 3000,
  /** Default hard cap on a burst's drive on-time, spin-up to drive off (INFO hardMaxDwellMs; EEPROM default). */
  hardMaxDwellMs: 400,
  /** Default longest lease the board grants (INFO hardMaxLeaseMs; EEPROM default). */
  hardMaxLeaseMs: 500,
  /** Dot queue depth (INFO queueSlots). */
  queueSlots: 4,
  /** No tachometer edge for longer than this while a burst drives: STALL. */
  stallWindowMs: 100,
  /** A DOT may arrive this long after its start tick and still be queued; later is NAK LATE. */
  lateToleranceMs: 2,
  /** The two pedal contacts may disagree this long before PEDAL_FAULT latches. */
  pedalDebounceMs: 20,
  /** Both pedal contacts must read the same side (pressed: NO closed and NC open; released: the reverse) this long
   * before the board takes it as a press or a release (§7.13): contact bounce lasts well under a millisecond. */
  pedalSettleUs: 1000,
  /** Spin-up ends at spinupSpeedPercent of the stroke rate, or after this long whatever the speed. */
  spinupMaxMs: 60,
  /** Spin-up ends once the tachometer shows more than this percentage of the dot's stroke rate. */
  spinupSpeedPercent: 85,
  /** Needle position swing between two tachometer edges below this: SENSOR_STUCK. */
  stuckSwingUm: 200,
  /** The actuator counts as extended once within this of its setpoint. */
  actuatorOutMarginUm: 20,
  /** Actuator plausibility: the position feedback (ADC1) may differ from the setpoint by this much without
   * counting as a mismatch. Above the 8 um setpoint step and the feedback's quantisation and noise (a few
   * counts), well below a full move (1.9 mm): a feedback frozen anywhere but right at the setpoint is caught. */
  actuatorTrackingUm: 150,
  /** A mismatch lasting longer than this latches ACTUATOR_FAULT. The actuator moves 250 um/ms, so its full
   * travel (park -400 um to 1500 um, 1.9 mm) takes ~8 ms; 20 ms leaves 2.5x margin for that lag yet is far
   * shorter than a burst, so a stuck feedback is caught within the retract of the dot it froze in. */
  actuatorSettleMs: 20,
  /** Consecutive bottom dead centres read inside the grip with the actuator extended: SENSOR_DROPOUT. */
  dropoutInsideReads: 2,
  /** Actuator park position: keeps the needle tip inside the grip at every cam phase (negative: retracted). */
  parkUm: -400,
  /** Top rail of the 10-bit ADC: an open sensor wire reads this (SENSOR_DROPOUT). */
  adcMaxCount: 1023,
  /** The needle tip may read this far beyond the actuator feedback at a bottom dead centre before it counts as
   * ahead of the actuator (docs/protocol.md §7.5, extension check): a healthy cartridge only gives, so the tip
   * is at or behind the actuator; this covers the sensor noise (6 um rms), its 4 um counts and the feedback's
   * 2.5 um counts, about 5 sigma. */
  tipAheadToleranceUm: 40,
  /** Spin-up's zero check (docs/protocol.md §7.5), at every tachometer edge with the actuator at park: the parked
   * needle's bottom dead centre is in the sensor's range (a machine's sensor reads down to 448 um behind the grip at
   * least, parkUm - sensorZeroVisibleUm), and a healthy sensor reads it within a few counts of parkUm (-24 to +20 um
   * at single edges). Read further behind than this, or at the floor, the sensor reads shallow: SENSOR_OFFSET. That
   * would blind the depth guard by as much, so it is caught before the actuator goes out (not in a spin-up that
   * ends at its timeout with no tachometer edge at park: docs/protocol.md §7.5). */
  sensorZeroToleranceUm: 40,
  /** How far below the parked needle's bottom dead centre a machine's sensor must still read (its floor, zero count
   * x um per count, beyond -parkUm), so that the zero check sees a healthy parked needle and one read shallow by
   * more than sensorZeroToleranceUm reads the floor or far behind. */
  sensorZeroVisibleUm: 48,
  /** The depth forecast (docs/protocol.md §7.12) takes the cam this much faster than the last tachometer period
   * shows (a motor still speeding up, a coil's pulse rate raised): a faster cam lowers the forecast. */
  camRateMarginPercent: 5,
  /** ... and never slower than this (the operating window's floor): a period left from a standstill, or none
   * yet, says nothing about the cam's speed now. */
  forecastMinStrokeHz: 30,
  /** ... and takes the cam's speed this much slower than two position samples show: the sensor's noise (6 um
   * rms, so about 35 um/ms rms between samples 250 us apart) and the lag of a speed measured over the last step. */
  forecastSpeedMarginUmPerMs: 60,
  /** ... and never counts more than A (1 - sqrt(1 - 0.95^2)) = 0.69 A of cam travel still to come (A = half the
   * stroke): around a quarter stroke from BDC the forecast's slope is steepest, where a small speed error would
   * count the cam's whole remaining travel. */
  forecastSwingCapPermille: 950,
  /** ... and counts the rest of an outgoing actuator move before the BDC while the feedback trails the model by at
   * most actuatorTrackingUm plus this (the speed itself is taken against the model only within
   * actuatorTrackingUm): the firmware's feedback sample is up to 620 us old (one in four conversions, 104 us to
   * convert, 100 us of actuator lag), 155 um of a 250 um/ms move. Without it a move on its way out dropped out of
   * the forecast exactly while it pushed the needle deeper. */
  forecastFollowSlackUm: 160,
  /** The depth forecast latches OVER_EXTENSION once the coming BDC is forecast beyond hardMaxExtensionUm less this:
   * the forecast is a lower bound, and its margins (the cam rate's ceiling, at least the burst's rate while a loaded
   * motor runs slower; the speed margin; the cam angle to go taken as its sine) leave it short of the true BDC
   * depth by the time it must act: a broken spring's tip went up to 208 um past the threshold on the emulated
   * firmware with 100 um here (1608 um), and at most 150 um past it with 200 (1450 um; sweeps in docs/safety.md,
   * cartridge). The host keeps every command this plus tipAheadToleranceUm below the hard maximum
   * (MIN_COMMAND_MARGIN_UM in src/control/handshake.ts), so a healthy stroke, forecast at or below its command
   * plus sensor noise, never reaches it. */
  forecastMarginUm: 200,
} as const;

export type BoardDefaultName = keyof typeof BOARD_DEFAULTS;
