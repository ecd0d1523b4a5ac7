// The operator console's board in emulation (issue 8): an Arduino Uno running the real StandardFirmata build
// (src/sim/standard-firmata.ts) on avr8js, its USART at 57600 baud behind a transport that firmata-io takes as its
// port (write, and "open"/"data" events), its digital pins driven from outside (a button pulls its input low) and
// read back (an LED's output). Runs on its own as fast as this machine allows, or paced to the wall clock
// (`smp console --sim --pty`); never touches the driver board's emulator.

import { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import {
  createUno,
  inputPulledUp,
  outputIsHigh,
  parseIntelHex,
  runCycles,
  UsartFeed,
  F_CPU,
  type PlainMcu,
} from "./firmware-mcu.ts";
import { STANDARD_FIRMATA } from "./standard-firmata.ts";

/** What firmata-io needs of a port: bytes out, "open" and "data" events in. */
export interface FirmataTransport extends EventEmitter {
  write(data: Buffer | number[], callback?: (error?: Error | null) => void): boolean;
}

/** Uno digital pin n: port D bits 0-7, port B bits 0-5 (pins 8-13), port C bits 0-5 (A0-A5, pins 14-19). */
function pinPort(mcu: PlainMcu, pin: number): { port: PlainMcu["portB"]; bit: number } {
  if (!Number.isInteger(pin) || pin < 0 || pin > 19) throw new RangeError(`Uno pin ${pin}: expected 0 to 19`);
  if (pin < 8) return { port: mcu.portD, bit: pin };
  if (pin < 14) return { port: mcu.portB, bit: pin - 8 };
  return { port: mcu.portC, bit: pin - 14 };
}

/** CPU cycles per run slice: 1 ms of Uno time. */
const SLICE_CYCLES = F_CPU / 1000;

export interface EmulatedUnoOptions {
  /** Run at the wall clock's pace (a console a person uses), not as fast as possible (tests). */
  readonly realTime?: boolean;
  /** The Intel HEX file to run (default: the cached StandardFirmata build). */
  readonly hexPath: string;
}

export class EmulatedUno {
  readonly transport: FirmataTransport;
  private readonly mcu: PlainMcu;
  private readonly feed = new UsartFeed(STANDARD_FIRMATA.baud);
  private readonly run = { end: 0 };
  private timer: { immediate: NodeJS.Immediate } | { timeout: NodeJS.Timeout } | undefined;
  private stopped = false;
  private startedWallMs = 0;
  private tx: number[] = [];
  /** Inputs held by the world (a button, a wire): pin -> level. */
  private readonly held = new Map<number, boolean>();

  constructor(private readonly options: EmulatedUnoOptions) {
    const flash = parseIntelHex(readFileSync(options.hexPath, "latin1"), 0x8000);
    this.mcu = createUno(new Uint16Array(flash.buffer), (b) => this.tx.push(b));
    const emitter = new EventEmitter() as FirmataTransport;
    emitter.write = (data, callback) => {
      for (const b of data) this.feed.push(this.mcu, b);
      if (callback) queueMicrotask(() => callback(null));
      return true;
    };
    this.transport = emitter;
  }

  /** Uno time, ms since power-up. */
  nowMs(): number {
    return (this.mcu.cpu.cycles * 1000) / F_CPU;
  }

  /** Power up and run until stop(); the transport announces "open" (firmata-io waits for it). */
  start(): void {
    this.startedWallMs = performance.now();
    queueMicrotask(() => this.transport.emit("open"));
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer && "immediate" in this.timer) clearImmediate(this.timer.immediate);
    else if (this.timer) clearTimeout(this.timer.timeout);
  }

  /** An input pin as the world drives it: low (a button pressed to ground) or high; undefined lets it float. */
  setInput(pin: number, high: boolean | undefined): void {
    if (high === undefined) this.held.delete(pin);
    else this.held.set(pin, high);
    this.applyInputs();
  }

  /** An output pin the firmware drives high (an LED lit, the buzzer on). */
  outputHigh(pin: number): boolean {
    const { port, bit } = pinPort(this.mcu, pin);
    return outputIsHigh(port, bit);
  }

  /** The world's levels on the held pins; every other pin floats, and reads high only if its pull-up is on (the
   * part's; avr8js leaves an undriven input low). */
  private applyInputs(): void {
    for (let pin = 2; pin <= 19; pin++) {
      const { port, bit } = pinPort(this.mcu, pin);
      const held = this.held.get(pin);
      port.setPin(bit, held ?? inputPulledUp(port, bit));
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    if (!this.options.realTime) {
      this.timer = { immediate: setImmediate(() => this.slice()) };
      return;
    }
    const aheadMs = this.nowMs() - (performance.now() - this.startedWallMs);
    this.timer = { timeout: setTimeout(() => this.slice(), Math.max(0, aheadMs)) };
  }

  private slice(): void {
    if (this.stopped) return;
    this.feed.release(this.mcu);
    this.applyInputs();
    this.run.end = this.mcu.cpu.cycles + SLICE_CYCLES * (this.options.realTime ? 1 : 4);
    runCycles(this.mcu.cpu, this.run);
    if (this.tx.length > 0) {
      const out = Buffer.from(this.tx);
      this.tx = [];
      this.transport.emit("data", out);
    }
    this.schedule();
  }
}
