// Contract-suite harness: a minimal protocol v1 client that talks to a board at the wire level, and the
// board targets it runs against (the TypeScript simulated board in virtual time; the board firmware on an
// emulated ATmega328P in the same simulated rig, in emulated board time; a real board on HIL_PORT; and, in
// serial-target.ts, the simulated board behind the real serial transport on a mock binding).
// The suite is written once against BoardTarget; each target supplies its clock and, where it can, the
// physical world (pedal, e-stop button, cartridge switch, and plant faults: a slow motor, a needle overshooting).
// The client keeps the board's clock from the STATUS frames it receives (never from INFO's tick, which is
// stamped before the ACK and INFO go out) and waits in board time, so a real board behind a slow or loaded
// host is judged by what it did, not by when the host got round to looking.

import { encodeFrame, decodeFrame, nextSeq } from "../src/protocol/codec.ts";
import {
  BOARD_STATES,
  NAKS,
  PRIORITY_BYTES,
  nakName,
  type Frame,
  type FrameOf,
  type HostMessageId,
  type MessageId,
  type NakName,
} from "../src/protocol/table.ts";
import { VirtualScheduler } from "../src/time/scheduler.ts";
import { existsSync } from "node:fs";
import { SimRig, plantFromMachine, type SimRigOptions } from "../src/sim/rig.ts";
import { FIRMWARE_HEX } from "../src/sim/firmware.ts";
import { loadMachineFile } from "../src/profiles/files.ts";
import type { LineTransport } from "../src/ports/line-transport.ts";
import { SerialPort } from "serialport";
import { serialTransport } from "../src/transport/serial.ts";
import { LINK } from "../src/protocol/table.ts";
import { BoardClockEstimate, tickAdd, tickDiff } from "../src/time/ticks.ts";

/**
 * The board's digital inputs, as a hand on the hardware works them: the pedal's contacts, the e-stop, the cartridge
 * switch. On a simulated rig, its pins; on a real bench, a fixture board's outputs wired to them (HIL_FIXTURE,
 * hardware-tests/fixture.ts); in the normal suite also the emulated fixture on the emulated firmware. Each resolves
 * once the change has reached the driver board's pins.
 */
export interface BoardHands {
  setPedal(pressed: boolean): Promise<void>;
  /** The pedal's normally-open contact welds shut: both contacts then read closed (their wires cannot agree). */
  weldPedalContact(): Promise<void>;
  setEstopButton(pressed: boolean): Promise<void>;
  /** The cartridge in its holder (its switch closed) or taken out. */
  setCartridge(present: boolean): Promise<void>;
}

/** What a test may do to a simulated board's physical world beyond its inputs (the plant's faults), and its truth.
 * Absent on a real board. */
export interface BoardWorld {
  /** The motor turns at this fraction of its speed from now on (1 = healthy): slow, but no stall. */
  setMotorSlow(fraction: number): void;
  /** The needle tip sits this far beyond the actuator's position, with no cartridge give (0 = healthy). */
  setNeedleOvershoot(um: number): void;
  /** The needle position sensor reads this much shallower than the tip from now on (0 = healthy). */
  setSensorShallow(um: number): void;
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
  /**
   * The host and link latency this target may add, in ms: 0 in virtual time; on the wall clock (a real board,
   * a pseudo-terminal) a generous bound, below the board's hardMaxLeaseMs (a dot planned further ahead than the
   * lease would never start). Start and lease ticks are planned this much further ahead, board-time timeouts get
   * four times this slack, and host-side latency figures are printed instead of asserted.
   */
  readonly latencyMs: number;
  /** Line rate, 8N1: a byte takes 10 / baud s on the wire. */
  readonly baud: number;
  /** Let time pass: advances virtual time, or sleeps. */
  waitMs(ms: number): Promise<void>;
  readonly world: BoardWorld | undefined;
  /** The board's digital inputs, where something can work them (a simulated rig, a bench fixture). */
  readonly hands: BoardHands | undefined;
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
    latencyMs: 0,
    baud: options.baud ?? LINK.baud,
    waitMs: (ms) => {
      scheduler.runUntil(scheduler.nowMs() + ms);
      return Promise.resolve();
    },
    world: rigWorld(rig),
    hands: rigHands(rig),
    close: () => rig.transport.close(),
  };
  return { conn, rig, scheduler };
}

/** A simulated rig's inputs, set at once. */
export function rigHands(rig: SimRig): BoardHands {
  const set = (change: () => void) => {
    change();
    return Promise.resolve();
  };
  return {
    setPedal: (pressed) => set(() => (rig.board.inputs.pedalPressed = pressed)),
    weldPedalContact: () => set(() => rig.injectDeviceFault({ kind: "pedal-stuck" })),
    setEstopButton: (pressed) => set(() => (rig.board.inputs.estopButton = pressed)),
    setCartridge: (present) => set(() => (rig.board.inputs.cartridgePresent = present)),
  };
}

/** A simulated rig's physical world: the plant's faults and its truth. */
export function rigWorld(rig: SimRig): BoardWorld {
  return {
    setMotorSlow: (fraction) => rig.injectDeviceFault({ kind: "slow", fraction }),
    setNeedleOvershoot: (um) => rig.injectDeviceFault({ kind: "overshoot", overshootUm: um }),
    setSensorShallow: (um) => rig.injectDeviceFault({ kind: "sensor-offset", offsetUm: um }),
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

/** How long a real-board open is retried while the port is still held (the previous test's close, a monitor). */
const OPEN_RETRY_MS = 5000;
const OPEN_RETRY_STEP_MS = 50;
/** Host latency allowed on the wall clock (HIL_LATENCY_MS): a loaded host, a USB adapter, a pseudo-terminal. */
const WALL_CLOCK_LATENCY_MS = Number(process.env.HIL_LATENCY_MS ?? 250);

/**
 * A board on a serial device (a real board, or the emulated firmware on a pseudo-terminal): the wall clock,
 * no world. The open is retried for OPEN_RETRY_MS while the port is busy ("Cannot lock port": the previous
 * test's close, or another program), so one test's close never fails the next test's open; what the board sent
 * before the open (left in the driver's buffers) is flushed, so a test reads only its own answers.
 */
export async function connectPort(path: string, baud: number): Promise<BoardConnection> {
  const giveUpMs = performance.now() + OPEN_RETRY_MS;
  let transport: LineTransport | undefined;
  for (let attempt = 1; !transport; attempt++) {
    try {
      const port = new SerialPort({ path, baudRate: baud, autoOpen: false });
      transport = await serialTransport(port);
      await new Promise((r) => port.flush(r));
    } catch (e) {
      const busy = /lock|busy|temporarily unavailable/i.test(String((e as Error).message));
      if (!busy || performance.now() > giveUpMs)
        throw new Error(`cannot open ${path} (attempt ${attempt}): ${(e as Error).message}`, { cause: e });
      await new Promise((r) => setTimeout(r, OPEN_RETRY_STEP_MS));
    }
  }
  const open = transport;
  const origin = performance.now();
  return {
    transport: open,
    nowMs: () => performance.now() - origin,
    latencyMs: WALL_CLOCK_LATENCY_MS,
    baud,
    waitMs: (ms) => new Promise((r) => setTimeout(r, ms)),
    world: undefined,
    hands: undefined,
    close: () => open.close(),
  };
}

export const realTarget: BoardTarget = {
  name: `real board on ${process.env.HIL_PORT ?? "HIL_PORT"}`,
  unavailable: process.env.HIL_PORT
    ? undefined
    : "HIL_PORT is not set: no real board attached (set HIL_PORT and HIL_BAUD to run it)",
  connect: () => connectPort(process.env.HIL_PORT!, Number(process.env.HIL_BAUD ?? LINK.baud)),
};

type Unseq<F> = F extends { seq: number } ? Omit<F, "seq"> : never;
export type Command = Unseq<Extract<Frame, { id: HostMessageId }>>;

export interface Received {
  readonly frame: Frame;
  readonly atMs: number;
}

/**
 * On a wall-clock port, start each client's sequence numbers far from the last one's, so an answer left on the
 * line by an earlier client never matches (in virtual time nothing is left over, and every client starts at 100).
 */
let clientsMade = 0;
const SEQ_SPACING = 4099;
/** STATUS samples the board clock is taken from: the freshest only. */
const CLOCK_SAMPLES = 1;

/**
 * Protocol client for tests: numbers commands, keeps every valid frame received with its arrival time, and
 * keeps the board's clock from the latest STATUS received (BoardClockEstimate over CLOCK_SAMPLES): behind the
 * board by that frame's transit time, which the target's latency covers; an older, faster-delivered sample
 * would put the estimate ahead of a board whose clock runs slow (the emulated firmware on a loaded machine).
 * INFO and BOOT start a new clock (the board may have reset); until a STATUS has arrived after them, times
 * fall back to the target's clock.
 */
export class WireClient {
  readonly received: Received[] = [];
  readonly corrupt: string[] = [];
  private seq: number;
  private clockHz: number | undefined;
  private clock: BoardClockEstimate | undefined;

  constructor(readonly conn: BoardConnection) {
    this.seq = conn.latencyMs > 0 ? (100 + SEQ_SPACING * clientsMade++) % 65536 : 100;
    conn.transport.onLine((line) => {
      const d = decodeFrame(line);
      if (!d.ok) return void this.corrupt.push(line);
      const atMs = conn.nowMs();
      this.received.push({ frame: d.frame, atMs });
      if (d.frame.id === "INFO") this.clockHz = d.frame.fields.clockHz;
      if (d.frame.id === "INFO" || d.frame.id === "BOOT")
        this.clock = this.clockHz === undefined ? undefined : new BoardClockEstimate(this.clockHz, CLOCK_SAMPLES);
      if (d.frame.id === "STATUS") this.clock?.sample(d.frame.fields.tick, atMs);
    });
  }

  /** Board ticks in ms (at INFO's clockHz). */
  ticks(ms: number): number {
    if (this.clockHz === undefined) throw new Error("no INFO yet: the board's clock rate is unknown");
    return Math.round((ms * this.clockHz) / 1000);
  }

  /** The board's tick now, from the STATUS frames received since the last INFO (a lower bound). */
  boardTick(): number {
    if (!this.clock?.synced) throw new Error("no STATUS since INFO: the board's clock is unknown (call sync())");
    return this.clock.boardTickAt(this.conn.nowMs());
  }

  /** The tick of the last STATUS received: a tick the board has certainly passed. */
  lastStatusTick(): number {
    const last = this.received.findLast((r) => r.frame.id === "STATUS");
    if (!last) throw new Error("no STATUS received yet");
    return (last.frame as FrameOf<"STATUS">).fields.tick;
  }

  /** Wait for a STATUS sent after this call, so the board clock has a fresh sample. */
  async sync(): Promise<FrameOf<"STATUS">["fields"]> {
    return this.status();
  }

  /**
   * Let `ms` of board time pass: wait until a STATUS stamped at least that far past the board's tick now has
   * arrived (so everything the board sent until then has arrived too).
   */
  async waitBoardMs(ms: number): Promise<void> {
    const untilTick = tickAdd(this.boardTick(), this.ticks(ms));
    const from = this.received.length;
    await this.waitFor((f) => f.id === "STATUS" && tickDiff(f.fields.tick, untilTick) >= 0, ms + 100, from);
  }

  /** HELLO, its INFO, and a fresh STATUS for the board's clock. */
  async hello(): Promise<FrameOf<"INFO">["fields"]> {
    const from = this.received.length;
    const answer = await this.command({ id: "HELLO", fields: {} });
    if (answer.id !== "ACK") throw new Error(`HELLO refused: ${JSON.stringify(answer.fields)}`);
    const info = (await this.next("INFO", 200, from)).fields;
    await this.sync();
    return info;
  }

  /**
   * From any state to a known one, by the board's own means: HELLO (which latches HOST_RESTART if an earlier
   * client left it armed), the STOP byte, and a STATUS showing ALARM with the needle parked. Returns INFO.
   */
  async toLatched(): Promise<FrameOf<"INFO">["fields"]> {
    const info = await this.hello();
    const from = this.received.length;
    this.sendRaw(Uint8Array.of(PRIORITY_BYTES.STOP));
    await this.waitFor(
      (f) => f.id === "STATUS" && f.fields.state === BOARD_STATES.ALARM && f.fields.parked === 1,
      300,
      from,
    );
    return info;
  }

  /** From any state to IDLE: latched and parked, then UNLOCK; says why when the board cannot be unlocked. */
  async toIdle(): Promise<FrameOf<"INFO">["fields"]> {
    const info = await this.toLatched();
    const from = this.received.length;
    const answer = await this.command({ id: "UNLOCK", fields: {} });
    if (answer.id === "NAK" && answer.fields.nak !== NAKS.SEQUENCE.code) {
      const name = nakName(answer.fields.nak);
      const why = name in NAKS ? NAKS[name as NakName].doc : "a NAK this harness does not know";
      throw new Error(`cannot bring the board to IDLE: UNLOCK refused (${name}): ${why}`);
    }
    if (answer.id !== "ACK")
      throw new Error(`cannot bring the board to IDLE: UNLOCK answered ${JSON.stringify(answer)}`);
    await this.waitFor((f) => f.id === "STATUS" && f.fields.state === BOARD_STATES.IDLE, 200, from);
    return info;
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

  /**
   * Wait until a frame matching pred arrives (searching from index `from`); throws on timeout. With the board's
   * clock known the timeout is board time (plus four times the target's latency, for the way there and back):
   * it has passed once a STATUS stamped after it has arrived with no match before it, however late the host
   * looks. A board that falls silent is given up on the target's clock, at twice the timeout (plus 100 ms and
   * twenty times the latency).
   */
  async waitFor(pred: (f: Frame) => boolean, timeoutMs: number, from = 0): Promise<Frame> {
    const slackMs = timeoutMs + 4 * this.conn.latencyMs;
    const deadlineTick = this.clock?.synced ? tickAdd(this.boardTick(), this.ticks(slackMs)) : undefined;
    const giveUpMs = this.conn.nowMs() + 2 * timeoutMs + 100 + 20 * this.conn.latencyMs;
    for (let i = from; ;) {
      for (; i < this.received.length; i++) {
        const f = this.received[i]!.frame;
        if (pred(f)) return f;
        if (deadlineTick !== undefined && f.id === "STATUS" && tickDiff(f.fields.tick, deadlineTick) > 0)
          throw new Error(`no matching frame within ${timeoutMs} ms of board time; ${this.lastFrames()}`);
      }
      if (this.conn.nowMs() >= giveUpMs)
        throw new Error(`no matching frame within ${timeoutMs} ms (the board sent no STATUS); ${this.lastFrames()}`);
      await this.conn.waitMs(1);
    }
  }

  private lastFrames(): string {
    return `last frames: ${this.received
      .slice(-4)
      .map((r) => r.frame.id)
      .join(", ")}`;
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
