// The simulated driver board: the board behaviour of docs/protocol.md (framing, ACK/NAK, de-duplication,
// HELLO, priority bytes, board-timed bursts, pedal-armed dots, the host-silence lease, latched alarms, hard limits)
// running the Plant. It is written like firmware: a fixed-step main loop plus a byte receive handler; time comes in
// as arguments. The real firmware (firmware-bridge/) must behave the same; the contract suite checks both.
// Here: the state, the commands, the lease, the main loop, latching, STATUS and INFO; the link layer is in
// board-link.ts, the bursts in board-burst.ts, the continuous checks in board-guard.ts, the types in board-model.ts.

import { acceptance } from "../protocol/acceptance.ts";
import {
  ALARMS,
  BOARD_STATES,
  LINK,
  PROTOCOL_VERSION,
  RESET_CAUSES,
  schemaHash,
  type AlarmName,
  type BoardStateName,
  type FrameOf,
  type ResetCauseName,
} from "../protocol/table.ts";
import { msToTicks, tickAdd, tickBefore } from "../time/ticks.ts";
import { BurstRunner, type DotCommand } from "./board-burst.ts";
import { BoardGuard, type PedalEvent } from "./board-guard.ts";
import { BoardLink, type HostFrame } from "./board-link.ts";
import {
  feedbackParked,
  type AlarmRecord,
  type BoardConfig,
  type BoardCore,
  type BoardInputs,
  type BoardModel,
} from "./board-model.ts";
import { PARK_UM, type Plant } from "./plant.ts";

export { DEFAULT_BOARD, type BoardConfig, type BoardInputs, type BoardModel, type AlarmRecord } from "./board-model.ts";

export class SimBoard implements BoardModel {
  readonly inputs: BoardInputs = { pedalPressed: true, pedalStuck: false, estopButton: false, cartridgePresent: true };
  state: BoardStateName = "ALARM";
  alarm: AlarmName | undefined = "POWER_UP";
  bootId = 0;
  /** Board-side truth for tests: every dot whose burst completed, in order. */
  readonly completedDots: number[] = [];
  /** Every alarm latched since power-on, with when it latched and how long the needle took to park. */
  readonly alarmHistory: AlarmRecord[] = [];
  private tUs = 0;
  private lastDotAccepted: number | undefined;
  private bootUs = 0;
  private leaseTick = 0;
  private disarmPending = false;
  /** The burst settings PEDAL armed (docs/protocol.md §7.13). */
  private armed: FrameOf<"PEDAL">["fields"] | undefined;
  /** When the latest pedal burst of the press still held fired (repeats count from it); undefined: none. */
  private lastFireUs: number | undefined;
  private unfiredPresses = 0;
  private nextStatusUs = 0;
  private halted = false;
  private readonly link: BoardLink;
  private readonly bursts: BurstRunner;
  private readonly guard: BoardGuard;

  constructor(
    readonly plant: Plant,
    readonly config: BoardConfig,
    transmit: (bytes: Uint8Array) => void,
    bootId = 1,
  ) {
    this.link = new BoardLink(transmit, {
      priority: (which) => this.latch(which),
      execute: (frame) => this.execute(frame),
      halted: () => this.halted,
      nowUs: () => this.tUs,
    });
    const core: BoardCore = {
      plant,
      config,
      inputs: this.inputs,
      nowUs: () => this.tUs,
      tick: () => this.tick,
      state: () => this.state,
      setState: (s) => this.setState(s),
      latch: (code) => this.latch(code),
      send: (frame) => this.link.send(frame),
    };
    this.bursts = new BurstRunner(core, this.completedDots);
    this.guard = new BoardGuard(core, this.alarmHistory);
    this.powerUp(bootId, "POWER_ON");
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
    return this.bursts.current?.dot;
  }

  /** Physical truth (plant), for tests: drive off and the actuator at or behind 0 um. */
  get parked(): boolean {
    return !this.plant.driveOn && this.plant.actuatorUm <= 0;
  }

  /**
   * Simulate a reset (default: through the reset pin): all volatile state is lost; the board reboots into ALARM
   * with the cause's alarm (RESET_CAUSES). A watchdog reset happens at once here (the firmware's hangs first).
   */
  reset(bootId: number, cause: ResetCauseName = "EXTERNAL"): void {
    this.powerUp(bootId, cause);
  }

  /** Stop the board dead (unplugged): no more frames, no processing. The plant is left as it is. */
  halt(): void {
    this.halted = true;
  }

  /** Run the main loop up to tUs in fixed steps. */
  advanceTo(tUs: number): void {
    const step = this.config.stepUs;
    while (this.tUs + step <= tUs) {
      const setpointUm = this.plant.actuatorSetUm; // what the actuator follows during this step
      const edges = this.plant.step(step);
      this.tUs += step;
      if (this.halted) continue;
      for (const e of edges) this.bursts.onTachEdge(e.tUs, e.bdcCount);
      this.mainLoop(setpointUm);
      this.link.pump();
    }
  }

  /** Receive interrupt: priority bytes act at once; other bytes build lines (board-link.ts). */
  receiveByte(byte: number): void {
    if (!this.halted) this.link.receiveByte(byte);
  }

  // ---- commands -----------------------------------------------------------------------------------------

  /** Execute a new command: the acceptance table (COMMAND_ACCEPTANCE) decides by state, then its own checks. */
  private execute(frame: HostFrame): void {
    const ack = () => this.link.ack(frame.seq);
    const verdict = acceptance(frame.id, this.state);
    if (verdict.verdict === "nak") return this.link.nak(frame.seq, verdict.nak);
    if (verdict.verdict === "ack") return ack();
    if (verdict.latchFirst) this.latch(verdict.latchFirst); // HELLO while armed: HOST_RESTART
    switch (frame.id) {
      case "HELLO":
        this.lastDotAccepted = undefined;
        this.bursts.lastCompletedDot = 0;
        this.unfiredPresses = 0;
        ack();
        this.link.send({ id: "INFO", seq: 0, fields: this.info() });
        return;
      case "UNLOCK": {
        const refusal = this.guard.unlockRefusal();
        if (refusal) return this.link.nak(frame.seq, refusal);
        this.alarm = undefined;
        this.setState("IDLE");
        return ack();
      }
      case "ARM":
        if (!this.guard.pedalReadsPressed()) return this.link.nak(frame.seq, "BAD_STATE");
        this.extendLease(frame.fields.leaseTick);
        this.disarmPending = false;
        this.setState("ARMED");
        return ack();
      case "DOT":
        return this.acceptDot(frame.seq, frame.fields);
      case "PEDAL":
        return this.acceptPedal(frame.seq, frame.fields);
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

  /** A burst's settings beyond a hard limit (docs/protocol.md §7.4), for DOT and PEDAL alike. */
  private burstBeyond(b: Pick<DotCommand, "extensionUm" | "strokeHz" | "dutyPermille" | "strokes">): boolean {
    const c = this.config;
    const burstMs = b.strokeHz > 0 ? (b.strokes * 1000) / b.strokeHz + LINK.burstOverheadMs : Infinity;
    return (
      b.extensionUm > c.hardMaxExtensionUm ||
      b.strokeHz === 0 ||
      b.strokeHz > c.hardMaxStrokeHz ||
      b.dutyPermille > 1000 ||
      b.strokes === 0 ||
      burstMs > c.hardMaxDwellMs
    );
  }

  /** PEDAL in IDLE, PEDAL or PEDAL_BURST: arm these settings for the next press (docs/protocol.md §7.13). */
  private acceptPedal(seq: number, pedal: FrameOf<"PEDAL">["fields"]): void {
    const r = pedal.repeatMs;
    const repeatBeyond = r !== 0 && (r < LINK.pedalRepeatMinMs || r > LINK.pedalRepeatMaxMs);
    if (this.burstBeyond(pedal) || repeatBeyond) {
      this.link.nak(seq, "LIMIT");
      return this.latch("LIMIT_REQUEST");
    }
    if (this.state === "IDLE") this.lastFireUs = undefined; // a pedal already held fires nothing until pressed again
    this.armed = pedal;
    this.extendLease(pedal.leaseTick);
    this.disarmPending = false;
    if (this.state === "IDLE") this.setState("PEDAL");
    this.link.ack(seq);
  }

  /** DOT in ARMED or BURST (the acceptance table refuses it elsewhere): the checks of docs/protocol.md §7.4. */
  private acceptDot(seq: number, dot: DotCommand): void {
    const c = this.config;
    if (this.burstBeyond(dot)) {
      this.link.nak(seq, "LIMIT");
      return this.latch("LIMIT_REQUEST");
    }
    const lateTicks = msToTicks(c.lateToleranceMs, c.clockHz);
    if (tickBefore(dot.atTick, tickAdd(this.tick, -lateTicks))) return this.link.nak(seq, "LATE");
    if (this.lastDotAccepted !== undefined && dot.dot <= this.lastDotAccepted) return this.link.nak(seq, "DOT_ORDER");
    if (this.bursts.queued >= c.queueSlots) return this.link.nak(seq, "QUEUE_FULL");
    this.bursts.enqueue(dot);
    this.lastDotAccepted = dot.dot;
    this.extendLease(dot.leaseTick);
    this.link.ack(seq);
  }

  private extendLease(requested: number): void {
    const cap = tickAdd(this.tick, msToTicks(this.config.hardMaxLeaseMs, this.config.clockHz));
    this.leaseTick = tickBefore(cap, requested) ? cap : requested;
  }

  // ---- main loop ------------------------------------------------------------------------------------------

  /** setpointUm: the actuator's setpoint over the step just run (a tach edge may have changed it since). */
  private mainLoop(setpointUm: number): void {
    const tipUm = this.guard.step(this.leaseTick, this.bursts.cam, setpointUm);
    if (this.bursts.current) this.bursts.step(tipUm);
    const pedal = this.guard.debouncePedal();
    if (pedal) this.onPedal(pedal);
    if (this.state === "ARMED" && !this.bursts.current) this.bursts.startNext();
    // not with a DISARM pending: the board goes to IDLE once the burst has ended (§7.13), as the firmware does
    if (this.state === "PEDAL" && !this.bursts.current && !this.disarmPending && this.repeatDue()) this.fire(true);
    this.maybeDisarm();
    this.guard.checkParked();
    if (this.tUs >= this.nextStatusUs) this.sendStatus();
  }

  /** A press fires the armed burst in PEDAL and counts as unfired anywhere else; a release ends a pedal burst. */
  private onPedal(event: PedalEvent): void {
    this.sendStatus(); // the debounced pedal is in STATUS inputs
    if (event === "release") {
      this.lastFireUs = undefined;
      if (this.state === "PEDAL_BURST") this.bursts.release();
      return;
    }
    if (this.state === "PEDAL" && !this.bursts.current) this.fire(false);
    else this.unfiredPresses = (this.unfiredPresses + 1) >>> 0;
  }

  /** Held pedal, a repeat interval armed, and that long since the previous burst of this press fired. */
  private repeatDue(): boolean {
    const repeatMs = this.armed?.repeatMs ?? 0;
    return repeatMs > 0 && this.lastFireUs !== undefined && this.tUs - this.lastFireUs >= repeatMs * 1000;
  }

  /** Start a pedal burst with the armed settings: the next dot number, PEDAL_BURST, then FIRE (§7.13). */
  private fire(repeat: boolean): void {
    const a = this.armed!;
    const dot = (this.lastDotAccepted ?? 0) + 1;
    this.lastDotAccepted = dot;
    this.lastFireUs = this.tUs;
    const { extensionUm, strokeHz, dutyPermille, strokes, leaseTick } = a;
    this.bursts.start(
      { dot, atTick: this.tick, extensionUm, strokeHz, dutyPermille, strokes, leaseTick },
      "PEDAL_BURST",
    );
    this.link.send({ id: "FIRE", seq: 0, fields: { dot, armId: a.armId, tick: this.tick, repeat: repeat ? 1 : 0 } });
  }

  /** Latch an alarm: drive off at once, needle parks, queue dropped. The first alarm's code is kept. */
  private latch(code: AlarmName): void {
    const p = this.plant;
    p.driveOn = false;
    p.dutyPermille = 0;
    p.actuatorSetUm = PARK_UM;
    this.bursts.clear();
    this.disarmPending = false;
    this.lastFireUs = undefined;
    if (this.state === "ALARM") return;
    this.alarm = code;
    this.guard.latched(code);
    this.setState("ALARM");
  }

  private maybeDisarm(): void {
    const armed = this.state === "ARMED" || this.state === "PEDAL";
    if (this.disarmPending && armed && !this.bursts.current && this.bursts.queued === 0) {
      this.disarmPending = false;
      this.setState("IDLE");
    }
  }

  // ---- transmit ---------------------------------------------------------------------------------------------

  private setState(state: BoardStateName): void {
    if (state === this.state) return;
    this.state = state;
    this.sendStatus(state === "ALARM"); // a latch's STATUS goes ahead of the telemetry still waiting (§7.7)
  }

  private sendStatus(priority = false): void {
    this.nextStatusUs = this.tUs + LINK.statusPeriodMs * 1000;
    this.link.send(
      {
        id: "STATUS",
        seq: 0,
        fields: {
          tick: this.tick,
          state: BOARD_STATES[this.state],
          alarm: this.alarm ? ALARMS[this.alarm].code : 0,
          credit: this.config.queueSlots - this.bursts.queued,
          parked: feedbackParked(this.plant) ? 1 : 0,
          lastDot: this.bursts.lastCompletedDot,
          ...this.link.counters,
          inputs: this.inputBits(),
          unfiredPresses: this.unfiredPresses,
        },
      },
      priority,
    );
  }

  /** STATUS inputs: 1 the debounced pedal pressed, 2 the cartridge switch closed, 4 the e-stop input active. */
  private inputBits(): number {
    const i = this.inputs;
    return (this.guard.pedalDown ? 1 : 0) | (i.cartridgePresent ? 2 : 0) | (i.estopButton ? 4 : 0);
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

  private powerUp(bootId: number, cause: ResetCauseName): void {
    const p = this.plant;
    p.driveOn = false;
    p.dutyPermille = 0;
    p.actuatorSetUm = PARK_UM;
    this.bootId = bootId;
    this.bootUs = this.tUs;
    this.link.reset();
    this.guard.reset();
    this.leaseTick = 0;
    this.state = "ALARM";
    this.alarm = RESET_CAUSES[cause].alarm; // only a clean power-on is POWER_UP
    this.lastDotAccepted = undefined;
    this.bursts.lastCompletedDot = 0;
    this.bursts.clear();
    this.disarmPending = false;
    this.armed = undefined;
    this.lastFireUs = undefined;
    this.unfiredPresses = 0;
    this.link.lineBreak(); // end a frame a reset may have cut short on the wire
    this.link.send({ id: "BOOT", seq: 0, fields: { bootId, resetCause: RESET_CAUSES[cause].code } });
    this.sendStatus();
  }
}
