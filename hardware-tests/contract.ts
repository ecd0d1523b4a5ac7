// The board contract, written once and run against every board target (contract.test.ts: the TypeScript
// simulated board, the board firmware (firmware-bridge/smp-board.hex) on an emulated ATmega328P, and a real
// board when HIL_PORT is set; pty-contract.test.ts: a few of its tests on the emulated firmware behind a
// pseudo-terminal, the real-board path). Timing is judged in the target's own clock (virtual time, or emulated
// board time for the firmware: never the wall clock, for simulated targets) and from the board's ticks. The
// timing figures the suite measures are printed with the target's name.

import { afterEach, beforeEach, describe, expect, it as vitestIt, type TestFunction } from "vitest";
import {
  PRIORITY_BYTES,
  NAKS,
  ALARMS,
  BOARD_DEFAULTS,
  BOARD_STATES,
  LINK,
  PROTOCOL_VERSION,
  schemaHash,
  type Frame,
  type FrameOf,
} from "../src/protocol/table.ts";
import { encodeFrame } from "../src/protocol/codec.ts";
import { ENVELOPES } from "../src/safety/limits.ts";
import { tickAdd, tickDiff } from "../src/time/ticks.ts";
import { WireClient, type BoardConnection, type BoardTarget } from "./harness.ts";

/** The contract on one target; with `only`, just the tests whose titles start with one of its entries. */
export function describeContract(target: BoardTarget, only?: readonly string[]): void {
  const it = (name: string, fn: TestFunction) => {
    if (!only || only.some((o) => name.startsWith(o))) vitestIt(name, fn);
  };
  const title = target.unavailable ? `${target.name} — skipped: ${target.unavailable}` : target.name;
  describe.skipIf(target.unavailable !== undefined)(title, () => {
    // skipped only without HIL_PORT, with the reason in the title
    let conn: BoardConnection;
    let c: WireClient;
    let info: FrameOf<"INFO">["fields"];

    /** Board tick now, from the STATUS frames received (a lower bound: never ahead of the board). */
    const boardTick = () => c.boardTick();
    const ticks = (ms: number) => c.ticks(ms);
    /** A tick `ms` ahead of the board, plus the host and link latency the target may add. */
    const ahead = (ms: number) => tickAdd(boardTick(), ticks(ms + conn.latencyMs));

    async function hello(): Promise<void> {
      info = await c.hello();
    }

    /** From any state to a known one: latched STOP, parked, then unlocked to IDLE. */
    async function idle(): Promise<void> {
      info = await c.toIdle();
    }

    async function armed(leaseMs = 400): Promise<void> {
      await idle();
      expect((await c.command({ id: "ARM", fields: { leaseTick: ahead(leaseMs) } })).id).toBe("ACK");
    }

    function dot(n: number, over: Partial<FrameOf<"DOT">["fields"]> = {}): FrameOf<"DOT">["fields"] {
      return {
        dot: n,
        atTick: ahead(20),
        extensionUm: 800,
        strokeHz: 120,
        dutyPermille: 700,
        strokes: 8,
        leaseTick: ahead(400),
        ...over,
      };
    }

    beforeEach(async () => {
      conn = await target.connect();
      c = new WireClient(conn);
    });
    afterEach(async () => {
      await conn.close();
    });

    it("hand-shakes: protocol, schema hash, clock and hard limits that contain the SMP envelope", async () => {
      await hello();
      expect(info.protocol).toBe(PROTOCOL_VERSION);
      expect(info.schema).toBe(schemaHash());
      expect(info.clockHz).toBeGreaterThanOrEqual(1000);
      expect(info.hardMaxExtensionUm).toBeLessThanOrEqual(1500); // the SMP absolute hard maximum
      expect(info.hardMaxExtensionUm).toBeGreaterThanOrEqual(ENVELOPES.standard.extensionUm.max);
      expect(info.hardMaxStrokeHz).toBeLessThanOrEqual(160);
      expect(info.hardMaxLeaseMs).toBeGreaterThan(0);
      expect(info.queueSlots).toBeGreaterThanOrEqual(1);
    });

    it("powers up in ALARM, refuses to arm until unlocked, and keeps a latched alarm until unlocked", async () => {
      const first = await c.status();
      if (conn.world) {
        expect(first).toMatchObject({ state: BOARD_STATES.ALARM, alarm: ALARMS.POWER_UP.code });
        await hello();
      } else info = await c.toLatched(); // a real board may have been unlocked before: latch it here
      const nak = await c.command({ id: "ARM", fields: { leaseTick: ahead(300) } });
      expect(nak).toMatchObject({ id: "NAK", fields: { nak: NAKS.BAD_STATE.code } });
      expect((await c.command({ id: "DOT", fields: dot(1) })).fields).toMatchObject({ nak: NAKS.BAD_STATE.code });
      expect((await c.command({ id: "UNLOCK", fields: {} })).id).toBe("ACK");
      expect((await c.status()).state).toBe(BOARD_STATES.IDLE);
      c.sendRaw(Uint8Array.of(PRIORITY_BYTES.STOP));
      await c.waitBoardMs(300);
      // latched, no auto-restart
      expect(await c.status()).toMatchObject({ state: BOARD_STATES.ALARM, alarm: ALARMS.STOP.code });
      expect((await c.command({ id: "UNLOCK", fields: {} })).id).toBe("ACK");
      expect((await c.status()).state).toBe(BOARD_STATES.IDLE);
    });

    it("times a burst itself: the commanded stroke count at the commanded rate, then parks", async () => {
      await armed();
      const from = c.received.length;
      expect((await c.command({ id: "DOT", fields: dot(1, { strokes: 8, strokeHz: 120 }) })).id).toBe("ACK");
      await c.command({ id: "KEEP", fields: { leaseTick: ahead(400) } });
      const end = (await c.next("DOTEND", 400, from)).fields;
      const strokes = c.frames("STROKE", from).map((f) => f.fields);
      expect(end.strokes).toBe(8);
      expect(strokes.map((s) => s.stroke)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      const meanHz = 1e6 / (strokes.reduce((a, s) => a + s.periodUs, 0) / strokes.length);
      expect(meanHz).toBeGreaterThan(120 * 0.8);
      expect(meanHz).toBeLessThan(120 * 1.2);
      for (const s of strokes) expect(s.extensionUm).toBeLessThanOrEqual(info.hardMaxExtensionUm);
      expect(end.maxExtensionUm).toBe(Math.max(...strokes.map((s) => s.extensionUm)));
      // strokes phase capped; spin-up and travel on top
      expect(end.onTimeUs / 1000).toBeLessThan(info.hardMaxDwellMs + 150);
      if (conn.world) expect(conn.world.parked()).toBe(true);
    });

    it("parks the needle on its own when the host falls silent, within the lease", async () => {
      await armed();
      const leaseTick = ahead(120);
      expect((await c.command({ id: "KEEP", fields: { leaseTick } })).id).toBe("ACK");
      const from = c.received.length;
      // board time, not the host's: the first STATUS after the ACK was sent after the KEEP was taken, so a tick
      // before leaseTick shows the lease began before it expired, however slow the host was
      const after = await c.status(from);
      expect(after.state, "the lease expired before the KEEP arrived: raise HIL_LATENCY_MS").toBe(BOARD_STATES.ARMED);
      expect(tickDiff(after.tick, leaseTick)).toBeLessThan(0);
      const alarm = (await c.next("ALARM", 600, from)).fields;
      expect(alarm.alarm).toBe(ALARMS.LEASE_EXPIRED.code);
      const lateTicks = tickDiff(alarm.tick, leaseTick);
      console.log(
        `[${target.name}] lease expiry latched ${lateTicks} ticks ` +
          `(${((lateTicks * 1000) / info.clockHz).toFixed(1)} ms) after leaseTick; ` +
          `parked ${(alarm.parkedUs / 1000).toFixed(2)} ms after detection`,
      );
      expect(lateTicks).toBeGreaterThanOrEqual(0);
      expect(lateTicks).toBeLessThanOrEqual(ticks(2)); // detected within 2 ms of expiry, board time
      expect(alarm.parkedUs / 1000).toBeLessThan(25);
    });

    it("caps a lease asked for 10 s ahead at hardMaxLeaseMs from the command's arrival", async () => {
      await idle();
      const from = c.received.length;
      // ARM and KEEP back to back, in one write: the STATUS that ARM's state change sends carries the board tick
      // at which ARM's last byte arrived, and the KEEP's last byte arrives its line length later (the bytes
      // follow each other at the line rate). So the KEEP's arrival tick is known in board ticks, whatever the
      // host-side latency.
      const arm = c.encode({ id: "ARM", fields: { leaseTick: ahead(400) } });
      const keep = c.encode({ id: "KEEP", fields: { leaseTick: ahead(10_000) } });
      c.sendRaw(arm.line + keep.line);
      const answer = (seq: number) =>
        c.waitFor((f) => (f.id === "ACK" || f.id === "NAK") && f.fields.ackSeq === seq, 200, from);
      expect((await answer(arm.seq)).id).toBe("ACK");
      const keepAnswer = await answer(keep.seq);
      expect(keepAnswer.id).toBe("ACK");
      const armedTick = c.frames("STATUS", from).find((s) => s.fields.state === BOARD_STATES.ARMED)!.fields.tick;
      const keepTick = tickAdd(armedTick, Math.round(((keep.line.length * 10) / conn.baud) * info.clockHz));
      // on a wall-clock path (a USB adapter's packets, a pseudo-terminal) the KEEP may reach the board later
      // than back to back; the first STATUS after its ACK was sent after it was taken: the latest it arrived
      const keepLatestTick = (await c.status(c.received.findIndex((r) => r.frame === keepAnswer) + 1)).tick;
      const alarm = (await c.next("ALARM", info.hardMaxLeaseMs + 300, from)).fields;
      expect(alarm.alarm).toBe(ALARMS.LEASE_EXPIRED.code);
      const afterTicks = tickDiff(alarm.tick, keepTick);
      console.log(
        `[${target.name}] lease asked for 10 s ahead expired ${((afterTicks * 1000) / info.clockHz).toFixed(1)} ms ` +
          `after the KEEP arrived (hardMaxLeaseMs ${info.hardMaxLeaseMs})`,
      );
      if (conn.latencyMs === 0) expect(Math.abs(afterTicks - ticks(info.hardMaxLeaseMs))).toBeLessThanOrEqual(ticks(2));
      expect(afterTicks).toBeGreaterThanOrEqual(ticks(info.hardMaxLeaseMs - 2));
      expect(tickDiff(alarm.tick, keepLatestTick)).toBeLessThanOrEqual(ticks(info.hardMaxLeaseMs + 2));
      expect(alarm.parkedUs / 1000).toBeLessThan(25);
    });

    for (const which of ["STOP", "ESTOP"] as const) {
      it(`${which} as a priority byte mid-burst latches at once and parks the needle`, async () => {
        await armed();
        const from = c.received.length;
        expect((await c.command({ id: "DOT", fields: dot(1, { strokes: 20, strokeHz: 100 }) })).id).toBe("ACK");
        // the lease renewed once more, so that it outlasts the burst's start planned the target's latency ahead
        expect((await c.command({ id: "KEEP", fields: { leaseTick: ahead(400) } })).id).toBe("ACK");
        await c.next("STROKE", 300, from); // needle is in the skin now
        const sentMs = conn.nowMs();
        c.sendRaw(Uint8Array.of(PRIORITY_BYTES[which]));
        const alarm = (await c.next("ALARM", 200, from)).fields;
        expect(alarm.alarm, "LEASE_EXPIRED first: the host took longer than the lease to send the byte").toBe(
          ALARMS[which].code,
        );
        const latchedStatus = c.received
          .slice(from)
          .find((r) => r.frame.id === "STATUS" && r.frame.fields.state === BOARD_STATES.ALARM)!;
        console.log(
          `[${target.name}] ${which} byte sent -> STATUS in ALARM received ` +
            `${(latchedStatus.atMs - sentMs).toFixed(2)} ms later (target clock); ` +
            `parked ${(alarm.parkedUs / 1000).toFixed(2)} ms after the latch`,
        );
        // the byte on the wire, the board's reaction (4 ms: the main loop's latch; in a burst the firmware's
        // interrupts take about two thirds of its CPU, and it measured 3.2 ms), and the STATUS back behind at most the
        // frame already on the wire (priority ahead of the rest, §7.7): at most the longest frame sent since the burst
        // began; a wall-clock host adds its own latency, so there it is printed
        const lineMs = (f: Frame) => ((encodeFrame(f).length * 10) / conn.baud) * 1000;
        const longestMs = Math.max(...c.received.slice(from).map((r) => lineMs(r.frame)));
        if (conn.latencyMs === 0)
          expect(latchedStatus.atMs - sentMs).toBeLessThan(4 + longestMs + lineMs(latchedStatus.frame));
        // in board time on every target: the latching STATUS is stamped as the alarm latches
        const latchedTick = (latchedStatus.frame as FrameOf<"STATUS">).fields.tick;
        expect(tickDiff(latchedTick, alarm.tick)).toBeGreaterThanOrEqual(0);
        expect(tickDiff(latchedTick, alarm.tick)).toBeLessThanOrEqual(ticks(2));
        expect(alarm.parkedUs / 1000).toBeLessThan(25);
        expect(c.frames("DOTEND", from)).toHaveLength(0); // the burst was cut, not finished
        if (conn.world) expect(conn.world.parked()).toBe(true);
      });
    }

    it("acts on a priority byte in the middle of a frame, and the frame still arrives intact", async () => {
      await armed();
      const { line, seq } = c.encode({ id: "KEEP", fields: { leaseTick: ahead(300) } });
      const mid = Math.floor(line.length / 2);
      c.sendRaw(line.slice(0, mid) + String.fromCharCode(PRIORITY_BYTES.ESTOP) + line.slice(mid));
      expect((await c.awaitAnswer(seq)).id).toBe("NAK"); // KEEP is refused: the board is already in ALARM
      expect(await c.status()).toMatchObject({ state: BOARD_STATES.ALARM, alarm: ALARMS.ESTOP.code });
    });

    it("drops a corrupt frame silently, counts it, and takes the good copy", async () => {
      await idle();
      const before = await c.status();
      const { line, seq } = c.encode({ id: "ARM", fields: { leaseTick: ahead(300) } });
      const corrupt = line.replace(/leaseTick=(\d)/, (_m, d: string) => `leaseTick=${(Number(d) + 1) % 10}`);
      c.sendRaw(corrupt);
      await c.waitBoardMs(20); // a STATUS sent after the corrupt line was taken has arrived
      expect(c.frames("ACK").some((a) => a.fields.ackSeq === seq)).toBe(false);
      c.sendRaw(line);
      expect((await c.awaitAnswer(seq)).id).toBe("ACK");
      const after = await c.status();
      expect(after.rxBad).toBe(before.rxBad + 1);
      expect(after.state).toBe(BOARD_STATES.ARMED);
    });

    it("a repeated DOT (its ACK was lost) is acknowledged again but fires once", async () => {
      await armed();
      const from = c.received.length;
      const { line, seq } = c.encode({ id: "DOT", fields: dot(7) });
      c.sendRaw(line);
      expect((await c.awaitAnswer(seq)).id).toBe("ACK");
      const dupsBefore = (await c.status()).rxDup;
      c.sendRaw(line); // the host never saw the ACK and retransmits
      expect((await c.awaitAnswer(seq)).id).toBe("ACK");
      await c.command({ id: "KEEP", fields: { leaseTick: ahead(400) } });
      await c.next("DOTEND", 400, from);
      await c.waitBoardMs(150);
      expect(c.frames("DOTEND", from).map((f) => f.fields.dot)).toEqual([7]);
      expect((await c.status()).rxDup).toBe(dupsBefore + 1);
    });

    it("refuses an out-of-order sequence number without executing it", async () => {
      await idle();
      const { line, seq } = c.encode({ id: "ARM", fields: { leaseTick: ahead(300) } }, 40_000);
      c.sendRaw(line);
      expect(await c.awaitAnswer(seq)).toMatchObject({ id: "NAK", fields: { nak: NAKS.SEQUENCE.code } });
      expect((await c.status()).state).toBe(BOARD_STATES.IDLE);
    });

    it("refuses a dot number that does not rise, so no dot fires twice", async () => {
      await armed();
      expect((await c.command({ id: "DOT", fields: dot(5) })).id).toBe("ACK");
      expect(await c.command({ id: "DOT", fields: dot(5, { atTick: ahead(300) }) })).toMatchObject({
        id: "NAK",
        fields: { nak: NAKS.DOT_ORDER.code },
      });
    });

    it("refuses a dot that arrives after its start tick, and stays armed", async () => {
      await armed();
      expect(
        // 50 ms before a tick the board has certainly passed: that of the last STATUS received
        await c.command({ id: "DOT", fields: dot(1, { atTick: tickAdd(c.lastStatusTick(), -ticks(50)) }) }),
      ).toMatchObject({ id: "NAK", fields: { nak: NAKS.LATE.code } });
      expect((await c.status()).state).toBe(BOARD_STATES.ARMED);
    });

    it("latches LATE_START when a queued dot cannot start on time (bursts overran the interval)", async () => {
      await armed();
      const from = c.received.length;
      const start = ahead(30);
      expect((await c.command({ id: "DOT", fields: dot(1, { atTick: start, strokes: 10, strokeHz: 100 }) })).id).toBe(
        "ACK",
      );
      expect(
        (
          await c.command({
            id: "DOT",
            fields: dot(2, { atTick: tickAdd(start, ticks(20)), strokes: 10, strokeHz: 100 }),
          })
        ).id,
      ).toBe("ACK");
      await c.command({ id: "KEEP", fields: { leaseTick: ahead(400) } });
      const alarm = (await c.next("ALARM", 500, from)).fields;
      expect(alarm.alarm).toBe(ALARMS.LATE_START.code);
      expect(c.frames("DOTEND", from).map((f) => f.fields.dot)).toEqual([1]); // dot 2 never fired
    });

    it("latches HOST_RESTART on a HELLO while armed, dropping queued dots", async () => {
      await armed();
      const from = c.received.length;
      expect((await c.command({ id: "DOT", fields: dot(1, { atTick: ahead(100 + conn.latencyMs) }) })).id).toBe("ACK");
      await hello();
      expect(await c.status()).toMatchObject({ state: BOARD_STATES.ALARM, alarm: ALARMS.HOST_RESTART.code });
      await c.waitBoardMs(200);
      expect(c.frames("STROKE", from)).toHaveLength(0);
    });

    const beyond: [string, (f: FrameOf<"INFO">["fields"]) => Partial<FrameOf<"DOT">["fields"]>][] = [
      ["extension", (f) => ({ extensionUm: f.hardMaxExtensionUm + 1 })],
      ["stroke rate", (f) => ({ strokeHz: f.hardMaxStrokeHz + 1 })],
      ["dwell", (f) => ({ strokeHz: 100, strokes: Math.floor((f.hardMaxDwellMs * 100) / 1000) + 1 })],
      ["duty", () => ({ dutyPermille: 1001 })],
    ];
    for (const [what, over] of beyond)
      it(`refuses a dot beyond the hard ${what} limit and latches LIMIT_REQUEST`, async () => {
        await armed();
        const from = c.received.length;
        expect(await c.command({ id: "DOT", fields: dot(1, over(info)) })).toMatchObject({
          id: "NAK",
          fields: { nak: NAKS.LIMIT.code },
        });
        expect(await c.status()).toMatchObject({ state: BOARD_STATES.ALARM, alarm: ALARMS.LIMIT_REQUEST.code });
        await c.waitBoardMs(100);
        expect(c.frames("STROKE", from)).toHaveLength(0);
      });

    it(
      "keeps the e-stop button's alarm latched until the button is released, " + "then needs an explicit unlock",
      async (ctx) => {
        const hands = conn.hands;
        if (!hands) return ctx.skip(); // needs someone (or a bench fixture) to press the button on a real board
        await armed();
        await hands.setEstopButton(true);
        await conn.waitMs(20);
        expect(await c.status()).toMatchObject({ state: BOARD_STATES.ALARM, alarm: ALARMS.ESTOP.code });
        expect(await c.command({ id: "UNLOCK", fields: {} })).toMatchObject({
          id: "NAK",
          fields: { nak: NAKS.ESTOP_PRESSED.code },
        });
        await hands.setEstopButton(false);
        await conn.waitMs(100);
        expect((await c.status()).state).toBe(BOARD_STATES.ALARM); // released is not unlocked
        expect((await c.command({ id: "UNLOCK", fields: {} })).id).toBe("ACK");
      },
    );

    it(
      "latches CARTRIDGE_MISSING when the cartridge comes out mid-burst, " +
        "parks, and refuses UNLOCK until it is back",
      async (ctx) => {
        const hands = conn.hands;
        if (!hands) return ctx.skip(); // needs someone (or a bench fixture) to pull the cartridge on a real board
        await armed();
        const from = c.received.length;
        expect((await c.command({ id: "DOT", fields: dot(1, { strokes: 20, strokeHz: 100 }) })).id).toBe("ACK");
        await c.next("STROKE", 300, from); // needle in the skin
        await hands.setCartridge(false);
        const alarm = (await c.next("ALARM", 100, from)).fields;
        expect(alarm.alarm).toBe(ALARMS.CARTRIDGE_MISSING.code);
        expect(alarm.parkedUs / 1000).toBeLessThan(25);
        expect(c.frames("DOTEND", from)).toHaveLength(0); // the burst was cut, not finished
        if (conn.world) expect(conn.world.parked()).toBe(true);
        expect(await c.command({ id: "UNLOCK", fields: {} })).toMatchObject({
          id: "NAK",
          fields: { nak: NAKS.CARTRIDGE_OPEN.code },
        });
        await conn.waitMs(100);
        expect(await c.command({ id: "UNLOCK", fields: {} })).toMatchObject({
          id: "NAK",
          fields: { nak: NAKS.CARTRIDGE_OPEN.code },
        });
        await hands.setCartridge(true);
        await conn.waitMs(20);
        // back is not unlocked
        expect(await c.status()).toMatchObject({ state: BOARD_STATES.ALARM, alarm: ALARMS.CARTRIDGE_MISSING.code });
        expect((await c.command({ id: "UNLOCK", fields: {} })).id).toBe("ACK");
        expect((await c.status()).state).toBe(BOARD_STATES.IDLE);
      },
    );

    it("latches PEDAL_FAULT when the pedal's contacts agree, and refuses UNLOCK with PEDAL_CONTACTS", async (ctx) => {
      const hands = conn.hands;
      if (!hands) return ctx.skip(); // needs a pedal contact welded on purpose (a bench fixture can)
      await armed();
      await hands.weldPedalContact();
      await conn.waitMs(BOARD_DEFAULTS.pedalDebounceMs + 10);
      expect(await c.status()).toMatchObject({ state: BOARD_STATES.ALARM, alarm: ALARMS.PEDAL_FAULT.code });
      expect(await c.command({ id: "UNLOCK", fields: {} })).toMatchObject({
        id: "NAK",
        fields: { nak: NAKS.PEDAL_CONTACTS.code },
      });
      expect((await c.status()).state).toBe(BOARD_STATES.ALARM);
    });

    const mismatch =
      "refuses UNLOCK with ACTUATOR_MISMATCH while the actuator's feedback stays away from its parked setpoint";
    it(mismatch, async (ctx) => {
      if (!conn.world) return ctx.skip(); // needs a feedback frozen on purpose
      await armed();
      const from = c.received.length;
      expect((await c.command({ id: "DOT", fields: dot(1, { extensionUm: 800, strokes: 5, strokeHz: 100 }) })).id).toBe(
        "ACK",
      );
      await c.next("STROKE", 300, from); // the actuator out
      conn.world.freezeActuatorFeedback(); // reads "out" from now on
      await conn.waitMs(120); // the burst ends, the actuator retracts, its feedback never shows it
      // latched, and never reported parked: the board cannot see the actuator home (no ALARM frame, parked 0)
      expect(await c.status()).toMatchObject({
        state: BOARD_STATES.ALARM,
        alarm: ALARMS.ACTUATOR_FAULT.code,
        parked: 0,
      });
      expect(c.frames("ALARM", from)).toHaveLength(0);
      expect(conn.world.parked()).toBe(true); // plant truth: parked by its setpoint, the drive off
      expect(await c.command({ id: "UNLOCK", fields: {} })).toMatchObject({
        id: "NAK",
        fields: { nak: NAKS.ACTUATOR_MISMATCH.code },
      });
      expect(await c.status()).toMatchObject({ state: BOARD_STATES.ALARM, alarm: ALARMS.ACTUATOR_FAULT.code });
    });

    it(
      "latches DWELL_EXCEEDED when a slow motor cannot finish a burst within hardMaxDwellMs, " +
        "still puncturing (no stall)",
      async (ctx) => {
        if (!conn.world) return ctx.skip(); // needs a motor slowed on purpose
        await armed();
        conn.world.setMotorSlow(0.4);
        const strokeHz = 120;
        // the most the cap admits
        const strokes = Math.floor(((info.hardMaxDwellMs - LINK.burstOverheadMs) * strokeHz) / 1000);
        const from = c.received.length;
        expect((await c.command({ id: "DOT", fields: dot(1, { strokes, strokeHz }) })).id).toBe("ACK");
        await c.next("STROKE", 300, from); // punctures under way, slowly
        await c.command({ id: "KEEP", fields: { leaseTick: ahead(info.hardMaxLeaseMs) } });
        const alarm = (await c.next("ALARM", info.hardMaxDwellMs + 200, from)).fields;
        expect(alarm.alarm).toBe(ALARMS.DWELL_EXCEEDED.code);
        const burstTick = c.frames("STATUS", from).find((s) => s.fields.state === BOARD_STATES.BURST)!.fields.tick;
        const onTicks = tickDiff(alarm.tick, burstTick);
        console.log(
          `[${target.name}] slow motor: DWELL_EXCEEDED ` +
            `${((onTicks * 1000) / info.clockHz).toFixed(1)} ms after the burst started, ` +
            `${c.frames("STROKE", from).length} of ${strokes} strokes done`,
        );
        expect(onTicks).toBeGreaterThanOrEqual(ticks(info.hardMaxDwellMs) - 1);
        expect(onTicks).toBeLessThanOrEqual(ticks(info.hardMaxDwellMs + 2));
        const strokesSeen = c.frames("STROKE", from).map((f) => f.fields);
        expect(strokesSeen.length).toBeGreaterThan(3); // the needle kept puncturing: no stall
        expect(strokesSeen.length).toBeLessThan(strokes);
        // never up to speed
        for (const s of strokesSeen.slice(1)) expect(s.periodUs).toBeGreaterThan(1e6 / (0.85 * strokeHz));
        expect(c.frames("DOTEND", from)).toHaveLength(0);
        expect(alarm.parkedUs / 1000).toBeLessThan(25);
        expect(conn.world.parked()).toBe(true);
      },
    );

    it(
      "latches OVER_EXTENSION within one stroke when the needle is measured beyond the hard maximum, " + "and parks",
      async (ctx) => {
        if (!conn.world) return ctx.skip(); // needs a broken cartridge on purpose
        await armed();
        conn.world.setNeedleOvershoot(600); // the tip 600 um beyond the actuator: a 1000 um dot reaches 1600 um
        const strokeHz = 100;
        const from = c.received.length;
        expect((await c.command({ id: "DOT", fields: dot(1, { extensionUm: 1000, strokes: 20, strokeHz }) })).id).toBe(
          "ACK",
        );
        const alarm = (await c.next("ALARM", 300, from)).fields;
        expect(alarm.alarm).toBe(ALARMS.OVER_EXTENSION.code);
        const burstTick = c.frames("STATUS", from).find((s) => s.fields.state === BOARD_STATES.BURST)!.fields.tick;
        const strokesSeen = c.frames("STROKE", from).map((f) => f.fields);
        console.log(
          `[${target.name}] overshoot: OVER_EXTENSION ` +
            `${((tickDiff(alarm.tick, burstTick) * 1000) / info.clockHz).toFixed(1)} ms after the burst started, ` +
            `after ${strokesSeen.length} stroke(s); parked ${(alarm.parkedUs / 1000).toFixed(2)} ms later`,
        );
        // the actuator goes out at the end of spin-up (at the latest spinupMaxMs in), the next stroke is too deep
        expect(tickDiff(alarm.tick, burstTick)).toBeLessThanOrEqual(
          ticks(BOARD_DEFAULTS.spinupMaxMs + 1000 / strokeHz + 5),
        );
        expect(strokesSeen.length).toBeLessThanOrEqual(1);
        for (const s of strokesSeen) expect(s.extensionUm).toBeLessThanOrEqual(info.hardMaxExtensionUm);
        expect(c.frames("DOTEND", from)).toHaveLength(0);
        expect(alarm.parkedUs / 1000).toBeLessThan(25);
        expect(conn.world.parked()).toBe(true);
      },
    );

    it(
      "a broken cartridge spring before the burst: OVER_EXTENSION at the end of spin-up, the actuator never " +
        "sent out (docs/protocol.md §7.5 extension check)",
      async (ctx) => {
        if (!conn.world) return ctx.skip(); // needs a broken cartridge on purpose
        await armed();
        conn.world.setNeedleOvershoot(600); // the envelope's deepest 1200 um would put the tip at 1800 um
        const strokeHz = 110;
        const from = c.received.length;
        expect((await c.command({ id: "DOT", fields: dot(1, { extensionUm: 1200, strokes: 8, strokeHz }) })).id).toBe(
          "ACK",
        );
        const alarm = (await c.next("ALARM", 300, from)).fields;
        expect(alarm.alarm).toBe(ALARMS.OVER_EXTENSION.code);
        const burstTick = c.frames("STATUS", from).find((s) => s.fields.state === BOARD_STATES.BURST)!.fields.tick;
        console.log(
          `[${target.name}] spring broken before the burst: OVER_EXTENSION ` +
            `${((tickDiff(alarm.tick, burstTick) * 1000) / info.clockHz).toFixed(1)} ms after the burst started; ` +
            `parked ${(alarm.parkedUs / 1000).toFixed(2)} ms later`,
        );
        // at the end of spin-up, instead of the extend: no puncture, and the actuator never left park
        expect(tickDiff(alarm.tick, burstTick)).toBeLessThanOrEqual(
          ticks(BOARD_DEFAULTS.spinupMaxMs + 1000 / strokeHz + 2),
        );
        expect(c.frames("STROKE", from)).toHaveLength(0);
        expect(c.frames("DOTEND", from)).toHaveLength(0);
        expect(alarm.parkedUs / 1000).toBeLessThan(1); // the drive off at once, the actuator still at park
        expect(await c.status()).toMatchObject({ state: BOARD_STATES.ALARM, alarm: ALARMS.OVER_EXTENSION.code });
        expect(conn.world.parked()).toBe(true);
      },
    );

    it(
      "a needle sensor reading shallow: SENSOR_OFFSET at a spin-up edge, the actuator never sent out; " +
        "within the zero tolerance the burst runs (docs/protocol.md §7.5 zero check)",
      async (ctx) => {
        if (!conn.world) return ctx.skip(); // needs a sensor offset on purpose
        await armed();
        const tolUm = BOARD_DEFAULTS.sensorZeroToleranceUm;
        // inside the tolerance (the parked needle reads 20 um ahead to 24 um behind park when healthy): runs
        conn.world.setSensorShallow(tolUm - 30);
        let from = c.received.length;
        expect((await c.command({ id: "DOT", fields: dot(1, { strokes: 4 }) })).id).toBe("ACK");
        expect((await c.next("DOTEND", 300, from)).fields.strokes).toBeGreaterThanOrEqual(4);
        // shallow by more: would hide a needle gone as deep past the hard maximum
        conn.world.setSensorShallow(tolUm + 40);
        from = c.received.length;
        expect((await c.command({ id: "DOT", fields: dot(2, { strokes: 4, leaseTick: ahead(600) }) })).id).toBe("ACK");
        const alarm = (await c.next("ALARM", 300, from)).fields;
        expect(alarm.alarm).toBe(ALARMS.SENSOR_OFFSET.code);
        expect(c.frames("STROKE", from)).toHaveLength(0);
        expect(alarm.parkedUs / 1000).toBeLessThan(1); // the drive off at once, the actuator still at park
        expect(await c.status()).toMatchObject({ state: BOARD_STATES.ALARM, alarm: ALARMS.SENSOR_OFFSET.code });
        expect(conn.world.parked()).toBe(true);
      },
    );

    it(
      "latches ACTUATOR_FAULT when the actuator feedback freezes (stuck low) mid-burst: " +
        "drive off, the needle parks by setpoint",
      async (ctx) => {
        if (!conn.world) return ctx.skip(); // needs a feedback frozen on purpose
        await armed();
        const strokeHz = 100;
        const from = c.received.length;
        expect((await c.command({ id: "DOT", fields: dot(1, { extensionUm: 800, strokes: 10, strokeHz }) })).id).toBe(
          "ACK",
        );
        // the burst's start (its STATUS BURST): spinning up, the actuator still parked
        for (let i = 0; i < 100 && !c.frames("STATUS", from).some((f) => f.fields.state === BOARD_STATES.BURST); i++)
          await conn.waitMs(1);
        expect(c.frames("STROKE", from)).toHaveLength(0);
        // ADC1 keeps reading "parked" whatever the actuator does: without the plausibility check the retract
        // would "end" at once and the board would report parked with the actuator still out
        conn.world.freezeActuatorFeedback();
        const alarm = (await c.next("ALARM", 200, from)).fields;
        expect(alarm.alarm).toBe(ALARMS.ACTUATOR_FAULT.code);
        const burstTick = c.frames("STATUS", from).find((s) => s.fields.state === BOARD_STATES.BURST)!.fields.tick;
        const strokesSeen = c.frames("STROKE", from).length;
        console.log(
          `[${target.name}] actuator feedback stuck low: ACTUATOR_FAULT ` +
            `${((tickDiff(alarm.tick, burstTick) * 1000) / info.clockHz).toFixed(1)} ms after the burst started, ` +
            `after ${strokesSeen} stroke(s)`,
        );
        // the actuator goes out at the end of spin-up (at the latest spinupMaxMs in); the mismatch latches
        // actuatorSettleMs later, before the burst's 10 strokes are done
        expect(tickDiff(alarm.tick, burstTick)).toBeLessThanOrEqual(
          ticks(BOARD_DEFAULTS.spinupMaxMs + BOARD_DEFAULTS.actuatorSettleMs + 2),
        );
        expect(strokesSeen).toBeLessThan(10);
        expect(c.frames("DOTEND", from)).toHaveLength(0); // the burst was cut, not finished
        expect(await c.status()).toMatchObject({ state: BOARD_STATES.ALARM, alarm: ALARMS.ACTUATOR_FAULT.code });
        await conn.waitMs(20); // a full retract takes ~8 ms
        expect(conn.world.parked()).toBe(true); // plant truth: drive off, actuator parked by its setpoint
      },
    );
  });
}
