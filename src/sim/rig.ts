// The built-in simulated rig: plant + board + serial cable on one Scheduler, seen by the host as a
// LineTransport. Also the world around the board (which zone the handpiece is on, the operator's pedal)
// and the fault-injection API used by tests and `smp run --fault`.

import { hostLineReceiver } from "../protocol/codec.ts";
import { BOARD_WIRING } from "../protocol/board-wiring.ts";
import { LINK } from "../protocol/table.ts";
import type { Scheduler } from "../time/scheduler.ts";
import type { LineTransport } from "../ports/line-transport.ts";
import type { MachineCalibration } from "../profiles/schema.ts";
import { DEFAULT_BOARD, SimBoard, type BoardConfig, type BoardModel } from "./board.ts";
import { EmulatedBoard, type EmulatedBoardOptions } from "./firmware.ts";
import { SimLink, type ByteFault } from "./link.ts";
import { isByteFault, isDeviceFault, whenTriggered, type FaultSpec } from "./faults.ts";
import { SmpError } from "../errors/errors.ts";
import { Plant, Rng, type PlantParams, type SkinParams } from "./plant.ts";

/** Skin per scalp zone: stiffness relative to the cartridge spring, and thickness (domain brief: 1.2-2 mm). */
export const ZONE_SKIN: Readonly<Record<string, SkinParams>> = {
  hairline: { stiffnessRatio: 0.1, thicknessUm: 1300 },
  temples: { stiffnessRatio: 0.08, thicknessUm: 1200 },
  "mid-scalp": { stiffnessRatio: 0.16, thicknessUm: 1700 },
  crown: { stiffnessRatio: 0.2, thicknessUm: 1900 },
  scar: { stiffnessRatio: 0.32, thicknessUm: 1500 },
};
const DEFAULT_SKIN: SkinParams = { stiffnessRatio: 0.15, thicknessUm: 1600 };

/** The simulated machine is built from the same calibration file the host loads: the rig is what it claims. */
export function plantFromMachine(m: MachineCalibration, seed = 1): PlantParams {
  return {
    machine: m.machine,
    strokeUm: m.strokeUm,
    freeStrokeHzAtFullDuty: m.drive.freeStrokeHzAtFullDuty,
    loadDroopPercent: m.drive.loadDroopPercent,
    cartridgeGiveUm: m.cartridgeGiveUm,
    sensorUmPerCount: m.sensor.extensionUmPerCount,
    sensorZeroCount: m.sensor.extensionZeroCount,
    sensorNoiseUm: 6,
    actuatorRateUmPerMs: BOARD_WIRING.actuatorRateUmPerMs,
    motorTauMs: 18,
    seed,
  };
}

/** Defaults of the parameterised device faults (`--fault slow`, `--fault overshoot`). */
export const SLOW_SPEED_FRACTION = 0.4;
/** `--fault runaway`: the motor turns this much faster than its drive asks (a shorted speed controller). */
export const RUNAWAY_SPEED_FRACTION = 1.6;
export const OVERSHOOT_UM = 600;
/** sensor-offset: the needle position sensor reads this much shallow, um. */
export const SENSOR_OFFSET_UM = 150;
/** sensor-drift: it reads this much shallower every ms (a whole millimetre a second). */
export const SENSOR_DRIFT_UM_PER_MS = 1;

export type DeviceFault =
  | { kind: "stall" }
  /** The motor turns at this fraction of its speed (default SLOW_SPEED_FRACTION; 1 = healthy again). */
  | { kind: "slow"; fraction?: number }
  /** The motor turns faster than driven (default RUNAWAY_SPEED_FRACTION). */
  | { kind: "runaway"; fraction?: number }
  | { kind: "overcurrent"; currentMa?: number }
  /** The needle tip this far beyond the actuator, no cartridge give (default OVERSHOOT_UM; 0 = healthy again). */
  | { kind: "overshoot"; overshootUm?: number }
  /** The cartridge gives no more under skin load. */
  | { kind: "give-loss" }
  | { kind: "sensor-stuck" }
  | { kind: "sensor-dropout" }
  /** The needle position sensor reads this much shallower than the tip (default SENSOR_OFFSET_UM). */
  | { kind: "sensor-offset"; offsetUm?: number }
  /** The needle position sensor reads shallower by this much more every ms (default SENSOR_DRIFT_UM_PER_MS). */
  | { kind: "sensor-drift"; umPerMs?: number }
  /** A reset through the reset pin. */
  | { kind: "reset" }
  /** The board's firmware hangs and its watchdog resets it. */
  | { kind: "watchdog" }
  /** The supply sags below the brown-out level: the board resets. */
  | { kind: "brownout" }
  | { kind: "pedal-stuck" }
  | { kind: "pedal-release" }
  | { kind: "estop-button" }
  /** The actuator's position feedback freezes at its current reading; the actuator still moves. */
  | { kind: "actuator-feedback-stuck" };

export interface SimRigOptions {
  readonly plant: PlantParams;
  readonly board?: BoardConfig;
  /**
   * Run the real firmware (firmware-bridge/smp-board.hex) in emulation instead of the TypeScript board model;
   * with options, another flash or EEPROM image (the default EEPROM matches the plant's machine kind).
   */
  readonly firmware?: boolean | EmulatedBoardOptions;
  readonly baud?: number;
  /** How often the board's main loop is caught up to the scheduler's clock. */
  readonly pumpMs?: number;
  /** Deliver the board's bytes raw to this sink (a pseudo-terminal) instead of as lines to `transport`. */
  readonly rawHostSink?: (bytes: Uint8Array) => void;
  readonly seed?: number;
}

export class SimRig {
  readonly plant: Plant;
  readonly board: BoardModel;
  readonly link: SimLink;
  readonly transport: LineTransport;
  /** Zone the operator is working in, by dot number; the plant's skin follows at each burst start. */
  readonly zoneOfDot = new Map<number, string>();
  /** Called when the board starts a dot's burst (fault triggers hang on this). */
  readonly burstListeners: ((dot: number) => void)[] = [];
  /** Physical truth for tests: the triggered faults (by kind), the moments (scheduler ms) they struck, and the plant's
   * shallowZeroChecks then (the zero checks so far that could have seen a sensor reading shallow). */
  readonly faultsStruck: { readonly kind: string; readonly atMs: number; readonly shallowZeroChecks: number }[] = [];
  /** Physical truth for tests: when (scheduler ms, to the pump's 1 ms) the board started each dot's burst. */
  readonly burstsStarted: { readonly dot: number; readonly atMs: number }[] = [];
  private readonly rng: Rng;
  private lineListeners: ((line: string) => void)[] = [];
  private closeListeners: ((reason: string) => void)[] = [];
  private readonly hostRx = hostLineReceiver((line) => {
    for (const l of this.lineListeners) l(line);
  });
  private stopped = false;
  private bootCount = 1;
  private lastDot = -1;
  private readonly rawHostSink: ((bytes: Uint8Array) => void) | undefined;

  constructor(
    readonly scheduler: Scheduler,
    options: SimRigOptions,
  ) {
    this.rawHostSink = options.rawHostSink;
    const seed = options.seed ?? 1;
    this.rng = new Rng(seed * 31 + 5);
    this.plant = new Plant({ ...options.plant, seed });
    this.link = new SimLink(
      scheduler,
      options.baud ?? LINK.baud,
      (b, atMs) => this.toBoard(b, atMs),
      (b) => this.toHost(b),
      seed * 17 + 3,
    );
    const transmit = (bytes: Uint8Array) => this.link.send("rx", bytes);
    this.board = options.firmware
      ? new EmulatedBoard(this.plant, transmit, options.firmware === true ? {} : options.firmware)
      : new SimBoard(this.plant, options.board ?? DEFAULT_BOARD, transmit, this.bootCount);
    const pumpMs = options.pumpMs ?? 1;
    const pump = () => {
      if (this.stopped) return;
      this.catchUp();
      this.updateSkin();
      this.scheduler.at(this.scheduler.nowMs() + pumpMs, pump);
    };
    this.scheduler.at(this.scheduler.nowMs(), pump);
    this.transport = {
      description: `sim:${options.plant.machine}`,
      write: (bytes) => {
        if (!this.stopped) this.link.send("tx", bytes);
      },
      onLine: (l) => {
        this.lineListeners.push(l);
      },
      onClose: (l) => {
        this.closeListeners.push(l);
      },
      close: () => {
        this.stopped = true;
        return Promise.resolve();
      },
    };
  }

  /** Physical truth of the simulated world, rounded to 1 um: the deepest the needle tip has actually gone
   * since the rig started (the plant's, not the sensor's reading); undefined before the plant's first step. */
  get trueDeepestTipUm(): number | undefined {
    const um = this.plant.deepestTipUm;
    return Number.isFinite(um) ? Math.round(um) : undefined;
  }

  injectByteFault(fault: ByteFault): void {
    this.link.inject(fault);
  }

  injectDeviceFault(fault: DeviceFault): void {
    this.catchUp();
    const f = this.plant.faults;
    switch (fault.kind) {
      case "stall":
        f.stall = true;
        break;
      case "slow":
        f.speedFraction = fault.fraction ?? SLOW_SPEED_FRACTION;
        break;
      case "runaway":
        f.speedFraction = fault.fraction ?? RUNAWAY_SPEED_FRACTION;
        break;
      case "overcurrent":
        f.overCurrentMa = fault.currentMa ?? 3500;
        break;
      case "overshoot":
        f.overshootUm = fault.overshootUm ?? OVERSHOOT_UM;
        break;
      case "give-loss":
        f.giveLost = true;
        break;
      case "sensor-stuck":
        f.sensor = "stuck";
        break;
      case "sensor-dropout":
        f.sensor = "dropout";
        break;
      case "sensor-offset":
        f.sensorOffsetUm = -(fault.offsetUm ?? SENSOR_OFFSET_UM);
        break;
      case "sensor-drift":
        // a second drift goes on from the error the first has reached: the reading does not jump back
        f.sensorDrift = {
          sinceUs: this.plant.tUs,
          umPerMs: -(fault.umPerMs ?? SENSOR_DRIFT_UM_PER_MS),
          fromUm: f.sensorDrift ? this.plant.sensorErrorUm() - f.sensorOffsetUm : 0,
        };
        break;
      case "reset":
        this.board.reset(++this.bootCount, "EXTERNAL");
        break;
      case "watchdog":
        this.board.reset(++this.bootCount, "WATCHDOG");
        break;
      case "brownout":
        this.board.reset(++this.bootCount, "BROWN_OUT");
        break;
      case "pedal-stuck":
        this.board.inputs.pedalStuck = true;
        this.board.inputs.pedalPressed = false;
        break;
      case "pedal-release":
        this.board.inputs.pedalPressed = false;
        break;
      case "estop-button":
        this.board.inputs.estopButton = true;
        break;
      case "actuator-feedback-stuck":
        f.actuatorFeedbackStuck = true;
        this.plant.actuatorFeedbackUm();
        break; // freezes now
    }
  }

  /**
   * Arm a byte- or device-level fault from a spec: at a time from now, or when the board starts a given
   * dot's burst. Host-side kinds (estop, stop, hang) are not the rig's and are refused.
   */
  arm(spec: FaultSpec): void {
    const fire = () => {
      if (spec.kind === "unplug") return this.unplug();
      if (isByteFault(spec.kind)) {
        const forMs = spec.kind === "disconnect" ? (spec.forMs ?? 500) : spec.forMs;
        return this.injectByteFault({
          kind: spec.kind,
          dir: spec.dir ?? "both",
          ...(spec.rate !== undefined ? { rate: spec.rate } : {}),
          ...(spec.count !== undefined ? { count: spec.count } : {}),
          ...(spec.ms !== undefined ? { ms: spec.ms } : {}),
          ...(forMs !== undefined ? { forMs } : {}),
        });
      }
      if (isDeviceFault(spec.kind)) return this.injectDeviceFault({ kind: spec.kind });
      throw new SmpError("USAGE", `fault ${spec.kind} is injected on the host, not in the simulated board`);
    };
    this.when(spec.trigger, fire, spec.kind);
  }

  /** Run fault `kind` at a trigger: atMs from now, or afterMs into the burst of dot atDot. */
  when(trigger: FaultSpec["trigger"], fn: () => void, kind = "?"): void {
    whenTriggered(this.scheduler, this.burstListeners, trigger, () => {
      this.faultsStruck.push({ kind, atMs: this.scheduler.nowMs(), shallowZeroChecks: this.plant.shallowZeroChecks });
      fn();
    });
  }

  /** Unplug: the cable stops carrying bytes and the host's transport reports close. */
  unplug(): void {
    this.link.inject({ kind: "disconnect", dir: "both" });
    for (const l of this.closeListeners) l("simulated cable unplugged");
  }

  /** Bring the board up to now, handing it every byte due on the way at the moment it arrived. */
  private catchUp(): void {
    this.link.flush("tx");
    this.board.advanceTo(Math.floor(this.scheduler.nowMs() * 1000));
  }

  private toBoard(bytes: Uint8Array, atMs: readonly number[]): void {
    bytes.forEach((b, i) => {
      this.board.advanceTo(Math.floor(atMs[i]! * 1000));
      this.board.receiveByte(b);
    });
  }

  private toHost(bytes: Uint8Array): void {
    if (this.stopped) return;
    if (this.rawHostSink) return this.rawHostSink(bytes);
    this.hostRx(bytes);
  }

  /** The handpiece moves to the next dot's zone; each dot's skin varies a little around the zone's values. */
  private updateSkin(): void {
    const dot = this.board.currentDot;
    if (dot === undefined || dot === this.lastDot) return;
    this.lastDot = dot;
    this.burstsStarted.push({ dot, atMs: this.scheduler.nowMs() });
    for (const l of this.burstListeners) l(dot);
    const base = ZONE_SKIN[this.zoneOfDot.get(dot) ?? ""] ?? DEFAULT_SKIN;
    const vary = 1 + 0.1 * this.rng.gauss();
    this.plant.skin = {
      stiffnessRatio: Math.max(0.02, base.stiffnessRatio * vary),
      thicknessUm: base.thicknessUm * (1 + 0.05 * this.rng.gauss()),
    };
  }
}
