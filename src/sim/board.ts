// The simulated driver board: the board behaviour of docs/protocol.md (framing, ACK/NAK, de-duplication,
// HELLO, priority bytes, board-timed bursts, the host-silence lease, latched alarms, hard limits) running
// the Plant. It is written like firmware: a fixed-step main loop plus a byte receive handler; time comes in
// as arguments. The real firmware (firmware-bridge/) must behave the same; the contract suite checks both.

import { acceptance } from "../protocol/acceptance.ts";
import { LineAssembler, decodeFrame, encodeFrame, nextSeq } from "../protocol/codec.ts";
import {
  ALARMS,
  BOARD_DEFAULTS,
  BOARD_STATES,
  LINK,
  NAKS,
  PROTOCOL_VERSION,
  isHostMessageId,
  schemaHash,
  type AlarmName,
  type BoardStateName,
  type Frame,
  type FrameOf,
  type HostMessageId,
  type NakName,
} from "../protocol/table.ts";
import { msToTicks, tickAdd, tickBefore, tickDiff } from "../time/ticks.ts";
import type { Plant } from "./plant.ts";
import { ADC_MAX, PARK_UM } from "./plant.ts";

export interface BoardConfig {
  readonly firmware: string;
  readonly clockHz: number;
  readonly hardMaxExtensionUm: number;
  readonly hardMaxStrokeHz: number;
  readonly hardMaxCurrentMa: number;
  readonly hardMaxDwellMs: number;
  readonly hardMaxLeaseMs: number;
  readonly queueSlots: number;
  readonly stepUs: number;
  readonly stallWindowMs: number;
  readonly lateToleranceMs: number;
  readonly pedalDebounceMs: number;
}

/** Spin-up ends when the tachometer shows BOARD_DEFAULTS.spinupSpeedPercent of the stroke rate, or after this
 * long whatever the speed. */
export const SPINUP_MAX_MS: number = BOARD_DEFAULTS.spinupMaxMs;

const D = BOARD_DEFAULTS;

export const DEFAULT_BOARD: BoardConfig = {
  firmware: "smp-sim-1.0.0",
  clockHz: D.clockHz,
  hardMaxExtensionUm: D.hardMaxExtensionUm,
  hardMaxStrokeHz: D.hardMaxStrokeHz,
  hardMaxCurrentMa: D.hardMaxCurrentMa,
  hardMaxDwellMs: D.hardMaxDwellMs,
  hardMaxLeaseMs: D.hardMaxLeaseMs,
  queueSlots: D.queueSlots,
  stepUs: 250, // the simulation's main-loop step (the firmware's guard runs every 200 us)
  stallWindowMs: D.stallWindowMs,
  lateToleranceMs: D.lateToleranceMs,
  pedalDebounceMs: D.pedalDebounceMs,
};

/** The physical inputs around the board: the operator's pedal (two contacts), e-stop button, cartridge switch. */
export interface BoardInputs {
  pedalPressed: boolean;
  /** A welded normally-open contact: reads pressed whatever the operator does. */
  pedalStuck: boolean;
  estopButton: boolean;
  cartridgePresent: boolean;
}

/** What the simulated rig needs from a board: this TypeScript model, or the real firmware in emulation. */
export interface BoardModel {
  readonly inputs: BoardInputs;
  /** Run the board up to time tUs (microseconds since the rig started). */
  advanceTo(tUs: number): void;
  /** One byte arrives on the board's serial input. */
  receiveByte(byte: number): void;
  /** Physical truth: needle parked up and drive off. */
  readonly parked: boolean;
  /** Dot whose burst is running, if known. */
  readonly currentDot: number | undefined;
  reset(bootId: number): void;
  halt(): void;
  /** The board's own account, for tests: dots completed, alarms latched, state. */
  readonly completedDots: readonly number[];
  readonly alarmHistory: readonly { code: AlarmName; atUs: number; parkedUs: number | undefined }[];
  readonly state: BoardStateName;
  readonly alarm: AlarmName | undefined;
}

type DotCommand = FrameOf<"DOT">["fields"];
type BurstPhase = "spinup" | "strokes" | "retract";

interface Burst {
  dot: DotCommand;
  phase: BurstPhase;
  driveOnUs: number;
  strokes: number;
  maxExtensionUm: number;
  lastEdgeUs: number;
  strokeMinUm: number;
  strokeMaxUm: number;
  peakCurrentMa: number;
  /** Consecutive bottom dead centres read inside the grip with the actuator out. */
  insideReads: number;
  /** The current stroke window began before an unsynchronised extend. */
  windowCut: boolean;
}

export class SimBoard implements BoardModel {
  readonly inputs: BoardInputs = { pedalPressed: true, pedalStuck: false, estopButton: false, cartridgePresent: true };
  state: BoardStateName = "ALARM";
  alarm: AlarmName | undefined = "POWER_UP";
  bootId = 0;
  private tUs = 0;
  private txSeq = 0;
  private lastRxSeq: number | undefined;
  private lastDotAccepted: number | undefined;
  private lastResponse: Frame | undefined;
  private rx = new LineAssembler();
  private counters = { rxOk: 0, rxBad: 0, rxDup: 0 };
  private bootUs = 0;
  private leaseTick = 0;
  private queue: DotCommand[] = [];
  private burst: Burst | undefined;
  private disarmPending = false;
  private parking: { sinceUs: number; tick: number; code: AlarmName } | undefined;
  /** Board-side truth for tests: every dot whose burst completed, in order. */
  readonly completedDots: number[] = [];
  /** Every alarm latched since power-on, with when it latched and how long the needle took to park. */
  readonly alarmHistory: { code: AlarmName; atUs: number; parkedUs: number | undefined }[] = [];
  private nextStatusUs = 0;
  private lastEdgeUs = 0;
  private lastCompletedDot = 0;
  private pedalMismatchSinceUs: number | undefined;
  /** Since when the actuator feedback has been further than actuatorTrackingUm from the setpoint. */
  private actuatorMismatchSinceUs: number | undefined;
  private halted = false;

  constructor(
    readonly plant: Plant,
    readonly config: BoardConfig,
    private readonly transmit: (bytes: Uint8Array) => void,
    bootId = 1,
  ) {
    this.powerUp(bootId, 0);
  }

  /** Board clock, u32 ticks since the last power-up or reset. */
  get tick(): number {
    return tickAdd(0, Math.floor(((this.tUs - this.bootUs) * this.config.clockHz) / 1e6));
  }

  get nowUs(): number {
    return this.tUs;
  }

  /** Dot whose burst is running, if any. */
  get currentDot(): number | undefined {
    return this.burst?.dot.dot;
  }

  /** Physical truth (plant), for tests: drive off and the actuator at or behind 0 um. */
  get parked(): boolean {
    return !this.plant.driveOn && this.plant.actuatorUm <= 0;
  }

  /** The board's own view of parked, as the firmware's parked(): drive off and the actuator's position
   * feedback (ADC1) at or behind 0 um. A lying feedback is caught by checkActuator (ACTUATOR_FAULT). */
  private get feedbackParked(): boolean {
    return !this.plant.driveOn && this.plant.actuatorFeedbackUm() <= 0;
  }

  /** Simulate a reset (power glitch, watchdog): all volatile state is lost; the board reboots into ALARM. */
  reset(bootId: number): void {
    this.powerUp(bootId, 2);
  }

  /** Stop the board dead (unplugged): no more frames, no processing. The plant is left as it is. */
  halt(): void {
    this.halted = true;
  }

  /** Run the main loop up to tUs in fixed steps. */
  advanceTo(tUs: number): void {
    const step = this.config.stepUs;
    while (this.tUs + step <= tUs) {
      const edges = this.plant.step(step);
      this.tUs += step;
      if (this.halted) continue;
      for (const e of edges) this.onTachEdge(e.tUs, e.bdcCount);
      this.mainLoop();
    }
  }

  /** Receive interrupt: priority bytes act at once; other bytes build lines. */
  receiveByte(byte: number): void {
    if (this.halted) return;
    const items: ReturnType<LineAssembler["pushAll"]> = [];
    this.rx.push(byte, items);
    for (const item of items) {
      if (item.kind === "priority") this.latch(item.which);
      else if (item.kind === "overflow") this.counters.rxBad++;
      else this.onLine(item.line);
    }
  }

  // ---- receive path -------------------------------------------------------------------------------------

  private onLine(line: string): void {
    const decoded = decodeFrame(line);
    if (!decoded.ok || !isHostFrame(decoded.frame)) {
      this.counters.rxBad++;
      return;
    }
    const frame = decoded.frame;
    this.counters.rxOk++;
    if (frame.id !== "HELLO") {
      if (this.lastRxSeq === undefined) return this.respondNak(frame.seq, "SEQUENCE", false);
      if (frame.seq === this.lastRxSeq) {
        this.counters.rxDup++;
        if (this.lastResponse) this.send(this.lastResponse);
        return;
      }
      if (frame.seq !== nextSeq(this.lastRxSeq)) return this.respondNak(frame.seq, "SEQUENCE", false);
    }
    this.lastRxSeq = frame.seq;
    this.execute(frame);
  }

  /** Execute a new command: the acceptance table (COMMAND_ACCEPTANCE) decides by state, then its own checks. */
  private execute(frame: HostFrame): void {
    const ack = () => this.respond({ id: "ACK", seq: 0, fields: { ackSeq: frame.seq } });
    const verdict = acceptance(frame.id, this.state);
    if (verdict.verdict === "nak") return this.respondNak(frame.seq, verdict.nak);
    if (verdict.verdict === "ack") return ack();
    if (verdict.latchFirst) this.latch(verdict.latchFirst); // HELLO while armed: HOST_RESTART
    switch (frame.id) {
      case "HELLO":
        this.lastDotAccepted = undefined;
        this.lastCompletedDot = 0;
        ack();
        this.send({ id: "INFO", seq: 0, fields: this.info() });
        return;
      case "UNLOCK":
        if (this.alarmCausePresent()) return this.respondNak(frame.seq, "ALARM_ACTIVE");
        if (!this.feedbackParked) return this.respondNak(frame.seq, "ALARM_ACTIVE");
        this.alarm = undefined;
        this.setState("IDLE");
        return ack();
      case "ARM":
        if (!this.pedalReadsPressed()) return this.respondNak(frame.seq, "BAD_STATE");
        this.extendLease(frame.fields.leaseTick);
        this.disarmPending = false;
        this.setState("ARMED");
        return ack();
      case "DOT":
        return this.acceptDot(frame.seq, frame.fields);
      case "KEEP":
        this.extendLease(frame.fields.leaseTick);
        return ack();
      case "DISARM":
        this.disarmPending = true;
        this.maybeDisarm();
        return ack();
      case "STOP":
      case "ESTOP":
        this.latch(frame.id);
        return ack();
    }
  }

  /** DOT in ARMED or BURST (the acceptance table refuses it elsewhere): the checks of docs/protocol.md §7.4. */
  private acceptDot(seq: number, dot: DotCommand): void {
    const c = this.config;
    const burstMs = dot.strokeHz > 0 ? (dot.strokes * 1000) / dot.strokeHz + LINK.burstOverheadMs : Infinity;
    const beyond =
      dot.extensionUm > c.hardMaxExtensionUm ||
      dot.strokeHz === 0 ||
      dot.strokeHz > c.hardMaxStrokeHz ||
      dot.dutyPermille > 1000 ||
      dot.strokes === 0 ||
      burstMs > c.hardMaxDwellMs;
    if (beyond) {
      this.respondNak(seq, "LIMIT");
      return this.latch("LIMIT_REQUEST");
    }
    const lateTicks = msToTicks(c.lateToleranceMs, c.clockHz);
    if (tickBefore(dot.atTick, tickAdd(this.tick, -lateTicks))) return this.respondNak(seq, "LATE");
    if (this.lastDotAccepted !== undefined && dot.dot <= this.lastDotAccepted) return this.respondNak(seq, "DOT_ORDER");
    if (this.queue.length >= c.queueSlots) return this.respondNak(seq, "QUEUE_FULL");
    this.queue.push(dot);
    this.lastDotAccepted = dot.dot;
    this.extendLease(dot.leaseTick);
    this.respond({ id: "ACK", seq: 0, fields: { ackSeq: seq } });
  }

  private extendLease(requested: number): void {
    const cap = tickAdd(this.tick, msToTicks(this.config.hardMaxLeaseMs, this.config.clockHz));
    this.leaseTick = tickBefore(cap, requested) ? cap : requested;
  }

  // ---- main loop ------------------------------------------------------------------------------------------

  private mainLoop(): void {
    const p = this.plant;
    this.checkPedal();
    const armed = this.state === "ARMED" || this.state === "BURST";
    if (armed) {
      if (tickBefore(this.leaseTick, this.tick)) this.latch("LEASE_EXPIRED");
      else if (this.inputs.estopButton) this.latch("ESTOP");
      else if (!this.inputs.cartridgePresent) this.latch("CARTRIDGE_MISSING");
      else if (!this.pedalReadsPressed()) this.latch("PEDAL_RELEASED");
    } else if (this.inputs.estopButton && this.state !== "ALARM") {
      this.latch("ESTOP");
    }
    const count = p.sensorCount();
    const tipUm = this.countToUm(count);
    if (this.state === "ARMED" || this.state === "BURST") {
      if (count >= ADC_MAX)
        this.latch("SENSOR_DROPOUT"); // open wire: the pull-up takes the input to the rail
      else if (tipUm > this.config.hardMaxExtensionUm) this.latch("OVER_EXTENSION");
    }
    if (p.driveOn && p.currentMa() > this.config.hardMaxCurrentMa) this.latch("OVER_CURRENT");
    this.checkActuator();
    if (this.burst) this.runBurst(tipUm);
    if (this.state === "ARMED" && !this.burst) this.startNextBurst();
    this.maybeDisarm();
    this.checkParked();
    if (this.tUs >= this.nextStatusUs) this.sendStatus();
  }

  /**
   * Burst phases. spinup: drive on, needle parked, until the tachometer shows 85 % of the stroke rate (or
   * 60 ms). strokes: the actuator extends right after a bottom dead centre, so it arrives before the next
   * one; every bottom dead centre with the needle out of the grip is a puncture. retract: starts right after
   * the last puncture; punctures still made while retracting are counted too. The whole burst's drive
   * on-time is capped at hardMaxDwellMs.
   */
  private runBurst(tipUm: number): void {
    const b = this.burst!;
    const p = this.plant;
    const c = this.config;
    b.peakCurrentMa = Math.max(b.peakCurrentMa, p.currentMa());
    b.strokeMinUm = Math.min(b.strokeMinUm, tipUm);
    b.strokeMaxUm = Math.max(b.strokeMaxUm, tipUm);
    if (p.driveOn && (this.tUs - b.lastEdgeUs) / 1000 > c.stallWindowMs) return this.latch("STALL");
    if ((this.tUs - b.driveOnUs) / 1000 > c.hardMaxDwellMs) return this.latch("DWELL_EXCEEDED");
    // slow motor: go anyway, unsynchronised
    if (b.phase === "spinup" && (this.tUs - b.driveOnUs) / 1000 >= SPINUP_MAX_MS) this.extend(b, false);
    if (b.phase === "retract" && p.actuatorFeedbackUm() <= 0) {
      p.driveOn = false;
      this.send({
        id: "DOTEND",
        seq: 0,
        fields: {
          dot: b.dot.dot,
          strokes: b.strokes,
          maxExtensionUm: Math.round(b.maxExtensionUm),
          onTimeUs: Math.round(this.tUs - b.driveOnUs),
          tick: this.tick,
        },
      });
      this.completedDots.push(b.dot.dot);
      this.lastCompletedDot = b.dot.dot;
      this.burst = undefined;
      if (this.state === "BURST") this.setState("ARMED");
    }
  }

  /** Command the actuator out: the needle is on its way up, so it arrives before the next bottom dead centre. */
  private extend(b: Burst, atEdge: boolean): void {
    b.windowCut = !atEdge; // mid-window: the stroke being measured started parked
    b.phase = "strokes";
    this.plant.actuatorSetUm = b.dot.extensionUm;
    b.peakCurrentMa = 0; // motor inrush during spin-up is not a puncture's current
  }

  private startNextBurst(): void {
    const next = this.queue[0];
    if (!next || tickBefore(this.tick, next.atTick)) return;
    this.queue.shift();
    if (tickDiff(this.tick, next.atTick) > msToTicks(LINK.lateStartMs, this.config.clockHz))
      return this.latch("LATE_START");
    const p = this.plant;
    p.dutyPermille = next.dutyPermille;
    p.coilPulseHz = next.strokeHz;
    p.driveOn = true;
    this.burst = {
      dot: next,
      phase: "spinup",
      driveOnUs: this.tUs,
      strokes: 0,
      maxExtensionUm: -Infinity,
      lastEdgeUs: this.tUs,
      strokeMinUm: Infinity,
      strokeMaxUm: -Infinity,
      peakCurrentMa: 0,
      insideReads: 0,
      windowCut: false,
    };
    this.setState("BURST");
  }

  private onTachEdge(edgeUs: number, bdcCount: number): void {
    const periodUs = edgeUs - this.lastEdgeUs;
    this.lastEdgeUs = edgeUs;
    if (periodUs > 0 && 1e6 / periodUs > this.config.hardMaxStrokeHz && this.plant.driveOn)
      return this.latch("OVER_SPEED");
    const b = this.burst;
    if (!b) return;
    const p = this.plant;
    b.lastEdgeUs = edgeUs;
    if (b.phase === "spinup") {
      const periodInBurst = edgeUs - periodUs >= b.driveOnUs;
      // up to speed: extend just past bottom dead centre
      if (periodInBurst && 1e6 / periodUs > (D.spinupSpeedPercent / 100) * b.dot.strokeHz) this.extend(b, true);
      b.strokeMinUm = Infinity;
      b.strokeMaxUm = -Infinity;
      return;
    }
    const extensionUm = this.countToUm(bdcCount);
    if (bdcCount >= ADC_MAX) return this.latch("SENSOR_DROPOUT");
    if (extensionUm > this.config.hardMaxExtensionUm) return this.latch("OVER_EXTENSION");
    // a turning cam moves the needle by its whole stroke between two edges; a frozen reading is a stuck sensor.
    // Not judged on a window cut short by an unsynchronised extend (spin-up timeout): it may hold only the
    // parked needle, which the sensor reads at its bottom rail.
    if (!b.windowCut && b.strokeMaxUm - b.strokeMinUm < D.stuckSwingUm) return this.latch("SENSOR_STUCK");
    b.windowCut = false;
    const actuatorOut = b.phase === "strokes" && p.actuatorFeedbackUm() >= b.dot.extensionUm - D.actuatorOutMarginUm;
    if (extensionUm > 0) {
      b.strokes++;
      b.maxExtensionUm = Math.max(b.maxExtensionUm, extensionUm);
      this.send({
        id: "STROKE",
        seq: 0,
        // periodUs saturates at the u32 maximum (a first stroke past the spin-up timeout, after a standstill of
        // over 71.6 min, would not fit); the firmware reports that value for any period from an edge 17.9 min old
        fields: {
          dot: b.dot.dot,
          stroke: b.strokes,
          extensionUm: Math.round(extensionUm),
          periodUs: Math.min(Math.round(periodUs), 0xffffffff),
          currentMa: Math.round(b.peakCurrentMa),
        },
      });
      if (b.phase === "strokes" && b.strokes >= b.dot.strokes) {
        b.phase = "retract";
        p.actuatorSetUm = PARK_UM; // just past bottom dead centre: parked before the next one
      }
      b.insideReads = 0;
    } else if (actuatorOut && ++b.insideReads >= D.dropoutInsideReads) {
      return this.latch("SENSOR_DROPOUT"); // twice: extended actuator, yet the sensor sees the needle inside the grip
    }
    b.peakCurrentMa = 0;
    b.strokeMinUm = Infinity;
    b.strokeMaxUm = -Infinity;
  }

  private countToUm(count: number): number {
    return (count - this.plant.params.sensorZeroCount) * this.plant.params.sensorUmPerCount;
  }

  // ---- safety ---------------------------------------------------------------------------------------------

  /** Latch an alarm: drive off at once, needle parks, queue dropped. The first alarm's code is kept. */
  private latch(code: AlarmName): void {
    const p = this.plant;
    p.driveOn = false;
    p.dutyPermille = 0;
    p.actuatorSetUm = PARK_UM;
    this.queue = [];
    this.burst = undefined;
    this.disarmPending = false;
    if (this.state === "ALARM") return;
    this.alarm = code;
    this.parking = { sinceUs: this.tUs, tick: this.tick, code };
    this.alarmHistory.push({ code, atUs: this.tUs, parkedUs: undefined });
    this.setState("ALARM");
  }

  /** Actuator plausibility, in every state: the position feedback must follow the setpoint within
   * actuatorTrackingUm, allowing actuatorSettleMs for travel (a full move takes ~8 ms). */
  private checkActuator(): void {
    const p = this.plant;
    if (Math.abs(p.actuatorFeedbackUm() - p.actuatorSetUm) <= D.actuatorTrackingUm) {
      this.actuatorMismatchSinceUs = undefined;
      return;
    }
    this.actuatorMismatchSinceUs ??= this.tUs;
    if ((this.tUs - this.actuatorMismatchSinceUs) / 1000 > D.actuatorSettleMs) this.latch("ACTUATOR_FAULT");
  }

  private checkParked(): void {
    if (!this.parking || !this.feedbackParked) return;
    const { sinceUs, tick, code } = this.parking;
    this.parking = undefined;
    const entry = this.alarmHistory[this.alarmHistory.length - 1];
    if (entry) entry.parkedUs = this.tUs - sinceUs;
    this.send({
      id: "ALARM",
      seq: 0,
      fields: { alarm: ALARMS[code].code, tick, parkedUs: Math.round(this.tUs - sinceUs) },
    });
  }

  private pedalReadsPressed(): boolean {
    return this.inputs.pedalPressed || this.inputs.pedalStuck;
  }

  /** The pedal has a normally-open and a normally-closed contact; they must always disagree. */
  private checkPedal(): void {
    const no = this.inputs.pedalPressed || this.inputs.pedalStuck;
    const nc = !this.inputs.pedalPressed;
    if (no !== nc) {
      this.pedalMismatchSinceUs = undefined;
      return;
    }
    this.pedalMismatchSinceUs ??= this.tUs;
    if ((this.tUs - this.pedalMismatchSinceUs) / 1000 >= this.config.pedalDebounceMs) this.latch("PEDAL_FAULT");
  }

  private alarmCausePresent(): boolean {
    return (
      this.inputs.estopButton ||
      !this.inputs.cartridgePresent ||
      this.pedalMismatchSinceUs !== undefined ||
      this.actuatorMismatchSinceUs !== undefined
    ); // feedback away from the setpoint: UNLOCK waits until it follows
  }

  private maybeDisarm(): void {
    if (this.disarmPending && this.state === "ARMED" && !this.burst && this.queue.length === 0) {
      this.disarmPending = false;
      this.setState("IDLE");
    }
  }

  // ---- transmit ---------------------------------------------------------------------------------------------

  private setState(state: BoardStateName): void {
    if (state === this.state) return;
    this.state = state;
    this.sendStatus();
  }

  private sendStatus(): void {
    this.nextStatusUs = this.tUs + LINK.statusPeriodMs * 1000;
    this.send({
      id: "STATUS",
      seq: 0,
      fields: {
        tick: this.tick,
        state: BOARD_STATES[this.state],
        alarm: this.alarm ? ALARMS[this.alarm].code : 0,
        credit: this.config.queueSlots - this.queue.length,
        parked: this.feedbackParked ? 1 : 0,
        lastDot: this.lastCompletedDot,
        ...this.counters,
      },
    });
  }

  private info(): FrameOf<"INFO">["fields"] {
    const c = this.config;
    return {
      protocol: PROTOCOL_VERSION,
      firmware: c.firmware,
      schema: schemaHash(),
      clockHz: c.clockHz,
      bootId: this.bootId,
      tick: this.tick,
      hardMaxExtensionUm: c.hardMaxExtensionUm,
      hardMaxStrokeHz: c.hardMaxStrokeHz,
      hardMaxCurrentMa: c.hardMaxCurrentMa,
      hardMaxDwellMs: c.hardMaxDwellMs,
      hardMaxLeaseMs: c.hardMaxLeaseMs,
      queueSlots: c.queueSlots,
    };
  }

  private respond(frame: Frame): void {
    this.lastResponse = frame;
    this.send(frame);
  }

  private respondNak(ackSeq: number, nak: NakName, remember = true): void {
    const frame: Frame = { id: "NAK", seq: 0, fields: { ackSeq, nak: NAKS[nak].code } };
    if (remember) this.lastResponse = frame;
    this.send(frame);
  }

  private send(frame: Frame): void {
    if (this.halted) return;
    const line = encodeFrame({ ...frame, seq: this.txSeq });
    this.txSeq = nextSeq(this.txSeq);
    this.transmit(Buffer.from(line, "latin1"));
  }

  private powerUp(bootId: number, resetCause: number): void {
    const p = this.plant;
    p.driveOn = false;
    p.dutyPermille = 0;
    p.actuatorSetUm = PARK_UM;
    this.bootId = bootId;
    this.bootUs = this.tUs;
    this.counters = { rxOk: 0, rxBad: 0, rxDup: 0 };
    this.pedalMismatchSinceUs = undefined;
    this.actuatorMismatchSinceUs = undefined;
    this.leaseTick = 0;
    this.state = "ALARM";
    this.alarm = "POWER_UP";
    this.lastRxSeq = undefined;
    this.lastDotAccepted = undefined;
    this.lastCompletedDot = 0;
    this.lastResponse = undefined;
    this.rx = new LineAssembler();
    this.queue = [];
    this.burst = undefined;
    this.disarmPending = false;
    this.parking = undefined;
    this.txSeq = 0;
    if (!this.halted) this.transmit(Uint8Array.of(0x0a)); // end a frame a reset may have cut short on the wire
    this.send({ id: "BOOT", seq: 0, fields: { bootId, resetCause } });
    this.sendStatus();
  }
}

type HostFrame = Extract<Frame, { id: HostMessageId }>;
function isHostFrame(f: Frame): f is HostFrame {
  return isHostMessageId(f.id);
}
