// The board contract for pedal-armed dots (docs/protocol.md §7.13), run on every board target beside the rest of
// the contract (contract.test.ts): the host arms one burst's settings with PEDAL and the board fires one burst per
// debounced press, numbers it, reports it with FIRE, ends it early on a release, repeats it while held only when
// armed to, counts presses that fire nothing, and keeps every check and the lease. Tests that need a foot on the
// pedal (every one but the refusals) are skipped on a real board: a person would have to tap it. Timing is judged
// in board ticks and the target's own clock, never the wall clock.

import { afterEach, beforeEach, describe, expect, it as vitestIt, type TestContext } from "vitest";
import { ALARMS, BOARD_DEFAULTS, BOARD_STATES, LINK, NAKS, type FrameOf } from "../src/protocol/table.ts";
import { tickAdd, tickDiff } from "../src/time/ticks.ts";
import { WireClient, type BoardConnection, type BoardTarget, type BoardHands } from "./harness.ts";

type PedalFields = FrameOf<"PEDAL">["fields"];

/** The pedal contract on one target; with `only`, just the tests whose titles start with one of its entries. */
export function describePedalContract(target: BoardTarget, only?: readonly string[]): void {
  const it = (name: string, fn: (ctx: TestContext) => Promise<void>) => {
    if (!only || only.some((o) => name.startsWith(o))) vitestIt(name, fn);
  };
  const title = target.unavailable ? `${target.name} — skipped: ${target.unavailable}` : target.name;
  describe.skipIf(target.unavailable !== undefined)(`pedal: ${title}`, () => {
    let conn: BoardConnection;
    let c: WireClient;

    const ahead = (ms: number) => tickAdd(c.boardTick(), c.ticks(ms + conn.latencyMs));

    beforeEach(async () => {
      conn = await target.connect();
      c = new WireClient(conn);
    });
    afterEach(async () => {
      await conn.close();
    });

    function settings(over: Partial<PedalFields> = {}, leaseMs = 400): PedalFields {
      return {
        armId: 1,
        extensionUm: 800,
        strokeHz: 120,
        dutyPermille: 700,
        strokes: 6,
        repeatMs: 0,
        leaseTick: ahead(leaseMs),
        ...over,
      };
    }

    /** IDLE, the pedal up (released for longer than the debounce), then PEDAL with these settings. */
    async function pedalArmed(world: BoardHands, over: Partial<PedalFields> = {}, leaseMs = 400): Promise<void> {
      await c.toIdle();
      await world.setPedal(false);
      expect((await c.command({ id: "PEDAL", fields: settings(over, leaseMs) })).id).toBe("ACK");
      expect((await c.status()).state).toBe(BOARD_STATES.PEDAL);
    }

    const keep = async () =>
      expect((await c.command({ id: "KEEP", fields: { leaseTick: ahead(400) } })).id).toBe("ACK");

    /** Press the pedal (from released); returns the index of the first frame received after the press. */
    async function press(world: BoardHands): Promise<number> {
      const from = c.received.length;
      await world.setPedal(true);
      return from;
    }

    /** Release the pedal and let the board see it released (a STATUS from after the debounce). */
    async function release(world: BoardHands): Promise<void> {
      await world.setPedal(false);
      await c.waitBoardMs(5);
    }

    function handsOf(ctx: TestContext): BoardHands {
      if (!conn.hands) return ctx.skip(); // needs someone (or a bench fixture) to tap the pedal on a real board
      return conn.hands;
    }

    it("fires one burst per press with the armed settings, numbered by the board; FIRE tells which", async (ctx) => {
      const world = handsOf(ctx);
      await pedalArmed(world, { armId: 41, strokes: 6 });
      await c.waitBoardMs(5);
      for (const n of [1, 2]) {
        const from = await press(world);
        const pressedAtMs = conn.nowMs();
        const fire = await c.next("FIRE", 200, from);
        expect(fire.fields).toMatchObject({ dot: n, armId: 41, repeat: 0 });
        // STATUS PEDAL_BURST, then FIRE, before any STROKE of the burst
        const fireAt = c.received.findIndex((r) => r.frame === fire);
        const burstStatus = c.received.findIndex(
          (r, i) => i >= from && r.frame.id === "STATUS" && r.frame.fields.state === BOARD_STATES.PEDAL_BURST,
        );
        expect(burstStatus).toBeGreaterThanOrEqual(from);
        expect(burstStatus).toBeLessThan(fireAt);
        const end = await c.next("DOTEND", 300, from);
        const strokes = c.frames("STROKE", from);
        expect(c.received.findIndex((r) => r.frame === strokes[0])).toBeGreaterThan(fireAt);
        expect(end.fields).toMatchObject({ dot: n, strokes: 6 });
        expect(strokes.map((s) => s.fields.dot)).toEqual([n, n, n, n, n, n]);
        // press to first puncture: debounce, spin-up (at most spinupMaxMs), the extend and the next bottom dead
        // centre, on the target's clock (the STROKE's arrival: its wire time too)
        const firstMs = c.received.find((r) => r.frame === strokes[0])!.atMs - pressedAtMs;
        console.log(`${target.name}: press to first STROKE received ${firstMs.toFixed(2)} ms`);
        expect(firstMs).toBeLessThan(1 + BOARD_DEFAULTS.spinupMaxMs + 2 * (1000 / 120) + 4 * conn.latencyMs + 5);
        // held on: no repeat with repeatMs 0, and the board is armed again
        await keep();
        await c.waitBoardMs(200);
        expect(c.frames("FIRE", from)).toHaveLength(1);
        expect((await c.status()).state).toBe(BOARD_STATES.PEDAL);
        if (conn.world) expect(conn.world.parked()).toBe(true);
        await keep();
        await release(world);
      }
      expect((await c.status()).unfiredPresses).toBe(0);
    });

    it("counts a press with nothing armed, fires nothing, and shows the pedal and cartridge in STATUS", async (ctx) => {
      const world = handsOf(ctx);
      await c.toIdle();
      await world.setPedal(false);
      await c.waitBoardMs(5);
      const from = c.received.length;
      expect(((await c.status()).inputs & 1) === 0).toBe(true);
      for (let i = 0; i < 3; i++) {
        await world.setPedal(true);
        await c.waitBoardMs(5);
        expect((await c.status()).inputs & 1).toBe(1);
        await release(world);
      }
      const status = await c.status();
      expect(status).toMatchObject({ state: BOARD_STATES.IDLE, unfiredPresses: 3 });
      expect(c.frames("FIRE", from)).toHaveLength(0);
      if (conn.world) expect(conn.world.parked()).toBe(true);
      // a needle change happens in IDLE: the switch opens and closes, STATUS shows it, nothing latches
      expect(status.inputs & 2).toBe(2);
      await world.setCartridge(false);
      await c.waitBoardMs(60);
      expect(await c.status()).toMatchObject({ state: BOARD_STATES.IDLE, alarm: 0 });
      expect((await c.status()).inputs & 2).toBe(0);
      await world.setCartridge(true);
      await c.waitBoardMs(60);
      expect((await c.status()).inputs & 2).toBe(2);
      await c.hello(); // HELLO starts the count again
      expect((await c.status()).unfiredPresses).toBe(0);
    });

    it("ends a burst on a release within one stroke period, needle parked, and stays armed", async (ctx) => {
      const world = handsOf(ctx);
      await pedalArmed(world, { strokes: 30, strokeHz: 100 }); // 300 ms of strokes
      await c.waitBoardMs(5);
      const from = await press(world);
      const pressedAtMs = conn.nowMs();
      const fire = await c.next("FIRE", 200, from);
      await c.waitFor((f) => f.id === "STROKE" && f.fields.stroke === 3, 200, from);
      const releasedAtMs = conn.nowMs();
      await world.setPedal(false);
      const end = await c.next("DOTEND", 100, from);
      expect(end.fields.strokes).toBeLessThan(10);
      // in board time, from the board's own ticks: FIRE is stamped at the press's end of debounce, DOTEND at the
      // burst's end; the target's clock (board time in emulation) says how long the pedal was down. Budget: the
      // debounce, one stroke period (10 ms at 100 Hz: the actuator's whole way back takes 5 ms) and one main-loop
      // pass of slack
      const debounceMs = BOARD_DEFAULTS.pedalSettleUs / 1000;
      const endMs =
        tickDiff(end.fields.tick, fire.fields.tick) / c.ticks(1) + debounceMs - (releasedAtMs - pressedAtMs);
      console.log(
        `${target.name}: release to DOTEND ${endMs.toFixed(2)} ms (board time), ${end.fields.strokes} strokes`,
      );
      expect(endMs).toBeLessThanOrEqual(debounceMs + 10 + 2 + 4 * conn.latencyMs);
      if (conn.world) expect(conn.world.parked()).toBe(true);
      const status = await c.status();
      expect(status).toMatchObject({ state: BOARD_STATES.PEDAL, alarm: 0 }); // a release is no alarm here
    });

    it("repeats while held every repeatMs only when armed to, with the settings armed at each repeat", async (ctx) => {
      const world = handsOf(ctx);
      await pedalArmed(world, { repeatMs: 150, strokes: 4, armId: 5 });
      await c.waitBoardMs(5);
      const from = await press(world);
      await c.next("FIRE", 100, from);
      await c.waitBoardMs(100);
      expect((await c.command({ id: "PEDAL", fields: settings({ repeatMs: 150, strokes: 4, armId: 6 }) })).id).toBe(
        "ACK",
      );
      await c.waitBoardMs(300);
      await keep();
      const held = c.frames("FIRE", from).map((f) => f.fields);
      await release(world);
      await c.waitBoardMs(300);
      const fires = c.frames("FIRE", from).map((f) => f.fields);
      expect(fires).toEqual(held); // no repeat after the release
      expect(fires.length).toBeGreaterThanOrEqual(3);
      expect(fires.map((f) => f.repeat)).toEqual([0, ...fires.slice(1).map(() => 1)]);
      expect(fires.map((f) => f.dot)).toEqual(fires.map((_, i) => i + 1));
      expect(fires[0]!.armId).toBe(5);
      expect(fires.at(-1)!.armId).toBe(6);
      for (let i = 1; i < fires.length; i++) {
        const gapMs = tickDiff(fires[i]!.tick, fires[i - 1]!.tick) / c.ticks(1);
        expect(gapMs).toBeGreaterThanOrEqual(150);
        expect(gapMs).toBeLessThan(150 + 5);
      }
      expect(c.frames("DOTEND", from).map((f) => f.fields.dot)).toEqual(fires.map((f) => f.dot));
    });

    it("fires the latest settings armed between presses, nothing for a pedal held when armed", async (ctx) => {
      const world = handsOf(ctx);
      await c.toIdle();
      await world.setPedal(true); // held down before arming
      await c.waitBoardMs(5);
      const from = c.received.length;
      expect((await c.command({ id: "PEDAL", fields: settings({ armId: 1, extensionUm: 500 }) })).id).toBe("ACK");
      await c.waitBoardMs(100);
      expect(c.frames("FIRE", from)).toHaveLength(0);
      expect((await c.command({ id: "PEDAL", fields: settings({ armId: 2, extensionUm: 1000 }) })).id).toBe("ACK");
      expect((await c.status()).state).toBe(BOARD_STATES.PEDAL);
      await release(world);
      const pressed = await press(world);
      expect((await c.next("FIRE", 100, pressed)).fields.armId).toBe(2);
      const end = await c.next("DOTEND", 300, pressed);
      // the skin pushes the needle back a little; the first settings would stay near 500
      expect(end.fields.maxExtensionUm).toBeGreaterThan(700);
      expect(end.fields.maxExtensionUm).toBeLessThanOrEqual(1000 + BOARD_DEFAULTS.tipAheadToleranceUm);
    });

    it("disarms to IDLE at once between bursts, after the running burst; a press there fires nothing", async (ctx) => {
      const world = handsOf(ctx);
      await pedalArmed(world, { strokes: 20, strokeHz: 100 });
      await c.waitBoardMs(5);
      const from = await press(world);
      await c.next("FIRE", 100, from);
      expect((await c.command({ id: "DISARM", fields: {} })).id).toBe("ACK");
      const end = await c.next("DOTEND", 400, from);
      expect(end.fields.strokes).toBe(20); // the running burst finishes
      await c.waitFor((f) => f.id === "STATUS" && f.fields.state === BOARD_STATES.IDLE, 100, from);
      await release(world);
      const again = await press(world);
      await c.waitBoardMs(100);
      expect(c.frames("FIRE", again)).toHaveLength(0);
      expect((await c.status()).unfiredPresses).toBe(1);
      // and at once when no burst runs
      await release(world);
      expect((await c.command({ id: "PEDAL", fields: settings() })).id).toBe("ACK");
      expect((await c.command({ id: "DISARM", fields: {} })).id).toBe("ACK");
      expect((await c.status()).state).toBe(BOARD_STATES.IDLE);
    });

    it("latches LEASE_EXPIRED when the host falls silent with the pedal armed: no host, no armed dot", async (ctx) => {
      const world = handsOf(ctx);
      await pedalArmed(world, {}, 200);
      const from = c.received.length;
      const alarm = await c.next("ALARM", 600, from);
      expect(alarm.fields.alarm).toBe(ALARMS.LEASE_EXPIRED.code);
      await press(world);
      await c.waitBoardMs(100);
      expect(c.frames("FIRE", from)).toHaveLength(0);
      expect(await c.status()).toMatchObject({ state: BOARD_STATES.ALARM, unfiredPresses: 1 });
      if (conn.world) expect(conn.world.parked()).toBe(true);
    });

    it("refuses pedal settings beyond a hard limit or a repeat outside its bounds, and latches", async () => {
      const info = await c.toIdle();
      const bad: Partial<PedalFields>[] = [
        { repeatMs: LINK.pedalRepeatMinMs - 1 },
        { repeatMs: LINK.pedalRepeatMaxMs + 1 },
        { extensionUm: info.hardMaxExtensionUm + 1 },
        { strokes: 0 },
      ];
      for (const over of bad) {
        await c.toIdle();
        const answer = await c.command({ id: "PEDAL", fields: settings(over) });
        expect(answer, JSON.stringify(over)).toMatchObject({ id: "NAK", fields: { nak: NAKS.LIMIT.code } });
        expect(await c.status()).toMatchObject({ state: BOARD_STATES.ALARM, alarm: ALARMS.LIMIT_REQUEST.code });
      }
      // the bounds themselves are accepted
      for (const repeatMs of [0, LINK.pedalRepeatMinMs, LINK.pedalRepeatMaxMs]) {
        await c.toIdle();
        expect((await c.command({ id: "PEDAL", fields: settings({ repeatMs }) })).id).toBe("ACK");
      }
    });
  });
}
