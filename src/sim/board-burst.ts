// The reference board's dot queue and burst execution (docs/protocol.md §7.5): the queue of accepted dots, the
// start of the queue head when it is due, the three burst phases (spin-up, strokes, retract) timed from the
// tachometer edges and the main loop, the per-stroke checks and the STROKE and DOTEND frames. Part of SimBoard
// (src/sim/board.ts), which owns the state and the latching; time comes in through BoardCore.

import { BOARD_DEFAULTS, LINK, type FrameOf } from "../protocol/table.ts";
import { msToTicks, tickBefore, tickDiff } from "../time/ticks.ts";
import { sensorUm, type BoardCore } from "./board-model.ts";
import type { CamTiming } from "./board-depth.ts";
import { ADC_MAX, PARK_UM } from "./plant.ts";

export type DotCommand = FrameOf<"DOT">["fields"];
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
  /** Spin-up: how far the sensed tip was seen ahead of the actuator feedback (-Infinity: never seen). */
  tipAheadUm: number;
  /** Spin-up: the needle sensor read its floor at least once; its readings off the floor, lowest and highest. */
  spinFloorSeen: boolean;
  spinMinUm: number;
  spinMaxUm: number;
}

const D = BOARD_DEFAULTS;

export class BurstRunner {
  private queue: DotCommand[] = [];
  private burst: Burst | undefined;
  /** The latest tachometer edge, burst or not (kept across resets, like the plant's cam). */
  private lastEdgeUs = 0;
  /** The periods the latest two tachometer edges closed, us (0 before the first). */
  private lastPeriodUs = 0;
  private previousPeriodUs = 0;
  /** The last dot whose burst completed since HELLO or power-up (STATUS lastDot), 0 if none. */
  lastCompletedDot = 0;

  constructor(
    private readonly core: BoardCore,
    /** Board-side truth for tests: every dot whose burst completed, in order. */
    private readonly completedDots: number[],
  ) {}

  /** The dot whose burst is running, if any. */
  get current(): DotCommand | undefined {
    return this.burst?.dot;
  }

  /** The cam's timing as the tachometer shows it, for the depth forecast. */
  get cam(): CamTiming {
    return {
      periodUs: this.lastPeriodUs,
      previousPeriodUs: this.previousPeriodUs,
      burstStrokeHz: this.burst?.dot.strokeHz ?? 0,
    };
  }

  /** Dots accepted and not started yet. */
  get queued(): number {
    return this.queue.length;
  }

  enqueue(dot: DotCommand): void {
    this.queue.push(dot);
  }

  /** A latch or a reset: the queue is dropped and a running burst abandoned (no DOTEND). */
  clear(): void {
    this.queue = [];
    this.burst = undefined;
  }

  /** Start the queue head if it is due (in ARMED with no burst running), or latch LATE_START if it is late. */
  startNext(): void {
    const core = this.core;
    const next = this.queue[0];
    if (!next || tickBefore(core.tick(), next.atTick)) return;
    this.queue.shift();
    if (tickDiff(core.tick(), next.atTick) > msToTicks(LINK.lateStartMs, core.config.clockHz))
      return core.latch("LATE_START");
    this.start(next, "BURST");
  }

  /** Start a burst now: drive on, needle parked, spin-up; the board moves to `state` (BURST, or PEDAL_BURST for a
   * burst the pedal fired, docs/protocol.md §7.13). */
  start(dot: DotCommand, state: "BURST" | "PEDAL_BURST"): void {
    const core = this.core;
    const p = core.plant;
    p.dutyPermille = dot.dutyPermille;
    p.coilPulseHz = dot.strokeHz;
    p.driveOn = true;
    this.burst = {
      dot,
      phase: "spinup",
      driveOnUs: core.nowUs(),
      strokes: 0,
      maxExtensionUm: -Infinity,
      lastEdgeUs: core.nowUs(),
      strokeMinUm: Infinity,
      strokeMaxUm: -Infinity,
      peakCurrentMa: 0,
      insideReads: 0,
      windowCut: false,
      tipAheadUm: -Infinity,
      spinFloorSeen: false,
      spinMinUm: Infinity,
      spinMaxUm: -Infinity,
    };
    core.setState(state);
  }

  /** The pedal was released during a pedal burst (§7.13): in spin-up the burst ends at once (the needle never left
   * the grip); in strokes the actuator goes back to park now, and the burst ends like any other once it is there. */
  release(): void {
    const b = this.burst;
    if (!b || b.phase === "retract") return;
    if (b.phase === "spinup") return this.finish(b);
    b.phase = "retract";
    this.core.plant.actuatorSetUm = PARK_UM;
  }

  /**
   * One main-loop step of the running burst. Phases: spinup: drive on, needle parked, until the tachometer
   * shows 85 % of the stroke rate (or 60 ms). strokes: the actuator extends right after a bottom dead centre,
   * so it arrives before the next one (not always: the coil's whole travel takes longer than a stroke at 150 Hz,
   * which the depth forecast allows for); every bottom dead centre with the needle out of the grip is a puncture.
   * retract: starts right after the last puncture; punctures still made while retracting are counted too. The
   * whole burst's drive on-time is capped at hardMaxDwellMs.
   */
  step(tipUm: number): void {
    const b = this.burst!;
    const core = this.core;
    const p = core.plant;
    const c = core.config;
    const tUs = core.nowUs();
    b.peakCurrentMa = Math.max(b.peakCurrentMa, p.currentMa());
    b.strokeMinUm = Math.min(b.strokeMinUm, tipUm);
    b.strokeMaxUm = Math.max(b.strokeMaxUm, tipUm);
    if (b.phase === "spinup" && tipUm > sensorUm(p, 0)) {
      this.noteTipAhead(b, tipUm);
      b.spinMinUm = Math.min(b.spinMinUm, tipUm);
      b.spinMaxUm = Math.max(b.spinMaxUm, tipUm);
    } else if (b.phase === "spinup") {
      b.spinFloorSeen = true;
    }
    if (p.driveOn && (tUs - b.lastEdgeUs) / 1000 > c.stallWindowMs) return core.latch("STALL");
    if ((tUs - b.driveOnUs) / 1000 > c.hardMaxDwellMs) return core.latch("DWELL_EXCEEDED");
    // slow motor: go anyway, unsynchronised
    if (b.phase === "spinup" && (tUs - b.driveOnUs) / 1000 >= D.spinupMaxMs) this.extend(b, false);
    if (b.phase === "retract" && p.actuatorFeedbackUm() <= 0) this.finish(b);
  }

  /** The burst is over, the needle parked: drive off, DOTEND, and back to ARMED (or PEDAL after a pedal burst). */
  private finish(b: Burst): void {
    const core = this.core;
    const tUs = core.nowUs();
    core.plant.driveOn = false;
    core.send({
      id: "DOTEND",
      seq: 0,
      fields: {
        dot: b.dot.dot,
        strokes: b.strokes,
        maxExtensionUm: b.strokes > 0 ? Math.round(b.maxExtensionUm) : 0,
        onTimeUs: Math.round(tUs - b.driveOnUs),
        tick: core.tick(),
      },
    });
    this.completedDots.push(b.dot.dot);
    this.lastCompletedDot = b.dot.dot;
    this.burst = undefined;
    if (core.state() === "BURST") core.setState("ARMED");
    else if (core.state() === "PEDAL_BURST") core.setState("PEDAL");
  }

  /** Spin-up, actuator parked: a healthy cartridge only gives, so the tip is never ahead of the actuator at any
   * cam phase (the cam only takes it back); a tip seen ahead is a broken spring or an overshooting actuator. */
  private noteTipAhead(b: Burst, tipUm: number): void {
    b.tipAheadUm = Math.max(b.tipAheadUm, tipUm - this.core.plant.actuatorFeedbackUm());
  }

  /** Command the actuator out: the needle is on its way up, so it mostly arrives before the next bottom dead centre.
   * Not if the tip, as far ahead of the actuator as spin-up showed, would reach beyond the hard maximum at the next
   * bottom dead centre: that latches OVER_EXTENSION with the needle still parked (docs/protocol.md §7.5). */
  private extend(b: Burst, atEdge: boolean): void {
    // parked, the needle reads the sensor's floor at every cam turn: one that never did, nor moved, is stuck
    // (not a tip ahead of its actuator: a broken spring's tip moves with the cam)
    if (!b.spinFloorSeen && b.spinMaxUm >= b.spinMinUm && b.spinMaxUm - b.spinMinUm < D.stuckSwingUm)
      return this.core.latch("SENSOR_STUCK");
    const aheadUm = Math.max(0, b.tipAheadUm - D.tipAheadToleranceUm);
    if (b.dot.extensionUm + aheadUm > this.core.config.hardMaxExtensionUm) return this.core.latch("OVER_EXTENSION");
    b.windowCut = !atEdge; // mid-window: the stroke being measured started parked
    b.phase = "strokes";
    this.core.plant.actuatorSetUm = b.dot.extensionUm;
    b.peakCurrentMa = 0; // motor inrush during spin-up is not a puncture's current
  }

  /** A tachometer edge (bottom dead centre) with the position ADC sampled on it. */
  onTachEdge(edgeUs: number, bdcCount: number): void {
    const core = this.core;
    const periodUs = edgeUs - this.lastEdgeUs;
    this.lastEdgeUs = edgeUs;
    this.previousPeriodUs = this.lastPeriodUs;
    this.lastPeriodUs = periodUs;
    if (periodUs > 0 && 1e6 / periodUs > core.config.hardMaxStrokeHz && core.plant.driveOn)
      return core.latch("OVER_SPEED");
    const b = this.burst;
    if (!b) return;
    const p = core.plant;
    b.lastEdgeUs = edgeUs;
    if (b.phase === "spinup") {
      if (bdcCount >= ADC_MAX) return core.latch("SENSOR_DROPOUT");
      // the zero check: the parked needle's bottom dead centre reads at park; read further behind, or not at all
      // (the floor), the sensor reads shallow and would hide a needle gone as deep (docs/protocol.md §7.5). Against
      // park, not the feedback: a feedback frozen near park (not yet a mismatch) must not look like the sensor
      const atPark = Math.abs(p.actuatorFeedbackUm() - D.parkUm) <= D.actuatorTrackingUm;
      if (atPark && (bdcCount === 0 || sensorUm(p, bdcCount) - D.parkUm < -D.sensorZeroToleranceUm))
        return core.latch("SENSOR_OFFSET");
      if (bdcCount > 0) this.noteTipAhead(b, sensorUm(p, bdcCount));
      const periodInBurst = edgeUs - periodUs >= b.driveOnUs;
      // up to speed: extend just past bottom dead centre
      if (periodInBurst && 1e6 / periodUs > (D.spinupSpeedPercent / 100) * b.dot.strokeHz) this.extend(b, true);
      b.strokeMinUm = Infinity;
      b.strokeMaxUm = -Infinity;
      return;
    }
    const extensionUm = sensorUm(p, bdcCount);
    if (bdcCount >= ADC_MAX) return core.latch("SENSOR_DROPOUT");
    if (extensionUm > core.config.hardMaxExtensionUm) return core.latch("OVER_EXTENSION");
    // a turning cam moves the needle by its whole stroke between two edges; a frozen reading is a stuck sensor.
    // Not judged on a window cut short by an unsynchronised extend (spin-up timeout): it may hold only the
    // parked needle, which the sensor reads at its bottom rail. Nor while the actuator's feedback is away from
    // its setpoint (moving, or lying): where the actuator put the needle is unknown, and the actuator check
    // decides within its settle time (the first real cause: a frozen feedback is ACTUATOR_FAULT).
    const settling = Math.abs(p.actuatorFeedbackUm() - p.actuatorSetUm) > D.actuatorTrackingUm;
    if (!b.windowCut && !settling && b.strokeMaxUm - b.strokeMinUm < D.stuckSwingUm) return core.latch("SENSOR_STUCK");
    b.windowCut = false;
    const actuatorOut = b.phase === "strokes" && p.actuatorFeedbackUm() >= b.dot.extensionUm - D.actuatorOutMarginUm;
    if (extensionUm > 0) {
      b.strokes++;
      b.maxExtensionUm = Math.max(b.maxExtensionUm, extensionUm);
      core.send({
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
      // ahead of the command at bottom dead centre: a healthy cartridge only gives and the actuator only moves
      // towards its setpoint, so this is a broken spring (or an overshooting actuator), stopped before its lead
      // grows over more strokes; after its STROKE, so the host has the depth that tripped it (docs/protocol.md §7.5)
      if (extensionUm > b.dot.extensionUm + D.tipAheadToleranceUm) return core.latch("OVER_EXTENSION");
      if (b.phase === "strokes" && b.strokes >= b.dot.strokes) {
        b.phase = "retract";
        p.actuatorSetUm = PARK_UM; // just past bottom dead centre: parked before the next one
      }
      b.insideReads = 0;
    } else if (actuatorOut && ++b.insideReads >= D.dropoutInsideReads) {
      return core.latch("SENSOR_DROPOUT"); // twice: extended actuator, yet the sensor sees the needle inside the grip
    }
    b.peakCurrentMa = 0;
    b.strokeMinUm = Infinity;
    b.strokeMaxUm = -Infinity;
  }
}
