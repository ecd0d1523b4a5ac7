// The simulated serial cable between host and board: bytes take their real time on the wire at the
// configured baud rate, and byte-level faults (flip, drop, duplicate, delay, disconnect) can be switched
// on per direction. Runs on the injected Scheduler, so it is exact in virtual time.

import type { Scheduler } from "../time/scheduler.ts";
import { Rng } from "./plant.ts";

export type Direction = "tx" | "rx"; // tx = host to board, rx = board to host

export interface ByteFault {
  readonly kind: "flip" | "drop" | "dup" | "delay" | "disconnect";
  readonly dir: Direction | "both";
  /** Probability per byte (flip, drop, dup); ignored when count is set. */
  readonly rate?: number;
  /** Affect exactly the next `count` bytes, then stop. */
  readonly count?: number;
  /** Extra latency per byte for delay. */
  readonly ms?: number;
  /** How long the fault lasts once active; undefined = for the rest of the run. */
  readonly forMs?: number;
}

interface ActiveFault {
  fault: ByteFault;
  remaining: number;
  untilMs: number;
}

class Lane {
  private queue: { tMs: number; byte: number }[] = [];
  private lastMs = 0;
  private pumpAt: number | undefined;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly byteMs: number,
    private readonly deliver: (bytes: Uint8Array, atMs: readonly number[]) => void,
  ) {}

  push(byte: number, extraMs: number): void {
    const now = this.scheduler.nowMs();
    this.lastMs = Math.max(this.lastMs, now) + this.byteMs;
    this.queue.push({ tMs: this.lastMs + extraMs, byte });
    this.arm();
  }

  private arm(): void {
    const head = this.queue[0];
    if (!head || (this.pumpAt !== undefined && this.pumpAt <= head.tMs)) return;
    this.pumpAt = head.tMs;
    this.scheduler.at(head.tMs, () => this.pump());
  }

  private pump(): void {
    this.pumpAt = undefined;
    this.flush();
    this.arm();
  }

  /** Deliver every byte due by now, each with its arrival time (late pumps on a busy wall clock keep order). */
  flush(): void {
    const now = this.scheduler.nowMs();
    const due: number[] = [];
    const atMs: number[] = [];
    while (this.queue.length > 0 && this.queue[0]!.tMs <= now) {
      const item = this.queue.shift()!;
      due.push(item.byte);
      atMs.push(item.tMs);
    }
    if (due.length > 0) this.deliver(Uint8Array.from(due), atMs);
  }
}

export class SimLink {
  private faults: ActiveFault[] = [];
  private readonly lanes: Record<Direction, Lane>;
  private readonly rng: Rng;

  constructor(
    private readonly scheduler: Scheduler,
    baud: number,
    toBoard: (bytes: Uint8Array, atMs: readonly number[]) => void,
    toHost: (bytes: Uint8Array, atMs: readonly number[]) => void,
    seed = 7,
  ) {
    const byteMs = 10_000 / baud; // 8N1: ten bit times per byte
    this.lanes = { tx: new Lane(scheduler, byteMs, toBoard), rx: new Lane(scheduler, byteMs, toHost) };
    this.rng = new Rng(seed);
  }

  /** Deliver what is due now on one lane, before the receiver is advanced past it. */
  flush(dir: Direction): void {
    this.lanes[dir].flush();
  }

  inject(fault: ByteFault): void {
    const now = this.scheduler.nowMs();
    this.faults.push({
      fault,
      remaining: fault.count ?? Infinity,
      untilMs: fault.forMs === undefined ? Infinity : now + fault.forMs,
    });
  }

  send(dir: Direction, bytes: Uint8Array): void {
    const now = this.scheduler.nowMs();
    this.faults = this.faults.filter((f) => f.remaining > 0 && f.untilMs > now);
    for (const original of bytes) {
      let byte = original;
      let copies = 1;
      let extraMs = 0;
      for (const f of this.faults) {
        if (f.fault.dir !== "both" && f.fault.dir !== dir) continue;
        if (f.fault.kind === "disconnect") {
          copies = 0;
          continue;
        }
        const hit = f.fault.count !== undefined ? f.remaining > 0 : this.rng.next() < (f.fault.rate ?? 0);
        if (!hit) continue;
        f.remaining--;
        switch (f.fault.kind) {
          case "flip":
            byte ^= 1 << Math.floor(this.rng.next() * 8);
            break;
          case "drop":
            copies = 0;
            break;
          case "dup":
            copies = 2;
            break;
          case "delay":
            extraMs += f.fault.ms ?? 20;
            break;
        }
      }
      for (let i = 0; i < copies; i++) this.lanes[dir].push(byte, extraMs);
    }
  }
}
