// The real board firmware (firmware-bridge/smp-board.hex) running on an emulated ATmega328P (avr8js), with
// the simulated plant wired to its pins exactly as firmware-bridge/README.md wires a real board: drive PWM
// and enable out, actuator setpoint PWM out, needle position / actuator feedback / current on the ADC,
// tachometer pulses in, e-stop, pedal contacts and cartridge switch in. Time is emulated CPU cycles
// (16 MHz); the plant steps alongside in 250 us steps. What the firmware says on its serial line is also
// read back for the tests' view of the board (completed dots, alarms, state).

import { readFileSync } from "node:fs";
import {
  AVRADC, AVRClock, AVREEPROM, AVRIOPort, AVRTimer, AVRUSART, AVRWatchdog, CPU, EEPROMMemoryBackend, adcConfig,
  avrInstruction, clockConfig, eepromConfig, portBConfig, portCConfig, portDConfig, timer0Config, timer1Config,
  timer2Config, usart0Config, watchdogConfig,
} from "avr8js";
import { LineAssembler, decodeFrame, encodeFrame } from "../protocol/codec.ts";
import { alarmName, boardStateName, isHostMessageId, type AlarmName, type BoardStateName, type Frame } from "../protocol/table.ts";
import { ADC_MAX, PARK_UM, type Plant } from "./plant.ts";
import type { BoardInputs, BoardModel } from "./board.ts";

export const FIRMWARE_HEX = new URL("../../firmware-bridge/smp-board.hex", import.meta.url);
export const FIRMWARE_EEP = new URL("../../firmware-bridge/smp-board.eep", import.meta.url);

const F_CPU = 16_000_000;
const CYCLES_PER_US = F_CPU / 1e6;
const STEP_US = 250;
const TACH_PULSE_US = 50;
/** Board calibration in the default EEPROM image (firmware-bridge/src/eeprom_config.c). */
const ACT_UM_PER_COUNT = 2.5;
const ACT_ZERO_COUNT = 250;
const CURRENT_MA_PER_COUNT = 4.883;
const ACT_UM_PER_STEP = 8;

/**
 * avr8js advances each running timer with a clock event every prescaler period (every 8 cycles here): with
 * three timers that costs more than the instructions. Counting in batches of TIMER_BATCH_CYCLES is exact
 * for the counter values the firmware reads (a TCNT read brings the count up to date) and for compare and
 * overflow flags (avr8js checks the whole range counted); it only lets a timer interrupt be raised up to
 * TIMER_BATCH_CYCLES late, within a real part's interrupt latency budget. PWM pin waveforms are not
 * simulated either way: the plant reads the compare registers.
 */
const TIMER_BATCH_CYCLES = 64; // 4 us

function batchTimerCounting(cpu: CPU, timers: AVRTimer[]): void {
  const counters = new Set(timers.map((t) => (t as unknown as { count: () => void }).count));
  const add = cpu.addClockEvent.bind(cpu);
  cpu.addClockEvent = (callback, cycles) => add(callback, counters.has(callback) ? Math.max(cycles, TIMER_BATCH_CYCLES) : cycles);
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
      board.advanceTo(board.nowUs + 40); // one byte time at 250 kBd
    }
  };
  // one whole dot: the burst paths must be compiled too, not only the idle loop (board tick = 100 us)
  at(20, { id: "HELLO", seq: 1, fields: {} });
  at(40, { id: "UNLOCK", seq: 2, fields: {} });
  at(60, { id: "ARM", seq: 3, fields: { leaseTick: 6000 } });
  at(80, { id: "DOT", seq: 4, fields: { dot: 1, atTick: 1000, extensionUm: 700, strokeHz: 120, dutyPermille: 700, strokes: 10, leaseTick: 6000 } });
  board.advanceTo(400_000);
}

/** Parse Intel HEX into a byte image. */
export function parseIntelHex(text: string, size: number): Uint8Array {
  const image = new Uint8Array(size).fill(0xff);
  let base = 0;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line.startsWith(":")) continue;
    const bytes = Buffer.from(line.slice(1), "hex");
    const count = bytes[0]!;
    const addr = (bytes[1]! << 8) | bytes[2]!;
    const type = bytes[3]!;
    if (type === 0) image.set(bytes.subarray(4, 4 + count), base + addr);
    else if (type === 2) base = ((bytes[4]! << 8) | bytes[5]!) << 4;
    else if (type === 4) base = ((bytes[4]! << 8) | bytes[5]!) << 16;
  }
  return image;
}

interface Mcu {
  cpu: CPU;
  portB: AVRIOPort;
  portD: AVRIOPort;
  usart: AVRUSART;
  adc: AVRADC;
}

export class EmulatedBoard implements BoardModel {
  readonly inputs: BoardInputs = { pedalPressed: true, pedalStuck: false, estopButton: false, cartridgePresent: true };
  readonly completedDots: number[] = [];
  readonly alarmHistory: { code: AlarmName; atUs: number; parkedUs: number | undefined }[] = [];
  state: BoardStateName = "ALARM";
  alarm: AlarmName | undefined = "POWER_UP";
  currentDot: number | undefined;
  private mcu!: Mcu;
  private readonly program: Uint16Array;
  private readonly eeprom: EEPROMMemoryBackend;
  private plantUs = 0;
  private rxQueue: number[] = [];
  private readonly txSniffer = new LineAssembler();
  private readonly rxSniffer = new LineAssembler();
  private readonly dotsSent: number[] = [];
  private driveWasOn = false;
  private halted = false;

  constructor(readonly plant: Plant, private readonly transmit: (bytes: Uint8Array) => void, hex = readFileSync(FIRMWARE_HEX, "latin1"), eep = readFileSync(FIRMWARE_EEP, "latin1")) {
    const flash = parseIntelHex(hex, 0x8000);
    this.program = new Uint16Array(flash.buffer);
    this.eeprom = new EEPROMMemoryBackend(1024);
    this.eeprom.memory.set(parseIntelHex(eep, 1024));
    this.powerUp();
  }

  /** Emulated time in microseconds: CPU cycles since power-up at 16 MHz. */
  get nowUs(): number {
    return this.plantUs;
  }

  get cycles(): number {
    return this.mcu.cpu.cycles;
  }

  get parked(): boolean {
    return !this.plant.driveOn && this.plant.actuatorUm <= 0;
  }

  reset(): void {
    this.powerUp();
  }

  halt(): void {
    this.halted = true;
  }

  receiveByte(byte: number): void {
    if (this.halted) return;
    this.rxQueue.push(byte);
    this.sniffHost(byte);
    this.feedRx();
  }

  advanceTo(tUs: number): void {
    while (this.plantUs + STEP_US <= tUs) {
      this.applyOutputs();
      const edges = this.plant.step(STEP_US);
      this.applyInputs();
      for (const e of edges) {
        this.runTo(e.tUs);
        this.setAdc(0, e.bdcCount);
        this.mcu.portB.setPin(0, true);
        const port = this.mcu.portB;
        this.mcu.cpu.addClockEvent(() => port.setPin(0, false), TACH_PULSE_US * CYCLES_PER_US);
      }
      this.plantUs += STEP_US;
      this.runTo(this.plantUs);
    }
  }

  // ---- the MCU and its pins ------------------------------------------------------------------------------

  private powerUp(): void {
    const cpu = new CPU(this.program);
    const clock = new AVRClock(cpu, F_CPU, clockConfig);
    const timers = [new AVRTimer(cpu, timer0Config), new AVRTimer(cpu, timer1Config), new AVRTimer(cpu, timer2Config)];
    batchTimerCounting(cpu, timers);
    new AVREEPROM(cpu, this.eeprom, eepromConfig);
    new AVRWatchdog(cpu, watchdogConfig, clock);
    const portB = new AVRIOPort(cpu, portBConfig);
    new AVRIOPort(cpu, portCConfig);
    const portD = new AVRIOPort(cpu, portDConfig);
    const usart = new AVRUSART(cpu, usart0Config, F_CPU);
    const adc = new AVRADC(cpu, adcConfig);
    usart.onByteTransmit = (b) => this.onTx(b);
    this.mcu = { cpu, portB, portD, usart, adc };
    this.rxQueue = [];
    this.plant.driveOn = false;
    this.plant.actuatorSetUm = PARK_UM;
    this.applyInputs();
    this.mcu.portB.setPin(0, false);
  }

  /** Run the CPU up to emulated time tUs, feeding received bytes to the USART as it frees up. */
  private runTo(tUs: number): void {
    if (this.halted) return;
    const { cpu } = this.mcu;
    const target = tUs * CYCLES_PER_US;
    while (cpu.cycles < target) {
      avrInstruction(cpu);
      cpu.tick();
      if (this.rxQueue.length > 0) this.feedRx();
    }
  }

  private feedRx(): void {
    const u = this.mcu.usart;
    if (this.rxQueue.length > 0 && !u.rxBusy && u.writeByte(this.rxQueue[0]!)) this.rxQueue.shift();
  }

  /** Firmware outputs to the plant: drive (OC0A PWM on PD6 gated by enable PD7), actuator setpoint (OC2A). */
  private applyOutputs(): void {
    const { cpu, portD } = this.mcu;
    const com0a = (cpu.data[timer0Config.TCCRA]! >> 6) & 3;
    const enabled = portD.pinState(7) === 1;
    const driveOn = enabled && com0a !== 0;
    this.plant.driveOn = driveOn;
    this.plant.dutyPermille = driveOn ? Math.round((cpu.data[timer0Config.OCRA]! * 1000) / 255) : 0;
    const com2a = (cpu.data[timer2Config.TCCRA]! >> 6) & 3;
    this.plant.actuatorSetUm = com2a !== 0 ? PARK_UM + cpu.data[timer2Config.OCRA]! * ACT_UM_PER_STEP : PARK_UM;
    if (driveOn && !this.driveWasOn) this.currentDot = this.dotsSent.shift();
    if (!driveOn && this.driveWasOn) this.currentDot = undefined;
    this.driveWasOn = driveOn;
  }

  /** Plant and world to the firmware's inputs. */
  private applyInputs(): void {
    const { portD } = this.mcu;
    const p = this.plant;
    this.setAdc(0, p.sensorCount());
    this.setAdc(1, Math.round(ACT_ZERO_COUNT + p.actuatorUm / ACT_UM_PER_COUNT));
    this.setAdc(2, Math.round(p.currentMa() / CURRENT_MA_PER_COUNT));
    const i = this.inputs;
    portD.setPin(2, i.estopButton); // high = pressed (or wire broken)
    portD.setPin(3, !(i.pedalPressed || i.pedalStuck)); // NO contact closed pulls low
    portD.setPin(4, i.pedalPressed); // NC contact closed (pedal up) pulls low
    portD.setPin(5, !i.cartridgePresent);
  }

  private setAdc(channel: number, count: number): void {
    const c = Math.max(0, Math.min(ADC_MAX, count));
    this.mcu.adc.channelValues[channel] = ((c + 0.5) / 1024) * 5;
  }

  // ---- what the firmware says, read back ---------------------------------------------------------------

  private onTx(byte: number): void {
    this.transmit(Uint8Array.of(byte));
    for (const item of this.txSniffer.pushAll(Uint8Array.of(byte))) {
      if (item.kind !== "line") continue;
      const d = decodeFrame(item.line);
      if (!d.ok) continue;
      const f = d.frame;
      if (f.id === "DOTEND") this.completedDots.push(f.fields.dot);
      else if (f.id === "STATUS") {
        this.state = boardStateName(f.fields.state) as BoardStateName;
        this.alarm = f.fields.alarm === 0 ? undefined : (alarmName(f.fields.alarm) as AlarmName);
      } else if (f.id === "ALARM") {
        this.alarmHistory.push({ code: alarmName(f.fields.alarm) as AlarmName, atUs: this.plantUs - f.fields.parkedUs, parkedUs: f.fields.parkedUs });
      }
    }
  }

  private sniffHost(byte: number): void {
    for (const item of this.rxSniffer.pushAll(Uint8Array.of(byte))) {
      if (item.kind !== "line") continue;
      const d = decodeFrame(item.line);
      if (d.ok && isHostMessageId(d.frame.id) && d.frame.id === "DOT" && !this.dotsSent.includes(d.frame.fields.dot)) this.dotsSent.push(d.frame.fields.dot);
    }
  }
}
