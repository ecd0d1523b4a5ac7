// The emulated ATmega328P (avr8js) that runs the board firmware: the CPU at 16 MHz with its clock, timers,
// EEPROM, watchdog, I/O ports, USART and ADC, the data-space addresses of the registers the board's pins hang
// on, the host's bytes fed into its USART at the line rate, and an Intel HEX reader for the flash and EEPROM
// images. The only module that loads avr8js; the board around it (timing, plant wiring, readback) is
// src/sim/firmware.ts.

import {
  AVRADC,
  AVRClock,
  AVREEPROM,
  AVRIOPort,
  PinState,
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
import { LINK } from "../protocol/table.ts";

export type { CPU } from "avr8js";

export const F_CPU = 16_000_000;
export const EEPROM_BYTES = 1024;

/** Data-space addresses and bits of the registers the board's wiring reads and writes (ATmega328P). */
export const REG = {
  PORTD: portDConfig.PORT,
  PD7: 0x80, // drive enable
  TCCR0A: timer0Config.TCCRA,
  TCCR0B: timer0Config.TCCRB,
  OCR0A: timer0Config.OCRA,
  TCCR2A: timer2Config.TCCRA,
  OCR2A: timer2Config.OCRA,
  COM_A1: 0x80, // COM0A1 / COM2A1: compare output A connected (non-inverting PWM)
  CS_MASK: 0x07, // clock select: 0 = timer stopped
  UCSR0A: usart0Config.UCSRA,
  UCSR0B: usart0Config.UCSRB,
  UDR0: usart0Config.UDR,
  RXC0: 0x80, // receive complete: UDR0 holds an unread byte
  RXEN0: 0x10,
  MCUSR: watchdogConfig.MCUSR,
} as const;

/** MCUSR reset flags: what the firmware's .init3 code reads as the reset cause. */
export const MCUSR_PORF = 0x01;
export const MCUSR_EXTRF = 0x02;
export const MCUSR_BORF = 0x04;
export const MCUSR_WDRF = 0x08;

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

/** The part's EEPROM: lives as long as the board, across resets (each reset builds a new CPU on it). */
export class McuEeprom {
  private readonly backend = new EEPROMMemoryBackend(EEPROM_BYTES);
  /** The contents, live (the firmware writes its boot counter here). */
  readonly memory: Uint8Array = this.backend.memory;

  attach(cpu: CPU): void {
    new AVREEPROM(cpu, this.backend, eepromConfig);
  }
}

/** What the board around the MCU is told as it happens. */
export interface McuHooks {
  /** A byte left the USART. */
  onTx(byte: number): void;
  /** COM0A1 changed with TCCR0A: the drive PWM output connected (the coil gate) or disconnected. */
  onGate(connected: boolean): void;
  /** Timer0 started or stopped: the drive switching on or off. */
  onDriveTimer(running: boolean): void;
  /** The watchdog fired a system reset. */
  onWatchdogReset(): void;
}

export interface Mcu {
  readonly cpu: CPU;
  readonly portB: AVRIOPort;
  readonly portD: AVRIOPort;
  readonly usart: AVRUSART;
  readonly adc: AVRADC;
}

/** A new CPU on the flash image and the EEPROM, every register at its reset value, MCUSR = mcusr. */
export function createMcu(program: Uint16Array, eeprom: McuEeprom, hooks: McuHooks, mcusr: number): Mcu {
  const cpu = new CPU(program);
  const clock = new AVRClock(cpu, F_CPU, clockConfig);
  const timers = [new AVRTimer(cpu, timer0Config), new AVRTimer(cpu, timer1Config), new AVRTimer(cpu, timer2Config)];
  batchTimerCounting(cpu, timers);
  eeprom.attach(cpu);
  new AVRWatchdog(cpu, watchdogConfig, clock);
  const portB = new AVRIOPort(cpu, portBConfig);
  new AVRIOPort(cpu, portCConfig);
  const portD = new AVRIOPort(cpu, portDConfig);
  const usart = new AVRUSART(cpu, usart0Config, F_CPU);
  const adc = new AVRADC(cpu, adcConfig);
  usart.onByteTransmit = (b) => hooks.onTx(b);
  afterWrite(cpu, REG.TCCR0A, (value, old) => {
    if ((value ^ old) & REG.COM_A1) hooks.onGate((value & REG.COM_A1) !== 0);
  });
  afterWrite(cpu, REG.TCCR0B, (value, old) => {
    const on = (value & REG.CS_MASK) !== 0;
    if (on !== ((old & REG.CS_MASK) !== 0)) hooks.onDriveTimer(on);
  });
  // A watchdog system reset puts every register at its reset value, as an external reset does; avr8js's
  // cpu.reset() resets only the core (PC, SP, pending interrupts) and leaves SREG, the I/O registers and the
  // peripherals as they were (drive enable still high, interrupts still enabled, until the firmware's init
  // runs). So the board builds a new CPU for a watchdog reset too, right after the instruction it fired in.
  cpu.reset = () => hooks.onWatchdogReset();
  cpu.data[REG.MCUSR] = mcusr;
  return { cpu, portB, portD, usart, adc };
}

/** A bare ATmega328P as on an Arduino Uno (the operator console's board, src/sim/firmata-uno.ts): the CPU at
 * 16 MHz with its clock, timers, I/O ports B, C and D, USART and ADC, every register at its reset value. */
export interface PlainMcu extends Mcu {
  readonly portC: AVRIOPort;
}

export function createUno(program: Uint16Array, onTx: (byte: number) => void): PlainMcu {
  const cpu = new CPU(program);
  const clock = new AVRClock(cpu, F_CPU, clockConfig);
  batchTimerCounting(cpu, [
    new AVRTimer(cpu, timer0Config),
    new AVRTimer(cpu, timer1Config),
    new AVRTimer(cpu, timer2Config),
  ]);
  new AVRWatchdog(cpu, watchdogConfig, clock);
  const portB = new AVRIOPort(cpu, portBConfig);
  const portC = new AVRIOPort(cpu, portCConfig);
  const portD = new AVRIOPort(cpu, portDConfig);
  const usart = new AVRUSART(cpu, usart0Config, F_CPU);
  const adc = new AVRADC(cpu, adcConfig);
  usart.onByteTransmit = onTx;
  return { cpu, portB, portC, portD, usart, adc };
}

/** Where a run of the CPU stops, in its own cycles; lowered while it runs to stop it at once (a reset). */
export interface RunLimit {
  end: number;
}

/** SREG in the data space, and its global interrupt enable bit. */
const SREG = 0x5f;
const SREG_I = 0x80;

/**
 * Execute instructions until the CPU's cycle count reaches `limit.end` (read after every instruction). Like the
 * real part, and unlike avr8js on its own, the CPU executes one more instruction after the one that set the global
 * interrupt enable (SEI, OUT to SREG, RETI) before it takes an interrupt: avr-gcc's function prologue moves the
 * stack pointer as `cli; out SPH; out SREG; out SPL` and relies on it. Without it an interrupt between the last two
 * pushes its frame at a stack pointer that is half old and half new, 256 bytes off, into the static variables.
 */
export function runCycles(cpu: CPU, limit: RunLimit): void {
  const data = cpu.data;
  while (cpu.cycles < limit.end) {
    const enabledBefore = data[SREG]! & SREG_I;
    avrInstruction(cpu);
    if (!enabledBefore && data[SREG]! & SREG_I) {
      data[SREG] = data[SREG]! & ~SREG_I; // timers and peripherals step, no interrupt is taken yet
      cpu.tick();
      data[SREG] |= SREG_I;
    } else {
      cpu.tick();
    }
  }
}

/** One character on the wire, 8N1 (10 bits) at LINK.baud, in microseconds. */
export const CHAR_US = (10 * 1e6) / LINK.baud;

/**
 * Host bytes into the USART, each complete when it arrives (its stop bit is in), at most one per character
 * time. Bytes that arrive before the firmware has enabled its receiver wait for it (a real board is up before
 * the host); bytes in flight at a reset are lost.
 *
 * The receiver is the ATmega328P's: a two-character FIFO behind UDR0 (datasheet, "USART Receive Buffer"). avr8js
 * keeps one character, so a byte completing while the previous is still unread would overwrite it there; here it
 * waits in the FIFO's second place and reaches UDR0 when the firmware reads the first. A byte completing with both
 * places full is lost (the part's data overrun, DOR0), counted in `overruns`.
 */
export class UsartFeed {
  private held: number[] = [];
  /** CPU cycle from which the USART can take the next byte. */
  private freeAt = 0;
  /** The FIFO's second place: a byte received while UDR0 still held the one before. */
  private second: number | undefined;
  private hooked: Mcu | undefined;
  /** Bytes lost because the firmware left both FIFO places unread for a whole character time. */
  overruns = 0;
  /** One character (8N1, 10 bits) in CPU cycles: received bytes reach the USART at most this often. */
  private readonly charCycles: number;

  constructor(baud: number = LINK.baud) {
    this.charCycles = Math.round((10 * F_CPU) / baud);
  }

  reset(): void {
    this.freeAt = 0;
    this.held = [];
    this.second = undefined;
  }

  push(mcu: Mcu, byte: number): void {
    this.held.push(byte);
    this.release(mcu);
  }

  /** Hand the waiting bytes to the USART, paced at the line rate, once its receiver is enabled. */
  release(mcu: Mcu): void {
    const { cpu } = mcu;
    if (this.held.length === 0 || (cpu.data[REG.UCSR0B]! & REG.RXEN0) === 0) return;
    this.hookUdrRead(mcu);
    for (const byte of this.held) {
      const due = Math.max(cpu.cycles, this.freeAt);
      this.freeAt = due + this.charCycles;
      if (due <= cpu.cycles) this.complete(mcu, byte);
      else cpu.addClockEvent(() => this.complete(mcu, byte), due - cpu.cycles);
    }
    this.held = [];
  }

  /** A byte's stop bit is in: into UDR0, or the FIFO's second place, or lost. Never past a byte waiting in the
   * second place: avr8js also clears RXC0 on a write to UCSR0A or UCSR0B (StandardFirmata's serial code makes
   * both), so RXC0 clear with a byte waiting moves that byte up first, and the new one waits behind it. */
  private complete(mcu: Mcu, byte: number): void {
    const udrFull = (mcu.cpu.data[REG.UCSR0A]! & REG.RXC0) !== 0;
    if (!udrFull && this.second === undefined) mcu.usart.writeByte(byte, true);
    else if (!udrFull) {
      mcu.usart.writeByte(this.second!, true);
      this.second = byte;
    } else if (this.second === undefined) this.second = byte;
    else this.overruns++;
  }

  /** Once per CPU: a read of UDR0 moves the FIFO's second byte up. */
  private hookUdrRead(mcu: Mcu): void {
    if (this.hooked === mcu) return;
    this.hooked = mcu;
    const { cpu } = mcu;
    const read = cpu.readHooks[REG.UDR0]!;
    cpu.readHooks[REG.UDR0] = (addr) => {
      const value = read(addr);
      if (this.second !== undefined) {
        const next = this.second;
        this.second = undefined;
        mcu.usart.writeByte(next, true);
      }
      return value;
    };
  }
}

/** Whether a pin the firmware drives as an output is high (an input, pulled up or not, reads false). */
export const outputIsHigh = (port: AVRIOPort, index: number): boolean => port.pinState(index) === PinState.High;

/** Whether a pin is an input with its pull-up on (avr8js does not pull it up by itself: the board around does). */
export const inputPulledUp = (port: AVRIOPort, index: number): boolean => port.pinState(index) === PinState.InputPullUp;
