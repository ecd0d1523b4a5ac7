// The emulated firmware as the rig sees it: what the board says on its serial line (and what the host said to
// it) read back into the BoardModel view of src/sim/board-model.ts: its state and alarm from STATUS, the
// alarms latched from ALARM frames, the completed dots from DOTEND, and which dot a burst that just started
// is for (the next DOT the board acknowledged). Part of EmulatedBoard (src/sim/firmware.ts).

import { LineAssembler, decodeFrame } from "../protocol/codec.ts";
import { alarmName, boardStateName, type AlarmName, type BoardStateName } from "../protocol/table.ts";
import type { AlarmRecord } from "./board-model.ts";

export class FirmwareReadback {
  readonly completedDots: number[] = [];
  readonly alarmHistory: AlarmRecord[] = [];
  state: BoardStateName = "ALARM";
  alarm: AlarmName | undefined = "POWER_UP";
  /** Dot whose burst is running: the next dot the board acknowledged, from the moment the drive went on. */
  currentDot: number | undefined;
  private txSniffer = new LineAssembler();
  private readonly rxSniffer = new LineAssembler();
  /** Host DOT frames awaiting the board's answer (seq to dot), and the dots it accepted, in order. */
  private readonly dotBySeq = new Map<number, number>();
  private readonly acceptedDots: number[] = [];
  private lastStartedDot: number | undefined;

  /** nowUs: the board time at which a frame counts as sent (for an alarm's latch time). */
  constructor(private readonly nowUs: () => number) {}

  /** A reset: the board's queue and any frame cut short are gone; ALARM until its STATUS says more. */
  reset(): void {
    this.dotBySeq.clear();
    this.acceptedDots.length = 0;
    this.currentDot = undefined;
    this.txSniffer = new LineAssembler(); // a frame cut short by the reset is never completed
    this.state = "ALARM"; // until the firmware's STATUS says more (POWER_UP, or CONFIG_INVALID)
    this.alarm = "POWER_UP";
  }

  /** The drive went on: a burst started, for the first dot acknowledged (or one whose ACK is on the wire). */
  burstStarted(): void {
    this.currentDot = this.nextDot();
    this.lastStartedDot = this.currentDot;
  }

  burstEnded(): void {
    this.currentDot = undefined;
  }

  private nextDot(): number | undefined {
    const accepted = this.acceptedDots.shift();
    if (accepted !== undefined) return accepted;
    for (const [seq, dot] of this.dotBySeq) {
      this.dotBySeq.delete(seq);
      if (dot !== this.lastStartedDot) return dot;
    }
    return undefined;
  }

  /** A byte the firmware sent. */
  boardByte(byte: number): void {
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
            atUs: this.nowUs() - f.fields.parkedUs,
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

  /** A byte the host sent the board: its DOT frames, to match the board's answers to. */
  hostByte(byte: number): void {
    for (const item of this.rxSniffer.pushAll(Uint8Array.of(byte))) {
      if (item.kind !== "line") continue;
      const d = decodeFrame(item.line);
      if (d.ok && d.frame.id === "DOT") this.dotBySeq.set(d.frame.seq, d.frame.fields.dot);
    }
  }
}
