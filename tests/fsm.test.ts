// Supervisor state machine (src/safety/fsm.ts): a literal table of the expected next state and effects for
// every state x every input (with the payload variants that lead to different outcomes), written out by hand
// from the rules in the module header, then fast-check invariants over random input sequences.
//
// Every rule of the table this one replaced (7 states, 16 inputs) has its row here:
// - handshakeOk(inAlarm | clear) -> alarm | idle: handshaking + status(ALARM ... | IDLE).
// - handshakeMismatch -> fault(HANDSHAKE_MISMATCH), no STOP/E-STOP (never armed): connecting + mismatch -> done,
//   shown as fault(HANDSHAKE_MISMATCH), a never-armed fault record; exit 2 (limits) or 3 (board) by the ending.
// - linkLost: disconnected/alarm/idle -> disconnected (the run ends on a fault with a never-armed LINK_LOST
//   record, issue 7 part 4: before, it ended stopped with no fault record; before INFO: no board); armed,
//   running, hold -> fault(LINK_LOST) with E-STOP; in fault nothing. Same here (hold = parking holding).
// - unlock in alarm -> UNLOCK; boardIdle in alarm -> idle: proceed(ALARM ...) and proceed(IDLE) in alarm,
//   with the operator's rule (POWER_UP by itself, another alarm only with --unlock) and UNLOCK sent once.
// - arm idle -> armed; start armed -> running with ARM: proceed in idle -> armed, start -> arming (ARM),
//   armAcked -> running (the drive is enabled only once the board acknowledged ARM).
// - stop in running -> hold with STOP and a fault record: arming/running + stop -> parking (holding); before
//   running the run ends stopped (STOP byte sent) as the controller did; late (HOST_LATE) holds the same way.
// - estop: connected -> fault with E-STOP and a record; in fault E-STOP again, first cause kept; before INFO
//   the run ends stopped (E-STOP byte sent), as the controller did.
// - fault: connected -> fault with E-STOP; in fault the first cause wins; in hold it escalates.
// - boardAlarm: ignored before INFO, in alarm and in fault; STOP/PEDAL_RELEASED hold a running session and
//   are ignored in hold; anything else (and STOP in idle/armed) is a fault, no E-STOP (the board latched).
// - sessionDone running -> idle with DISARM: running -> disarming (DISARM), disarmAcked -> done; with a reason
//   (TARGET_UNREACHABLE) the disarming is a hold and disarmAcked ends the run held. A stop or a lost link while
//   disarming parks like one while running (the board is armed until DISARM lands).
// - acknowledge fault|hold -> alarm: a run does not continue after a fault. It ends (done, terminal) once the
//   needle is parked; clearing the latched board is the operator's deliberate act in a new run: alarm +
//   proceed(ALARM STOP --unlock) below.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HAPPY_TO_RUNNING, fsmInputArb } from "./fixtures/fsm-inputs.ts";
import { ALARMS, RESET_CAUSES, hostUnlocks, type AlarmName, type ResetCauseName } from "../src/protocol/table.ts";
import type { RunEnding } from "../src/errors/errors.ts";
import {
  SHOWN_NAMES,
  STATES,
  driveEnabled,
  initialState,
  shown,
  transition,
  type Effect,
  type Fault,
  type Input,
  type InputType,
  type Shown,
  type StateName,
  type SupervisorState,
} from "../src/safety/fsm.ts";

// ---------------------------------------------------------------------------------------------------------
// Inputs, states and effects of the table

const INPUTS = {
  info: { type: "info" },
  "mismatch(limits)": { type: "mismatch", limitsOnly: true, detail: "limits" },
  "mismatch(board)": { type: "mismatch", limitsOnly: false, detail: "board" },
  handshakeTimeout: { type: "handshakeTimeout", detail: "timeout" },
  linkLost: { type: "linkLost", detail: "gone" },
  "status(IDLE)": { type: "status", board: "IDLE", alarm: undefined },
  "status(ALARM POWER_UP)": { type: "status", board: "ALARM", alarm: "POWER_UP" },
  "status(ALARM STALL)": { type: "status", board: "ALARM", alarm: "STALL" },
  "status(ALARM STOP)": { type: "status", board: "ALARM", alarm: "STOP" },
  "proceed(ALARM POWER_UP)": {
    type: "proceed",
    board: "ALARM",
    latched: "POWER_UP",
    linkIdle: true,
    unlockLatched: false,
  },
  "proceed(ALARM STOP)": { type: "proceed", board: "ALARM", latched: "STOP", linkIdle: true, unlockLatched: false },
  "proceed(ALARM STOP --unlock)": {
    type: "proceed",
    board: "ALARM",
    latched: "STOP",
    linkIdle: true,
    unlockLatched: true,
  },
  "proceed(ALARM link busy)": {
    type: "proceed",
    board: "ALARM",
    latched: "POWER_UP",
    linkIdle: false,
    unlockLatched: false,
  },
  "proceed(IDLE)": { type: "proceed", board: "IDLE", latched: "POWER_UP", linkIdle: true, unlockLatched: false },
  start: { type: "start" },
  armAcked: { type: "armAcked" },
  stop: { type: "stop" },
  late: { type: "late", detail: "late" },
  estop: { type: "estop" },
  "fault(HOST_STALL)": { type: "fault", code: "HOST_STALL", detail: "stall", dot: 3 },
  sessionDone: { type: "sessionDone" },
  disarmAcked: { type: "disarmAcked" },
  unlockRefused: { type: "unlockRefused", detail: "refused" },
  "parked(status)": { type: "parked", via: "status" },
  "parked(alarm)": { type: "parked", via: "alarm" },
  parkTimeout: { type: "parkTimeout" },
} as const satisfies Record<string, Input>;
type InputKey = keyof typeof INPUTS;

const parking = (holding: boolean, cause: AlarmName, first: AlarmName, source: "board" | "host"): SupervisorState => ({
  name: "parking",
  holding,
  cause,
  first: { code: first, source },
});
const done = (ending: RunEnding, detail: string, as: Shown): SupervisorState => ({
  name: "done",
  outcome: { ending, detail },
  shown: as,
});

/** The states each row starts from: every state, parking in three flavours. */
const FROM = {
  connecting: { name: "connecting" },
  handshaking: { name: "handshaking" },
  alarm: { name: "alarm" },
  unlocking: { name: "unlocking" },
  idle: { name: "idle" },
  armed: { name: "armed" },
  arming: { name: "arming" },
  running: { name: "running" },
  disarming: { name: "disarming" },
  "parking(hold STOP, host)": parking(true, "STOP", "STOP", "host"),
  "parking(fault STALL, board)": parking(false, "STALL", "STALL", "board"),
  "parking(fault ESTOP, first STOP host)": parking(false, "ESTOP", "STOP", "host"),
  done: done("fault", "", { name: "fault", cause: "STALL" }),
} as const satisfies Record<string, SupervisorState>;
type FromKey = keyof typeof FROM;

const send = (command: "UNLOCK" | "ARM" | "DISARM"): Effect => ({ type: "send", command });
const P_STOP: Effect = { type: "priority", which: "STOP" };
const P_ESTOP: Effect = { type: "priority", which: "ESTOP" };
const fault = (code: AlarmName, source: "board" | "host", detail: string, dot?: number): Effect => ({
  type: "fault",
  code,
  source,
  detail,
  ...(dot !== undefined ? { dot } : {}),
});
const boardFault = (code: AlarmName) => fault(code, "board", `board latched ${code}: ${ALARMS[code].doc}`);
const finish = (ending: RunEnding, detail: string): Effect => ({ type: "finish", outcome: { ending, detail } });
const mismatch = (ending: RunEnding, detail: string): Expected => [
  done(ending, detail, { name: "fault", cause: "HANDSHAKE_MISMATCH" }),
  [{ type: "fault", neverArmed: true, code: "HANDSHAKE_MISMATCH", source: "host", detail }, finish(ending, detail)],
];
const ended = (ending: RunEnding, detail: string, as: Shown, before: Effect[] = []): Expected => [
  done(ending, detail, as),
  [...before, finish(ending, detail)],
];
/** An operator stop before the board was armed: the byte, and a never-armed record of it. */
const stoppedBefore = (inState: Shown["name"], e = false): Expected => {
  const detail = `${e ? "e-stopped" : "stopped"} by the operator before the session started (in ${inState})`;
  const code = e ? "ESTOP" : "STOP";
  const record: Effect = { type: "fault", neverArmed: true, code, source: "host", detail };
  return ended("stopped", detail, { name: inState }, [e ? P_ESTOP : P_STOP, record]);
};
const LINK_F = fault("LINK_LOST", "host", "gone");
const ESTOP_F = fault("ESTOP", "host", "operator e-stop");
const STOP_F = fault("STOP", "host", "operator stop");
const LATE_F = fault("HOST_LATE", "host", "late");
const STALL_F = fault("HOST_STALL", "host", "stall", 3);
const unlockNote = (alarm: AlarmName, flag: string) =>
  `board alarm ${alarm} is latched (${ALARMS[alarm].doc}); unlocking because the operator started this run${flag}`;
const UNLOCKING = (alarm: AlarmName, flag = ""): Expected => [
  { name: "unlocking" },
  [{ type: "info", message: unlockNote(alarm, flag) }, send("UNLOCK")],
];

/** [next state, effects] for an accepted input; SAME: accepted, nothing changes; REJECT: refused (no change). */
type Expected = readonly [SupervisorState, readonly Effect[]] | "SAME" | "REJECT";
const SAME = "SAME";
const REJECT = "REJECT";
/** The link went after INFO, before the session ran: nothing to park, a never-armed LINK_LOST record. */
const GONE = (inState: Shown["name"]): Expected => {
  const detail = `link lost before the board was armed (in ${inState}): gone`;
  const lost: Effect = { type: "fault", neverArmed: true, code: "LINK_LOST", source: "host", detail };
  return ended("fault", detail, { name: "disconnected" }, [lost]);
};

const TABLE: Record<FromKey, Record<InputKey, Expected>> = {
  connecting: {
    info: [{ name: "handshaking" }, []],
    "mismatch(limits)": mismatch("limitsRefused", "limits"),
    "mismatch(board)": mismatch("boardMismatch", "board"),
    handshakeTimeout: ended("noBoard", "timeout", { name: "disconnected" }),
    linkLost: ended("noBoard", "no board: gone", { name: "disconnected" }),
    "status(IDLE)": SAME, // no INFO yet: a STATUS means nothing
    "status(ALARM POWER_UP)": SAME,
    "status(ALARM STALL)": SAME,
    "status(ALARM STOP)": SAME,
    "proceed(ALARM POWER_UP)": SAME,
    "proceed(ALARM STOP)": SAME,
    "proceed(ALARM STOP --unlock)": SAME,
    "proceed(ALARM link busy)": SAME,
    "proceed(IDLE)": SAME,
    start: REJECT,
    armAcked: SAME,
    stop: stoppedBefore("disconnected"),
    late: REJECT,
    estop: stoppedBefore("disconnected", true),
    "fault(HOST_STALL)": REJECT,
    sessionDone: REJECT,
    disarmAcked: SAME,
    unlockRefused: SAME,
    "parked(status)": SAME,
    "parked(alarm)": SAME,
    parkTimeout: REJECT,
  },
  handshaking: {
    info: REJECT,
    "mismatch(limits)": REJECT,
    "mismatch(board)": REJECT,
    handshakeTimeout: REJECT,
    linkLost: GONE("disconnected"),
    "status(IDLE)": [{ name: "idle" }, []],
    "status(ALARM POWER_UP)": [{ name: "alarm" }, []],
    "status(ALARM STALL)": [{ name: "alarm" }, []],
    "status(ALARM STOP)": [{ name: "alarm" }, []],
    "proceed(ALARM POWER_UP)": SAME,
    "proceed(ALARM STOP)": SAME,
    "proceed(ALARM STOP --unlock)": SAME,
    "proceed(ALARM link busy)": SAME,
    "proceed(IDLE)": SAME,
    start: REJECT,
    armAcked: SAME,
    stop: stoppedBefore("disconnected"),
    late: REJECT,
    estop: stoppedBefore("disconnected", true),
    "fault(HOST_STALL)": REJECT,
    sessionDone: REJECT,
    disarmAcked: SAME,
    unlockRefused: SAME,
    "parked(status)": SAME,
    "parked(alarm)": SAME,
    parkTimeout: REJECT,
  },
  alarm: {
    info: REJECT,
    "mismatch(limits)": REJECT,
    "mismatch(board)": REJECT,
    handshakeTimeout: REJECT,
    linkLost: GONE("alarm"),
    "status(IDLE)": SAME,
    "status(ALARM POWER_UP)": SAME, // latched already
    "status(ALARM STALL)": SAME,
    "status(ALARM STOP)": SAME,
    "proceed(ALARM POWER_UP)": UNLOCKING("POWER_UP"), // smp run clears a power-up by itself
    "proceed(ALARM STOP)": ended(
      "alarmLatched",
      `board alarm STOP is latched (${ALARMS.STOP.doc}); ` +
        "find its cause, then run again with --unlock to clear it deliberately",
      { name: "alarm" },
    ),
    "proceed(ALARM STOP --unlock)": UNLOCKING("STOP", " with --unlock"),
    "proceed(ALARM link busy)": SAME,
    "proceed(IDLE)": [{ name: "idle" }, []],
    start: REJECT,
    armAcked: SAME,
    stop: stoppedBefore("alarm"),
    late: REJECT,
    estop: [parking(false, "ESTOP", "ESTOP", "host"), [P_ESTOP, ESTOP_F]],
    "fault(HOST_STALL)": [parking(false, "HOST_STALL", "HOST_STALL", "host"), [P_ESTOP, STALL_F]],
    sessionDone: REJECT,
    disarmAcked: SAME,
    unlockRefused: SAME,
    "parked(status)": SAME,
    "parked(alarm)": SAME,
    parkTimeout: REJECT,
  },
  unlocking: {
    info: REJECT,
    "mismatch(limits)": REJECT,
    "mismatch(board)": REJECT,
    handshakeTimeout: REJECT,
    linkLost: GONE("alarm"),
    "status(IDLE)": SAME,
    "status(ALARM POWER_UP)": SAME,
    "status(ALARM STALL)": SAME,
    "status(ALARM STOP)": SAME,
    "proceed(ALARM POWER_UP)": SAME, // UNLOCK goes out once
    "proceed(ALARM STOP)": SAME,
    "proceed(ALARM STOP --unlock)": SAME,
    "proceed(ALARM link busy)": SAME,
    "proceed(IDLE)": [{ name: "idle" }, []],
    start: REJECT,
    armAcked: SAME,
    stop: stoppedBefore("alarm"),
    late: REJECT,
    estop: [parking(false, "ESTOP", "ESTOP", "host"), [P_ESTOP, ESTOP_F]],
    "fault(HOST_STALL)": [parking(false, "HOST_STALL", "HOST_STALL", "host"), [P_ESTOP, STALL_F]],
    sessionDone: REJECT,
    disarmAcked: SAME,
    unlockRefused: ended("unlockRefused", "refused", { name: "alarm" }),
    "parked(status)": SAME,
    "parked(alarm)": SAME,
    parkTimeout: REJECT,
  },
  idle: {
    info: REJECT,
    "mismatch(limits)": REJECT,
    "mismatch(board)": REJECT,
    handshakeTimeout: REJECT,
    linkLost: GONE("idle"),
    "status(IDLE)": SAME,
    "status(ALARM POWER_UP)": [parking(false, "POWER_UP", "POWER_UP", "board"), [boardFault("POWER_UP")]],
    "status(ALARM STALL)": [parking(false, "STALL", "STALL", "board"), [boardFault("STALL")]],
    "status(ALARM STOP)": [parking(false, "STOP", "STOP", "board"), [boardFault("STOP")]], // not running: a fault
    "proceed(ALARM POWER_UP)": [{ name: "armed" }, []],
    "proceed(ALARM STOP)": [{ name: "armed" }, []],
    "proceed(ALARM STOP --unlock)": [{ name: "armed" }, []],
    "proceed(ALARM link busy)": [{ name: "armed" }, []],
    "proceed(IDLE)": [{ name: "armed" }, []],
    start: REJECT,
    armAcked: SAME,
    stop: stoppedBefore("idle"),
    late: REJECT,
    estop: [parking(false, "ESTOP", "ESTOP", "host"), [P_ESTOP, ESTOP_F]],
    "fault(HOST_STALL)": [parking(false, "HOST_STALL", "HOST_STALL", "host"), [P_ESTOP, STALL_F]],
    sessionDone: REJECT,
    disarmAcked: SAME,
    unlockRefused: SAME,
    "parked(status)": SAME,
    "parked(alarm)": SAME,
    parkTimeout: REJECT,
  },
  armed: {
    info: REJECT,
    "mismatch(limits)": REJECT,
    "mismatch(board)": REJECT,
    handshakeTimeout: REJECT,
    linkLost: [parking(false, "LINK_LOST", "LINK_LOST", "host"), [P_ESTOP, LINK_F]],
    "status(IDLE)": SAME,
    "status(ALARM POWER_UP)": [parking(false, "POWER_UP", "POWER_UP", "board"), [boardFault("POWER_UP")]],
    "status(ALARM STALL)": [parking(false, "STALL", "STALL", "board"), [boardFault("STALL")]],
    "status(ALARM STOP)": [parking(false, "STOP", "STOP", "board"), [boardFault("STOP")]],
    "proceed(ALARM POWER_UP)": SAME,
    "proceed(ALARM STOP)": SAME,
    "proceed(ALARM STOP --unlock)": SAME,
    "proceed(ALARM link busy)": SAME,
    "proceed(IDLE)": SAME,
    start: [{ name: "arming" }, [send("ARM")]],
    armAcked: SAME,
    stop: stoppedBefore("armed"),
    late: REJECT,
    estop: [parking(false, "ESTOP", "ESTOP", "host"), [P_ESTOP, ESTOP_F]],
    "fault(HOST_STALL)": [parking(false, "HOST_STALL", "HOST_STALL", "host"), [P_ESTOP, STALL_F]],
    sessionDone: REJECT,
    disarmAcked: SAME,
    unlockRefused: SAME,
    "parked(status)": SAME,
    "parked(alarm)": SAME,
    parkTimeout: REJECT,
  },
  arming: {
    info: REJECT,
    "mismatch(limits)": REJECT,
    "mismatch(board)": REJECT,
    handshakeTimeout: REJECT,
    linkLost: [parking(false, "LINK_LOST", "LINK_LOST", "host"), [P_ESTOP, LINK_F]],
    "status(IDLE)": SAME,
    "status(ALARM POWER_UP)": [parking(false, "POWER_UP", "POWER_UP", "board"), [boardFault("POWER_UP")]],
    "status(ALARM STALL)": [parking(false, "STALL", "STALL", "board"), [boardFault("STALL")]],
    "status(ALARM STOP)": [parking(true, "STOP", "STOP", "board"), [boardFault("STOP")]], // a hold
    "proceed(ALARM POWER_UP)": SAME,
    "proceed(ALARM STOP)": SAME,
    "proceed(ALARM STOP --unlock)": SAME,
    "proceed(ALARM link busy)": SAME,
    "proceed(IDLE)": SAME,
    start: REJECT,
    armAcked: [{ name: "running" }, []],
    stop: [parking(true, "STOP", "STOP", "host"), [P_STOP, STOP_F]],
    late: [parking(true, "HOST_LATE", "HOST_LATE", "host"), [P_STOP, LATE_F]],
    estop: [parking(false, "ESTOP", "ESTOP", "host"), [P_ESTOP, ESTOP_F]],
    "fault(HOST_STALL)": [parking(false, "HOST_STALL", "HOST_STALL", "host"), [P_ESTOP, STALL_F]],
    sessionDone: REJECT,
    disarmAcked: SAME,
    unlockRefused: SAME,
    "parked(status)": SAME,
    "parked(alarm)": SAME,
    parkTimeout: REJECT,
  },
  running: {
    info: REJECT,
    "mismatch(limits)": REJECT,
    "mismatch(board)": REJECT,
    handshakeTimeout: REJECT,
    linkLost: [parking(false, "LINK_LOST", "LINK_LOST", "host"), [P_ESTOP, LINK_F]],
    "status(IDLE)": SAME,
    "status(ALARM POWER_UP)": [parking(false, "POWER_UP", "POWER_UP", "board"), [boardFault("POWER_UP")]],
    "status(ALARM STALL)": [parking(false, "STALL", "STALL", "board"), [boardFault("STALL")]],
    "status(ALARM STOP)": [parking(true, "STOP", "STOP", "board"), [boardFault("STOP")]],
    "proceed(ALARM POWER_UP)": SAME,
    "proceed(ALARM STOP)": SAME,
    "proceed(ALARM STOP --unlock)": SAME,
    "proceed(ALARM link busy)": SAME,
    "proceed(IDLE)": SAME,
    start: REJECT,
    armAcked: SAME,
    stop: [parking(true, "STOP", "STOP", "host"), [P_STOP, STOP_F]],
    late: [parking(true, "HOST_LATE", "HOST_LATE", "host"), [P_STOP, LATE_F]],
    estop: [parking(false, "ESTOP", "ESTOP", "host"), [P_ESTOP, ESTOP_F]],
    "fault(HOST_STALL)": [parking(false, "HOST_STALL", "HOST_STALL", "host"), [P_ESTOP, STALL_F]],
    sessionDone: [{ name: "disarming" }, [send("DISARM")]],
    disarmAcked: SAME,
    unlockRefused: SAME,
    "parked(status)": SAME,
    "parked(alarm)": SAME,
    parkTimeout: REJECT,
  },
  disarming: {
    info: REJECT,
    "mismatch(limits)": REJECT,
    "mismatch(board)": REJECT,
    handshakeTimeout: REJECT,
    linkLost: [parking(false, "LINK_LOST", "LINK_LOST", "host"), [P_ESTOP, LINK_F]], // the board is still armed
    "status(IDLE)": SAME,
    "status(ALARM POWER_UP)": [parking(false, "POWER_UP", "POWER_UP", "board"), [boardFault("POWER_UP")]],
    "status(ALARM STALL)": [parking(false, "STALL", "STALL", "board"), [boardFault("STALL")]],
    "status(ALARM STOP)": [parking(false, "STOP", "STOP", "board"), [boardFault("STOP")]],
    "proceed(ALARM POWER_UP)": SAME,
    "proceed(ALARM STOP)": SAME,
    "proceed(ALARM STOP --unlock)": SAME,
    "proceed(ALARM link busy)": SAME,
    "proceed(IDLE)": SAME,
    start: REJECT,
    armAcked: SAME,
    stop: [parking(true, "STOP", "STOP", "host"), [P_STOP, STOP_F]], // armed until DISARM lands: park, record
    late: REJECT,
    estop: [parking(false, "ESTOP", "ESTOP", "host"), [P_ESTOP, ESTOP_F]],
    "fault(HOST_STALL)": [parking(false, "HOST_STALL", "HOST_STALL", "host"), [P_ESTOP, STALL_F]],
    sessionDone: REJECT,
    disarmAcked: ended("done", "", { name: "idle" }),
    unlockRefused: SAME,
    "parked(status)": SAME,
    "parked(alarm)": SAME,
    parkTimeout: REJECT,
  },
  "parking(hold STOP, host)": {
    info: REJECT,
    "mismatch(limits)": REJECT,
    "mismatch(board)": REJECT,
    handshakeTimeout: REJECT,
    linkLost: [parking(false, "LINK_LOST", "STOP", "host"), [P_ESTOP]], // escalates; the first cause stays
    "status(IDLE)": SAME,
    "status(ALARM POWER_UP)": [parking(false, "POWER_UP", "STOP", "host"), []],
    "status(ALARM STALL)": [parking(false, "STALL", "STOP", "host"), []], // a real alarm while holding
    "status(ALARM STOP)": SAME,
    "proceed(ALARM POWER_UP)": SAME,
    "proceed(ALARM STOP)": SAME,
    "proceed(ALARM STOP --unlock)": SAME,
    "proceed(ALARM link busy)": SAME,
    "proceed(IDLE)": SAME,
    start: REJECT,
    armAcked: SAME,
    stop: SAME,
    late: REJECT,
    estop: [parking(false, "ESTOP", "STOP", "host"), [P_ESTOP]],
    "fault(HOST_STALL)": [parking(false, "HOST_STALL", "STOP", "host"), [P_ESTOP]],
    sessionDone: REJECT,
    disarmAcked: SAME,
    unlockRefused: SAME,
    "parked(status)": ended("stopped", "", { name: "hold", cause: "STOP" }), // a host stop: STATUS confirms
    "parked(alarm)": ended("stopped", "", { name: "hold", cause: "STOP" }),
    parkTimeout: ended("stopped", "", { name: "hold", cause: "STOP" }),
  },
  "parking(fault STALL, board)": {
    info: REJECT,
    "mismatch(limits)": REJECT,
    "mismatch(board)": REJECT,
    handshakeTimeout: REJECT,
    linkLost: SAME,
    "status(IDLE)": SAME,
    "status(ALARM POWER_UP)": SAME,
    "status(ALARM STALL)": SAME,
    "status(ALARM STOP)": SAME,
    "proceed(ALARM POWER_UP)": SAME, // no automatic restart
    "proceed(ALARM STOP)": SAME,
    "proceed(ALARM STOP --unlock)": SAME,
    "proceed(ALARM link busy)": SAME,
    "proceed(IDLE)": SAME,
    start: REJECT,
    armAcked: SAME,
    stop: SAME,
    late: REJECT,
    estop: [parking(false, "STALL", "STALL", "board"), [P_ESTOP]], // sent again, harmlessly; the cause stays
    "fault(HOST_STALL)": SAME, // first cause wins
    sessionDone: REJECT,
    disarmAcked: SAME,
    unlockRefused: SAME,
    "parked(status)": SAME, // a board fault waits for the board's own ALARM frame (or the timeout)
    "parked(alarm)": ended("fault", "", { name: "fault", cause: "STALL" }),
    parkTimeout: ended("fault", "", { name: "fault", cause: "STALL" }),
  },
  "parking(fault ESTOP, first STOP host)": {
    info: REJECT,
    "mismatch(limits)": REJECT,
    "mismatch(board)": REJECT,
    handshakeTimeout: REJECT,
    linkLost: SAME,
    "status(IDLE)": SAME,
    "status(ALARM POWER_UP)": SAME,
    "status(ALARM STALL)": SAME,
    "status(ALARM STOP)": SAME,
    "proceed(ALARM POWER_UP)": SAME,
    "proceed(ALARM STOP)": SAME,
    "proceed(ALARM STOP --unlock)": SAME,
    "proceed(ALARM link busy)": SAME,
    "proceed(IDLE)": SAME,
    start: REJECT,
    armAcked: SAME,
    stop: SAME,
    late: REJECT,
    estop: [parking(false, "ESTOP", "STOP", "host"), [P_ESTOP]],
    "fault(HOST_STALL)": SAME,
    sessionDone: REJECT,
    disarmAcked: SAME,
    unlockRefused: SAME,
    "parked(status)": ended("stopped", "", { name: "fault", cause: "ESTOP" }), // the recorded cause: STOP
    "parked(alarm)": ended("stopped", "", { name: "fault", cause: "ESTOP" }),
    parkTimeout: ended("stopped", "", { name: "fault", cause: "ESTOP" }),
  },
  done: {
    info: SAME,
    "mismatch(limits)": SAME,
    "mismatch(board)": SAME,
    handshakeTimeout: SAME,
    linkLost: SAME,
    "status(IDLE)": SAME,
    "status(ALARM POWER_UP)": SAME,
    "status(ALARM STALL)": SAME,
    "status(ALARM STOP)": SAME,
    "proceed(ALARM POWER_UP)": SAME,
    "proceed(ALARM STOP)": SAME,
    "proceed(ALARM STOP --unlock)": SAME,
    "proceed(ALARM link busy)": SAME,
    "proceed(IDLE)": SAME,
    start: SAME,
    armAcked: SAME,
    stop: SAME,
    late: SAME,
    estop: SAME,
    "fault(HOST_STALL)": SAME,
    sessionDone: SAME,
    disarmAcked: SAME,
    unlockRefused: SAME,
    "parked(status)": SAME,
    "parked(alarm)": SAME,
    parkTimeout: SAME,
  },
};

const ALL_INPUT_TYPES: readonly InputType[] = [
  ...["info", "mismatch", "handshakeTimeout", "linkLost", "status", "proceed", "start", "armAcked", "stop"],
  ...["late", "estop", "fault", "sessionDone", "disarmAcked", "unlockRefused", "parked", "parkTimeout"],
] as InputType[];

describe("transition table", () => {
  it("has a row for every state and a column for every input type", () => {
    expect(new Set(Object.values(FROM).map((s) => s.name))).toEqual(new Set(STATES));
    expect(new Set(Object.values(INPUTS).map((i) => i.type))).toEqual(new Set(ALL_INPUT_TYPES));
    for (const row of Object.values(TABLE)) expect(Object.keys(row).sort()).toEqual(Object.keys(INPUTS).sort());
    expect(Object.keys(TABLE).sort()).toEqual(Object.keys(FROM).sort());
  });

  for (const [fromKey, from] of Object.entries(FROM) as [FromKey, SupervisorState][]) {
    for (const [key, input] of Object.entries(INPUTS) as [InputKey, Input][]) {
      const expected = TABLE[fromKey][key];
      const label = typeof expected === "string" ? expected : `${expected[0].name} [${expected[1].length} effects]`;
      it(`${fromKey} + ${key} -> ${label}`, () => {
        const r = transition(from, input);
        if (expected === REJECT) expect(r.rejected).toEqual(expect.any(String));
        else expect(r.rejected).toBeUndefined();
        if (typeof expected === "string") {
          expect(r.next).toEqual(from);
          expect(r.effects).toEqual([]);
        } else {
          expect(r.next).toEqual(expected[0]);
          expect(r.effects).toEqual(expected[1]);
        }
      });
    }
  }
});

describe("reset policy: only a clean power-on is unlocked by smp run itself", () => {
  const proceed = (latched: AlarmName, unlockLatched: boolean, bootCause?: ResetCauseName): Input => ({
    ...{ type: "proceed", board: "ALARM", latched, linkIdle: true, unlockLatched },
    ...(bootCause ? { bootCause } : {}),
  });
  const alarm: SupervisorState = { name: "alarm" };

  it.each(Object.entries(RESET_CAUSES).filter(([c]) => c !== "POWER_ON"))(
    "a %s reset's alarm needs --unlock, and the refusal says what happened and how to go on",
    (cause, { alarm: latched }) => {
      const refused = transition(alarm, proceed(latched, false, cause as ResetCauseName));
      expect(refused.next).toMatchObject({ name: "done", outcome: { ending: "alarmLatched" } });
      const { detail } = (refused.next as Extract<SupervisorState, { name: "done" }>).outcome;
      expect(detail).toContain(latched);
      expect(detail).toContain(ALARMS[latched].doc);
      expect(detail).toContain("--unlock");
      expect(refused.effects.some((e) => e.type === "send")).toBe(false); // no UNLOCK goes out
      const unlocked = transition(alarm, proceed(latched, true, cause as ResetCauseName));
      expect(unlocked.next).toEqual({ name: "unlocking" });
      expect(unlocked.effects).toEqual([
        { type: "info", message: `${unlockNote(latched, " with --unlock")}` },
        send("UNLOCK"),
      ]);
    },
  );

  it("a board latched in POWER_UP whose BOOT named another cause is not unlocked by itself", () => {
    const r = transition(alarm, proceed("POWER_UP", false, "WATCHDOG"));
    const { detail } = (r.next as Extract<SupervisorState, { name: "done" }>).outcome;
    expect(detail).toContain("its BOOT said resetCause 1");
    expect(detail).toContain(ALARMS.WATCHDOG_RESET.doc);
    expect(transition(alarm, proceed("POWER_UP", false, "POWER_ON")).next).toEqual({ name: "unlocking" });
    expect(transition(alarm, proceed("POWER_UP", true, "WATCHDOG")).next).toEqual({ name: "unlocking" });
  });

  it("the table gives every reset cause its own alarm, and only POWER_UP is unlocked by the host", () => {
    const latched = Object.values(RESET_CAUSES).map((c) => c.alarm);
    expect(new Set(latched).size).toBe(latched.length);
    expect((Object.keys(ALARMS) as AlarmName[]).filter(hostUnlocks)).toEqual(["POWER_UP"]);
  });
});

describe("what the record shows", () => {
  it("keeps the smp-session/1 state names: the ARM wait is running, the DISARM wait idle", () => {
    const as = (s: SupervisorState) => shown(s);
    expect(as({ name: "connecting" })).toEqual({ name: "disconnected" });
    expect(as({ name: "handshaking" })).toEqual({ name: "disconnected" });
    expect(as({ name: "alarm" })).toEqual({ name: "alarm" });
    expect(as({ name: "unlocking" })).toEqual({ name: "alarm" });
    expect(as({ name: "idle" })).toEqual({ name: "idle" });
    expect(as({ name: "armed" })).toEqual({ name: "armed" });
    expect(as({ name: "arming" })).toEqual({ name: "running" });
    expect(as({ name: "running" })).toEqual({ name: "running" });
    expect(as({ name: "disarming" })).toEqual({ name: "idle" });
    expect(as(FROM["parking(hold STOP, host)"])).toEqual({ name: "hold", cause: "STOP" });
    expect(as(FROM["parking(fault ESTOP, first STOP host)"])).toEqual({ name: "fault", cause: "ESTOP" });
    expect(as(FROM.done)).toEqual({ name: "fault", cause: "STALL" });
  });
});

describe("a session held for a target out of reach, and a park the board measures itself", () => {
  const held = { code: "TARGET_UNREACHABLE", detail: "zone crown out of reach", dot: 3 } as const;
  const HELD: SupervisorState = { name: "disarming", held: { ...held, source: "host" } };

  it("sessionDone with a reason disarms, records it, shows a hold; the board's DISARM ends it held", () => {
    const r = transition({ name: "running" }, { type: "sessionDone", held });
    expect(r.next).toEqual(HELD);
    expect(r.effects).toEqual([send("DISARM"), fault("TARGET_UNREACHABLE", "host", "zone crown out of reach", 3)]);
    expect(shown(HELD)).toEqual({ name: "hold", cause: "TARGET_UNREACHABLE" });
    const end = transition(HELD, { type: "disarmAcked" });
    expect(end.next).toEqual(done("held", "", { name: "hold", cause: "TARGET_UNREACHABLE" }));
    expect(end.effects).toEqual([finish("held", "")]);
    expect(transition({ name: "disarming" }, { type: "disarmAcked" }).effects).toEqual([finish("done", "")]);
  });

  it("a latch of the board's own waits for its ALARM frame; the STOP or E-STOP the host asked for does not", () => {
    const late = parking(true, "HOST_LATE", "HOST_LATE", "host");
    const lease = transition(late, { type: "status", board: "ALARM", alarm: "LEASE_EXPIRED" }).next;
    expect(transition(lease, { type: "parked", via: "status", alarm: "LEASE_EXPIRED" }).effects).toEqual([]);
    expect(transition(lease, { type: "parked", via: "alarm" }).effects).toEqual([finish("fault", "")]);
    // a second parked STATUS: the ALARM frame, sent before it, was lost; the host's own sight confirms it
    const again = { type: "parked", via: "status", alarm: "LEASE_EXPIRED", again: true } as const;
    expect(transition(lease, again).effects).toEqual([finish("fault", "")]);
    for (const alarm of ["STOP", "ESTOP"] as const)
      expect(transition(late, { type: "parked", via: "status", alarm }).effects).toEqual([finish("fault", "")]);
  });

  it("a late tick's hold carries when the host stopped running, for the record", () => {
    const r = transition({ name: "running" }, { type: "late", detail: "late", asleepFromMs: 870 });
    expect(r.effects).toEqual([P_STOP, { ...LATE_F, asleepFromMs: 870 }]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Invariants over random input sequences

/** The happy path from HELLO to running and on to a clean end. */
const HAPPY: Input[] = [...HAPPY_TO_RUNNING, { type: "sessionDone" }, { type: "disarmAcked" }];
/** A prefix of the happy path (so every state is reached often), then random inputs. */
const sequenceArb = fc
  .tuple(fc.integer({ min: 0, max: HAPPY.length }), fc.array(fsmInputArb, { minLength: 1, maxLength: 30 }))
  .map(([k, rest]) => [...HAPPY.slice(0, k), ...rest]);

interface Step {
  readonly from: SupervisorState;
  readonly input: Input;
  readonly next: SupervisorState;
  readonly effects: readonly Effect[];
  readonly rejected: string | undefined;
}

function walk(inputs: readonly Input[]): Step[] {
  let s = initialState;
  const steps: Step[] = [];
  for (const input of inputs) {
    const r = transition(s, input);
    steps.push({ from: s, input, next: r.next, effects: r.effects, rejected: r.rejected });
    s = r.next;
  }
  return steps;
}

const checkWalks = (check: (steps: Step[]) => void, numRuns = 1000) =>
  fc.assert(
    fc.property(sequenceArb, (inputs) => check(walk(inputs))),
    { numRuns },
  );
const checkSteps = (check: (step: Step) => void) => checkWalks((steps) => steps.forEach(check));
const effectsOf = (steps: Step[], type: Effect["type"]) =>
  steps.flatMap((s) => s.effects.filter((e) => e.type === type));

describe("invariants over random input sequences from connecting", () => {
  it("the random walks reach every state (so the invariants below are exercised)", () => {
    const entered = new Map<StateName, number>(STATES.map((s) => [s, 0]));
    checkSteps((s) => {
      if (s.next.name !== s.from.name) entered.set(s.next.name, entered.get(s.next.name)! + 1);
    });
    for (const [state, n] of entered)
      if (state !== "connecting") expect(n, `${state} entered ${n} times`).toBeGreaterThanOrEqual(20);
  });

  it("the drive is enabled only in running, and running is entered only from arming when ARM is acknowledged", () => {
    checkSteps(({ from, input, next }) => {
      expect(driveEnabled(next)).toBe(next.name === "running");
      if (next.name === "running" && from.name !== "running") {
        expect(from.name).toBe("arming");
        expect(input.type).toBe("armAcked");
      }
    });
    for (const name of STATES)
      if (name !== "parking" && name !== "done") expect(driveEnabled({ name })).toBe(name === "running");
  });

  it("ARM goes out only on armed -> arming, on start; UNLOCK at most once, only alarm -> unlocking", () => {
    checkWalks((steps) => {
      for (const { from, input, next, effects } of steps) {
        if (effects.some((e) => e.type === "send" && e.command === "ARM")) {
          expect([from.name, input.type, next.name]).toEqual(["armed", "start", "arming"]);
          // ARM asks for the drive: it is enabled (DOT and KEEP may go out) only once the board acknowledged
          expect(driveEnabled(next)).toBe(false);
        }
        if (effects.some((e) => e.type === "send" && e.command === "UNLOCK")) {
          expect([from.name, next.name]).toEqual(["alarm", "unlocking"]);
          if (input.type !== "proceed") throw new Error("UNLOCK without the operator's turn");
          if (input.latched !== "POWER_UP") expect(input.unlockLatched).toBe(true);
        }
      }
      expect(
        effectsOf(steps, "send").filter((e) => e.type === "send" && e.command === "UNLOCK").length,
      ).toBeLessThanOrEqual(1);
    });
  });

  it("nothing leaves parking but the end of the run, with the first cause's ending (STOP: stopped, else fault)", () => {
    checkSteps(({ from, next }) => {
      if (from.name === "parking" && next.name !== "parking") {
        expect(next.name).toBe("done");
        if (next.name === "done") expect(next.outcome.ending).toBe(from.first.code === "STOP" ? "stopped" : "fault");
      }
    });
  });

  it("done is terminal: nothing changes and nothing is done after it", () => {
    checkSteps(({ from, next, effects }) => {
      if (from.name === "done") {
        expect(next).toBe(from);
        expect(effects).toEqual([]);
      }
    });
  });

  it("a run finishes exactly once, as the last effect of the step into done", () => {
    checkWalks((steps) => {
      for (const { from, next, effects } of steps) {
        const finishes = effects.filter((e) => e.type === "finish");
        const entersDone = next.name === "done" && from.name !== "done";
        expect(finishes.length).toBe(entersDone ? 1 : 0);
        if (entersDone && next.name === "done")
          expect(effects.at(-1)).toEqual({ type: "finish", outcome: next.outcome });
      }
    });
  });

  it("first cause wins: at most one fault effect per run, and it is the cause parking records", () => {
    checkWalks((steps) => {
      const faults = effectsOf(steps, "fault") as (Fault & { type: "fault" })[];
      expect(faults.length).toBeLessThanOrEqual(1);
      const into = steps.find((s) => s.next.name === "parking" && s.from.name !== "parking");
      if (into && into.next.name === "parking") {
        expect(faults[0]).toMatchObject({ code: into.next.first.code, source: into.next.first.source });
      }
    });
  });

  it("every way into parking stops the needle: E-STOP for host faults, STOP for holds, the board's own latch", () => {
    checkSteps(({ from, input, next, effects }) => {
      if (next.name !== "parking" || from.name === "parking") return;
      const priority = effects.filter((e) => e.type === "priority");
      if (input.type === "status")
        expect(priority).toEqual([]); // the board latched it and parks by itself
      else if (input.type === "stop" || input.type === "late") expect(priority).toEqual([P_STOP]);
      else expect(priority).toEqual([P_ESTOP]);
      // a hold: the operator's stop, the host's lateness, or an operator's alarm while the session runs
      const operatorAlarm = input.type === "status" && (input.alarm === "STOP" || input.alarm === "PEDAL_RELEASED");
      const wasLive = from.name === "arming" || from.name === "running";
      expect(next.holding).toBe(input.type === "stop" || input.type === "late" || (operatorAlarm && wasLive));
    });
  });

  it("a rejected input changes nothing and has no effects", () => {
    checkSteps(({ from, next, effects, rejected }) => {
      if (rejected !== undefined) {
        expect(next).toBe(from);
        expect(effects).toEqual([]);
      }
    });
  });

  it("the record's state names stay the smp-session/1 vocabulary; hold and fault always carry a cause", () => {
    checkSteps(({ next }) => {
      const s = shown(next);
      expect(SHOWN_NAMES).toContain(s.name);
      if (s.name === "hold" || s.name === "fault") expect(s.cause).toBeDefined();
      else expect(s.cause).toBeUndefined();
    });
  });

  it("a run is refused by the limits or the board only at the handshake, before anything could be armed", () => {
    checkSteps(({ from, next }) => {
      if (next.name === "done" && from.name !== "done") {
        const refusedAtHandshake = ["limitsRefused", "boardMismatch"].includes(next.outcome.ending);
        expect(refusedAtHandshake).toBe(from.name === "connecting" && shown(next).cause === "HANDSHAKE_MISMATCH");
      }
    });
  });
});
