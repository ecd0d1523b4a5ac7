// The reference board's link layer (docs/protocol.md §2.4, §3.1, §3.2): bytes to lines with the priority bytes
// pulled out, decoding, the rxOk/rxBad/rxDup counters, de-duplication by sequence number (HELLO always
// executes; a repeat gets the stored answer again), and the board's own numbered frames, ACK and NAK, through
// its transmitter: one frame at a time on the wire at the line rate, a latch's STATUS ahead of the frames
// still waiting (§7.7). Part of SimBoard (src/sim/board.ts), which executes the commands this hands it.

import { LineAssembler, decodeFrame, encodeFrame, nextSeq } from "../protocol/codec.ts";
import { LINK, NAKS, isHostMessageId, type Frame, type HostMessageId, type NakName } from "../protocol/table.ts";

/** One byte on the wire, 8N1, in microseconds. */
const BYTE_US = (10 * 1e6) / LINK.baud;

export type HostFrame = Extract<Frame, { id: HostMessageId }>;
function isHostFrame(f: Frame): f is HostFrame {
  return isHostMessageId(f.id);
}

export interface LinkHandlers {
  /** A priority byte arrived: STOP or ESTOP, at once. */
  priority(which: "STOP" | "ESTOP"): void;
  /** A new command (not a duplicate, in sequence) to execute. */
  execute(frame: HostFrame): void;
  /** The board is halted (unplugged): nothing goes out. */
  halted(): boolean;
  /** The board's clock, microseconds. */
  nowUs(): number;
}

interface Outgoing {
  readonly bytes: Uint8Array;
  readonly priority: boolean;
}

export class BoardLink {
  counters = { rxOk: 0, rxBad: 0, rxDup: 0 };
  private txSeq = 0;
  private lastRxSeq: number | undefined;
  private lastResponse: Frame | undefined;
  private rx = new LineAssembler();
  /** Frames encoded and waiting for the wire, in order; a priority frame goes before the others. */
  private tx: Outgoing[] = [];
  /** When the frame on the wire has gone out (board clock, us). */
  private wireFreeUs = 0;

  constructor(
    private readonly transmit: (bytes: Uint8Array) => void,
    private readonly handlers: LinkHandlers,
  ) {}

  /** Power-up: counters, sequence numbers, the stored answer, a half-received line and the frames still waiting
   * for the wire are all gone (the frame on the wire finishes). */
  reset(): void {
    this.counters = { rxOk: 0, rxBad: 0, rxDup: 0 };
    this.lastRxSeq = undefined;
    this.lastResponse = undefined;
    this.rx = new LineAssembler();
    this.txSeq = 0;
    this.tx = [];
  }

  /** Receive interrupt: priority bytes act at once; other bytes build lines. */
  receiveByte(byte: number): void {
    const items: ReturnType<LineAssembler["pushAll"]> = [];
    this.rx.push(byte, items);
    for (const item of items) {
      if (item.kind === "priority") this.handlers.priority(item.which);
      else if (item.kind === "overflow") this.counters.rxBad++;
      else this.onLine(item.line);
    }
  }

  private onLine(line: string): void {
    const decoded = decodeFrame(line);
    if (!decoded.ok || !isHostFrame(decoded.frame)) {
      this.counters.rxBad++;
      return;
    }
    const frame = decoded.frame;
    this.counters.rxOk++;
    if (frame.id !== "HELLO") {
      if (this.lastRxSeq === undefined) return this.nak(frame.seq, "SEQUENCE", false);
      if (frame.seq === this.lastRxSeq) {
        this.counters.rxDup++;
        if (this.lastResponse) this.send(this.lastResponse);
        return;
      }
      if (frame.seq !== nextSeq(this.lastRxSeq)) return this.nak(frame.seq, "SEQUENCE", false);
    }
    this.lastRxSeq = frame.seq;
    this.handlers.execute(frame);
  }

  /** Accept the command with this sequence number; the ACK is stored for a repeat of it. */
  ack(ackSeq: number): void {
    const frame: Frame = { id: "ACK", seq: 0, fields: { ackSeq } };
    this.lastResponse = frame;
    this.send(frame);
  }

  /** Refuse the command with this sequence number; stored for a repeat unless `remember` is false (SEQUENCE). */
  nak(ackSeq: number, nak: NakName, remember = true): void {
    const frame: Frame = { id: "NAK", seq: 0, fields: { ackSeq, nak: NAKS[nak].code } };
    if (remember) this.lastResponse = frame;
    this.send(frame);
  }

  /**
   * Send a frame with the board's next sequence number. A priority frame (a latch's STATUS) goes out right after
   * the frame on the wire and the priority frames before it, ahead of every other frame still waiting.
   */
  send(frame: Frame, priority = false): void {
    if (this.handlers.halted()) return;
    const line = encodeFrame({ ...frame, seq: this.txSeq });
    this.txSeq = nextSeq(this.txSeq);
    this.queue({ bytes: Buffer.from(line, "latin1"), priority });
  }

  /** A bare LF: ends a frame a reset may have cut short on the wire (receivers ignore the empty line). */
  lineBreak(): void {
    if (!this.handlers.halted()) this.queue({ bytes: Uint8Array.of(0x0a), priority: false });
  }

  /** The transmitter: the next frame goes on the wire once the one before it has gone out. */
  pump(): void {
    const nowUs = this.handlers.nowUs();
    while (this.tx.length > 0 && this.wireFreeUs <= nowUs && !this.handlers.halted()) {
      const [next] = this.tx.splice(
        Math.max(
          0,
          this.tx.findIndex((f) => f.priority),
        ),
        1,
      );
      this.transmit(next!.bytes);
      this.wireFreeUs = Math.max(this.wireFreeUs, nowUs) + next!.bytes.length * BYTE_US;
    }
  }

  private queue(frame: Outgoing): void {
    this.tx.push(frame);
    this.pump();
  }
}
