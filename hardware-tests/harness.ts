// Contract-suite harness: a minimal protocol v1 client that talks to a board at the wire level, and the
// board targets it runs against (the TypeScript simulated board in virtual time; the board firmware on an
// emulated ATmega328P in the same simulated rig, in emulated board time; a real board on HIL_PORT; and, in
// serial-target.ts, the simulated board behind the real serial transport on a mock binding).
// The suite is written once against BoardTarget; each target supplies its clock and, where it can, the
// physical world (pedal, e-stop button, cartridge switch, and plant faults: a slow motor, a needle overshooting).

import { encodeFrame, decodeFrame, nextSeq } from "../src/protocol/codec.ts";
import type { Frame, FrameOf, HostMessageId, MessageId } from "../src/protocol/table.ts";
import { VirtualScheduler } from "../src/time/scheduler.ts";
import { existsSync } from "node:fs";
import { SimRig, plantFromMachine, type SimRigOptions } from "../src/sim/rig.ts";
import { FIRMWARE_HEX } from "../src/sim/firmware.ts";
import { loadMachineFile } from "../src/profiles/files.ts";
import type { LineTransport } from "../src/ports/line-transport.ts";
import { openSerialTransport } from "../src/transport/serial.ts";
import { LINK } from "../src/protocol/table.ts";

/** What a test may do to the board's physical world. Absent on a real board (a person would have to). */
export interface BoardWorld {
  setPedal(pressed: boolean): void;
  setEstopButton(pressed: boolean): void;
  /** The cartridge in its holder (its switch closed) or taken out. */
  setCartridge(present: boolean): void;
  /** The motor turns at this fraction of its speed from now on (1 = healthy): slow, but no stall. */
  setMotorSlow(fraction: number): void;
  /** The needle tip sits this far beyond the actuator's position, with no cartridge give (0 = healthy). */
  setNeedleOvershoot(um: number): void;
  /** The actuator's position feedback (ADC1) freezes at its present reading; the actuator itself still moves. */
  freezeActuatorFeedback(): void;
  /** Reset the board: its reset pin, its watchdog (the firmware hangs first) or a brown-out. */
  reset(cause: "EXTERNAL" | "WATCHDOG" | "BROWN_OUT"): void;
  /** Board-side truth: the needle is parked and the drive off. */
  parked(): boolean;
}

export interface BoardConnection {
  readonly transport: LineTransport;
  /** The target's clock in ms: virtual or emulated board time, or the wall clock for a real board. */
  nowMs(): number;
  /** Line rate, 8N1: a byte takes 10 / baud s on the wire. */
  readonly baud: number;
  /** Let time pass: advances virtual time, or sleeps. */
  waitMs(ms: number): Promise<void>;
  readonly world: BoardWorld | undefined;
  close(): Promise<void>;
}

export interface BoardTarget {
  readonly name: string;
  /** Why this target cannot run here, or undefined when it can. */
  readonly unavailable: string | undefined;
  connect(): Promise<BoardConnection>;
}

const rotary = loadMachineFile("profiles/machines/rotary-pmu.json");

/** The rig options of the simulated targets: the rotary machine of profiles/machines/rotary-pmu.json, seed 3. */
export function rotaryRig(over: Partial<SimRigOptions> = {}): SimRigOptions {
  return { plant: plantFromMachine(rotary.calibration, 3), seed: 3, ...over };
}

/**
 * A simulated rig (plant, board model or emulated firmware, serial cable) on a VirtualScheduler, as a
 * BoardConnection whose clock is virtual time and whose world inputs are the board's pins.
 */
export function connectSimRig(options: SimRigOptions): {
  conn: BoardConnection;
  rig: SimRig;
  scheduler: VirtualScheduler;
} {
  const scheduler = new VirtualScheduler();
  const rig = new SimRig(scheduler, options);
  const conn: BoardConnection = {
    transport: rig.transport,
    nowMs: () => scheduler.nowMs(),
    baud: options.baud ?? LINK.baud,
    waitMs: (ms) => {
      scheduler.runUntil(scheduler.nowMs() + ms);
      return Promise.resolve();
    },
    world: rigWorld(rig),
    close: () => rig.transport.close(),
  };
  return { conn, rig, scheduler };
}

/** A simulated rig's physical world: the board's input pins and the plant's faults. */
export function rigWorld(rig: SimRig): BoardWorld {
  return {
    setPedal: (pressed) => {
      rig.board.inputs.pedalPressed = pressed;
    },
    setEstopButton: (pressed) => {
      rig.board.inputs.estopButton = pressed;
    },
    setCartridge: (present) => {
      rig.board.inputs.cartridgePresent = present;
    },
    setMotorSlow: (fraction) => rig.injectDeviceFault({ kind: "slow", fraction }),
    setNeedleOvershoot: (um) => rig.injectDeviceFault({ kind: "overshoot", overshootUm: um }),
    freezeActuatorFeedback: () => rig.injectDeviceFault({ kind: "actuator-feedback-stuck" }),
    reset: (cause) =>
      rig.injectDeviceFault({ kind: cause === "EXTERNAL" ? "reset" : cause === "WATCHDOG" ? "watchdog" : "brownout" }),
    parked: () => rig.board.parked,
  };
}

export const simTarget: BoardTarget = {
  name: "TypeScript simulated board",
  unavailable: undefined,
  connect() {
    return Promise.resolve(connectSimRig(rotaryRig()).conn);
  },
};

/** The board firmware (firmware-bridge/smp-board.hex + .eep) in avr8js, in the same rig: emulated board time. */
export const firmwareTarget: BoardTarget = {
  name: "board firmware smp-board.hex on an emulated ATmega328P",
  unavailable: existsSync(FIRMWARE_HEX)
    ? undefined
    : "firmware-bridge/smp-board.hex is missing (make -C firmware-bridge)",
  connect() {
    return Promise.resolve(connectSimRig(rotaryRig({ firmware: true })).conn);
  },
};

export const realTarget: BoardTarget = {
  name: `real board on ${process.env.HIL_PORT ?? "HIL_PORT"}`,
  unavailable: process.env.HIL_PORT
    ? undefined
    : "HIL_PORT is not set: no real board attached (set HIL_PORT and HIL_BAUD to run it)",
  async connect() {
    const baud = Number(process.env.HIL_BAUD ?? LINK.baud);
    const transport = await openSerialTransport(process.env.HIL_PORT!, baud);
    const origin = performance.now();
    return {
      transport,
      nowMs: () => performance.now() - origin,
      baud,
      waitMs: (ms) => new Promise((r) => setTimeout(r, ms)),
      world: undefined,
      close: () => transport.close(),
    };
  },
};

type Unseq<F> = F extends { seq: number } ? Omit<F, "seq"> : never;
export type Command = Unseq<Extract<Frame, { id: HostMessageId }>>;

export interface Received {
  readonly frame: Frame;
  readonly atMs: number;
}

/** Protocol client for tests: numbers commands, keeps every valid frame received with its arrival time. */
export class WireClient {
  readonly received: Received[] = [];
  readonly corrupt: string[] = [];
  private seq = 100;

  constructor(readonly conn: BoardConnection) {
    conn.transport.onLine((line) => {
      const d = decodeFrame(line);
      if (d.ok) this.received.push({ frame: d.frame, atMs: conn.nowMs() });
      else this.corrupt.push(line);
    });
  }

  /** Encode a command with the next sequence number (or the given one) without sending it. */
  encode(command: Command, seq?: number): { line: string; seq: number } {
    const s = seq ?? this.seq;
    if (seq === undefined) this.seq = nextSeq(this.seq);
    return { line: encodeFrame({ ...command, seq: s }), seq: s };
  }

  sendRaw(bytes: string | Uint8Array): void {
    this.conn.transport.write(typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes);
  }

  /** Send a command and wait for its ACK or NAK. */
  async command(command: Command, timeoutMs = 200): Promise<FrameOf<"ACK"> | FrameOf<"NAK">> {
    const { line, seq } = this.encode(command);
    this.sendRaw(line);
    return this.awaitAnswer(seq, timeoutMs);
  }

  async awaitAnswer(seq: number, timeoutMs = 200): Promise<FrameOf<"ACK"> | FrameOf<"NAK">> {
    const from = this.received.length;
    const f = await this.waitFor(
      (fr) => (fr.id === "ACK" || fr.id === "NAK") && fr.fields.ackSeq === seq,
      timeoutMs,
      from,
    );
    return f as FrameOf<"ACK"> | FrameOf<"NAK">;
  }

  /** Wait until a frame matching pred arrives (searching from index `from`); throws on timeout. */
  async waitFor(pred: (f: Frame) => boolean, timeoutMs: number, from = 0): Promise<Frame> {
    const deadline = this.conn.nowMs() + timeoutMs;
    for (;;) {
      const hit = this.received.slice(from).find((r) => pred(r.frame));
      if (hit) return hit.frame;
      if (this.conn.nowMs() >= deadline)
        throw new Error(
          `no matching frame within ${timeoutMs} ms; last frames: ${this.received
            .slice(-4)
            .map((r) => r.frame.id)
            .join(", ")}`,
        );
      await this.conn.waitMs(1);
    }
  }

  async next<I extends MessageId>(id: I, timeoutMs = 200, from = this.received.length): Promise<FrameOf<I>> {
    return (await this.waitFor((f) => f.id === id, timeoutMs, from)) as FrameOf<I>;
  }

  frames<I extends MessageId>(id: I, from = 0): FrameOf<I>[] {
    return this.received
      .slice(from)
      .filter((r) => r.frame.id === id)
      .map((r) => r.frame as FrameOf<I>);
  }

  /** Latest STATUS (waits for one if none has arrived since `from`). */
  async status(from = this.received.length): Promise<FrameOf<"STATUS">["fields"]> {
    return (await this.next("STATUS", 200, from)).fields;
  }
}
