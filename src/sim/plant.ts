// Physical plant of the simulated rig: a rotary machine (DC motor turning a cam, speed droops under skin
// load) or a coil machine (spring-loaded armature pulled by a pulsed coil), the needle-extension actuator,
// the cartridge's spring give, skin that pushes back harder as the needle goes deeper, and noisy sensors.
// Time advances in fixed steps given in microseconds; nothing here reads a clock.

import { BOARD_DEFAULTS } from "../protocol/table.ts";

export type MachineKind = "rotary" | "coil";

export interface PlantParams {
  readonly machine: MachineKind;
  /** Cam (rotary) or armature (coil) stroke length. */
  readonly strokeUm: number;
  /** Rotary: unloaded stroke rate at full duty. */
  readonly freeStrokeHzAtFullDuty: number;
  /** Rotary: speed lost at full skin load, percent. */
  readonly loadDroopPercent: number;
  /** Travel of the cartridge spring before the needle bottoms out. */
  readonly cartridgeGiveUm: number;
  readonly sensorUmPerCount: number;
  readonly sensorZeroCount: number;
  readonly sensorNoiseUm: number;
  readonly actuatorRateUmPerMs: number;
  readonly motorTauMs: number;
  readonly seed: number;
}

/** Skin under the needle: stiffness relative to the cartridge spring, and its thickness. */
export interface SkinParams {
  readonly stiffnessRatio: number;
  readonly thicknessUm: number;
}

/** Actuator position that keeps the needle tip inside the grip at every phase (BOARD_DEFAULTS.parkUm). */
export const PARK_UM: number = BOARD_DEFAULTS.parkUm;
/** How far from PARK_UM the actuator may stand and still count as parked (lastOutOfParkUs). */
export const PARK_TOLERANCE_UM = 1;
/** Top rail of the 10-bit ADC (BOARD_DEFAULTS.adcMaxCount). */
export const ADC_MAX: number = BOARD_DEFAULTS.adcMaxCount;

/** One tachometer edge, at bottom dead centre, with the position ADC sampled on the same edge. */
export interface TachEdge {
  readonly tUs: number;
  readonly bdcCount: number;
}

export interface PlantFaults {
  stall: boolean;
  /** The drive turns the machine at this fraction of its speed (1 = healthy): below 1 a dragging cam bearing or a
   * sagging supply (it still turns, so the tachometer keeps pulsing, just slowly); above 1 a runaway (a shorted
   * speed controller). */
  speedFraction: number;
  overCurrentMa: number;
  /** A broken cartridge spring: from the moment it breaks the needle no longer gives under skin load, and it
   * slides ahead of its actuator by up to this much, the cartridge's free travel (0 = healthy). Nothing holds
   * it against the drive any more, so it runs on by inertia while the drive decelerates towards bottom dead
   * centre (the second half of the descent), no faster than the drive moves, and only in the air: skin holds
   * it. See leadUm. */
  overshootUm: number;
  /** The cartridge's give is gone (a spring gone stiff, the handpiece pressed hard): the tip reaches its free
   * position under any skin load. The depth loop had commanded deeper to make up for the give it learned. */
  giveLost: boolean;
  sensor: "ok" | "stuck" | "dropout";
  /** Added to every needle position reading, um (negative: the sensor reads shallow, so the depth loop pushes
   * deeper): a sensor knocked out of its calibration. */
  sensorOffsetUm: number;
  /** A reading off by fromUm at sinceUs and drifting on at umPerMs (negative: shallower), on top of the offset: a
   * sensor warming up or a magnet working loose. */
  sensorDrift: { readonly sinceUs: number; readonly umPerMs: number; readonly fromUm: number } | undefined;
  /** The actuator's position feedback (ADC1) frozen at the position it read when the fault struck (a stuck
   * potentiometer wiper, a broken feedback wire held by its filter): the actuator itself still moves. */
  actuatorFeedbackStuck: boolean;
}

/** Small seeded PRNG (mulberry32) with a Gaussian helper, so every simulated run is repeatable. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  gauss(): number {
    const u = Math.max(this.next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
}

export class Plant {
  tUs = 0;
  strokeHz = 0;
  /** 0 = top dead centre, 0.5 = bottom dead centre. */
  phase = 0;
  actuatorUm = PARK_UM;
  actuatorSetUm = PARK_UM;
  driveOn = false;
  dutyPermille = 0;
  /** Coil machines follow the pulse rate the board drives. */
  coilPulseHz = 0;
  skin: SkinParams = { stiffnessRatio: 0.15, thicknessUm: 1600 };
  readonly faults: PlantFaults = {
    stall: false,
    speedFraction: 1,
    overCurrentMa: 0,
    overshootUm: 0,
    giveLost: false,
    sensor: "ok",
    sensorOffsetUm: 0,
    sensorDrift: undefined,
    actuatorFeedbackStuck: false,
  };
  /** Physical truth (tests, and a simulated run's end record): the deepest the needle tip has actually gone,
   * tracked at the end of every step and at every bottom dead centre in between (between two bottom dead
   * centres the tip moves monotonically with the cam, so that is the whole path). Not the sensor's reading. */
  deepestTipUm = -Infinity;
  /** The same, as the needle sensor would read each tip (its offset and drift, no noise): what the board's depth
   * guard could see. Differs from deepestTipUm only under a sensor-offset or sensor-drift fault. */
  deepestSensedTipUm = -Infinity;
  /** Physical truth for tests: bottom dead centres at which the needle tip was out of the grip. */
  punctures = 0;
  /** Physical truth for tests: bottom dead centres passed with the drive on and the actuator at park while the sensor
   * read shallower than BOARD_DEFAULTS.sensorZeroToleranceUm: each a chance for the board's zero check
   * (docs/protocol.md §7.5) to see a sensor reading shallow. */
  shallowZeroChecks = 0;
  /** How far the needle has slid ahead of its actuator since the spring broke (grows towards
   * faults.overshootUm with the cam's travel towards the skin; the fault's onset is physical, not a jump). */
  leadUm = 0;
  /** Physical truth for tests: the last moment (us, end of a step) the needle was not parked, that is the drive
   * was on or the actuator stood more than PARK_TOLERANCE_UM out of park. After a fault that latches, this
   * minus the fault's moment is the true time to needle parked. */
  lastOutOfParkUs = 0;
  /** Physical truth for tests: when the needle last left park (start of the interval lastOutOfParkUs ends). */
  outOfParkSinceUs = 0;
  /** Physical truth for tests: the last moment (us, end of a step) the drive was on. */
  lastDriveOnUs = 0;
  private lastLoadFraction = 0;
  private frozenCount: number | undefined;
  private frozenFeedbackUm: number | undefined;
  private readonly rng: Rng;

  constructor(readonly params: PlantParams) {
    this.rng = new Rng(params.seed);
  }

  /** Needle tip beyond the grip for a free (unloaded) tip position, after skin and cartridge give. */
  loadedTipUm(freeTipUm: number): number {
    if (this.faults.overshootUm > 0) return freeTipUm + this.leadUm; // no spring: no give either
    if (freeTipUm <= 0 || this.faults.giveLost) return freeTipUm;
    const ratio = this.skin.stiffnessRatio * (1 + freeTipUm / this.skin.thicknessUm);
    const giveUm = Math.min(this.params.cartridgeGiveUm, freeTipUm - freeTipUm / (1 + ratio));
    return freeTipUm - giveUm;
  }

  freeTipUm(phase: number): number {
    return this.actuatorUm - (this.params.strokeUm * (1 + Math.cos(2 * Math.PI * phase))) / 2;
  }

  tipUm(): number {
    return this.loadedTipUm(this.freeTipUm(this.phase));
  }

  currentMa(): number {
    const { machine } = this.params;
    let ma = 60;
    if (this.driveOn) {
      if (machine === "rotary") {
        const free = (this.params.freeStrokeHzAtFullDuty * this.dutyPermille) / 1000;
        const slip = free > 0 ? Math.max(0, 1 - this.strokeHz / free) : 0;
        ma += 0.6 * this.dutyPermille + 1800 * slip * (this.dutyPermille / 1000) + 400 * this.lastLoadFraction;
      } else {
        ma += 1.4 * this.dutyPermille + 300 * this.lastLoadFraction;
      }
    }
    return ma + this.faults.overCurrentMa;
  }

  /** How far the sensor's reading is off the tip now, um (sensor-offset and sensor-drift faults). */
  sensorErrorUm(): number {
    const drift = this.faults.sensorDrift;
    const driftUm = drift ? drift.fromUm + (drift.umPerMs * (this.tUs - drift.sinceUs)) / 1000 : 0;
    return this.faults.sensorOffsetUm + driftUm;
  }

  private noteDeepest(tipUm: number): void {
    this.deepestTipUm = Math.max(this.deepestTipUm, tipUm);
    this.deepestSensedTipUm = Math.max(this.deepestSensedTipUm, tipUm + this.sensorErrorUm());
  }

  /** Position ADC count (10 bit) as the board would read it now. */
  sensorCount(tipUm = this.tipUm()): number {
    if (this.faults.sensor === "dropout") return ADC_MAX;
    const count =
      Math.round(
        (tipUm + this.sensorErrorUm() + this.rng.gauss() * this.params.sensorNoiseUm) / this.params.sensorUmPerCount,
      ) + this.params.sensorZeroCount;
    const clamped = Math.min(ADC_MAX, Math.max(0, count));
    if (this.faults.sensor === "stuck") return (this.frozenCount ??= clamped);
    this.frozenCount = undefined;
    return clamped;
  }

  /** Actuator position as its feedback (ADC1) reports it: the board's only view of the actuator. Physical
   * truth is actuatorUm; with the feedback-stuck fault this stays where it was when the fault struck. */
  actuatorFeedbackUm(): number {
    if (!this.faults.actuatorFeedbackStuck) {
      this.frozenFeedbackUm = undefined;
      return this.actuatorUm;
    }
    return (this.frozenFeedbackUm ??= this.actuatorUm);
  }

  /** A broken spring's needle gains lead by the cam's travel towards the skin between cam phases from and to
   * (unwrapped, from <= to) while the cam decelerates, phases (k + 0.25, k + 0.5), and the tip is in the air
   * (the cam stands A (1 - cos 2 pi phase) below its top). */
  private gainLead(from: number, to: number): void {
    if (this.faults.overshootUm === 0) this.leadUm = 0; // a fresh cartridge
    const wantUm = this.faults.overshootUm - this.leadUm;
    if (wantUm <= 0) return;
    const heightUm = (phase: number) => (this.params.strokeUm * (1 - Math.cos(2 * Math.PI * phase))) / 2;
    let descentUm = 0;
    for (let k = Math.floor(from); k < to; k++) {
      const a = Math.max(from, k + 0.25);
      const b = Math.min(to, k + 0.5);
      // the tip gains twice what the cam descends (cam and lead): it reaches the skin after half its distance
      const airUm = -(this.freeTipUm(a) + this.leadUm + descentUm);
      if (b > a && airUm > 0) descentUm += Math.min(heightUm(b) - heightUm(a), airUm / 2);
    }
    this.leadUm += Math.min(wantUm, descentUm);
  }

  /** Advance by dtUs; returns the tachometer edges (bottom dead centre) crossed in this step. */
  step(dtUs: number): TachEdge[] {
    const dtMs = dtUs / 1000;
    const p = this.params;
    const dAct = this.actuatorSetUm - this.actuatorUm;
    const maxMove = p.actuatorRateUmPerMs * dtMs;
    this.actuatorUm += Math.abs(dAct) <= maxMove ? dAct : Math.sign(dAct) * maxMove;

    let targetHz = 0;
    if (this.driveOn && !this.faults.stall) {
      if (p.machine === "rotary") {
        const droop = (p.loadDroopPercent / 100) * this.lastLoadFraction;
        targetHz = ((p.freeStrokeHzAtFullDuty * this.dutyPermille) / 1000) * (1 - droop);
      } else {
        // a coil follows its pulse rate, but too little drive cannot pull the armature through
        targetHz = this.dutyPermille >= 150 ? this.coilPulseHz : 0;
      }
      targetHz *= this.faults.speedFraction;
    }
    if (p.machine === "coil" || this.faults.stall) {
      const tau = this.faults.stall ? 4 : 1.5;
      this.strokeHz += (targetHz - this.strokeHz) * Math.min(1, dtMs / tau);
    } else {
      const tau = this.driveOn ? p.motorTauMs : p.motorTauMs * 1.6;
      this.strokeHz += (targetHz - this.strokeHz) * Math.min(1, dtMs / tau);
    }
    if (this.strokeHz < 0.5 && targetHz === 0) this.strokeHz = 0;

    const edges: TachEdge[] = [];
    const advance = this.strokeHz * (dtUs / 1e6);
    const start = this.phase;
    const end = start + advance;
    let leadFrom = start; // the cam travel up to here has been added to leadUm
    // bottom dead centre at every k + 0.5
    for (let bdc = Math.floor(start - 0.5) + 1.5; bdc <= end; bdc += 1) {
      if (bdc <= start) continue;
      const frac = advance > 0 ? (bdc - start) / advance : 0;
      this.gainLead(leadFrom, bdc);
      leadFrom = bdc;
      const tip = this.loadedTipUm(this.freeTipUm(0.5));
      this.noteDeepest(tip);
      if (tip > 0) this.punctures++;
      this.lastLoadFraction = Math.min(1, Math.max(0, tip) / 1000);
      edges.push({ tUs: this.tUs + frac * dtUs, bdcCount: this.sensorCount(tip) });
      if (
        this.driveOn &&
        this.actuatorUm <= PARK_UM + PARK_TOLERANCE_UM &&
        this.sensorErrorUm() < -BOARD_DEFAULTS.sensorZeroToleranceUm
      )
        this.shallowZeroChecks++;
    }
    if (this.actuatorUm <= 0) this.lastLoadFraction = 0;
    this.gainLead(leadFrom, end);
    this.phase = end - Math.floor(end);
    this.tUs += dtUs;
    this.noteDeepest(this.tipUm());
    if (this.driveOn) this.lastDriveOnUs = this.tUs;
    if (this.driveOn || this.actuatorUm > PARK_UM + PARK_TOLERANCE_UM) {
      if (this.lastOutOfParkUs < this.tUs - dtUs) this.outOfParkSinceUs = this.tUs - dtUs;
      this.lastOutOfParkUs = this.tUs;
    }
    return edges;
  }
}
