// The firmware (smp-board.hex + smp-board.eep) running in avr8js with the simulated plant (src/sim/plant.ts)
// attached to its pins, following the pin map and electrical conventions of firmware-bridge/README.md.
// Time is the emulated CPU clock (16 MHz): nothing here reads the wall clock.
//
// Pins and signals, as the plant sees them:
//   drive       on while PD7 (enable) is high and Timer0 runs; duty = OCR0A / 255; the PWM itself is not
//               resolved (the plant sees the mean). A coil machine's 50 % gate (COM0A1 toggled at strokeHz)
//               is measured and becomes the plant's coil pulse rate.
//   actuator    setpoint = -400 um + 8 um x OCR2A while OC2A is connected (COM2A1), else -400 um (park)
//   ADC0        needle tip: count = round(tip / umPerCount) + zeroCount (the plant's own sensorCount())
//   ADC1        actuator position feedback: count = 250 + um / 2.5
//   ADC2        drive current: 1 V per A with a 5 V reference (4.883 mA per count)
//   PB0         tachometer: rising edge at bottom dead centre, 500 us pulse; ADC0 reads the BDC sample there
//   PD2         e-stop: high = pressed (or wire broken); PD3 pedal NO contact, low = closed; PD4 pedal NC
//               contact, low = closed; PD5 cartridge switch, low = present.

import { readFileSync } from "node:fs";
import {
  AVRADC, AVRClock, AVREEPROM, AVRIOPort, AVRTimer, AVRUSART, AVRWatchdog, CPU, EEPROMMemoryBackend, adcConfig,
  avrInstruction, clockConfig, portBConfig, portCConfig, portDConfig, timer0Config, timer1Config, timer2Config,
  usart0Config, watchdogConfig,
} from "avr8js";
import { LineAssembler } from "../../../src/protocol/codec.ts";
import { PARK_UM, Plant, type PlantParams } from "../../../src/sim/plant.ts";

export const F_CPU = 16_000_000;
const CYCLES_PER_US = F_CPU / 1e6;
const CHUNK_CYCLES = 400; // 25 us: how often the plant and the analog inputs are brought up to date
const TACH_PULSE_US = 500;

// data-space addresses (ATmega328P)
const PORTD = 0x2b;
const TCCR0A = 0x44;
const TCCR0B = 0x45;
const OCR0A = 0x47;
const TCCR2A = 0xb0;
const OCR2A = 0xb3;
const COM0A1 = 0x80;
const COM2A1 = 0x80;

export const ACT_ZERO_COUNT = 250;
export const ACT_UM_PER_COUNT = 2.5;
export const CURRENT_MA_PER_VOLT = 1000;

/** Parse Intel HEX into a byte array of the given size (unwritten bytes 0xFF). */
export function parseIntelHex(text: string, size: number): Uint8Array {
  const out = new Uint8Array(size).fill(0xff);
  let base = 0;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line.startsWith(":")) continue;
    const n = parseInt(line.slice(1, 3), 16);
    const addr = parseInt(line.slice(3, 7), 16);
    const type = parseInt(line.slice(7, 9), 16);
    if (type === 0) for (let i = 0; i < n; i++) out[base + addr + i] = parseInt(line.slice(9 + 2 * i, 11 + 2 * i), 16);
    else if (type === 2) base = parseInt(line.slice(9, 13), 16) << 4;
    else if (type === 4) base = parseInt(line.slice(9, 13), 16) << 16;
  }
  return out;
}

export interface EmulatedBoardOptions {
  readonly hexPath: string;
  readonly eepPath?: string;
  /** EEPROM contents to start with (wins over eepPath), e.g. to keep the boot counter across boards. */
  readonly eeprom?: Uint8Array | undefined;
  readonly plant: PlantParams;
}

export class EmulatedBoard {
  readonly cpu: CPU;
  readonly plant: Plant;
  readonly eeprom: EEPROMMemoryBackend;
  readonly adc: AVRADC;
  readonly usart: AVRUSART;
  readonly portB: AVRIOPort;
  readonly portC: AVRIOPort;
  readonly portD: AVRIOPort;
  readonly inputs = { pedalPressed: true, pedalStuck: false, estopButton: false, cartridgePresent: true };
  /** Every byte the board sent, and when (cycle). */
  readonly txLog: { cycle: number; byte: number }[] = [];
  private readonly rxQueue: number[] = [];
  private readonly hostRx = new LineAssembler();
  private lineListeners: ((line: string, cycle: number) => void)[] = [];
  private plantCycle = 0;
  private tachLowAtCycle: number | undefined;
  private lastGate = false;
  private lastGateRiseCycle: number | undefined;

  constructor(readonly options: EmulatedBoardOptions) {
    const flash = parseIntelHex(readFileSync(options.hexPath, "utf8"), 0x8000);
    const program = new Uint16Array(flash.buffer, flash.byteOffset, flash.length / 2);
    this.cpu = new CPU(program);
    this.eeprom = new EEPROMMemoryBackend(1024);
    if (options.eeprom) this.eeprom.memory.set(options.eeprom);
    else if (options.eepPath) this.eeprom.memory.set(parseIntelHex(readFileSync(options.eepPath, "utf8"), 1024));
    const clock = new AVRClock(this.cpu, F_CPU, clockConfig);
    new AVRTimer(this.cpu, timer0Config);
    new AVRTimer(this.cpu, timer1Config);
    new AVRTimer(this.cpu, timer2Config);
    new AVREEPROM(this.cpu, this.eeprom);
    new AVRWatchdog(this.cpu, watchdogConfig, clock);
    this.portB = new AVRIOPort(this.cpu, portBConfig);
    this.portC = new AVRIOPort(this.cpu, portCConfig);
    this.portD = new AVRIOPort(this.cpu, portDConfig);
    this.adc = new AVRADC(this.cpu, adcConfig);
    this.usart = new AVRUSART(this.cpu, usart0Config, F_CPU);
    this.usart.onByteTransmit = (b) => this.onBoardByte(b);
    this.usart.onRxComplete = () => this.pumpRx();
    this.plant = new Plant(options.plant);
    this.applyInputs();
    this.updateAnalog();
  }

  get cycles(): number {
    return this.cpu.cycles;
  }

  get nowMs(): number {
    return this.cpu.cycles / (F_CPU / 1000);
  }

  onLine(listener: (line: string, cycle: number) => void): void {
    this.lineListeners.push(listener);
  }

  /** Host to board: the bytes go onto the wire at 250 kBd, one after another. */
  write(bytes: Uint8Array | number[]): void {
    for (const b of bytes) this.rxQueue.push(b & 0xff);
    this.pumpRx();
  }

  /** Drive on as the plant sees it. */
  get driveOn(): boolean {
    const d = this.cpu.data;
    return (d[PORTD]! & 0x80) !== 0 && (d[TCCR0B]! & 0x07) !== 0;
  }

  /** Board-side truth: drive off and the actuator at or behind 0 um. */
  get parked(): boolean {
    return !this.driveOn && this.plant.actuatorUm <= 0;
  }

  actuatorSetpointUm(): number {
    const d = this.cpu.data;
    return d[TCCR2A]! & COM2A1 ? PARK_UM + 8 * d[OCR2A]! : PARK_UM;
  }

  runMs(ms: number): void {
    this.runUntilCycle(this.cpu.cycles + Math.round(ms * F_CPU / 1000));
  }

  runUntilCycle(target: number): void {
    while (this.cpu.cycles < target) {
      const end = Math.min(target, this.plantCycle + CHUNK_CYCLES);
      this.syncPlantOutputs();
      const dtUs = (end - this.plantCycle) / CYCLES_PER_US;
      const startCycle = this.plantCycle;
      const t0 = this.plant.tUs;
      const edges = this.plant.step(dtUs);
      for (const e of edges) {
        const at = startCycle + Math.round((e.tUs - t0) * CYCLES_PER_US);
        this.runCpuTo(at);
        this.setCount(0, e.bdcCount); // the position the sensor reports at bottom dead centre
        this.portB.setPin(0, true);
        this.tachLowAtCycle = at + TACH_PULSE_US * CYCLES_PER_US;
      }
      this.runCpuTo(end);
      this.plantCycle = end;
      this.updateAnalog();
      if (this.rxQueue.length > 0 && !this.usart.rxBusy) this.pumpRx();
    }
  }

  private runCpuTo(cycle: number): void {
    const cpu = this.cpu;
    while (cpu.cycles < cycle) {
      if (this.tachLowAtCycle !== undefined && cpu.cycles >= this.tachLowAtCycle) {
        this.portB.setPin(0, false);
        this.tachLowAtCycle = undefined;
      }
      avrInstruction(cpu);
      cpu.tick();
    }
  }

  /** Outputs of the board into the plant's inputs. */
  private syncPlantOutputs(): void {
    const d = this.cpu.data;
    const p = this.plant;
    p.driveOn = this.driveOn;
    p.dutyPermille = p.driveOn ? (d[OCR0A]! * 1000) / 255 : 0;
    p.actuatorSetUm = this.actuatorSetpointUm();
    const gate = p.driveOn && (d[TCCR0A]! & COM0A1) !== 0;
    if (gate && !this.lastGate) {
      if (this.lastGateRiseCycle !== undefined) p.coilPulseHz = F_CPU / (this.cpu.cycles - this.lastGateRiseCycle);
      this.lastGateRiseCycle = this.cpu.cycles;
    }
    if (!p.driveOn) this.lastGateRiseCycle = undefined;
    this.lastGate = gate;
  }

  private setCount(channel: number, count: number): void {
    const c = Math.min(1023, Math.max(0, Math.round(count)));
    this.adc.channelValues[channel] = ((c + 0.5) * 5) / 1024;
  }

  private updateAnalog(): void {
    const p = this.plant;
    this.setCount(0, p.sensorCount());
    this.setCount(1, ACT_ZERO_COUNT + p.actuatorUm / ACT_UM_PER_COUNT);
    this.adc.channelValues[2] = Math.min(5, p.currentMa() / CURRENT_MA_PER_VOLT);
    this.applyInputs();
  }

  applyInputs(): void {
    const i = this.inputs;
    const no = i.pedalPressed || i.pedalStuck;
    const nc = !i.pedalPressed;
    this.portD.setPin(2, i.estopButton); // NC e-stop contact opens: the pull-up takes PD2 high
    this.portD.setPin(3, !no); // contact closed pulls low
    this.portD.setPin(4, !nc);
    this.portD.setPin(5, !i.cartridgePresent);
  }

  private pumpRx(): void {
    while (this.rxQueue.length > 0) {
      if (this.usart.rxBusy) return;
      const ok = this.usart.writeByte(this.rxQueue[0]!);
      if (!ok) return; // receiver not enabled yet or busy: retried on the next byte completion or write
      this.rxQueue.shift();
      return; // the next byte goes when this one completes (onRxComplete)
    }
  }

  /** Retry feeding bytes the receiver was not ready for (before the firmware enabled it). */
  kick(): void {
    this.pumpRx();
  }

  private onBoardByte(b: number): void {
    this.txLog.push({ cycle: this.cpu.cycles, byte: b });
    for (const item of this.hostRx.pushAll(Uint8Array.of(b))) {
      if (item.kind === "line") for (const l of this.lineListeners) l(item.line, this.cpu.cycles);
    }
  }
}
