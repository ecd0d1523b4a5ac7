// The command x state acceptance matrix (src/protocol/acceptance.ts), cell by cell, on every board target:
// the reference board (which looks the table up), the firmware (which looks up its generated copy in
// board_tables.h) and a real board when HIL_PORT is set. Each cell starts from a fresh board brought into the
// state; the command's answer and the state it leaves the board in must be what the cell says. A real board
// needs the pedal held down, as for the contract suite.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { COMMAND_ACCEPTANCE, type Acceptance } from "../src/protocol/acceptance.ts";
import {
  ALARMS,
  BOARD_STATES,
  HOST_MESSAGES,
  NAKS,
  PRIORITY_BYTES,
  type BoardStateName,
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
      return before === "ARMED" ? "IDLE" : before; // from BURST: once the burst is done
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
    let info: FrameOf<"INFO">["fields"];
    let infoAtMs = 0;
    const boardTick = () => tickAdd(info.tick, Math.round(((conn.nowMs() - infoAtMs) * info.clockHz) / 1000));
    const leaseTick = () => tickAdd(boardTick(), Math.round((400 * info.clockHz) / 1000));

    beforeEach(async () => {
      conn = await target.connect();
      c = new WireClient(conn);
    });
    afterEach(async () => {
      await conn.close();
    });

    async function hello(): Promise<void> {
      const from = c.received.length;
      expect((await c.command({ id: "HELLO", fields: {} })).id).toBe("ACK");
      info = (await c.next("INFO", 200, from)).fields;
      infoAtMs = conn.nowMs();
    }

    function dot(n: number, strokes: number, leadMs: number): FrameOf<"DOT">["fields"] {
      const atTick = tickAdd(boardTick(), Math.round((leadMs * info.clockHz) / 1000));
      return { dot: n, atTick, extensionUm: 800, strokeHz: 120, dutyPermille: 700, strokes, leaseTick: leaseTick() };
    }

    /** A fresh board in `state`: latched STOP (ALARM), unlocked (IDLE), armed, or running a long burst. */
    async function enter(state: BoardStateName): Promise<void> {
      await hello();
      c.sendRaw(Uint8Array.of(PRIORITY_BYTES.STOP));
      await conn.waitMs(30);
      if (state !== "ALARM") expect((await c.command({ id: "UNLOCK", fields: {} })).id).toBe("ACK");
      if (state === "ARMED" || state === "BURST")
        expect((await c.command({ id: "ARM", fields: { leaseTick: leaseTick() } })).id).toBe("ACK");
      if (state === "BURST") {
        // 30 strokes at 120 Hz: about 300 ms of burst, far longer than the checks below
        const from = c.received.length;
        expect((await c.command({ id: "DOT", fields: dot(1, 30, 20) })).id).toBe("ACK");
        await c.waitFor((f) => f.id === "STATUS" && f.fields.state === BOARD_STATES.BURST, 200, from);
      }
      expect((await c.status()).state).toBe(BOARD_STATES[state]);
    }

    function command(id: HostMessageId): Command {
      switch (id) {
        case "ARM":
        case "KEEP":
          return { id, fields: { leaseTick: leaseTick() } };
        case "DOT":
          return { id, fields: dot(2, 4, 300) }; // due after the checks: it only queues
        case "HELLO":
        case "UNLOCK":
        case "DISARM":
        case "STOP":
        case "ESTOP":
          return { id, fields: {} };
      }
    }

    const cells = HOST_MESSAGES.flatMap((m) => STATES.map((s) => [m.id, s] as const));
    it.each(cells)("%s in %s", async (id, state) => {
      const cell: Acceptance = COMMAND_ACCEPTANCE[id].in[state];
      await enter(state);
      const before = await c.status();
      const from = c.received.length;
      const answer = await c.command(command(id));
      const after = await c.status();
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
