// Host link layer (src/protocol/hostlink.ts) against a fake board written here: the board decodes the
// host's lines and answers ACK/NAK with encodeFrame. Covers stop-and-wait delivery, retransmission of the
// byte-identical line after the RTO with back-off, giving up after maxAttempts, NAK and stale-ACK handling,
// RTO adaptation, gap counting on board sequence numbers (reset by BOOT) and corrupt-line reporting.

import { describe, expect, it } from "vitest";
import { decodeFrame, encodeFrame } from "../src/protocol/codec.ts";
import {
  DEFAULT_LINK_TIMING,
  HostLink,
  type HostCommand,
  type LinkEvent,
  type LinkTiming,
} from "../src/protocol/hostlink.ts";
import type { Frame } from "../src/protocol/table.ts";

const TIMING: LinkTiming = { initialRtoMs: 30, minRtoMs: 8, maxRtoMs: 120, maxAttempts: 5 };

/** A minimal board: numbers its own frames, records every host frame it decodes, answers per a policy. */
class FakeBoard {
  seq = 0;
  readonly received: Frame[] = [];
  /** What to answer to the next commands: "ack" (default), "nak:<code>", or "drop" (answer lost). */
  readonly plan: string[] = [];

  private out(frame: Omit<Frame, "seq">): string {
    const line = encodeFrame({ ...frame, seq: this.seq } as Frame);
    this.seq = (this.seq + 1) % 65536;
    return line;
  }

  /** Handle the host's lines; returns the board's reply lines. */
  handle(lines: readonly string[]): string[] {
    const replies: string[] = [];
    for (const line of lines) {
      const r = decodeFrame(line);
      if (!r.ok)
        throw new Error(`board could not decode host line ${JSON.stringify(line)}: ${JSON.stringify(r.error)}`);
      this.received.push(r.frame);
      const action = this.plan.shift() ?? "ack";
      if (action === "drop") continue;
      if (action.startsWith("nak:"))
        replies.push(this.out({ id: "NAK", fields: { ackSeq: r.frame.seq, nak: Number(action.slice(4)) } }));
      else replies.push(this.out({ id: "ACK", fields: { ackSeq: r.frame.seq } }));
    }
    return replies;
  }

  status(tick: number): string {
    return this.out({
      id: "STATUS",
      fields: {
        tick,
        state: 1,
        alarm: 0,
        credit: 8,
        parked: 1,
        lastDot: 0,
        rxOk: 0,
        rxBad: 0,
        rxDup: 0,
        inputs: 3,
        unfiredPresses: 0,
      },
    });
  }
}

const HELLO: HostCommand = { id: "HELLO", fields: {} };
const ARM: HostCommand = { id: "ARM", fields: { leaseTick: 5000 } };
const KEEP = (leaseTick: number): HostCommand => ({ id: "KEEP", fields: { leaseTick } });

const receiveAll = (link: HostLink, lines: readonly string[], nowMs: number): LinkEvent[] =>
  lines.flatMap((l) => link.receive(l, nowMs));
const board = (id: "ACK" | "NAK" | "STATUS" | "BOOT" | "ALARM", seq: number, fields: Record<string, number>) =>
  encodeFrame({ id, seq, fields } as unknown as Frame);
const statusLine = (seq: number) =>
  board("STATUS", seq, {
    tick: seq,
    state: 1,
    alarm: 0,
    credit: 8,
    parked: 1,
    lastDot: 0,
    rxOk: 0,
    rxBad: 0,
    rxDup: 0,
    inputs: 3,
    unfiredPresses: 0,
  });

describe("HostLink delivery", () => {
  it("uses the documented default timing", () => {
    expect(DEFAULT_LINK_TIMING).toEqual(TIMING);
    expect(new HostLink().stats.rtoMs).toBe(30);
  });

  it("sends a command once and reports it acked with its round-trip time", () => {
    const link = new HostLink(TIMING);
    const b = new FakeBoard();
    expect(link.idle).toBe(true);
    link.send(ARM);
    expect(link.idle).toBe(false);
    const { lines, events } = link.poll(100);
    expect(events).toEqual([]);
    expect(lines).toEqual(["0 ARM leaseTick=5000*DA85\n"]); // CRC computed independently
    expect(decodeFrame(lines[0]!)).toEqual({ ok: true, frame: { id: "ARM", seq: 0, fields: { leaseTick: 5000 } } });
    expect(link.inFlight).toEqual(ARM);
    const replies = b.handle(lines);
    expect(receiveAll(link, replies, 104)).toEqual([{ type: "acked", command: ARM, rttMs: 4 }]);
    expect(link.idle).toBe(true);
    expect(link.inFlight).toBeUndefined();
    // nothing more goes out, ever
    for (const t of [105, 200, 1000]) expect(link.poll(t)).toEqual({ lines: [], events: [] });
    expect(b.received).toHaveLength(1);
    expect(link.stats).toMatchObject({ txFrames: 1, retransmits: 0, rxFrames: 1, naks: 0 });
  });

  it("starts at the given sequence number and wraps at 65536", () => {
    const link = new HostLink(TIMING, 65535);
    const b = new FakeBoard();
    link.send(HELLO);
    link.send(HELLO);
    const first = link.poll(0).lines;
    receiveAll(link, b.handle(first), 1);
    const second = link.poll(2).lines;
    expect(b.received.map((f) => f.seq)).toEqual([65535]);
    receiveAll(link, b.handle(second), 3);
    expect(b.received.map((f) => f.seq)).toEqual([65535, 0]);
  });

  it("never has a second command in flight: the next goes out only after the ACK", () => {
    const link = new HostLink(TIMING);
    const b = new FakeBoard();
    link.send(HELLO);
    link.send(ARM);
    link.send(KEEP(6000));
    const first = link.poll(0);
    expect(first.lines).toHaveLength(1);
    for (const t of [0, 1, 10, 29]) expect(link.poll(t).lines).toEqual([]);
    receiveAll(link, b.handle(first.lines), 29);
    const second = link.poll(29);
    expect(second.lines).toHaveLength(1);
    expect(link.poll(30).lines).toEqual([]);
    receiveAll(link, b.handle(second.lines), 31);
    receiveAll(link, b.handle(link.poll(31).lines), 32);
    expect(b.received.map((f) => [f.seq, f.id])).toEqual([
      [0, "HELLO"],
      [1, "ARM"],
      [2, "KEEP"],
    ]);
    expect(link.idle).toBe(true);
  });

  it("retransmits the byte-identical line after the RTO when the ACK is lost, then backs off", () => {
    const link = new HostLink(TIMING);
    const b = new FakeBoard();
    b.plan.push("drop", "drop");
    link.send(ARM);
    const sent = link.poll(1000).lines;
    expect(sent).toHaveLength(1);
    expect(b.handle(sent)).toEqual([]); // the answer is lost
    expect(link.poll(1029).lines).toEqual([]); // RTO 30 ms not yet elapsed
    const retx1 = link.poll(1030).lines;
    expect(retx1).toEqual(sent); // same bytes, same sequence number
    expect(b.handle(retx1)).toEqual([]);
    expect(link.stats.retransmits).toBe(1);
    expect(link.stats.rtoMs).toBe(60); // doubled
    expect(link.poll(1089).lines).toEqual([]);
    const retx2 = link.poll(1090).lines;
    expect(retx2).toEqual(sent);
    const events = receiveAll(link, b.handle(retx2), 1095);
    expect(events).toEqual([{ type: "acked", command: ARM, rttMs: 95 }]);
    expect(link.stats.retransmits).toBe(2);
    // Karn's rule: an ACK for a retransmitted command gives no RTT sample
    expect(link.stats.srttMs).toBeUndefined();
    expect(b.received.map((f) => f.seq)).toEqual([0, 0, 0]);
  });

  it("gives up after maxAttempts transmissions, reports lost and drops the pending commands", () => {
    const link = new HostLink(TIMING);
    link.send(ARM);
    link.send(KEEP(1));
    link.send(KEEP(2));
    const sendTimes: number[] = [];
    const events: LinkEvent[] = [];
    for (let t = 0; t <= 2000; t++) {
      const r = link.poll(t);
      if (r.lines.length > 0) sendTimes.push(t);
      events.push(...r.events);
      for (const l of r.lines) expect(decodeFrame(l)).toMatchObject({ ok: true, frame: { id: "ARM", seq: 0 } });
    }
    // RTO 30, doubled on each retransmission up to 120: sent at 0, 30, 90, 210, 330; given up at 450
    expect(sendTimes).toEqual([0, 30, 90, 210, 330]);
    expect(events).toEqual([{ type: "lost", command: ARM, attempts: TIMING.maxAttempts }]);
    expect(link.idle).toBe(true);
    expect(link.inFlight).toBeUndefined();
    // a new command after the loss goes out normally (with the next sequence number)
    link.send(HELLO);
    expect(decodeFrame(link.poll(3000).lines[0]!)).toMatchObject({ ok: true, frame: { id: "HELLO", seq: 1 } });
  });

  it("reports the lost event exactly at the RTO after the last attempt", () => {
    const link = new HostLink({ initialRtoMs: 10, minRtoMs: 5, maxRtoMs: 10, maxAttempts: 2 });
    link.send(HELLO);
    expect(link.poll(0).lines).toHaveLength(1);
    expect(link.poll(10).lines).toHaveLength(1);
    expect(link.poll(19)).toEqual({ lines: [], events: [] });
    expect(link.poll(20)).toEqual({ lines: [], events: [{ type: "lost", command: HELLO, attempts: 2 }] });
  });

  it("dropPending discards queued commands but keeps the one in flight", () => {
    const link = new HostLink(TIMING);
    const b = new FakeBoard();
    link.send(ARM);
    link.send(KEEP(1));
    const sent = link.poll(0).lines;
    link.dropPending();
    expect(link.inFlight).toEqual(ARM);
    expect(link.idle).toBe(false);
    expect(link.poll(30).lines).toEqual(sent); // the in-flight frame is still retransmitted
    receiveAll(link, b.handle(sent), 31);
    expect(link.idle).toBe(true);
    expect(link.poll(32).lines).toEqual([]);
  });

  it("reports a NAK as naked with its code, and moves on to the next command", () => {
    const link = new HostLink(TIMING);
    const b = new FakeBoard();
    b.plan.push("nak:8");
    link.send({ id: "UNLOCK", fields: {} });
    link.send(HELLO);
    const events = receiveAll(link, b.handle(link.poll(0).lines), 3);
    expect(events).toEqual([{ type: "naked", command: { id: "UNLOCK", fields: {} }, nak: 8 }]);
    expect(link.stats.naks).toBe(1);
    expect(link.inFlight).toBeUndefined();
    expect(receiveAll(link, b.handle(link.poll(4).lines), 5)).toEqual([{ type: "acked", command: HELLO, rttMs: 1 }]);
  });

  it("ignores a stale ACK (wrong ackSeq): the command stays in flight and is still retransmitted", () => {
    const link = new HostLink(TIMING);
    link.send(ARM);
    const sent = link.poll(0).lines;
    expect(link.receive(board("ACK", 0, { ackSeq: 7 }), 2)).toEqual([]);
    expect(link.receive(board("NAK", 1, { ackSeq: 65535, nak: 5 }), 2)).toEqual([]);
    expect(link.inFlight).toEqual(ARM);
    expect(link.stats.naks).toBe(0);
    expect(link.poll(30).lines).toEqual(sent);
    expect(link.receive(board("ACK", 2, { ackSeq: 0 }), 31)).toEqual([{ type: "acked", command: ARM, rttMs: 31 }]);
    // a late duplicate ACK of the same command is ignored too
    expect(link.receive(board("ACK", 3, { ackSeq: 0 }), 32)).toEqual([]);
  });

  it("adapts the RTO: after several 2 ms round trips it sits at the minimum, and retransmits that early", () => {
    const link = new HostLink(TIMING);
    const b = new FakeBoard();
    let t = 0;
    for (let i = 0; i < 10; i++) {
      link.send(KEEP(i));
      const events = receiveAll(link, b.handle(link.poll(t).lines), t + 2);
      expect(events).toEqual([{ type: "acked", command: KEEP(i), rttMs: 2 }]);
      t += 10;
    }
    expect(link.stats.srttMs).toBeCloseTo(2, 6);
    expect(link.stats.rtoMs).toBe(TIMING.minRtoMs);
    // now a lost answer is retransmitted after the adapted RTO (8 ms), not the initial 30 ms
    b.plan.push("drop");
    link.send(ARM);
    const sent = link.poll(t).lines;
    b.handle(sent);
    expect(link.poll(t + 7).lines).toEqual([]);
    expect(link.poll(t + 8).lines).toEqual(sent);
  });

  it("raises the RTO after slow round trips, within maxRtoMs", () => {
    const link = new HostLink(TIMING);
    const b = new FakeBoard();
    let t = 0;
    for (let i = 0; i < 5; i++) {
      link.send(KEEP(i));
      receiveAll(link, b.handle(link.poll(t).lines), t + 25);
      t += 100;
    }
    // RFC 6298: first sample 25 -> srtt 25, rttvar 12.5 (rto 75); equal samples then shrink rttvar by 3/4 each
    expect(link.stats.srttMs).toBeCloseTo(25, 6);
    expect(link.stats.rtoMs).toBeCloseTo(25 + 4 * 12.5 * 0.75 ** 4, 6);
    // one 29 ms sample: 29 + 4 * 14.5 = 87, under the cap
    const mid = new HostLink(TIMING);
    mid.send(HELLO);
    mid.poll(0);
    mid.receive(board("ACK", 0, { ackSeq: 0 }), 29);
    expect(mid.stats.rtoMs).toBeCloseTo(87, 6);
    // one 50 ms sample: 50 + 4 * 25 = 150, capped at maxRtoMs
    const slow = new HostLink(TIMING);
    slow.send(HELLO);
    slow.poll(0);
    slow.receive(board("ACK", 0, { ackSeq: 0 }), 50);
    expect(slow.stats.rtoMs).toBe(TIMING.maxRtoMs);
  });
});

describe("HostLink receive side", () => {
  it("passes board frames up and counts gaps in their sequence numbers", () => {
    const link = new HostLink(TIMING);
    const events = receiveAll(link, [statusLine(0), statusLine(1), statusLine(2)], 0);
    expect(events.map((e) => e.type)).toEqual(["frame", "frame", "frame"]);
    expect(events[0]).toMatchObject({ type: "frame", frame: { id: "STATUS", seq: 0 } });
    expect(link.stats.rxMissing).toBe(0);
    link.receive(statusLine(5), 1); // 3 and 4 missing
    expect(link.stats.rxMissing).toBe(2);
    link.receive(statusLine(6), 2);
    expect(link.stats.rxMissing).toBe(2);
    expect(link.stats.rxFrames).toBe(5);
  });

  it("counts ACK/NAK frames in the board's sequence too, and handles the 16-bit wrap", () => {
    const link = new HostLink(TIMING);
    link.receive(statusLine(65534), 0);
    link.receive(board("ACK", 65535, { ackSeq: 3 }), 0); // stale ACK, but its sequence number still counts
    link.receive(statusLine(0), 0);
    expect(link.stats.rxMissing).toBe(0);
    link.receive(statusLine(2), 0);
    expect(link.stats.rxMissing).toBe(1);
  });

  it("does not count a duplicate or a far jump (>= 1000) as missing frames", () => {
    const link = new HostLink(TIMING);
    link.receive(statusLine(10), 0);
    link.receive(statusLine(11), 0);
    link.receive(statusLine(11), 0); // duplicate: would be 65535 "missing"
    expect(link.stats.rxMissing).toBe(0);
    link.receive(statusLine(12), 0);
    link.receive(statusLine(5000), 0); // far jump: not a burst of loss
    expect(link.stats.rxMissing).toBe(0);
    link.receive(statusLine(5003), 0);
    expect(link.stats.rxMissing).toBe(2);
  });

  it("a frame sent ahead of others (a latch's STATUS) does not count them lost once they arrive", () => {
    const link = new HostLink(TIMING);
    link.receive(statusLine(20), 0);
    link.receive(statusLine(23), 0); // the latching STATUS went ahead of 21 and 22, queued before it
    expect(link.stats.rxMissing).toBe(2);
    link.receive(statusLine(21), 0);
    link.receive(statusLine(22), 0);
    expect(link.stats.rxMissing).toBe(0);
    link.receive(statusLine(24), 0); // the count goes on from the latest, not from the late ones
    expect(link.stats.rxMissing).toBe(0);
    link.receive(statusLine(22), 0); // a duplicate of a late one is not counted twice
    link.receive(statusLine(27), 0);
    expect(link.stats.rxMissing).toBe(2);
    expect(link.stats.rxFrames).toBe(7);
  });

  it("BOOT resets the expected sequence number (no gap counted across a reboot)", () => {
    const link = new HostLink(TIMING);
    // just before the 16-bit wrap, so that a reboot to seq 0 would look like a short gap if BOOT were not special
    link.receive(statusLine(65530), 0);
    link.receive(statusLine(65531), 0);
    const boot = link.receive(board("BOOT", 0, { bootId: 7, resetCause: 1 }), 1);
    expect(boot).toEqual([{ type: "frame", frame: { id: "BOOT", seq: 0, fields: { bootId: 7, resetCause: 1 } } }]);
    expect(link.stats.rxMissing).toBe(0);
    link.receive(statusLine(1), 2);
    expect(link.stats.rxMissing).toBe(0);
    link.receive(statusLine(4), 3); // 2 and 3 missing after the reboot
    expect(link.stats.rxMissing).toBe(2);
  });

  it("reports corrupt lines with the decode error and counts them, without touching the sequence", () => {
    const link = new HostLink(TIMING);
    link.receive(statusLine(0), 0);
    const good = statusLine(1);
    const badCrc = good.replace(/\*[0-9A-F]{4}/, (m) => (m === "*0000" ? "*0001" : "*0000"));
    const events = [...link.receive(badCrc, 1), ...link.receive("garbage", 1), ...link.receive("", 1)];
    expect(events).toHaveLength(3);
    expect(events[0]).toMatchObject({ type: "corrupt", line: badCrc, error: { reason: "crc-mismatch" } });
    expect(events[1]).toMatchObject({ type: "corrupt", line: "garbage", error: { reason: "no-crc" } });
    expect(events[2]).toMatchObject({ type: "corrupt", line: "" });
    expect(link.stats.rxCorrupt).toBe(3);
    expect(link.stats.rxFrames).toBe(1);
    link.receive(good, 2);
    expect(link.stats.rxMissing).toBe(0);
  });

  it("reports a host command echoed back (loop-back wiring) as corrupt, not as a frame", () => {
    const link = new HostLink(TIMING);
    const echoed = encodeFrame({ id: "ARM", seq: 3, fields: { leaseTick: 1 } });
    link.receive(statusLine(1), 0);
    expect(link.receive(echoed, 0)).toEqual([
      { type: "corrupt", error: { reason: "unknown-id", id: "ARM" }, line: echoed },
    ]);
    expect(link.stats.rxCorrupt).toBe(1);
    // it is not a board frame: not counted as received, and its sequence number does not disturb gap counting
    expect(link.stats.rxFrames).toBe(1);
    link.receive(statusLine(2), 0);
    expect(link.stats.rxMissing).toBe(0);
  });

  it("a corrupt ACK does not complete the command; the retransmission does", () => {
    const link = new HostLink(TIMING);
    const b = new FakeBoard();
    link.send(HELLO);
    const [ack] = b.handle(link.poll(0).lines);
    const mangled = ack!.replace("ackSeq=0", "ackSeq=1"); // CRC no longer matches
    expect(link.receive(mangled, 1)).toMatchObject([{ type: "corrupt", error: { reason: "crc-mismatch" } }]);
    expect(link.inFlight).toEqual(HELLO);
    const retx = link.poll(30).lines;
    expect(retx).toHaveLength(1);
    expect(receiveAll(link, b.handle(retx), 31)).toEqual([{ type: "acked", command: HELLO, rttMs: 31 }]);
    expect(b.status(0)).toMatch(/^2 STATUS /); // the fake board numbered its frames 0, 1, 2
  });
});
