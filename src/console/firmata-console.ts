// The operator console on a Firmata board (an Arduino Uno running StandardFirmata) through johnny-five, the
// customer's choice: zone up/down and arm buttons, a normally-closed secondary e-stop (a broken wire reads as
// stop), an RGB status light and a buzzer, on the pins of a console file (src/profiles/console.ts). johnny-five
// runs with repl, debug and its SIGINT handler off (its handler would exit the process without our shutdown), on a
// port we opened ourselves: a serialport 13 port for a real board, or the emulated Uno's transport in tests.

import { createRequire } from "node:module";
import type { ConsoleAct, ConsoleShows, OperatorConsole } from "../ports/console.ts";
import type { ConsolePins, LoadedConsole } from "../profiles/console.ts";
import { SmpError } from "../errors/errors.ts";
import { CONSOLE_COLOURS } from "./colours.ts";

/** The parts of johnny-five and firmata-io used here (they ship no types). */
interface Emitter {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
}
export interface J5Board extends Emitter {
  readonly io: unknown;
}
export interface J5 {
  Board: new (options: Record<string, unknown>) => J5Board;
  Button: new (options: Record<string, unknown>) => Emitter;
  Led: { RGB: new (options: Record<string, unknown>) => { color(c: string): void; on(): void; off(): void } };
  Pin: new (options: Record<string, unknown>) => { high(): void; low(): void };
}
const require = createRequire(import.meta.url);
const five = require("johnny-five") as J5;
const Firmata = require("firmata") as new (port: object, options?: Record<string, unknown>) => Emitter;

export interface FirmataConsoleOptions {
  /** The port, already open (or an emulated Uno's transport): firmata-io reads and writes it. */
  readonly port: object;
  readonly pins: ConsolePins;
  readonly description: string;
  /** How long the board may take to answer (StandardFirmata reports its version and capabilities). */
  readonly connectTimeoutMs?: number;
  /** Releases the port after the lights are off (a serial port's close). */
  readonly closePort?: () => Promise<void>;
}

const hex = (on: boolean) => (on ? "ff" : "00");

/** A Firmata board through johnny-five on `port`, once it is ready: repl, debug and SIGINT off. Also the bench
 * fixture's (hardware-tests/fixture.ts). */
export async function connectFirmata(
  port: object,
  description: string,
  timeoutMs = 10_000,
): Promise<{ board: J5Board; five: J5 }> {
  // a board already running (no reset when the port opens: a pseudo-terminal, some USB bridges) reported its
  // version before anyone listened: ask for it after a second, well inside the connect timeout
  const io = new Firmata(port, { reportVersionTimeout: Math.min(1000, timeoutMs / 4) });
  const board = new five.Board({ io, repl: false, debug: false, sigint: false, timeout: timeoutMs });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${description}: no Firmata board answered within ${timeoutMs} ms`)),
      timeoutMs,
    );
    board.once("ready", () => {
      clearTimeout(timer);
      resolve();
    });
    board.once("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`${description}: ${(e as Error).message ?? String(e)}`));
    });
  });
  return { board, five };
}

/** Connects, sets up every pin of the console file, and resolves once the board is ready. */
export async function openFirmataConsole(o: FirmataConsoleOptions): Promise<OperatorConsole> {
  const { board } = await connectFirmata(o.port, o.description, o.connectTimeoutMs);

  const listeners: ((act: ConsoleAct) => void)[] = [];
  const emit = (act: ConsoleAct) => {
    for (const l of listeners) l(act);
  };
  const button = (pin: number) => new five.Button({ pin, isPullup: true, board });
  button(o.pins.zoneUp).on("down", () => emit("zone-up"));
  button(o.pins.zoneDown).on("down", () => emit("zone-down"));
  button(o.pins.arm).on("down", () => emit("arm"));
  // normally closed to ground: closed reads low ("down"); pressed or a broken wire reads high ("up"): stop. The
  // first report says which it is at connect; a release is reported only after a stop
  let stopped = false;
  const estop = button(o.pins.estop);
  estop.on("up", () => {
    stopped = true;
    emit("estop");
  });
  estop.on("down", () => {
    if (!stopped) return;
    stopped = false;
    emit("estop-release");
  });
  const light = new five.Led.RGB({
    pins: { red: o.pins.ledRed, green: o.pins.ledGreen, blue: o.pins.ledBlue },
    isAnode: false,
    board,
  });
  const buzzer = new five.Pin({ pin: o.pins.buzzer, type: "digital", mode: 1, board });
  buzzer.low();

  const show = (state: ConsoleShows) => {
    const c = CONSOLE_COLOURS[state];
    if (!c.red && !c.green && !c.blue) return light.off();
    light.color(`#${hex(c.red)}${hex(c.green)}${hex(c.blue)}`);
    light.on();
  };
  return {
    description: o.description,
    onAct: (l) => void listeners.push(l),
    show,
    buzz: (on) => (on ? buzzer.high() : buzzer.low()),
    close: async () => {
      show("off");
      buzzer.low();
      await new Promise((r) => setTimeout(r, 20)); // the last writes on their way out
      await o.closePort?.();
    },
  };
}

/** The console on a serial port: opened here with serialport (StandardFirmata's 57600 baud) and handed to
 * firmata-io as its transport as it opens (firmata-io and johnny-five start on its "open" event), closed with the
 * console. */
export async function openFirmataConsoleOnPort(path: string, file: LoadedConsole): Promise<OperatorConsole> {
  const { SerialPort } = await import("serialport");
  const port = new SerialPort({ path, baudRate: 57_600 });
  const failed = new Promise<never>((_, reject) =>
    port.once("error", (e) => reject(new SmpError("PORT", `console port ${path}: ${e.message}`))),
  );
  return Promise.race([
    openFirmataConsole({
      port,
      pins: file.console.pins,
      description: `Firmata console ${file.source} on ${path}`,
      closePort: () => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())),
    }),
    failed,
  ]);
}
