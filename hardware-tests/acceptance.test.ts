// The command x state acceptance matrix (src/protocol/acceptance.ts), cell by cell, on every board target:
// the reference board (which looks the table up), the firmware (which looks up its generated copy in
// board_tables.h) and a real board when HIL_PORT is set. Each cell starts from a fresh board brought into the
// state; the command's answer and the state it leaves the board in must be what the cell says. A real board
// needs the pedal held down, as for the contract suite; its PEDAL_BURST cells need a press, so they are skipped
// there (a person would have to tap the pedal).

import { afterEach, beforeEach, describe, expect, it, type TestContext } from "vitest";
import { COMMAND_ACCEPTANCE, type Acceptance } from "../src/protocol/acceptance.ts";
import {
  ALARMS,
  BOARD_STATES,
  HOST_MESSAGES,
  NAKS,
  type BoardStateName,
  type Frame,
  type FrameOf,
  type HostMessageId,
} from "../src/protocol/table.ts";
import { tickAdd } from "../src/time/ticks.ts";
import { WireClient, type BoardConnection, type Command } from "./harness.ts";
import { TARGETS } from "./targets.ts";

const STATES = Object.keys(BOARD_STATES) as BoardStateName[];

/** Where a command that runs (and passes its own checks, as every command here does) leaves the board. */
function stateAfterRun(id: HostMessageId, before: BoardStateName): BoardStateName {
  switch (id) {
    case "UNLOCK":
      return "IDLE";
    case "ARM":
      return "ARMED";
    case "DISARM":
      return before === "ARMED" || before === "PEDAL" ? "IDLE" : before; // from a burst: once the burst is done
    case "PEDAL":
      return before === "IDLE" ? "PEDAL" : before;
    case "STOP":
    case "ESTOP":
      return "ALARM";
    case "HELLO":
    case "DOT":
    case "KEEP":
      return before;
  }
}

for (const target of TARGETS) {
  const title = target.unavailable ? `${target.name} — skipped: ${target.unavailable}` : target.name;
  describe.skipIf(target.unavailable !== undefined)(`acceptance matrix: ${title}`, () => {
    let conn: BoardConnection;
    let c: WireClient;
    /** A tick `ms` ahead of the board (its clock from the STATUS received), plus the target's latency. */
    const ahead = (ms: number) => tickAdd(c.boardTick(), c.ticks(ms + conn.latencyMs));
    const leaseTick = () => ahead(400);

    beforeEach(async () => {
      conn = await target.connect();
      c = new WireClient(conn);
    });
    afterEach(async () => {
      await conn.close();
    });

    function dot(n: number, strokes: number, leadMs: number): FrameOf<"DOT">["fields"] {
      const atTick = ahead(leadMs);
      return { dot: n, atTick, extensionUm: 800, strokeHz: 100, dutyPermille: 700, strokes, leaseTick: leaseTick() };
    }

    /**
     * A known board in `state`, brought there by the board's own means whatever the last test left: latched
     * STOP with the needle parked (ALARM), unlocked (IDLE), armed, or running a long burst. Returns the STATUS
     * that shows the board in that state (for BURST, the burst's start: no wait added to the burst's time).
     */
    async function enter(state: BoardStateName, ctx: TestContext): Promise<FrameOf<"STATUS">["fields"]> {
      if (state === "PEDAL_BURST" && !conn.hands) ctx.skip(); // needs someone (or a fixture) to tap the pedal
      if (state === "ALARM") await c.toLatched();
      else await c.toIdle();
      if (state === "ARMED" || state === "BURST")
        expect((await c.command({ id: "ARM", fields: { leaseTick: leaseTick() } })).id).toBe("ACK");
      if (state === "BURST") {
        // 32 strokes at 100 Hz, the longest burst the dwell cap admits: about 350 ms, far longer than the checks
        const from = c.received.length;
        expect((await c.command({ id: "DOT", fields: dot(1, 32, 20) })).id).toBe("ACK");
        const burst = await c.waitFor((f) => f.id === "STATUS" && f.fields.state === BOARD_STATES.BURST, 200, from);
        // the lease renewed from the burst's start, so it outlasts the burst however far ahead the dot was planned
        const keep = await c.command({ id: "KEEP", fields: { leaseTick: leaseTick() } });
        expect(keep.id, "the lease expired before the KEEP arrived: host latency beyond the lease").toBe("ACK");
        return (burst as FrameOf<"STATUS">).fields;
      }
      if (state === "PEDAL" || state === "PEDAL_BURST")
        expect((await c.command({ id: "PEDAL", fields: pedal(32) })).id).toBe("ACK");
      if (state === "PEDAL_BURST") {
        const hands = conn.hands!;
        await hands.setPedal(false);
        await c.waitBoardMs(5); // released for longer than the debounce
        const from = c.received.length;
        await hands.setPedal(true);
        const burst = await c.waitFor(
          (f) => f.id === "STATUS" && f.fields.state === BOARD_STATES.PEDAL_BURST,
          200,
          from,
        );
        const keep = await c.command({ id: "KEEP", fields: { leaseTick: leaseTick() } });
        expect(keep.id, "the lease expired before the KEEP arrived: host latency beyond the lease").toBe("ACK");
        return (burst as FrameOf<"STATUS">).fields;
      }
      const status = await c.status();
      expect(status.state).toBe(BOARD_STATES[state]);
      return status;
    }

    /** Pedal settings: 32 strokes at 100 Hz, like the longest burst (about 350 ms), or `strokes`. */
    function pedal(strokes: number): FrameOf<"PEDAL">["fields"] {
      return {
        armId: 7,
        extensionUm: 800,
        strokeHz: 100,
        dutyPermille: 700,
        strokes,
        repeatMs: 0,
        leaseTick: leaseTick(),
      };
    }

    function command(id: HostMessageId): Command {
      switch (id) {
        case "ARM":
        case "KEEP":
          return { id, fields: { leaseTick: leaseTick() } };
        case "DOT":
          return { id, fields: dot(2, 4, 300) }; // due after the checks: it only queues
        case "PEDAL":
          return { id, fields: pedal(4) };
        case "HELLO":
        case "UNLOCK":
        case "DISARM":
        case "STOP":
        case "ESTOP":
          return { id, fields: {} };
      }
    }

    const cells = HOST_MESSAGES.flatMap((m) => STATES.map((s) => [m.id, s] as const));
    it.for(cells)("%s in %s", async ([id, state], ctx) => {
      const cell: Acceptance = COMMAND_ACCEPTANCE[id].in[state];
      const before = await enter(state, ctx);
      const from = c.received.length;
      const answer = await c.command(command(id));
      const after = await c.status();
      if (state === "BURST" || state === "PEDAL_BURST") {
        // the burst must still have been running when the board answered, or this cell was not tested
        const answeredAt = c.received.findIndex((r) => r.frame === answer);
        const startedAt = c.received.findIndex((r) => r.frame.fields === before);
        // ...and its lease must not have run out around the command (its STATUS or ALARM may follow the answer)
        const leaseExpired = (f: Frame) =>
          (f.id === "ALARM" || f.id === "STATUS") && f.fields.alarm === ALARMS.LEASE_EXPIRED.code;
        const ended =
          c.received.slice(startedAt, answeredAt).some((r) => r.frame.id === "DOTEND") ||
          c.received.slice(startedAt).some((r) => leaseExpired(r.frame));
        expect(ended, "the burst ended before the command was answered: host latency too high to judge").toBe(false);
      }
      switch (cell.verdict) {
        case "nak":
          expect(answer).toMatchObject({ id: "NAK", fields: { nak: NAKS[cell.nak].code } });
          expect(after).toMatchObject({ state: before.state, alarm: before.alarm });
          return;
        case "ack":
          expect(answer.id).toBe("ACK");
          expect(after).toMatchObject({ state: before.state, alarm: before.alarm });
          return;
        case "run": {
          expect(answer.id).toBe("ACK");
          const latched = cell.latchFirst ?? (id === "STOP" || id === "ESTOP" ? id : undefined);
          const expected = cell.latchFirst ? "ALARM" : stateAfterRun(id, state);
          expect(after.state).toBe(BOARD_STATES[expected]);
          if (latched && state !== "ALARM") expect(after.alarm).toBe(ALARMS[latched].code);
          else if (expected === "ALARM") expect(after.alarm).toBe(before.alarm); // the first alarm is kept
          if (id === "HELLO") expect(c.frames("INFO", from)).toHaveLength(1);
          return;
        }
      }
    });
  });
}
