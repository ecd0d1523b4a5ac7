// The reference board's continuous safety checks (docs/protocol.md §7.9, §7.10): once per main-loop step the
// pedal contacts, the lease, the e-stop input, the cartridge switch, the pedal, the position sensor's rail and
// the hard extension, the drive current and the actuator feedback, in that order, each latching its alarm;
// what still blocks UNLOCK; the debounced pedal (§7.13); and the ALARM frame once the needle is parked after a
// latch. Part of SimBoard (src/sim/board.ts), which does the latching itself.

import { ALARMS, BOARD_DEFAULTS, type AlarmName, type BoardStateName, type NakName } from "../protocol/table.ts";
import { tickBefore } from "../time/ticks.ts";
import { feedbackParked, sensorUm, type AlarmRecord, type BoardCore } from "./board-model.ts";
import { DepthWatch, type CamTiming } from "./board-depth.ts";
import { ADC_MAX } from "./plant.ts";

const D = BOARD_DEFAULTS;

/** The states with a lease running, in which the needle may go out: every continuous check applies. */
const LIVE_STATES: ReadonlySet<BoardStateName> = new Set(["ARMED", "BURST", "PEDAL", "PEDAL_BURST"]);
/** The states of a scheduled session (ARM), in which the pedal is a dead-man switch (PEDAL_RELEASED). */
const DEAD_MAN_STATES: ReadonlySet<BoardStateName> = new Set(["ARMED", "BURST"]);

export type PedalEvent = "press" | "release";

export class BoardGuard {
  /** The debounced pedal (§7.13): pressed or released, changed once the contacts read the other side for
   * pedalSettleUs. */
  pedalDown = false;
  private pedalOtherSideSinceUs: number | undefined;
  private pedalMismatchSinceUs: number | undefined;
  /** Since when the actuator feedback has been further than actuatorTrackingUm from the setpoint. */
  private actuatorMismatchSinceUs: number | undefined;
  /** The latch whose ALARM frame waits for the needle to park. */
  private parking: { sinceUs: number; tick: number; code: AlarmName } | undefined;
  /** The depth forecast's previous sample (src/sim/board-depth.ts). */
  private readonly depth = new DepthWatch();

  constructor(
    private readonly core: BoardCore,
    /** Every alarm latched since power-on, with when it latched and how long the needle took to park. */
    private readonly alarmHistory: AlarmRecord[],
  ) {}

  /** Power-up: debounces restart, and an ALARM frame still waiting for the park is forgotten. */
  reset(): void {
    this.pedalMismatchSinceUs = undefined;
    this.actuatorMismatchSinceUs = undefined;
    this.parking = undefined;
    this.depth.powerUp(this.core.nowUs());
    this.pedalDown = this.pedalSide() ?? false;
    this.pedalOtherSideSinceUs = undefined;
  }

  /** Which side the two pedal contacts read now: pressed (NO closed, NC open), released (the reverse), or neither
   * (they agree: a stuck contact or a broken wire). */
  private pedalSide(): boolean | undefined {
    const i = this.core.inputs;
    const no = i.pedalPressed || i.pedalStuck;
    const nc = !i.pedalPressed;
    return no === nc ? undefined : no;
  }

  /** One main-loop step of the pedal debounce: a press or a release once the contacts have read the other side
   * continuously for pedalSettleUs; contacts that agree hold the debounced state. */
  debouncePedal(): PedalEvent | undefined {
    const side = this.pedalSide();
    if (side === undefined || side === this.pedalDown) {
      this.pedalOtherSideSinceUs = undefined;
      return undefined;
    }
    const tUs = this.core.nowUs();
    this.pedalOtherSideSinceUs ??= tUs;
    if (tUs - this.pedalOtherSideSinceUs < D.pedalSettleUs) return undefined;
    this.pedalDown = side;
    this.pedalOtherSideSinceUs = undefined;
    return side ? "press" : "release";
  }

  /** The pedal reads pressed while its normally-open contact is closed. */
  pedalReadsPressed(): boolean {
    return this.core.inputs.pedalPressed || this.core.inputs.pedalStuck;
  }

  /** The NAK that refuses UNLOCK now (the first alarm cause present, in the protocol's order, else the needle not
   * parked yet), or undefined. The reference board has no configuration record: never CONFIG_INVALID. */
  unlockRefusal(): NakName | undefined {
    const i = this.core.inputs;
    if (i.estopButton) return "ESTOP_PRESSED";
    if (!i.cartridgePresent) return "CARTRIDGE_OPEN";
    if (this.pedalMismatchSinceUs !== undefined) return "PEDAL_CONTACTS";
    // feedback away from the setpoint: UNLOCK waits until it follows
    if (this.actuatorMismatchSinceUs !== undefined) return "ACTUATOR_MISMATCH";
    if (!feedbackParked(this.core.plant)) return "ALARM_ACTIVE";
    return undefined;
  }

  /** The continuous checks of one main-loop step, in the reference order; returns the needle tip as sensed.
   * setpointUm: the actuator setpoint over the step just run, which the depth forecast's actuator model follows. */
  step(leaseTick: number, cam: CamTiming, setpointUm: number): number {
    const core = this.core;
    const p = core.plant;
    const i = core.inputs;
    this.checkPedal();
    this.depth.track(core.nowUs(), setpointUm);
    const state = core.state();
    if (LIVE_STATES.has(state)) {
      if (tickBefore(leaseTick, core.tick())) core.latch("LEASE_EXPIRED");
      else if (i.estopButton) core.latch("ESTOP");
      else if (!i.cartridgePresent) core.latch("CARTRIDGE_MISSING");
      else if (DEAD_MAN_STATES.has(state) && !this.pedalReadsPressed()) core.latch("PEDAL_RELEASED");
    } else if (i.estopButton && state !== "ALARM") {
      core.latch("ESTOP");
    }
    const count = p.sensorCount();
    const tipUm = sensorUm(p, count);
    if (LIVE_STATES.has(core.state())) {
      if (count >= ADC_MAX)
        core.latch("SENSOR_DROPOUT"); // open wire: the pull-up takes the input to the rail
      else if (tipUm > core.config.hardMaxExtensionUm) core.latch("OVER_EXTENSION");
      else if (this.forecastUm(count, tipUm, cam) > core.config.hardMaxExtensionUm - D.forecastMarginUm)
        core.latch("OVER_EXTENSION"); // the tip is still on its way down: act before it gets there (§7.12)
    } else {
      this.depth.reset();
    }
    if (p.driveOn && p.currentMa() > core.config.hardMaxCurrentMa) core.latch("OVER_CURRENT");
    this.checkActuator();
    return tipUm;
  }

  /** The lower bound of the tip's depth at the coming bottom dead centre (-Infinity without a reading). */
  private forecastUm(count: number, tipUm: number, cam: CamTiming): number {
    const p = this.core.plant;
    const sensed = count > 0 ? tipUm : undefined; // at the floor the sensor only says "this far in, or further"
    const f = this.depth.sample(
      this.core.nowUs(),
      sensed,
      p.actuatorFeedbackUm(),
      p.actuatorSetUm,
      p.params.strokeUm,
      cam,
    );
    return f ?? -Infinity;
  }

  /** A new latch (not one in ALARM already): its ALARM frame goes out once the needle is parked. */
  latched(code: AlarmName): void {
    const tUs = this.core.nowUs();
    this.parking = { sinceUs: tUs, tick: this.core.tick(), code };
    this.alarmHistory.push({ code, atUs: tUs, parkedUs: undefined });
  }

  /** One ALARM frame per latch, once the needle is parked (end of every main-loop step). */
  checkParked(): void {
    if (!this.parking || !feedbackParked(this.core.plant)) return;
    const tUs = this.core.nowUs();
    const { sinceUs, tick, code } = this.parking;
    this.parking = undefined;
    const entry = this.alarmHistory[this.alarmHistory.length - 1];
    if (entry) entry.parkedUs = tUs - sinceUs;
    this.core.send({
      id: "ALARM",
      seq: 0,
      fields: { alarm: ALARMS[code].code, tick, parkedUs: Math.round(tUs - sinceUs) },
    });
  }

  /** The pedal has a normally-open and a normally-closed contact; they must always disagree. */
  private checkPedal(): void {
    const i = this.core.inputs;
    const no = i.pedalPressed || i.pedalStuck;
    const nc = !i.pedalPressed;
    if (no !== nc) {
      this.pedalMismatchSinceUs = undefined;
      return;
    }
    const tUs = this.core.nowUs();
    this.pedalMismatchSinceUs ??= tUs;
    if ((tUs - this.pedalMismatchSinceUs) / 1000 >= this.core.config.pedalDebounceMs) this.core.latch("PEDAL_FAULT");
  }

  /** Actuator plausibility, in every state: the position feedback must follow the setpoint within
   * actuatorTrackingUm, allowing actuatorSettleMs for travel (a full move takes ~8 ms). */
  private checkActuator(): void {
    const p = this.core.plant;
    if (Math.abs(p.actuatorFeedbackUm() - p.actuatorSetUm) <= D.actuatorTrackingUm) {
      this.actuatorMismatchSinceUs = undefined;
      return;
    }
    const tUs = this.core.nowUs();
    this.actuatorMismatchSinceUs ??= tUs;
    if ((tUs - this.actuatorMismatchSinceUs) / 1000 > D.actuatorSettleMs) this.core.latch("ACTUATOR_FAULT");
  }
}
