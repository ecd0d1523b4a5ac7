// The host supervisor's state machine, pure: transition(state, input) -> { next, effects }. It owns every
// phase of a session run, from HELLO to the outcome. The rules: the drive is enabled only in "running";
// every fault ends in "parking" and every parking ends the run (no automatic restart: the board stays
// latched, and clearing it is the operator's deliberate act, a new run with --unlock); the first cause is the
// one recorded; `smp run` unlocks POWER_UP by itself (a clean power-on, and only if the board's BOOT, when
// the host saw one, said so too), any other latched alarm (a reset of any other cause included) only with
// --unlock, and once. A session whose target depth is out of reach ends held: no new dots, the board disarmed,
// nothing latched.

import { ALARMS, RESET_CAUSES, hostUnlocks, type AlarmName, type BoardStateName } from "../protocol/table.ts";
import type { ResetCauseName } from "../protocol/table.ts";
import type { RunEnding } from "../errors/errors.ts";

export const STATES = [
  "connecting", // HELLO sent, no INFO yet
  "handshaking", // INFO fits the host; waiting for the first STATUS
  "alarm", // the board is latched; waiting for the operator's decision (smp run: POWER_UP, or --unlock)
  "unlocking", // UNLOCK sent (once); waiting for the board to go IDLE
  "idle", // unlocked, drive off
  "armed", // the host will arm; waiting for the first dot (scripted: at once; a pedal: when pressed)
  "arming", // ARM sent, not yet acknowledged
  "running", // the drive is enabled: dots go out
  "disarming", // every dot placed; DISARM sent, not yet acknowledged
  "parking", // a fault or stop was detected; waiting (bounded) for the board to confirm the needle parked
  "done", // terminal: carries the outcome
] as const;
export type StateName = (typeof STATES)[number];

/** The supervisor state as the session record and the operator see it (smp-session/1, docs/protocol.md). */
export const SHOWN_NAMES = ["disconnected", "alarm", "idle", "armed", "running", "hold", "fault"] as const;
export interface Shown {
  readonly name: (typeof SHOWN_NAMES)[number];
  readonly cause?: AlarmName;
}

/** A detected fault. Only a run's first is recorded. */
export interface Fault {
  readonly code: AlarmName;
  readonly source: "board" | "host";
  readonly detail: string;
  readonly dot?: number;
  /** HOST_LATE from a late loop tick: the tick's deadline, a time by which the host had stopped running. */
  readonly asleepFromMs?: number;
  /** BOARD_RESET: why the board restarted, from its BOOT. */
  readonly resetCause?: ResetCauseName;
  /** The host's inference from a refusal (a NAK BAD_STATE): a board latch from before it is the real cause. */
  readonly provisional?: true;
}

export interface Outcome {
  readonly ending: RunEnding;
  /** The message for endings the state machine decides alone; "" when the record tells it (done, parked). */
  readonly detail: string;
}

type Plain = Exclude<StateName, "parking" | "done">;
export type SupervisorState =
  | { readonly name: Exclude<Plain, "disarming"> }
  /** held: the session ends held for this reason (TARGET_UNREACHABLE) once the board has disarmed. */
  | { readonly name: "disarming"; readonly held?: Fault }
  /** holding: a STOP-like hold (STOP, PEDAL_RELEASED, HOST_LATE) rather than a fault; first: the recorded cause. */
  | { readonly name: "parking"; readonly holding: boolean; readonly cause: AlarmName; readonly first: FirstCause }
  /** shown: what the record shows at the end (the state before, or what the last step made it). */
  | { readonly name: "done"; readonly outcome: Outcome; readonly shown: Shown };
type FirstCause = Pick<Fault, "code" | "source">;
type Parking = Extract<SupervisorState, { name: "parking" }>;

export type Input =
  | { readonly type: "info" } // INFO fits the host
  | { readonly type: "mismatch"; readonly limitsOnly: boolean; readonly detail: string } // INFO does not
  | { readonly type: "handshakeTimeout"; readonly detail: string }
  | { readonly type: "linkLost"; readonly detail: string }
  /** A STATUS frame: the handshake's end, or a board alarm (alarm: a known code). */
  | { readonly type: "status"; readonly board: BoardStateName | undefined; readonly alarm: AlarmName | undefined }
  /** After each STATUS, smp run goes on for the operator: latched = the board's last alarm. */
  | {
      readonly type: "proceed";
      readonly board: BoardStateName | undefined;
      readonly latched: AlarmName;
      readonly linkIdle: boolean;
      readonly unlockLatched: boolean;
      /** The reset cause of the board's BOOT, when the host saw one since it connected. */
      readonly bootCause?: ResetCauseName;
    }
  | { readonly type: "start" } // the dot source has a dot: arm the board
  | { readonly type: "armAcked" }
  | { readonly type: "stop" } // the operator's STOP
  /** The host itself is late: HOST_LATE hold (asleepFromMs: the late tick's deadline). */
  | { readonly type: "late"; readonly detail: string; readonly asleepFromMs?: number }
  | { readonly type: "estop" } // the operator's E-STOP
  | {
      readonly type: "fault";
      readonly code: AlarmName;
      readonly detail: string;
      readonly dot?: number;
      readonly resetCause?: ResetCauseName;
      readonly provisional?: true;
    } // host
  /** No dot left to place; held: the host withdrew the session's remaining dots for this reason. */
  | { readonly type: "sessionDone"; readonly held?: Omit<Fault, "source"> }
  | { readonly type: "disarmAcked" }
  | { readonly type: "unlockRefused"; readonly detail: string }
  /**
   * STATUS parked in ALARM (alarm: the code it shows, if known; again: not the first such STATUS since the
   * fault), or an ALARM frame.
   */
  | { readonly type: "parked"; readonly via: "status" | "alarm"; readonly alarm?: AlarmName; readonly again?: boolean }
  | { readonly type: "parkTimeout" };
export type InputType = Input["type"];

export type Effect =
  | { readonly type: "send"; readonly command: "UNLOCK" | "ARM" | "DISARM" }
  /** The priority byte, and behind it the acknowledged frame (once the board has answered HELLO). */
  | { readonly type: "priority"; readonly which: "STOP" | "ESTOP" }
  /** Record this fault once the needle is parked; neverArmed: at once (the drive was never enabled). */
  | ({ readonly type: "fault"; readonly neverArmed?: true } & Fault)
  | { readonly type: "info"; readonly message: string }
  | { readonly type: "finish"; readonly outcome: Outcome };

export interface Result {
  readonly next: SupervisorState;
  readonly effects: readonly Effect[];
  /** Set when the input makes no sense in this state; the state is unchanged. */
  readonly rejected?: string;
}

/** Board alarms that an operator causes on purpose hold a running session; every other alarm is a fault. */
const OPERATOR_STOPS: readonly AlarmName[] = ["STOP", "PEDAL_RELEASED"];
const STOP: Effect = { type: "priority", which: "STOP" };
const ESTOP: Effect = { type: "priority", which: "ESTOP" };

export const initialState: SupervisorState = { name: "connecting" };
/**
 * The drive is enabled (DOT and KEEP may go out) only in running: ARM, the request to enable it, goes out on
 * entering arming, and the board's acknowledgement makes the session running. The controller checks this
 * before every DOT and KEEP it sends (control/dispatch.ts, driveGuard).
 */
export const driveEnabled = (s: SupervisorState): boolean => s.name === "running";

/** The record's vocabulary predates the phases: the ARM wait was part of "running", the DISARM wait "idle". */
const SHOWN_AS = {
  connecting: "disconnected",
  handshaking: "disconnected",
  alarm: "alarm",
  unlocking: "alarm",
  idle: "idle",
  armed: "armed",
  arming: "running",
  running: "running",
  disarming: "idle",
} as const satisfies Record<Plain, Shown["name"]>;

export function shown(s: SupervisorState): Shown {
  if (s.name === "parking") return { name: s.holding ? "hold" : "fault", cause: s.cause };
  if (s.name === "disarming" && s.held) return { name: "hold", cause: s.held.code };
  return s.name === "done" ? s.shown : { name: SHOWN_AS[s.name] };
}

const go = (name: Plain, effects: Effect[] = []): Result => ({ next: { name }, effects });
const stay = (s: SupervisorState): Result => ({ next: s, effects: [] });
const park = (holding: boolean, f: Fault, effects: Effect[] = []): Result => ({
  next: { name: "parking", holding, cause: f.code, first: { code: f.code, source: f.source } },
  effects: [...effects, { type: "fault", ...f }],
});
/** A hold turns into a fault (the first cause stays the recorded one). */
const escalate = (s: Parking, code: AlarmName, effects: Effect[]): Result =>
  s.holding ? { next: { ...s, holding: false, cause: code }, effects } : stay(s);
function end(s: SupervisorState, ending: RunEnding, detail: string, effects: Effect[] = [], as = shown(s)): Result {
  const outcome = { ending, detail };
  return { next: { name: "done", outcome, shown: as }, effects: [...effects, { type: "finish", outcome }] };
}
const confirmsHostFault = (s: Parking, p: { alarm?: AlarmName; again?: boolean }): boolean =>
  s.first.source === "host" && (p.again === true || p.alarm === undefined || p.alarm === "STOP" || p.alarm === "ESTOP");
const parkedEnding = (s: { first: FirstCause }): RunEnding => (s.first.code === "STOP" ? "stopped" : "fault");
const live = (s: SupervisorState) => s.name === "arming" || s.name === "running";
/** The board is armed (or about to be, or still): a stop parks and is recorded, the link's loss is a fault. */
const armedNow = (s: SupervisorState) => live(s) || s.name === "armed" || s.name === "disarming";
const beforeInfo = (s: SupervisorState) => s.name === "connecting" || s.name === "handshaking";

export function transition(s: SupervisorState, input: Input): Result {
  const r = step(s, input);
  if (s.name !== "disarming" || !s.held || r.next.name !== "parking") return r;
  // a held session parking after all (a stop, a board alarm): the hold stays the recorded first cause
  const first = { code: s.held.code, source: s.held.source };
  return { next: { ...r.next, first }, effects: r.effects.filter((e) => e.type !== "fault") };
}

function step(s: SupervisorState, input: Input): Result {
  const reject = (why: string): Result => ({ next: s, effects: [], rejected: `${input.type} in ${s.name}: ${why}` });
  if (s.name === "done") return stay(s); // terminal
  const parking = s.name === "parking" ? s : undefined;
  switch (input.type) {
    case "info":
      return s.name === "connecting" ? go("handshaking") : reject("only while connecting");
    case "mismatch": {
      if (s.name !== "connecting") return reject("only while connecting");
      const f: Fault = { code: "HANDSHAKE_MISMATCH", source: "host", detail: input.detail };
      const ending = input.limitsOnly ? "limitsRefused" : "boardMismatch";
      const as: Shown = { name: "fault", cause: f.code }; // never armed: nothing to park, nothing to stop
      return end(s, ending, input.detail, [{ type: "fault", neverArmed: true, ...f }], as);
    }
    case "handshakeTimeout":
      return s.name === "connecting" ? end(s, "noBoard", input.detail) : reject("only while connecting");
    case "linkLost": {
      if (s.name === "connecting") return end(s, "noBoard", `no board: ${input.detail}`);
      if (parking) return escalate(parking, "LINK_LOST", [ESTOP]);
      const f: Fault = { code: "LINK_LOST", source: "host", detail: input.detail };
      if (armedNow(s)) return park(false, f, [ESTOP]);
      // after INFO, before arming: nothing to park, but the run ends on a fault and its record says so
      const lost = { ...f, detail: `link lost before the board was armed (in ${shown(s).name}): ${input.detail}` };
      return end(s, "fault", lost.detail, [{ type: "fault", neverArmed: true, ...lost }], { name: "disconnected" });
    }
    case "status":
      return onStatus(s, input);
    case "proceed":
      return onProceed(s, input);
    case "start":
      return s.name === "armed" ? go("arming", [{ type: "send", command: "ARM" }]) : reject("start needs armed");
    case "armAcked":
      return s.name === "arming" ? go("running") : stay(s);
    case "stop":
      if (live(s) || s.name === "disarming")
        return park(true, { code: "STOP", source: "host", detail: "operator stop" }, [STOP]);
      if (parking) return stay(s);
      return stoppedBefore(s, "STOP", "stopped", STOP);
    case "late": {
      if (!live(s)) return reject("only a running session is late");
      const asleep = input.asleepFromMs !== undefined ? { asleepFromMs: input.asleepFromMs } : {};
      return park(true, { code: "HOST_LATE", source: "host", detail: input.detail, ...asleep }, [STOP]);
    }
    case "estop":
      if (beforeInfo(s)) return stoppedBefore(s, "ESTOP", "e-stopped", ESTOP);
      if (parking) return parking.holding ? escalate(parking, "ESTOP", [ESTOP]) : { next: s, effects: [ESTOP] };
      return park(false, { code: "ESTOP", source: "host", detail: "operator e-stop" }, [ESTOP]);
    case "fault": {
      if (beforeInfo(s)) return reject("no session to fault yet");
      if (parking) return escalate(parking, input.code, [ESTOP]); // first cause wins
      const { code, detail, dot, resetCause, provisional } = input;
      const f: Fault = {
        ...{ code, source: "host", detail },
        ...(dot !== undefined ? { dot } : {}),
        ...(resetCause !== undefined ? { resetCause } : {}),
        ...(provisional ? { provisional } : {}),
      };
      return park(false, f, [ESTOP]);
    }
    case "sessionDone": {
      if (s.name !== "running") return reject("not running");
      const disarm: Effect = { type: "send", command: "DISARM" };
      if (!input.held) return go("disarming", [disarm]);
      const held: Fault = { ...input.held, source: "host" };
      return { next: { name: "disarming", held }, effects: [disarm, { type: "fault", ...held }] };
    }
    case "disarmAcked":
      if (s.name !== "disarming") return stay(s);
      return s.held ? end(s, "held", "") : end(s, "done", "");
    case "unlockRefused":
      return s.name === "unlocking" ? end(s, "unlockRefused", input.detail) : stay(s);
    case "parked":
      // the board sends ALARM once parked; a STATUS showing parked confirms a host fault only, at once with the
      // STOP or E-STOP the host asked for; a latch of the board's own waits for its ALARM frame (its own timing),
      // which comes before the board's next STATUS: a second parked STATUS means it was lost
      if (!parking || (input.via === "status" && !confirmsHostFault(parking, input))) return stay(s);
      return end(s, parkedEnding(parking), "");
    case "parkTimeout":
      return parking ? end(s, parkedEnding(parking), "") : reject("nothing is parking");
  }
}

function onStatus(s: SupervisorState, input: Input & { type: "status" }): Result {
  if (s.name === "handshaking") return go(input.board === "ALARM" ? "alarm" : "idle");
  const code = input.alarm;
  if (input.board !== "ALARM" || code === undefined) return stay(s);
  const f: Fault = { code, source: "board", detail: `board latched ${code}: ${ALARMS[code].doc}` };
  const operatorStop = OPERATOR_STOPS.includes(code);
  switch (s.name) {
    case "idle":
    case "armed":
    case "disarming":
      return park(false, f);
    case "arming":
    case "running":
      return park(operatorStop, f);
    case "parking":
      return operatorStop ? stay(s) : escalate(s, code, []);
    default:
      return stay(s); // not connected yet, or latched already (alarm, unlocking)
  }
}

function onProceed(s: SupervisorState, input: Input & { type: "proceed" }): Result {
  const { board, latched } = input;
  switch (s.name) {
    case "alarm": {
      if (board === "IDLE") return go("idle");
      if (board !== "ALARM" || !input.linkIdle) return stay(s);
      const what = latchedText(latched, input.bootCause);
      const byItself = hostUnlocks(latched) && (input.bootCause === undefined || input.bootCause === "POWER_ON");
      if (!byItself && !input.unlockLatched) return end(s, "alarmLatched", `${what}; ` + UNLOCK_HINT);
      const note = `${what}; unlocking because the operator started this run`;
      const message = `${note}${byItself ? "" : " with --unlock"}`;
      return go("unlocking", [
        { type: "info", message },
        { type: "send", command: "UNLOCK" },
      ]);
    }
    case "unlocking":
      return board === "IDLE" ? go("idle") : stay(s);
    case "idle":
      return go("armed");
    default:
      return stay(s);
  }
}
const UNLOCK_HINT = "find its cause, then run again with --unlock to clear it deliberately";

/** What the board has latched, in words; with what its BOOT said when that names another cause. */
function latchedText(latched: AlarmName, bootCause: ResetCauseName | undefined): string {
  const text = `board alarm ${latched} is latched (${ALARMS[latched].doc})`;
  if (bootCause === undefined || bootCause === "POWER_ON" || RESET_CAUSES[bootCause].alarm === latched) return text;
  const said = RESET_CAUSES[bootCause];
  return `${text}; its BOOT said resetCause ${said.code}: ${ALARMS[said.alarm].doc}`;
}
const BEFORE = "before the session started";

/** An operator stop before the board was armed: nothing to park, but the run ends on it and its record says so. */
function stoppedBefore(s: SupervisorState, code: "STOP" | "ESTOP", verb: string, send: Effect): Result {
  const detail = `${verb} by the operator ${BEFORE} (in ${shown(s).name})`;
  return end(s, "stopped", detail, [send, { type: "fault", neverArmed: true, code, source: "host", detail }]);
}
