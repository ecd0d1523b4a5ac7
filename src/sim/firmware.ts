// The real board firmware (firmware-bridge/smp-board.hex) running on an emulated ATmega328P (avr8js), with
// the simulated plant wired to its pins exactly as firmware-bridge/README.md wires a real board ("Analog
// conventions"): drive PWM and enable out, actuator setpoint PWM out, needle position / actuator feedback /
// current on the ADC, tachometer pulses in, e-stop, pedal contacts and cartridge switch in. The one emulator
// of the firmware: `smp run --sim firmware`, `smp sim --pty --sim firmware`, the contract suite's firmware
// target and tests/firmware-emulation.test.ts all run this class.
//
// Time is emulated CPU cycles at 16 MHz; nothing here reads the wall clock. The CPU runs to any point in
// time; the plant steps alongside in STEP_US steps (it sees the firmware's outputs at the start of each step
// and its analog outputs are held for the step), and tachometer edges reach the pin at their exact cycle.
// What the firmware says on its serial line is read back for the rig's view of the board (completed dots,
// alarms, state, the dot whose burst is running).

import { readFileSync } from "node:fs";
import {
  AVRADC,
  AVRClock,
  AVREEPROM,
  AVRIOPort,
  AVRTimer,
  AVRUSART,
  AVRWatchdog,
  CPU,
  EEPROMMemoryBackend,
  adcConfig,
  avrInstruction,
  clockConfig,
  eepromConfig,
  portBConfig,
  portCConfig,
  portDConfig,
  timer0Config,
  timer1Config,
  timer2Config,
  usart0Config,
  watchdogConfig,
} from "avr8js";
import { LineAssembler, decodeFrame, encodeFrame } from "../protocol/codec.ts";
import { ADC_COUNTS, BOARD_WIRING } from "../protocol/board-wiring.ts";
import { LINK, alarmName, boardStateName, type AlarmName, type BoardStateName, type Frame } from "../protocol/table.ts";
import { ADC_MAX, PARK_UM, type Plant } from "./plant.ts";
import type { BoardInputs, BoardModel } from "./board.ts";

export const FIRMWARE_HEX = new URL("../../firmware-bridge/smp-board.hex", import.meta.url);
/** EEPROM image for a rotary machine (profiles/machines/rotary-pmu.json calibration). */
export const FIRMWARE_EEP = new URL("../../firmware-bridge/smp-board.eep", import.meta.url);
/** EEPROM image for a coil machine (profiles/machines/coil-short.json calibration, PWM gated at strokeHz). */
export const FIRMWARE_EEP_COIL = new URL("../../firmware-bridge/smp-board-coil.eep", import.meta.url);

export const F_CPU = 16_000_000;
const CYCLES_PER_US = F_CPU / 1e6;
/** Plant step: the same 250 us as the reference board's main loop. */
const STEP_US = 250;
const STEP_CYCLES = STEP_US * CYCLES_PER_US;
/** Tachometer pulse width (README: at least 20 us). */
const TACH_PULSE_CYCLES = 50 * CYCLES_PER_US;
/** One character on the wire, 8N1 at LINK.baud: received bytes reach the USART at most this often. */
const CHAR_CYCLES = Math.round((F_CPU * 10) / LINK.baud);
export const EEPROM_BYTES = 1024;

/** Board wiring (BOARD_WIRING, firmware-bridge/README.md): actuator feedback on ADC1, drive current on ADC2,
 * actuator setpoint steps. */
const W = BOARD_WIRING;
const ACT_UM_PER_COUNT = W.actuatorFeedbackNmPerCount / 1000;
const ACT_ZERO_COUNT = W.actuatorFeedbackZeroCount;
const CURRENT_MA_PER_VOLT = 1e6 / W.currentSenseMvPerA;
const ACT_UM_PER_STEP = W.actuatorUmPerStep;
const ADC_VREF = W.adcRefMv / 1000;

// data-space addresses and bits (ATmega328P)
const PORTD = portDConfig.PORT;
const PD7 = 0x80; // drive enable
const TCCR0A = timer0Config.TCCRA;
const TCCR0B = timer0Config.TCCRB;
const OCR0A = timer0Config.OCRA;
const TCCR2A = timer2Config.TCCRA;
const OCR2A = timer2Config.OCRA;
const COM_A1 = 0x80; // COM0A1 / COM2A1: compare output A connected (non-inverting PWM)
const CS_MASK = 0x07; // clock select: 0 = timer stopped
const UCSR0B = usart0Config.UCSRB;
const RXEN0 = 0x10;
const MCUSR = watchdogConfig.MCUSR;
/** MCUSR reset flags: what the firmware's .init3 code reads as the reset cause. */
const MCUSR_PORF = 0x01;
const MCUSR_EXTRF = 0x02;
const MCUSR_WDRF = 0x08;

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
  cpu.addClockEvent = (callback, cycles) =>
    add(callback, counters.has(callback) ? Math.max(cycles, TIMER_BATCH_CYCLES) : cycles);
}

/** Run extra code after a peripheral's register write hook (or after a plain write when there is none). */
function afterWrite(cpu: CPU, addr: number, after: (value: number, old: number) => void): void {
  const hook = cpu.writeHooks[addr];
  cpu.writeHooks[addr] = (value, old, address, mask) => {
    const handled = hook ? hook(value, old, address, mask) : false;
    if (!handled) cpu.data[addr] = value;
    after(value, old);
    return true;
  };
}

/** Parse Intel HEX into a byte image (unwritten bytes 0xFF, as erased flash and EEPROM read). */
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
  /** Dot whose burst is running: the next dot the board acknowledged, from the moment the drive went on. */
  currentDot: number | undefined;
  /** The EEPROM contents, live (the firmware writes its boot counter here). */
  readonly eeprom: Uint8Array;
  private mcu!: Mcu;
  private readonly program: Uint16Array;
  private readonly eepromBackend: EEPROMMemoryBackend;
  /** Board time: cycles since the board was built (power-up), across resets. */
  private now = 0;
  /** Board time at which the running CPU was powered up or reset (a new CPU counts from 0). */
  private cpuBase = 0;
  /** Board time up to which the plant has been stepped. */
  private plantUntil = 0;
  /** Tachometer edges of the current plant step not yet on the pin. */
  private edges: { cycle: number; count: number }[] = [];
  private tachLowAt = Infinity;
  /** Host bytes that arrived before the firmware enabled its receiver (a real board is up before the host). */
  private heldRx: number[] = [];
  /** CPU cycle from which the USART can take the next byte. */
  private rxFreeAt = 0;
  private txSniffer = new LineAssembler();
  private readonly rxSniffer = new LineAssembler();
  /** Host DOT frames awaiting the board's answer (seq to dot), and the dots it accepted, in order. */
  private readonly dotBySeq = new Map<number, number>();
  private readonly acceptedDots: number[] = [];
  private lastStartedDot: number | undefined;
  /** Coil gate: board time of the last rising edge of the 50 % gate, and whether a whole period was seen. */
  private gateRiseAt: number | undefined;
  private gatePeriodSeen = false;
  private halted = false;
  /** CPU cycle the CPU runs to; set below the count to stop it at once (a watchdog reset). */
  private runEnd = 0;
  private watchdogFired = false;

  constructor(
    readonly plant: Plant,
    private readonly transmit: (bytes: Uint8Array) => void,
    options: EmulatedBoardOptions = {},
  ) {
    const flash = parseIntelHex(readFileSync(options.hex ?? FIRMWARE_HEX, "latin1"), 0x8000);
    this.program = new Uint16Array(flash.buffer);
    this.eepromBackend = new EEPROMMemoryBackend(EEPROM_BYTES);
    this.eeprom = this.eepromBackend.memory;
    const eep = options.eeprom ?? (plant.params.machine === "coil" ? FIRMWARE_EEP_COIL : FIRMWARE_EEP);
    if (eep instanceof Uint8Array) {
      this.eeprom.fill(0xff);
      this.eeprom.set(eep.subarray(0, EEPROM_BYTES));
    } else {
      this.eeprom.set(parseIntelHex(readFileSync(eep, "latin1"), EEPROM_BYTES));
    }
    this.powerUp(MCUSR_PORF);
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
    const d = this.mcu.cpu.data;
    return (d[PORTD]! & PD7) !== 0 && (d[TCCR0B]! & CS_MASK) !== 0;
  }

  /** Actuator setpoint the firmware commands: -400 um + 8 um x OCR2A while OC2A is connected, else park. */
  get actuatorSetpointUm(): number {
    const d = this.mcu.cpu.data;
    return d[TCCR2A]! & COM_A1 ? PARK_UM + ACT_UM_PER_STEP * d[OCR2A]! : PARK_UM;
  }

  /** Physical truth: drive off and the actuator at or behind 0 um. */
  get parked(): boolean {
    return !this.driveOn && this.plant.actuatorUm <= 0;
  }

  /**
   * External reset (reset pin): a new CPU on the same flash and EEPROM, every register at its reset value;
   * BOOT reports resetCause 2. (A watchdog reset does the same, with resetCause 1.)
   */
  reset(): void {
    this.powerUp(MCUSR_EXTRF);
  }

  /** Stop the board dead: the CPU no longer runs, sends or receives; the plant goes on with the outputs as set. */
  halt(): void {
    this.halted = true;
  }

  /** One byte arrives on the board's serial input, complete (its stop bit is in) at the board's current time. */
  receiveByte(byte: number): void {
    if (this.halted) return;
    this.sniffHost(byte);
    this.heldRx.push(byte);
    this.releaseRx();
  }

  /** Apply `inputs` to the pins now (otherwise they are read at the next plant step). */
  applyInputs(): void {
    const { portD } = this.mcu;
    const i = this.inputs;
    portD.setPin(2, i.estopButton); // NC contact opens: the pull-up takes PD2 high (pressed or wire broken)
    portD.setPin(3, !(i.pedalPressed || i.pedalStuck)); // NO contact closed pulls low
    portD.setPin(4, i.pedalPressed); // NC contact closed (pedal up) pulls low
    portD.setPin(5, !i.cartridgePresent); // cartridge switch closed pulls low
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
        this.mcu.portB.setPin(0, false);
      }
      while (this.edges.length > 0 && this.edges[0]!.cycle <= this.now) this.tachEdge(this.edges.shift()!.count);
    }
  }

  // ---- the MCU ------------------------------------------------------------------------------------------

  private powerUp(mcusr: number): void {
    const cpu = new CPU(this.program);
    const clock = new AVRClock(cpu, F_CPU, clockConfig);
    const timers = [new AVRTimer(cpu, timer0Config), new AVRTimer(cpu, timer1Config), new AVRTimer(cpu, timer2Config)];
    batchTimerCounting(cpu, timers);
    new AVREEPROM(cpu, this.eepromBackend, eepromConfig);
    new AVRWatchdog(cpu, watchdogConfig, clock);
    const portB = new AVRIOPort(cpu, portBConfig);
    new AVRIOPort(cpu, portCConfig);
    const portD = new AVRIOPort(cpu, portDConfig);
    const usart = new AVRUSART(cpu, usart0Config, F_CPU);
    const adc = new AVRADC(cpu, adcConfig);
    usart.onByteTransmit = (b) => this.onTx(b);
    afterWrite(cpu, TCCR0A, (value, old) => {
      if ((value ^ old) & COM_A1) this.onGate((value & COM_A1) !== 0);
    });
    afterWrite(cpu, TCCR0B, (value, old) => {
      const on = (value & CS_MASK) !== 0;
      if (on !== ((old & CS_MASK) !== 0)) this.onDriveTimer(on);
    });
    // A watchdog system reset puts every register at its reset value, as an external reset does; avr8js's
    // cpu.reset() resets only the core (PC, SP, pending interrupts) and leaves SREG, the I/O registers and the
    // peripherals as they were (drive enable still high, interrupts still enabled, until the firmware's init
    // runs). So a watchdog reset gets a new CPU too, right after the instruction during which it fired.
    cpu.reset = () => {
      this.watchdogFired = true;
      this.runEnd = -1;
    };
    cpu.data[MCUSR] = mcusr;
    this.mcu = { cpu, portB, portD, usart, adc };
    this.cpuBase = this.now;
    this.rxFreeAt = 0;
    this.heldRx = []; // bytes in flight at a reset are lost
    this.tachLowAt = Infinity;
    this.gateRiseAt = undefined;
    this.dotBySeq.clear();
    this.acceptedDots.length = 0;
    this.currentDot = undefined;
    this.txSniffer = new LineAssembler(); // a frame cut short by the reset is never completed
    this.state = "ALARM"; // until the firmware's STATUS says more (POWER_UP, or CONFIG_INVALID)
    this.alarm = "POWER_UP";
    // every pin is an input after a reset: the pull-downs switch the drive off and command park
    this.plant.driveOn = false;
    this.plant.dutyPermille = 0;
    this.plant.actuatorSetUm = PARK_UM;
    this.applyAnalog();
    this.applyInputs();
  }

  private runCpu(stop: number): void {
    if (this.halted) {
      this.now = stop;
      return;
    }
    const cpu = this.mcu.cpu;
    this.runEnd = stop - this.cpuBase;
    while (cpu.cycles < this.runEnd) {
      avrInstruction(cpu);
      cpu.tick();
    }
    this.now = this.cpuBase + cpu.cycles;
    if (this.watchdogFired) {
      this.watchdogFired = false;
      this.powerUp(MCUSR_WDRF);
    }
  }

  /** One plant step: the firmware's outputs in, the step, the plant's analog outputs and the world's inputs out. */
  private stepPlant(): void {
    this.applyOutputs();
    const t0 = this.plant.tUs;
    const start = this.plantUntil;
    for (const e of this.plant.step(STEP_US))
      this.edges.push({ cycle: start + Math.round((e.tUs - t0) * CYCLES_PER_US), count: e.bdcCount });
    this.plantUntil = start + STEP_CYCLES;
    this.applyAnalog();
    this.applyInputs();
    this.releaseRx();
  }

  /** Tachometer: rising edge at bottom dead centre, with ADC0 showing the bottom-dead-centre position. */
  private tachEdge(count: number): void {
    const { portB } = this.mcu;
    this.setAdc(0, count);
    if (this.tachLowAt !== Infinity) portB.setPin(0, false); // previous pulse still high: end it first
    portB.setPin(0, true);
    this.tachLowAt = this.now + TACH_PULSE_CYCLES;
  }

  /** Firmware outputs to the plant: drive (enable PD7 and Timer0 running, duty OCR0A/255) and actuator setpoint. */
  private applyOutputs(): void {
    const p = this.plant;
    const on = this.driveOn;
    p.driveOn = on;
    p.dutyPermille = on ? Math.round((this.mcu.cpu.data[OCR0A]! * 1000) / 255) : 0;
    p.actuatorSetUm = this.actuatorSetpointUm;
  }

  /** Plant to the ADC: needle tip (ADC0), actuator feedback (ADC1), drive current at 1 V/A (ADC2). */
  private applyAnalog(): void {
    const p = this.plant;
    this.setAdc(0, p.sensorCount());
    // the actuator feedback, which may lie
    this.setAdc(1, Math.round(ACT_ZERO_COUNT + p.actuatorFeedbackUm() / ACT_UM_PER_COUNT));
    this.mcu.adc.channelValues[2] = Math.min(ADC_VREF, Math.max(0, p.currentMa() / CURRENT_MA_PER_VOLT));
  }

  private setAdc(channel: number, count: number): void {
    const c = Math.max(0, Math.min(ADC_MAX, count));
    this.mcu.adc.channelValues[channel] = ((c + 0.5) / ADC_COUNTS) * ADC_VREF;
  }

  /** Timer0 started or stopped: the drive switching on or off (hal_drive_on / drive_off_locked). */
  private onDriveTimer(on: boolean): void {
    const t = this.cpuBase + this.mcu.cpu.cycles;
    this.gatePeriodSeen = false;
    if (on) {
      this.gateRiseAt = t; // hal_drive_on connects OC0A just before it starts the timer
      this.plant.coilPulseHz = 0; // not known until the gate has been measured
      this.currentDot = this.nextDot();
      this.lastStartedDot = this.currentDot;
    } else {
      this.gateRiseAt = undefined;
      this.currentDot = undefined;
    }
  }

  /** The dot a burst that just started is for: the first one acknowledged, or one whose ACK is still on the wire. */
  private nextDot(): number | undefined {
    const accepted = this.acceptedDots.shift();
    if (accepted !== undefined) return accepted;
    for (const [seq, dot] of this.dotBySeq) {
      this.dotBySeq.delete(seq);
      if (dot !== this.lastStartedDot) return dot;
    }
    return undefined;
  }

  /**
   * Coil machines: the firmware gates the drive PWM at strokeHz, 50 % (COM0A1 toggled while Timer0 runs);
   * the coil strikes at that rate. The rate is measured from the gate: rise to rise, or twice the first
   * on-time until a whole period has been seen.
   */
  private onGate(on: boolean): void {
    const cpu = this.mcu.cpu;
    if ((cpu.data[TCCR0B]! & CS_MASK) === 0 || this.gateRiseAt === undefined) return;
    const t = this.cpuBase + cpu.cycles;
    const elapsed = t - this.gateRiseAt;
    if (elapsed <= 0) return;
    if (on) {
      this.plant.coilPulseHz = F_CPU / elapsed;
      this.gatePeriodSeen = true;
      this.gateRiseAt = t;
    } else if (!this.gatePeriodSeen) {
      this.plant.coilPulseHz = F_CPU / (2 * elapsed);
    }
  }

  // ---- serial -----------------------------------------------------------------------------------------

  /**
   * Host bytes to the USART, each complete when it arrives (its stop bit is in), at most one per character
   * time. Bytes that arrive before the firmware has enabled its receiver wait for it.
   */
  private releaseRx(): void {
    const { cpu, usart } = this.mcu;
    if (this.heldRx.length === 0 || this.halted || (cpu.data[UCSR0B]! & RXEN0) === 0) return;
    for (const byte of this.heldRx) {
      const due = Math.max(cpu.cycles, this.rxFreeAt);
      this.rxFreeAt = due + CHAR_CYCLES;
      if (due <= cpu.cycles) usart.writeByte(byte, true);
      else cpu.addClockEvent(() => usart.writeByte(byte, true), due - cpu.cycles);
    }
    this.heldRx = [];
  }

  /** What the firmware sends: to the host, and read back for the rig's view of the board. */
  private onTx(byte: number): void {
    if (this.halted) return;
    this.transmit(Uint8Array.of(byte));
    for (const item of this.txSniffer.pushAll(Uint8Array.of(byte))) {
      if (item.kind !== "line") continue;
      const d = decodeFrame(item.line);
      if (!d.ok) continue;
      const f = d.frame;
      switch (f.id) {
        case "DOTEND":
          this.completedDots.push(f.fields.dot);
          break;
        case "STATUS":
          this.state = boardStateName(f.fields.state) as BoardStateName;
          this.alarm = f.fields.alarm === 0 ? undefined : (alarmName(f.fields.alarm) as AlarmName);
          if (this.state === "ALARM") this.acceptedDots.length = 0; // a latch empties the queue
          break;
        case "ALARM":
          this.alarmHistory.push({
            code: alarmName(f.fields.alarm) as AlarmName,
            atUs: this.nowUs - f.fields.parkedUs,
            parkedUs: f.fields.parkedUs,
          });
          break;
        case "ACK": {
          const dot = this.dotBySeq.get(f.fields.ackSeq);
          this.dotBySeq.delete(f.fields.ackSeq);
          // a repeated ACK (the host retransmitted) is for a dot already queued or started
          if (dot !== undefined && !this.acceptedDots.includes(dot) && dot !== this.lastStartedDot)
            this.acceptedDots.push(dot);
          break;
        }
        case "NAK":
          this.dotBySeq.delete(f.fields.ackSeq);
          break;
        default:
          break;
      }
    }
  }

  private sniffHost(byte: number): void {
    for (const item of this.rxSniffer.pushAll(Uint8Array.of(byte))) {
      if (item.kind !== "line") continue;
      const d = decodeFrame(item.line);
      if (d.ok && d.frame.id === "DOT") this.dotBySeq.set(d.frame.seq, d.frame.fields.dot);
    }
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
      board.advanceTo(board.nowUs + 40); // one byte time at 250 kBd
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
