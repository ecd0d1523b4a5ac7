// The rules the controller's edge asks of pure modules, one by one: which loop bound has run out and when
// HELLO goes out again, the loop's lateness and its next deadline (control/timing.ts), the operator script
// of `smp run` (control/operator.ts, also walked through the supervisor state machine), and the check where
// commands are sent that DOT and KEEP go out only while the drive is enabled (control/dispatch.ts).

import { describe, expect, it } from "vitest";
import { loadDepthProfileFile } from "../src/profiles/files.ts";
import type { HostCommand } from "../src/protocol/hostlink.ts";
import { STATES, driveEnabled, transition, type SupervisorState } from "../src/safety/fsm.ts";
import { driveGuard } from "../src/control/dispatch.ts";
import { ScriptedDotSource, planSession } from "../src/control/dot-source.ts";
import { OPERATOR_TURN, type OperatorView } from "../src/control/operator.ts";
import {
  DEFAULT_TIMING,
  HELLO_RETRY_MS,
  lateTick,
  nextDeadlineMs,
  timeouts,
  type Watch,
} from "../src/control/timing.ts";

const T = DEFAULT_TIMING;
/** Every state that carries nothing but its name. */
const plain = STATES.filter((n) => n !== "parking" && n !== "done");
const plainStates: SupervisorState[] = plain.map((name) => ({ name }));

describe("loop bounds (timeouts)", () => {
  const connecting: Watch = {
    t0Ms: 1000,
    connected: false,
    lastRxMs: undefined,
    lastHelloMs: 1000,
    linkIdle: true,
    parkingSinceMs: undefined,
    parking: false,
    transport: "sim:rotary",
  };
  const running: Watch = { ...connecting, connected: true, lastRxMs: 5000 };

  it("no INFO within the handshake bound ends the handshake, and no HELLO goes out again then", () => {
    const atMs = 1000 + T.handshakeTimeoutMs;
    expect(timeouts(atMs, connecting, T)).toEqual({ helloAgain: true, input: undefined });
    expect(timeouts(atMs + 1, connecting, T)).toEqual({
      helloAgain: false,
      input: { type: "handshakeTimeout", detail: `no HELLO reply from sim:rotary within ${T.handshakeTimeoutMs} ms` },
    });
  });

  it("HELLO goes out again only when acknowledged (link idle) and no INFO came for the retry time", () => {
    const w = { ...connecting, lastHelloMs: 1200 };
    expect(timeouts(1200 + HELLO_RETRY_MS, w, T).helloAgain).toBe(false);
    expect(timeouts(1200 + HELLO_RETRY_MS + 1, w, T).helloAgain).toBe(true);
    expect(timeouts(1200 + HELLO_RETRY_MS + 1, { ...w, linkIdle: false }, T).helloAgain).toBe(false);
    expect(timeouts(1200 + HELLO_RETRY_MS + 1, { ...w, connected: true, lastRxMs: 1250 }, T).helloAgain).toBe(false);
  });

  it("silence from a connected board beyond the staleness bound is TELEMETRY_STALE, unless parking", () => {
    expect(timeouts(5000 + T.staleMs, running, T).input).toBeUndefined();
    expect(timeouts(5000 + T.staleMs + 1, running, T).input).toEqual({
      type: "fault",
      code: "TELEMETRY_STALE",
      detail: `no valid frame from the board for ${T.staleMs + 1} ms, bound ${T.staleMs} ms`,
    });
    expect(timeouts(5000 + T.staleMs + 1, { ...running, parking: true }, T).input).toBeUndefined();
    expect(timeouts(99_999, { ...running, lastRxMs: undefined }, T).input).toBeUndefined(); // nothing heard yet
  });

  it("a host that woke late counts the board's silence only up to its tick's deadline (its frames wait for it)", () => {
    // frozen 2 s: the tick due at 5100 runs at 7100; the board's frames of those 2 s are still in the transport
    expect(timeouts(7100, { ...running, tickDeadlineMs: 5100 }, T).input).toBeUndefined();
    // a board that really fell silent before the deadline is still stale
    expect(timeouts(7100, { ...running, tickDeadlineMs: 5000 + T.staleMs + 1 }, T).input).toMatchObject({
      code: "TELEMETRY_STALE",
      detail: `no valid frame from the board for ${T.staleMs + 1} ms, bound ${T.staleMs} ms`,
    });
  });

  it("a fault that has not parked within the bound is a park timeout", () => {
    const parking = { ...running, parking: true, parkingSinceMs: 6000 };
    expect(timeouts(6000 + T.parkConfirmTimeoutMs, parking, T).input).toBeUndefined();
    expect(timeouts(6000 + T.parkConfirmTimeoutMs + 1, parking, T).input).toEqual({ type: "parkTimeout" });
  });
});

describe("loop lateness and deadlines", () => {
  it("a tick later than the budget is the HOST_LATE hold's input, one at the budget is not", () => {
    expect(lateTick(1000, T.latenessBudgetMs, T)).toBeUndefined();
    expect(lateTick(1000, T.latenessBudgetMs + 0.25, T)).toEqual({
      type: "late",
      detail: `loop tick ${(T.latenessBudgetMs + 0.25).toFixed(1)} ms late, budget ${T.latenessBudgetMs} ms`,
      asleepFromMs: 1000 - T.latenessBudgetMs - 0.25, // the deadline it missed: the host was not running then
    });
  });

  it("the next deadline stays on the absolute grid and skips the missed ones (no catch-up burst)", () => {
    expect(nextDeadlineMs(3, 8, 8, 5)).toBe(13); // on time
    expect(nextDeadlineMs(3, 8, 8.4, 5)).toBe(13); // a little late: the grid, not now + period
    expect(nextDeadlineMs(3, 8, 20, 5)).toBe(23); // 12 ms late: 13 and 18 are skipped
    expect(nextDeadlineMs(0, 10, 9.9, 5)).toBe(15); // run a hair early: still the deadline after this one
  });
});

describe("the operator script of smp run", () => {
  const profile = loadDepthProfileFile("profiles/demo.json");
  const ready = () => new ScriptedDotSource(planSession(profile, 1, 2));
  const empty = () => new ScriptedDotSource([]);
  const view = (more: Partial<OperatorView> = {}): OperatorView => ({
    board: "IDLE",
    lastBoardAlarm: undefined,
    linkIdle: true,
    source: ready(),
    ...more,
  });
  const [goOn, start] = OPERATOR_TURN;

  it("goes on after every STATUS: a board that reported no alarm is in POWER_UP; --unlock is off by default", () => {
    for (const s of plainStates) {
      expect(goOn!(s, view())).toEqual({
        type: "proceed",
        board: "IDLE",
        latched: "POWER_UP",
        linkIdle: true,
        unlockLatched: false,
      });
    }
    const latched = view({ board: "ALARM", lastBoardAlarm: "STOP", linkIdle: false, unlockLatched: true });
    expect(goOn!({ name: "alarm" }, latched)).toEqual({
      type: "proceed",
      board: "ALARM",
      latched: "STOP",
      linkIdle: false,
      unlockLatched: true,
    });
  });

  it("starts only when armed and the source has a dot ready", () => {
    for (const s of plainStates) expect(start!(s, view())).toEqual(s.name === "armed" ? { type: "start" } : undefined);
    expect(start!({ name: "armed" }, view({ source: empty() }))).toBeUndefined();
  });

  /** One operator turn through the state machine, as the controller takes it: each step sees the state before. */
  const turn = (s: SupervisorState, v: OperatorView) => {
    const sent: string[] = [];
    for (const step of OPERATOR_TURN) {
      const input = step(s, v);
      if (!input) continue;
      const r = transition(s, input);
      s = r.next;
      for (const e of r.effects) if (e.type === "send") sent.push(e.command);
    }
    return { state: s.name, sent };
  };

  it("one turn takes an idle board to arming (ARM sent) with a dot ready, to armed without one", () => {
    expect(turn({ name: "idle" }, view())).toEqual({ state: "arming", sent: ["ARM"] });
    expect(turn({ name: "idle" }, view({ source: empty() }))).toEqual({ state: "armed", sent: [] });
  });

  it("a latched POWER_UP is unlocked by itself; another latched alarm only with --unlock", () => {
    const powerUp = view({ board: "ALARM", lastBoardAlarm: "POWER_UP" });
    expect(turn({ name: "alarm" }, powerUp)).toEqual({ state: "unlocking", sent: ["UNLOCK"] });
    const stop = view({ board: "ALARM", lastBoardAlarm: "STOP" });
    expect(turn({ name: "alarm" }, stop)).toEqual({ state: "done", sent: [] });
    expect(turn({ name: "alarm" }, { ...stop, unlockLatched: true })).toEqual({ state: "unlocking", sent: ["UNLOCK"] });
    expect(turn({ name: "unlocking" }, view())).toEqual({ state: "idle", sent: [] }); // the board went IDLE
  });
});

describe("DOT and KEEP go out only while the drive is enabled (driveGuard)", () => {
  const states: SupervisorState[] = [
    ...plainStates,
    { name: "parking", holding: true, cause: "STOP", first: { code: "STOP", source: "host" } },
    { name: "parking", holding: false, cause: "STALL", first: { code: "STALL", source: "board" } },
    { name: "done", outcome: { ending: "done", detail: "" }, shown: { name: "idle" } },
  ];
  const dot: HostCommand = {
    id: "DOT",
    fields: { dot: 7, atTick: 100, extensionUm: 800, strokeHz: 120, dutyPermille: 600, strokes: 8, leaseTick: 200 },
  };
  const keep: HostCommand = { id: "KEEP", fields: { leaseTick: 200 } };
  const others: HostCommand[] = [
    { id: "HELLO", fields: {} },
    { id: "UNLOCK", fields: {} },
    { id: "ARM", fields: { leaseTick: 200 } },
    { id: "DISARM", fields: {} },
    { id: "STOP", fields: {} },
    { id: "ESTOP", fields: {} },
  ];

  it("lets DOT and KEEP through in running only, the FSM's own predicate", () => {
    for (const s of states) {
      expect(driveGuard(s, dot) === undefined, `DOT in ${s.name}`).toBe(s.name === "running");
      expect(driveGuard(s, keep) === undefined, `KEEP in ${s.name}`).toBe(s.name === "running");
      expect(driveGuard(s, dot) === undefined).toBe(driveEnabled(s));
    }
  });

  it("never holds back the other commands (ARM goes out on entering arming, before the drive is enabled)", () => {
    for (const s of states) for (const c of others) expect(driveGuard(s, c), `${c.id} in ${s.name}`).toBeUndefined();
  });

  it("a violation is a host fault that e-stops: from idle the supervisor parks with E-STOP, the dot recorded", () => {
    const broken = driveGuard({ name: "idle" }, dot)!;
    expect(broken).toEqual({
      type: "fault",
      code: "ESTOP",
      dot: 7,
      detail: "host invariant broken: DOT about to go out in idle, with the drive not enabled; not sent, e-stopped",
    });
    const r = transition({ name: "idle" }, broken);
    expect(r.next).toMatchObject({ name: "parking", holding: false, cause: "ESTOP" });
    expect(r.effects).toContainEqual({ type: "priority", which: "ESTOP" });
    expect(driveGuard({ name: "armed" }, keep)).toMatchObject({ type: "fault", code: "ESTOP" });
    expect(driveGuard({ name: "armed" }, keep)).not.toHaveProperty("dot");
  });

  it("in a hold, a violation escalates it to a fault with E-STOP", () => {
    const hold = states.find((s) => s.name === "parking" && s.holding)!;
    const r = transition(hold, driveGuard(hold, dot)!);
    expect(r.next).toMatchObject({ name: "parking", holding: false, cause: "ESTOP" });
    expect(r.effects).toEqual([{ type: "priority", which: "ESTOP" }]);
  });
});
