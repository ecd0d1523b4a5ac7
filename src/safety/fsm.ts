// The host supervisor's state machine, pure: transition(state, input) -> { next, effects }. The drive may
// be enabled only in "running". Every fault lands in "fault"; nothing leaves "fault" or "hold" except the
// operator's deliberate acknowledge, which leads to "alarm" and then needs an explicit unlock and re-arm.

import type { AlarmName } from "../protocol/table.ts";

export const STATES = ["disconnected", "alarm", "idle", "armed", "running", "hold", "fault"] as const;
export type StateName = (typeof STATES)[number];
export interface SupervisorState {
  readonly name: StateName;
  /** Why we are in fault or hold. */
  readonly cause?: AlarmName;
}

export type Input =
  | { type: "handshakeOk"; boardInAlarm: boolean }
  | { type: "handshakeMismatch" }
  | { type: "linkLost" }
  | { type: "unlock" }
  | { type: "boardIdle" }
  | { type: "arm" }
  | { type: "start" }
  | { type: "stop"; cause?: "STOP" | "HOST_LATE" }
  | { type: "estop" }
  | { type: "fault"; code: AlarmName }
  | { type: "boardAlarm"; code: AlarmName }
  | { type: "sessionDone" }
  | { type: "acknowledge" };
export type InputType = Input["type"];
export const INPUT_TYPES: readonly InputType[] = [
  "handshakeOk",
  "handshakeMismatch",
  "linkLost",
  "unlock",
  "boardIdle",
  "arm",
  "start",
  "stop",
  "estop",
  "fault",
  "boardAlarm",
  "sessionDone",
  "acknowledge",
];

export type Effect = "sendUnlock" | "sendArm" | "sendStop" | "sendEstop" | "sendDisarm" | "recordFault";
export interface Result {
  readonly next: SupervisorState;
  readonly effects: readonly Effect[];
  /** Set when the input is not allowed in this state; the state is unchanged. */
  readonly rejected?: string;
}

/** Board alarms that an operator causes on purpose end in hold; every other alarm is a fault. */
const OPERATOR_STOPS: readonly AlarmName[] = ["STOP", "PEDAL_RELEASED"];
const LIVE: readonly StateName[] = ["armed", "running", "hold"];

export const driveEnabled = (s: SupervisorState): boolean => s.name === "running";

const to = (name: StateName, effects: Effect[] = [], cause?: AlarmName): Result => ({
  next: cause ? { name, cause } : { name },
  effects,
});

export function transition(s: SupervisorState, input: Input): Result {
  const reject = (why: string): Result => ({ next: s, effects: [], rejected: `${input.type} in ${s.name}: ${why}` });
  const connected = s.name !== "disconnected";
  switch (input.type) {
    case "handshakeOk":
      return s.name === "disconnected" ? to(input.boardInAlarm ? "alarm" : "idle") : reject("already connected");
    // only during the handshake; the controller writes the record: the drive was never enabled
    case "handshakeMismatch":
      return s.name === "disconnected" ? to("fault", [], "HANDSHAKE_MISMATCH") : reject("only during the handshake");
    case "linkLost":
      if (s.name === "fault") return { next: s, effects: [] };
      return LIVE.includes(s.name) ? to("fault", ["sendEstop", "recordFault"], "LINK_LOST") : to("disconnected");
    case "unlock":
      return s.name === "alarm" ? to("alarm", ["sendUnlock"]) : reject("only a latched alarm can be unlocked");
    case "boardIdle":
      return s.name === "alarm" ? to("idle") : { next: s, effects: [] };
    case "arm":
      return s.name === "idle" ? to("armed") : reject("arm needs idle");
    case "start":
      return s.name === "armed" ? to("running", ["sendArm"]) : reject("start needs armed");
    case "stop":
      if (s.name === "running") return to("hold", ["sendStop", "recordFault"], input.cause ?? "STOP");
      return s.name === "armed" ? to("idle") : reject("nothing to stop");
    case "estop":
      if (s.name === "fault") return { next: s, effects: ["sendEstop"] }; // again, harmlessly; the first cause stays
      return connected ? to("fault", ["sendEstop", "recordFault"], "ESTOP") : reject("no board to stop");
    case "fault":
      if (s.name === "fault") return { next: s, effects: [] }; // first cause wins
      return connected ? to("fault", ["sendEstop", "recordFault"], input.code) : reject("no board");
    case "boardAlarm":
      // in alarm the board is latched already; once unlocked, any new board alarm ends the session
      if (s.name === "fault" || s.name === "disconnected" || s.name === "alarm") return { next: s, effects: [] };
      if (OPERATOR_STOPS.includes(input.code)) {
        if (s.name === "hold") return { next: s, effects: [] };
        return s.name === "running"
          ? to("hold", ["recordFault"], input.code)
          : to("fault", ["recordFault"], input.code);
      }
      return to("fault", ["recordFault"], input.code);
    case "sessionDone":
      return s.name === "running" ? to("idle", ["sendDisarm"]) : reject("no session running");
    case "acknowledge":
      return s.name === "fault" || s.name === "hold" ? to("alarm") : reject("nothing to acknowledge");
  }
}
