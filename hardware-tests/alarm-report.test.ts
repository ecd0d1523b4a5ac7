// The board's own account of what happened, on every contract target (hardware-tests/targets.ts): which alarm a
// reset latches (only a clean power-on is POWER_UP, docs/protocol.md §7.1), the ticks a STATUS carries and how
// far apart periodic ones are (§7.8), ALARM.parkedUs when the needle was parked at the detection (§7.7), and
// that a latch's STATUS does not wait behind frames already queued (§7.7). Every time is board time: ticks the
// board stamped, or an arrival mapped to board ticks by the largest (tick - arrival) offset of the STATUS
// frames received before it, so a real host's constant latency cancels; on a real board HIL_JITTER_MS (default
// 16, a USB-serial adapter's latency timer) is allowed on top of the figures in board time.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { encodeFrame } from "../src/protocol/codec.ts";
import { ALARMS, BOARD_STATES, LINK, PRIORITY_BYTES, RESET_CAUSES } from "../src/protocol/table.ts";
import type { Frame, FrameOf } from "../src/protocol/table.ts";
import { tickAdd, tickDiff } from "../src/time/ticks.ts";
import { WireClient, type BoardConnection, type Received } from "./harness.ts";
import { TARGETS } from "./targets.ts";

const isStatus = (r: Received): r is Received & { frame: FrameOf<"STATUS"> } => r.frame.id === "STATUS";

for (const target of TARGETS) {
  const title = target.unavailable ? `${target.name} — skipped: ${target.unavailable}` : target.name;
  describe.skipIf(target.unavailable !== undefined)(`${title}: the board's account of resets and alarms`, () => {
    let conn: BoardConnection;
    let c: WireClient;
    let clockHz = 0;
    const ticks = (ms: number) => Math.round((ms * clockHz) / 1000);
    const toMs = (t: number) => (t * 1000) / clockHz;
    /** Line time of a frame on the wire, ms. */
    const wireMs = (f: Frame) => ((encodeFrame(f).length * 10) / conn.baud) * 1000;
    const jitterMs = () => (conn.world ? 0 : Number(process.env.HIL_JITTER_MS ?? 16));

    /**
     * Board tick at host time atMs, from the last 32 STATUS frames received before index `upTo`: the largest
     * (tick - arrival) offset, a lower bound that runs behind the board by the quickest STATUS's latency.
     */
    function boardTickAt(atMs: number, upTo = c.received.length): number {
      const before = c.received.slice(0, upTo).filter(isStatus).slice(-32);
      expect(before.length, "no STATUS received yet to take board time from").toBeGreaterThan(0);
      const offsets = before.map((r) => tickDiff(r.frame.fields.tick, ticks(r.atMs)));
      return tickAdd(ticks(atMs), Math.max(...offsets));
    }
    const boardTick = () => boardTickAt(conn.nowMs());

    /** A known state: HELLO, a STOP latched, unlocked to IDLE; board time from a fresh STATUS. */
    async function idle(): Promise<void> {
      const from = c.received.length;
      expect((await c.command({ id: "HELLO", fields: {} })).id).toBe("ACK");
      clockHz = (await c.next("INFO", 200, from)).fields.clockHz;
      c.sendRaw(Uint8Array.of(PRIORITY_BYTES.STOP));
      await conn.waitMs(30);
      expect((await c.command({ id: "UNLOCK", fields: {} })).id).toBe("ACK");
      expect((await c.status()).state).toBe(BOARD_STATES.IDLE);
    }

    async function armed(): Promise<void> {
      await idle();
      const leaseTick = tickAdd(boardTick(), ticks(400));
      expect((await c.command({ id: "ARM", fields: { leaseTick } })).id).toBe("ACK");
    }

    function dot(n: number, over: Partial<FrameOf<"DOT">["fields"]> = {}): FrameOf<"DOT">["fields"] {
      const now = boardTick();
      const base = { dot: n, atTick: tickAdd(now, ticks(20)), extensionUm: 800, strokeHz: 150, dutyPermille: 800 };
      return { ...base, strokes: 8, leaseTick: tickAdd(now, ticks(400)), ...over };
    }

    /**
     * The latch's STATUS received since `from`, and how much later than a STATUS sent at once it arrived after
     * its own tick (board ms, by the STATUS frames before it): the time it waited behind other frames.
     */
    function latched(from: number): { status: FrameOf<"STATUS">; delayMs: number; atIndex: number } {
      const atIndex = c.received.findIndex((r, i) => i >= from && isStatus(r) && r.frame.fields.state === 0);
      expect(atIndex, "no STATUS in ALARM").toBeGreaterThanOrEqual(0);
      const r = c.received[atIndex]! as Received & { frame: FrameOf<"STATUS"> };
      const delayMs = toMs(tickDiff(boardTickAt(r.atMs, atIndex), r.frame.fields.tick));
      return { status: r.frame, delayMs, atIndex };
    }

    beforeEach(async () => {
      conn = await target.connect();
      c = new WireClient(conn);
    });
    afterEach(async () => {
      await conn.close();
    });

    it.for(["EXTERNAL", "WATCHDOG", "BROWN_OUT"] as const)(
      "a %s reset latches its own alarm, named in BOOT.resetCause, and UNLOCK clears it like any latch",
      async (cause, ctx) => {
        if (!conn.world) return ctx.skip(); // needs the board reset on purpose
        await armed();
        const from = c.received.length;
        conn.world.reset(cause);
        const boot = (await c.next("BOOT", 150, from)).fields; // the firmware's watchdog takes its 64 ms
        expect(boot.resetCause).toBe(RESET_CAUSES[cause].code);
        expect(await c.status()).toMatchObject({
          state: BOARD_STATES.ALARM,
          alarm: ALARMS[RESET_CAUSES[cause].alarm].code,
        });
        expect(conn.world.parked()).toBe(true);
        await idle(); // a new HELLO, and the operator's UNLOCK
      },
    );

    it("a latch's STATUS carries the detection's tick; parked then, ALARM.parkedUs is at most a step", async () => {
      await armed(); // idle in ARMED: the needle parked, no burst
      for (let i = 0; i < 6; i++) {
        await conn.waitMs(7 + i * 3.3); // at various phases of the board's loop and STATUS period
        const from = c.received.length;
        c.sendRaw(Uint8Array.of(PRIORITY_BYTES.STOP));
        const alarm = (await c.next("ALARM", 100, from)).fields;
        const { status } = latched(from);
        expect(status.fields.parked).toBe(1);
        expect(status.fields.tick).toBe(alarm.tick);
        expect(alarm.parkedUs).toBeLessThanOrEqual(250); // the reference board's main-loop step
        await idle();
        const leaseTick = tickAdd(boardTick(), ticks(400));
        expect((await c.command({ id: "ARM", fields: { leaseTick } })).id).toBe("ACK");
      }
    });

    it("periodic STATUS come 500 ticks apart, never fewer, and at most one main-loop pass more", async () => {
      await armed();
      const from = c.received.length;
      for (let n = 1; n <= 4; n++) {
        const f = c.received.length;
        expect((await c.command({ id: "DOT", fields: dot(n, { strokes: 12 }) })).id).toBe("ACK");
        await c.command({ id: "KEEP", fields: { leaseTick: tickAdd(boardTick(), ticks(400)) } });
        await c.next("DOTEND", 400, f);
      }
      await c.command({ id: "KEEP", fields: { leaseTick: tickAdd(boardTick(), ticks(400)) } });
      await conn.waitMs(160);
      const all = c.received.slice(from).filter(isStatus);
      const gaps: number[] = [];
      for (let i = 1; i < all.length; i++) {
        const [a, b] = [all[i - 1]!.frame.fields, all[i]!.frame.fields];
        if (a.state === b.state) gaps.push(tickDiff(b.tick, a.tick)); // no state change: periodic
      }
      console.log(`[${target.name}] periodic STATUS gaps (ticks): ${[...new Set(gaps)].sort().join(", ")}`);
      const period = ticks(LINK.statusPeriodMs);
      expect(gaps.length).toBeGreaterThan(5);
      for (const g of gaps) expect(g).toBeGreaterThanOrEqual(period);
      // one pass, encoding included: up to 4 ms during strokes on the firmware, where the interrupts (depth forecast,
      // guard, ADC, transmit, tick) leave the main loop >= 15 % of the CPU (docs/protocol.md §7.8)
      for (const g of gaps) expect(g).toBeLessThanOrEqual(period + ticks(4));
    });

    it("a state change's STATUS carries the tick of the change: a burst's start and its DOTEND", async () => {
      await armed();
      for (let n = 1; n <= 3; n++) {
        const from = c.received.length;
        const d = dot(n);
        expect((await c.command({ id: "DOT", fields: d })).id).toBe("ACK");
        await c.command({ id: "KEEP", fields: { leaseTick: tickAdd(boardTick(), ticks(400)) } });
        const end = (await c.next("DOTEND", 400, from)).fields;
        await c.waitFor((f) => f.id === "STATUS" && f.fields.tick === end.tick, 50, from);
        const states = c.frames("STATUS", from).map((f) => f.fields);
        const burst = states.find((s) => s.state === BOARD_STATES.BURST)!;
        expect(tickDiff(burst.tick, d.atTick)).toBeGreaterThanOrEqual(0); // never before its start tick
        expect(tickDiff(burst.tick, d.atTick)).toBeLessThanOrEqual(ticks(LINK.lateStartMs));
        const back = states.find((s) => s.state === BOARD_STATES.ARMED && tickDiff(s.tick, burst.tick) > 0)!;
        expect(back.tick).toBe(end.tick);
      }
    });

    it("a latch's STATUS goes ahead of the frames already queued: two INFO behind it, one overtaken", async () => {
      await idle();
      await conn.waitMs(60); // a periodic STATUS or two to take board time from
      for (let i = 0; i < 3; i++) {
        const from = c.received.length;
        const hellos = [c.encode({ id: "HELLO", fields: {} }), c.encode({ id: "HELLO", fields: {} })];
        // two HELLOs (each answered with ACK and a ~200-byte INFO, in IDLE nothing else) and the STOP byte
        // right behind them: the board encodes both answers before it latches, faster than the wire takes them
        c.sendRaw(hellos.map((h) => h.line).join("") + String.fromCharCode(PRIORITY_BYTES.STOP));
        await c.next("ALARM", 200, from);
        await conn.waitMs(40);
        const { status, delayMs, atIndex } = latched(from);
        const infos = c.received.slice(from).filter((r) => r.frame.id === "INFO");
        expect(infos).toHaveLength(2);
        // the last INFO was encoded before the latch (a lower seq), yet arrives after the latch's STATUS
        const last = infos.at(-1)!;
        expect(last.frame.seq).toBeLessThan(status.seq);
        expect(c.received.indexOf(last)).toBeGreaterThan(atIndex);
        // it waited at most for the frame on the wire, and for the board to finish answering the HELLO received
        // before the STOP (§7.9: in the order of the bytes; the firmware may wait for room in its ring to encode
        // it): twice the longest frame sent here, plus the board's reaction
        const boundMs = 2 * Math.max(...c.received.slice(from).map((r) => wireMs(r.frame))) + 3 + jitterMs();
        console.log(
          `[${target.name}] STOP behind two HELLO answers: the latch's STATUS out ${delayMs.toFixed(2)} ms ` +
            `after its tick (bound ${boundMs.toFixed(1)} ms), ahead of ${infos.length - 1} INFO`,
        );
        expect(delayMs).toBeLessThanOrEqual(boundMs);
        // every frame still arrives whole, and each once: nothing was cut, interleaved or lost to make room
        expect(c.corrupt).toEqual([]);
        const seqs = c.received.slice(from).map((r) => r.frame.seq);
        expect(new Set(seqs).size).toBe(seqs.length);
        expect(Math.max(...seqs) - Math.min(...seqs) + 1).toBe(seqs.length);
        await idle();
      }
    });

    it("STOP ms after a STROKE, a busy link: the latch's STATUS waits only for the frame on the wire", async () => {
      await armed();
      const delays: number[] = [];
      for (let n = 1; n <= 8; n++) {
        const from = c.received.length;
        expect((await c.command({ id: "DOT", fields: dot(n, { strokes: 30, strokeHz: 150 }) })).id).toBe("ACK");
        await c.command({ id: "KEEP", fields: { leaseTick: tickAdd(boardTick(), ticks(400)) } });
        for (let k = 0; k < 3; k++) await c.next("STROKE", 300, from); // STROKE frames every 6.7 ms, ~45 % of the line
        const stroke = c.received.length;
        await c.next("STROKE", 30, stroke);
        await conn.waitMs(1 + (n - 1) * 0.7); // 1 to 5.9 ms after it arrived
        const sent = c.received.length;
        c.sendRaw(Uint8Array.of(PRIORITY_BYTES.STOP));
        await c.next("ALARM", 100, sent);
        const { delayMs } = latched(sent);
        const boundMs = Math.max(...c.received.slice(from).map((r) => wireMs(r.frame))) + 3 + jitterMs();
        expect(delayMs, `STOP ${1 + (n - 1) * 0.7} ms after a STROKE`).toBeLessThanOrEqual(boundMs);
        delays.push(delayMs);
        expect(c.corrupt).toEqual([]);
        await idle();
        const leaseTick = tickAdd(boardTick(), ticks(400));
        expect((await c.command({ id: "ARM", fields: { leaseTick } })).id).toBe("ACK");
      }
      console.log(
        `[${target.name}] STOP 1-5.9 ms after a STROKE: the latch's STATUS out ` +
          `${Math.min(...delays).toFixed(2)}-${Math.max(...delays).toFixed(2)} ms after its tick`,
      );
    });
  });
}
