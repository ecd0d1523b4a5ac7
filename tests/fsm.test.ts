// Supervisor state machine (src/safety/fsm.ts): a literal table of the expected next state and effects for
// every state x every input (with the handshakeOk, boardAlarm and stop variants expanded), written out by
// hand from the rules in the module header, then fast-check invariants over random input sequences.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ALARMS, type AlarmName } from "../src/protocol/table.ts";
import {
  INPUT_TYPES,
  STATES,
  driveEnabled,
  transition,
  type Effect,
  type Input,
  type StateName,
  type SupervisorState,
} from "../src/safety/fsm.ts";

// ---------------------------------------------------------------------------------------------------------
// The table

/** Representative inputs: every input type, with the payload variants that lead to different outcomes. */
const INPUTS = {
  "handshakeOk(inAlarm)": { type: "handshakeOk", boardInAlarm: true },
  "handshakeOk(clear)": { type: "handshakeOk", boardInAlarm: false },
  handshakeMismatch: { type: "handshakeMismatch" },
  linkLost: { type: "linkLost" },
  unlock: { type: "unlock" },
  boardIdle: { type: "boardIdle" },
  arm: { type: "arm" },
  start: { type: "start" },
  stop: { type: "stop" },
  "stop(HOST_LATE)": { type: "stop", cause: "HOST_LATE" },
  estop: { type: "estop" },
  "fault(HOST_STALL)": { type: "fault", code: "HOST_STALL" },
  "boardAlarm(STALL)": { type: "boardAlarm", code: "STALL" },
  "boardAlarm(STOP)": { type: "boardAlarm", code: "STOP" },
  sessionDone: { type: "sessionDone" },
  acknowledge: { type: "acknowledge" },
} as const satisfies Record<string, Input>;
type InputKey = keyof typeof INPUTS;

/** The state each row starts from; hold and fault carry a cause so that keeping or replacing it shows. */
const FROM: Record<StateName, SupervisorState> = {
  disconnected: { name: "disconnected" },
  alarm: { name: "alarm" },
  idle: { name: "idle" },
  armed: { name: "armed" },
  running: { name: "running" },
  hold: { name: "hold", cause: "STOP" },
  fault: { name: "fault", cause: "LINK_LOST" },
};

/** [next state, effects, cause] for an accepted input; REJECT for a refused one (state unchanged, no effects). */
type Expected = readonly [StateName, readonly Effect[], AlarmName?] | "REJECT";
const REJECT = "REJECT";
const ESTOP_FX: readonly Effect[] = ["sendEstop", "recordFault"];

const TABLE: Record<StateName, Record<InputKey, Expected>> = {
  disconnected: {
    "handshakeOk(inAlarm)": ["alarm", []],
    "handshakeOk(clear)": ["idle", []],
    handshakeMismatch: ["fault", [], "HANDSHAKE_MISMATCH"],
    linkLost: ["disconnected", []],
    unlock: REJECT,
    boardIdle: ["disconnected", []],
    arm: REJECT,
    start: REJECT,
    stop: REJECT,
    "stop(HOST_LATE)": REJECT,
    estop: REJECT,
    "fault(HOST_STALL)": REJECT,
    "boardAlarm(STALL)": ["disconnected", []],
    "boardAlarm(STOP)": ["disconnected", []],
    sessionDone: REJECT,
    acknowledge: REJECT,
  },
  alarm: {
    "handshakeOk(inAlarm)": REJECT,
    "handshakeOk(clear)": REJECT,
    handshakeMismatch: REJECT, // only during the handshake
    linkLost: ["disconnected", []],
    unlock: ["alarm", ["sendUnlock"]],
    boardIdle: ["idle", []],
    arm: REJECT,
    start: REJECT,
    stop: REJECT,
    "stop(HOST_LATE)": REJECT,
    estop: ["fault", ESTOP_FX, "ESTOP"],
    "fault(HOST_STALL)": ["fault", ESTOP_FX, "HOST_STALL"],
    "boardAlarm(STALL)": ["alarm", []],
    "boardAlarm(STOP)": ["alarm", []],
    sessionDone: REJECT,
    acknowledge: REJECT,
  },
  idle: {
    "handshakeOk(inAlarm)": REJECT,
    "handshakeOk(clear)": REJECT,
    handshakeMismatch: REJECT, // only during the handshake
    linkLost: ["disconnected", []],
    unlock: REJECT,
    boardIdle: ["idle", []],
    arm: ["armed", []],
    start: REJECT,
    stop: REJECT,
    "stop(HOST_LATE)": REJECT,
    estop: ["fault", ESTOP_FX, "ESTOP"],
    "fault(HOST_STALL)": ["fault", ESTOP_FX, "HOST_STALL"],
    "boardAlarm(STALL)": ["fault", ["recordFault"], "STALL"],
    "boardAlarm(STOP)": ["fault", ["recordFault"], "STOP"],
    sessionDone: REJECT,
    acknowledge: REJECT,
  },
  armed: {
    "handshakeOk(inAlarm)": REJECT,
    "handshakeOk(clear)": REJECT,
    handshakeMismatch: REJECT, // only during the handshake
    linkLost: ["fault", ESTOP_FX, "LINK_LOST"],
    unlock: REJECT,
    boardIdle: ["armed", []],
    arm: REJECT,
    start: ["running", ["sendArm"]],
    stop: ["idle", []],
    "stop(HOST_LATE)": ["idle", []],
    estop: ["fault", ESTOP_FX, "ESTOP"],
    "fault(HOST_STALL)": ["fault", ESTOP_FX, "HOST_STALL"],
    "boardAlarm(STALL)": ["fault", ["recordFault"], "STALL"],
    "boardAlarm(STOP)": ["fault", ["recordFault"], "STOP"],
    sessionDone: REJECT,
    acknowledge: REJECT,
  },
  running: {
    "handshakeOk(inAlarm)": REJECT,
    "handshakeOk(clear)": REJECT,
    handshakeMismatch: REJECT, // only during the handshake
    linkLost: ["fault", ESTOP_FX, "LINK_LOST"],
    unlock: REJECT,
    boardIdle: ["running", []],
    arm: REJECT,
    start: REJECT,
    stop: ["hold", ["sendStop", "recordFault"], "STOP"],
    "stop(HOST_LATE)": ["hold", ["sendStop", "recordFault"], "HOST_LATE"],
    estop: ["fault", ESTOP_FX, "ESTOP"],
    "fault(HOST_STALL)": ["fault", ESTOP_FX, "HOST_STALL"],
    "boardAlarm(STALL)": ["fault", ["recordFault"], "STALL"],
    "boardAlarm(STOP)": ["hold", ["recordFault"], "STOP"],
    sessionDone: ["idle", ["sendDisarm"]],
    acknowledge: REJECT,
  },
  hold: {
    "handshakeOk(inAlarm)": REJECT,
    "handshakeOk(clear)": REJECT,
    handshakeMismatch: REJECT, // only during the handshake
    linkLost: ["fault", ESTOP_FX, "LINK_LOST"],
    unlock: REJECT,
    boardIdle: ["hold", [], "STOP"],
    arm: REJECT,
    start: REJECT,
    stop: REJECT,
    "stop(HOST_LATE)": REJECT,
    estop: ["fault", ESTOP_FX, "ESTOP"],
    "fault(HOST_STALL)": ["fault", ESTOP_FX, "HOST_STALL"],
    "boardAlarm(STALL)": ["fault", ["recordFault"], "STALL"], // a real alarm while holding is a fault
    "boardAlarm(STOP)": ["hold", [], "STOP"],
    sessionDone: REJECT,
    acknowledge: ["alarm", []],
  },
  fault: {
    "handshakeOk(inAlarm)": REJECT,
    "handshakeOk(clear)": REJECT,
    handshakeMismatch: REJECT, // only during the handshake
    linkLost: ["fault", [], "LINK_LOST"],
    unlock: REJECT,
    boardIdle: ["fault", [], "LINK_LOST"],
    arm: REJECT,
    start: REJECT,
    stop: REJECT,
    "stop(HOST_LATE)": REJECT,
    estop: ["fault", ["sendEstop"], "LINK_LOST"], // e-stop is sent again; the first cause stays
    "fault(HOST_STALL)": ["fault", [], "LINK_LOST"], // first cause wins
    "boardAlarm(STALL)": ["fault", [], "LINK_LOST"],
    "boardAlarm(STOP)": ["fault", [], "LINK_LOST"],
    sessionDone: REJECT,
    acknowledge: ["alarm", []],
  },
};

describe("transition table", () => {
  it("lists every state and every input type", () => {
    expect(Object.keys(TABLE).sort()).toEqual([...STATES].sort());
    expect(new Set(Object.values(INPUTS).map((i) => i.type))).toEqual(new Set(INPUT_TYPES));
    for (const s of STATES) expect(Object.keys(TABLE[s]).sort()).toEqual(Object.keys(INPUTS).sort());
  });

  for (const state of STATES) {
    for (const [key, input] of Object.entries(INPUTS) as [InputKey, Input][]) {
      const expected = TABLE[state][key];
      it(
        `${state} + ${key} -> ` + `${expected === REJECT ? "rejected" : `${expected[0]} [${expected[1].join(", ")}]`}`,
        () => {
          const from = FROM[state];
          const r = transition(from, input);
          if (expected === REJECT) {
            expect(r.rejected).toEqual(expect.any(String));
            expect(r.next).toEqual(from);
            expect(r.effects).toEqual([]);
          } else {
            const [name, effects, cause] = expected;
            expect(r.rejected).toBeUndefined();
            expect(r.next).toEqual(cause === undefined ? { name } : { name, cause });
            expect(r.effects).toEqual(effects);
          }
        },
      );
    }
  }
});

// ---------------------------------------------------------------------------------------------------------
// Invariants over random input sequences

const alarmNameArb = fc
  .integer({ min: 0, max: Object.keys(ALARMS).length - 1 })
  .map((i) => (Object.keys(ALARMS) as AlarmName[])[i]!);
/** Uniform choice (fc.constantFrom favours its first values, which would starve estop, linkLost...). */
const uniform = <T>(...values: T[]): fc.Arbitrary<T> =>
  fc.integer({ min: 0, max: values.length - 1 }).map((i) => values[i]!);
const inputArb: fc.Arbitrary<Input> = fc.oneof(
  fc.boolean().map((boardInAlarm): Input => ({ type: "handshakeOk", boardInAlarm })),
  uniform<Input>(
    { type: "handshakeMismatch" },
    { type: "linkLost" },
    { type: "unlock" },
    { type: "boardIdle" },
    { type: "arm" },
    { type: "start" },
    { type: "stop" },
    { type: "stop", cause: "STOP" },
    { type: "stop", cause: "HOST_LATE" },
    { type: "estop" },
    { type: "sessionDone" },
    { type: "acknowledge" },
  ),
  alarmNameArb.map((code): Input => ({ type: "fault", code })),
  alarmNameArb.map((code): Input => ({ type: "boardAlarm", code })),
);
/** Sequences that reach the interesting states often: single inputs interleaved with runs of the happy path. */
const happyArb = uniform<Input>(
  { type: "handshakeOk", boardInAlarm: false },
  { type: "arm" },
  { type: "start" },
  { type: "boardIdle" },
  { type: "acknowledge" },
  { type: "unlock" },
  { type: "stop" },
  { type: "boardAlarm", code: "PEDAL_RELEASED" },
  { type: "sessionDone" },
  { type: "linkLost" },
  { type: "estop" },
);
const toRunning: Input[] = [{ type: "handshakeOk", boardInAlarm: false }, { type: "arm" }, { type: "start" }];
const recoverToRunning: Input[] = [
  { type: "acknowledge" },
  { type: "unlock" },
  { type: "boardIdle" },
  { type: "arm" },
  { type: "start" },
];
const sequenceArb = fc
  .array(
    fc.oneof(
      { arbitrary: inputArb.map((i) => [i]), weight: 3 },
      { arbitrary: happyArb.map((i) => [i]), weight: 3 },
      { arbitrary: uniform(toRunning, recoverToRunning), weight: 1 },
    ),
    { minLength: 5, maxLength: 40 },
  )
  .map((chunks) => chunks.flat());

interface Step {
  readonly from: SupervisorState;
  readonly input: Input;
  readonly next: SupervisorState;
  readonly effects: readonly Effect[];
  readonly rejected: string | undefined;
}

function run(inputs: readonly Input[]): Step[] {
  let s: SupervisorState = { name: "disconnected" };
  const steps: Step[] = [];
  for (const input of inputs) {
    const r = transition(s, input);
    steps.push({ from: s, input, next: r.next, effects: r.effects, rejected: r.rejected });
    s = r.next;
  }
  return steps;
}

const checkSteps = (check: (step: Step) => void) =>
  fc.assert(
    fc.property(sequenceArb, (inputs) => {
      for (const step of run(inputs)) check(step);
    }),
    { numRuns: 1000 },
  );

describe("invariants over random input sequences from disconnected", () => {
  it("the random walks reach every state (so the invariants below are exercised)", () => {
    const entered = new Map<StateName, number>(STATES.map((s) => [s, 0]));
    fc.assert(
      fc.property(sequenceArb, (inputs) => {
        for (const s of run(inputs))
          if (s.next.name !== s.from.name) entered.set(s.next.name, entered.get(s.next.name)! + 1);
      }),
      { numRuns: 300 },
    );
    for (const [state, n] of entered) expect(n, `${state} entered ${n} times`).toBeGreaterThanOrEqual(5);
  });

  it("the drive is enabled only in running", () => {
    checkSteps(({ next }) => {
      expect(driveEnabled(next)).toBe(next.name === "running");
    });
    for (const name of STATES) expect(driveEnabled({ name })).toBe(name === "running");
  });

  it("running is entered only from armed via start, with sendArm", () => {
    checkSteps(({ from, input, next, effects }) => {
      if (next.name === "running" && from.name !== "running") {
        expect(from.name).toBe("armed");
        expect(input.type).toBe("start");
        expect(effects).toContain("sendArm");
      }
    });
  });

  it("sendArm appears only on armed -> running", () => {
    checkSteps(({ from, next, effects }) => {
      if (effects.includes("sendArm")) {
        expect(from.name).toBe("armed");
        expect(next.name).toBe("running");
      }
    });
  });

  it("the only way out of fault is acknowledge, to alarm", () => {
    checkSteps(({ from, input, next }) => {
      if (from.name === "fault" && next.name !== "fault") {
        expect(input.type).toBe("acknowledge");
        expect(next.name).toBe("alarm");
      }
    });
  });

  it("hold is left only by acknowledge (to alarm) or by escalation to fault", () => {
    checkSteps(({ from, input, next }) => {
      if (from.name === "hold" && next.name !== "hold") {
        if (input.type === "acknowledge") expect(next.name).toBe("alarm");
        else expect(next.name).toBe("fault");
      }
    });
  });

  it("every transition into fault carries sendEstop, except handshakeMismatch and boardAlarm", () => {
    checkSteps(({ from, input, next, effects }) => {
      if (next.name === "fault" && from.name !== "fault") {
        expect(next.cause).toBeDefined();
        // the controller records a mismatch itself
        if (input.type !== "handshakeMismatch") expect(effects).toContain("recordFault");
        if (input.type !== "handshakeMismatch" && input.type !== "boardAlarm") expect(effects).toContain("sendEstop");
      }
    });
  });

  it("a rejected input changes nothing and has no effects; an accepted one is never marked rejected", () => {
    checkSteps(({ from, next, effects, rejected }) => {
      if (rejected !== undefined) {
        expect(next).toBe(from);
        expect(effects).toEqual([]);
      }
    });
  });

  it("fault and hold always carry a cause; other states never do", () => {
    checkSteps(({ next }) => {
      if (next.name === "fault" || next.name === "hold") expect(next.cause).toBeDefined();
      else expect(next.cause).toBeUndefined();
    });
  });
});
