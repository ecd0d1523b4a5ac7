// The real board firmware (firmware-bridge/smp-board.hex) running on an emulated ATmega328P
// (src/sim/firmware-mcu.ts, avr8js), with the simulated plant wired to its pins exactly as
// firmware-bridge/README.md wires a real board ("Analog conventions"): drive PWM and enable out, actuator setpoint
// PWM out, needle position / actuator feedback / current on the ADC, tachometer pulses in, e-stop, pedal
// contacts and cartridge switch in. The one emulator of the firmware: `smp run --sim firmware`,
// `smp sim --pty --sim firmware`, the contract suite's firmware target and tests/firmware-emulation.test.ts all
// run this class.
//
// Time is emulated CPU cycles at 16 MHz; nothing here reads the wall clock. The CPU runs to any point in
// time; the plant steps alongside in STEP_US steps (it sees the firmware's outputs at the start of each step
// and its analog outputs are held for the step), and tachometer edges reach the pin at their exact cycle.
// What the firmware says on its serial line is read back (src/sim/firmware-readback.ts) for the rig's view of
// the board (completed dots, alarms, state, the dot whose burst is running).

import { readFileSync } from "node:fs";
import { encodeFrame } from "../protocol/codec.ts";
import type { AlarmName, BoardStateName, Frame, ResetCauseName } from "../protocol/table.ts";
import type { AlarmRecord, BoardInputs, BoardModel } from "./board-model.ts";
import {
  CHAR_US,
  F_CPU,
  EEPROM_BYTES,
  MCUSR_BORF,
  MCUSR_EXTRF,
  MCUSR_PORF,
  MCUSR_WDRF,
  McuEeprom,
  UsartFeed,
  createMcu,
  parseIntelHex,
  runCycles,
  type CPU,
  type Mcu,
  type RunLimit,
} from "./firmware-mcu.ts";
import { FirmwareReadback } from "./firmware-readback.ts";
import { PlantWiring } from "./firmware-pins.ts";
import type { Plant } from "./plant.ts";

export { F_CPU, EEPROM_BYTES, parseIntelHex } from "./firmware-mcu.ts";

export const FIRMWARE_HEX = new URL("../../firmware-bridge/smp-board.hex", import.meta.url);
/** EEPROM image for a rotary machine (profiles/machines/rotary-pmu.json calibration). */
export const FIRMWARE_EEP = new URL("../../firmware-bridge/smp-board.eep", import.meta.url);
/** EEPROM image for a coil machine (profiles/machines/coil-short.json calibration, PWM gated at strokeHz). */
export const FIRMWARE_EEP_COIL = new URL("../../firmware-bridge/smp-board-coil.eep", import.meta.url);

const CYCLES_PER_US = F_CPU / 1e6;
/**
 * Plant step, us: a quarter of an ADC conversion. The plant sees the firmware's outputs at the start of a step and
 * the firmware its analog inputs as they are at the end, so a coarser step hides up to a step of the firmware's own
 * reaction time (at the reference board's 250 us, a broken spring's residual came out ~100 um shallower than it
 * is) and shows the sensor up to a step early.
 */
const STEP_US = 25;
const STEP_CYCLES = STEP_US * CYCLES_PER_US;
/** MCUSR at a reset of each cause but the watchdog's (avr8js sets no flag itself but WDRF). */
const RESET_FLAGS = { POWER_ON: MCUSR_PORF, EXTERNAL: MCUSR_EXTRF, BROWN_OUT: MCUSR_BORF, UNEXPLAINED: 0 } as const;
/** hal_wdt_feed, the main loop's watchdog feed: `wdr; ret`. */
const WDR = 0x95a8;
const RET = 0x9508;
/** Tachometer pulse width (README: at least 20 us). */
const TACH_PULSE_CYCLES = 50 * CYCLES_PER_US;

export interface EmulatedBoardOptions {
  /** Flash image, an Intel HEX file. Default: firmware-bridge/smp-board.hex. */
  readonly hex?: string | URL;
  /**
   * EEPROM at first power-up: an Intel HEX image file (.eep), or its bytes from address 0 (the rest reads
   * erased, 0xFF). Default: smp-board-coil.eep for a coil plant, smp-board.eep otherwise. The EEPROM then
   * lives as long as the board, across resets (boot counter), like the real part's.
   */
  readonly eeprom?: string | URL | Uint8Array;
}

export class EmulatedBoard implements BoardModel {
  readonly inputs: BoardInputs = { pedalPressed: true, pedalStuck: false, estopButton: false, cartridgePresent: true };
  /** The EEPROM contents, live (the firmware writes its boot counter here). */
  readonly eeprom: Uint8Array;
  private mcu!: Mcu;
  private readonly program: Uint16Array;
  private readonly mcuEeprom = new McuEeprom();
  private readonly readback = new FirmwareReadback(() => this.nowUs);
  private readonly wiring: PlantWiring;
  /** Board time: cycles since the board was built (power-up), across resets. */
  private now = 0;
  /** Board time at which the running CPU was powered up or reset (a new CPU counts from 0). */
  private cpuBase = 0;
  /** Board time up to which the plant has been stepped. */
  private plantUntil = 0;
  /** Tachometer edges of the current plant step not yet on the pin. */
  private edges: { cycle: number; count: number }[] = [];
  private tachLowAt = Infinity;
  /** Host bytes on their way into the USART. */
  private readonly usartFeed = new UsartFeed();
  /** Host bytes the firmware lost because it left both places of the USART's receive FIFO unread too long. */
  get usartOverruns(): number {
    return this.usartFeed.overruns;
  }
  private halted = false;
  /** CPU cycle the CPU runs to; set below the count to stop it at once (a watchdog reset). */
  private readonly run: RunLimit = { end: 0 };
  private watchdogFired = false;
  /** Word index of the watchdog feed while it is patched out (a hung main loop), else undefined. */
  private hungFeed: number | undefined;

  constructor(
    readonly plant: Plant,
    private readonly transmit: (bytes: Uint8Array) => void,
    options: EmulatedBoardOptions = {},
  ) {
    this.wiring = new PlantWiring(plant, this.inputs, () => this.mcu);
    const flash = parseIntelHex(readFileSync(options.hex ?? FIRMWARE_HEX, "latin1"), 0x8000);
    this.program = new Uint16Array(flash.buffer);
    this.eeprom = this.mcuEeprom.memory;
    const eep = options.eeprom ?? (plant.params.machine === "coil" ? FIRMWARE_EEP_COIL : FIRMWARE_EEP);
    if (eep instanceof Uint8Array) {
      this.eeprom.fill(0xff);
      this.eeprom.set(eep.subarray(0, EEPROM_BYTES));
    } else {
      this.eeprom.set(parseIntelHex(readFileSync(eep, "latin1"), EEPROM_BYTES));
    }
    this.powerUp(MCUSR_PORF);
  }

  get completedDots(): readonly number[] {
    return this.readback.completedDots;
  }

  get alarmHistory(): readonly AlarmRecord[] {
    return this.readback.alarmHistory;
  }

  get state(): BoardStateName {
    return this.readback.state;
  }

  get alarm(): AlarmName | undefined {
    return this.readback.alarm;
  }

  /** Dot whose burst is running: the next dot the board acknowledged, from the moment the drive went on. */
  get currentDot(): number | undefined {
    return this.readback.currentDot;
  }

  /** Board time in microseconds since power-up (emulated CPU cycles / 16). */
  get nowUs(): number {
    return this.now / CYCLES_PER_US;
  }

  /** Board time in CPU cycles since power-up, across resets. */
  get cycles(): number {
    return this.now;
  }

  /** The running CPU (replaced at every reset; its program memory is shared, so patches persist). */
  get cpu(): CPU {
    return this.mcu.cpu;
  }

  /** Drive on, as the driver sees it: enable (PD7) high and Timer0 running. */
  get driveOn(): boolean {
    return this.wiring.driveOn();
  }

  /** Actuator setpoint the firmware commands (PlantWiring.actuatorSetpointUm: OCR2A steps above PARK_UM). */
  get actuatorSetpointUm(): number {
    return this.wiring.actuatorSetpointUm();
  }

  /** Physical truth: drive off and the actuator at or behind 0 um. */
  get parked(): boolean {
    return !this.driveOn && this.plant.actuatorUm <= 0;
  }

  /**
   * A reset with this cause (default: the reset pin): a new CPU on the same flash and EEPROM, every register at
   * its reset value, MCUSR holding the cause's flag. WATCHDOG is a real one: the main loop hangs (its watchdog
   * feed is patched out) and the firmware's watchdog resets it within 64 ms.
   */
  reset(_bootId?: number, cause: ResetCauseName = "EXTERNAL"): void {
    if (cause === "WATCHDOG") return this.hangMainLoop();
    this.powerUp(RESET_FLAGS[cause]);
  }

  /** The main loop hangs: it stops feeding the watchdog (the interrupts still run) until the next reset. */
  hangMainLoop(): void {
    if (this.hungFeed !== undefined) return;
    const p = this.program;
    const feeds = [...p.keys()].filter((i) => p[i] === WDR && p[i + 1] === RET);
    if (feeds.length !== 1)
      throw new Error(`expected one watchdog feed (wdr; ret) in the flash, found ${feeds.length}`);
    this.hungFeed = feeds[0]!;
    p[this.hungFeed] = 0x0000; // nop
  }

  /** Stop the board dead: the CPU no longer runs, sends or receives; the plant goes on with the outputs as set. */
  halt(): void {
    this.halted = true;
  }

  /** One byte arrives on the board's serial input, complete (its stop bit is in) at the board's current time. */
  receiveByte(byte: number): void {
    if (this.halted) return;
    this.readback.hostByte(byte);
    this.usartFeed.push(this.mcu, byte);
  }

  /** Apply `inputs` to the pins now (otherwise they are read at the next plant step). */
  applyInputs(): void {
    this.wiring.applyInputs();
  }

  /** Run the board up to tUs, to the cycle. */
  advanceTo(tUs: number): void {
    const target = Math.floor(tUs * CYCLES_PER_US);
    while (this.now < target) {
      if (this.now >= this.plantUntil) this.stepPlant();
      let stop = Math.min(target, this.plantUntil, this.tachLowAt);
      const edge = this.edges[0];
      if (edge && edge.cycle < stop) stop = edge.cycle;
      this.runCpu(stop);
      if (this.tachLowAt <= this.now) {
        this.tachLowAt = Infinity;
        this.wiring.tachFall();
      }
      while (this.edges.length > 0 && this.edges[0]!.cycle <= this.now) this.tachEdge(this.edges.shift()!.count);
    }
  }

  // ---- the MCU ------------------------------------------------------------------------------------------

  private powerUp(mcusr: number): void {
    if (this.hungFeed !== undefined) this.program[this.hungFeed] = WDR; // the reset ends the hang
    this.hungFeed = undefined;
    this.mcu = createMcu(
      this.program,
      this.mcuEeprom,
      {
        onTx: (b) => this.onTx(b),
        onGate: (connected) => this.wiring.gate(connected, this.cpuBase + this.mcu.cpu.cycles),
        onDriveTimer: (running) => this.onDriveTimer(running),
        onWatchdogReset: () => {
          this.watchdogFired = true;
          this.run.end = -1;
        },
      },
      mcusr,
    );
    this.cpuBase = this.now;
    this.usartFeed.reset(); // bytes in flight at a reset are lost
    this.tachLowAt = Infinity;
    this.readback.reset();
    this.wiring.reset();
    this.wiring.applyAnalog();
    this.wiring.applyInputs();
  }

  private runCpu(stop: number): void {
    if (this.halted) {
      this.now = stop;
      return;
    }
    const cpu = this.mcu.cpu;
    this.run.end = stop - this.cpuBase;
    runCycles(cpu, this.run);
    this.now = this.cpuBase + cpu.cycles;
    if (this.watchdogFired) {
      this.watchdogFired = false;
      this.powerUp(MCUSR_WDRF);
    }
  }

  /** One plant step: the firmware's outputs in, the step, the plant's analog outputs and the world's inputs out. */
  private stepPlant(): void {
    this.wiring.applyOutputs();
    const t0 = this.plant.tUs;
    const start = this.plantUntil;
    for (const e of this.plant.step(STEP_US))
      this.edges.push({ cycle: start + Math.round((e.tUs - t0) * CYCLES_PER_US), count: e.bdcCount });
    this.plantUntil = start + STEP_CYCLES;
    this.wiring.applyAnalog();
    this.wiring.applyInputs();
    if (!this.halted) this.usartFeed.release(this.mcu);
  }

  /** Tachometer: a pulse from each bottom dead centre, TACH_PULSE_CYCLES long. */
  private tachEdge(count: number): void {
    this.wiring.tachRise(count, this.tachLowAt !== Infinity);
    this.tachLowAt = this.now + TACH_PULSE_CYCLES;
  }

  /** Timer0 started or stopped: the drive switching on or off, so a burst starting or ending. */
  private onDriveTimer(on: boolean): void {
    this.wiring.driveTimer(on, this.cpuBase + this.mcu.cpu.cycles);
    if (on) this.readback.burstStarted();
    else this.readback.burstEnded();
  }

  // ---- serial -----------------------------------------------------------------------------------------

  /** What the firmware sends: to the host, and read back for the rig's view of the board. */
  private onTx(byte: number): void {
    if (this.halted) return;
    this.transmit(Uint8Array.of(byte));
    this.readback.boardByte(byte);
  }
}

/**
 * Run a throwaway emulated board for a moment so the JavaScript engine has compiled the emulator before a
 * wall-clock session starts: a cold emulator runs slower than real time for its first few hundred ms.
 */
export function warmUpEmulator(plant: Plant): void {
  const board = new EmulatedBoard(plant, () => {});
  const at = (ms: number, frame: Frame) => {
    board.advanceTo(ms * 1000);
    for (const byte of Buffer.from(encodeFrame(frame), "latin1")) {
      board.receiveByte(byte);
      board.advanceTo(board.nowUs + CHAR_US); // one character time at LINK.baud
    }
  };
  // one whole dot: the burst paths must be compiled too, not only the idle loop (board tick = 100 us)
  at(20, { id: "HELLO", seq: 1, fields: {} });
  at(40, { id: "UNLOCK", seq: 2, fields: {} });
  at(60, { id: "ARM", seq: 3, fields: { leaseTick: 6000 } });
  at(80, {
    id: "DOT",
    seq: 4,
    fields: { dot: 1, atTick: 1000, extensionUm: 700, strokeHz: 120, dutyPermille: 700, strokes: 10, leaseTick: 6000 },
  });
  board.advanceTo(400_000);
}
