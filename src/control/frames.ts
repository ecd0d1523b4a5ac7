// What the board's STATUS, BOOT, ALARM and NAK frames mean to the supervisor, pure: the board state and a known
// alarm code of a STATUS, a reboot during the session, an ALARM frame whose latching STATUS was lost, and the
// input a refused command becomes (or a dot to send again).

import type { HostCommand } from "../protocol/hostlink.ts";
import { ALARMS, BOARD_STATES, NAKS, RESET_CAUSES, alarmName, boardStateName, nakName } from "../protocol/table.ts";
import { resetCauseName, type AlarmName, type BoardStateName, type FrameOf } from "../protocol/table.ts";
import type { NakName, ResetCauseName } from "../protocol/table.ts";
import type { Input, StateName } from "../safety/fsm.ts";

const isAlarm = (name: string): name is AlarmName => name in ALARMS;
const isBoardState = (name: string): name is BoardStateName => name in BOARD_STATES;

export interface BoardStatus {
  /** Undefined for a state this host does not know. */
  readonly board: BoardStateName | undefined;
  /** The alarm code, when set and known. */
  readonly alarm: AlarmName | undefined;
  /** The board shows its alarm latched with the needle parked. */
  readonly parkedInAlarm: boolean;
}

/** An alarm code's name; undefined for 0 (none) and for a code this host does not know. */
export function knownAlarm(code: number): AlarmName | undefined {
  const name = alarmName(code);
  return code !== 0 && isAlarm(name) ? name : undefined;
}

export function readStatus(s: FrameOf<"STATUS">["fields"]): BoardStatus {
  const board = boardStateName(s.state);
  return {
    board: isBoardState(board) ? board : undefined,
    alarm: knownAlarm(s.alarm),
    parkedInAlarm: board === "ALARM" && s.parked === 1,
  };
}

/**
 * A command the board refused. UNLOCK: the alarm's cause is still there. STOP and E-STOP: the board is
 * stopped already. A DOT refused LATE while running: send it again (lateDot). Anything else is a fault. An ARM,
 * DOT or KEEP refused BAD_STATE is a consequence, not a cause: the board is not in the state the host believes
 * (an ARM: IDLE refuses it only with the pedal not pressed, docs/protocol.md §6.2; a DOT or KEEP: the board is
 * no longer armed, it has latched an alarm whose STATUS the host has not seen). Such a fault is provisional:
 * the fault record names the board's own latch instead when the board reports one from before the refusal
 * (control/fault-recorder.ts).
 */
export function nakInput(
  command: HostCommand,
  nak: number,
  running: boolean,
  lastBoardAlarm: AlarmName | undefined,
): Input | { readonly type: "lateDot"; readonly dot: number } | undefined {
  const why = `board refused ${command.id}: ${nakName(nak)}`;
  if (command.id === "UNLOCK") {
    const name = nakName(nak);
    const cause = name in NAKS ? NAKS[name as NakName].doc.replace(/^UNLOCK: /, "") : "a cause this host does not know";
    const detail = `${why}: ${cause}; board alarm ${lastBoardAlarm ?? "?"} stays latched`;
    return { type: "unlockRefused", detail };
  }
  if (command.id === "STOP" || command.id === "ESTOP") return undefined;
  if (command.id === "DOT" && nakName(nak) === "LATE" && running) return { type: "lateDot", dot: command.fields.dot };
  if (nakName(nak) === "BAD_STATE" && command.id === "ARM") {
    const detail = `${why}: a board in IDLE refuses ARM only while the foot pedal is not pressed`;
    return { type: "fault", code: "PEDAL_RELEASED", detail, provisional: true };
  }
  if (nakName(nak) === "BAD_STATE" && (command.id === "DOT" || command.id === "KEEP")) {
    const detail = `${why}: the board is no longer armed`;
    return { type: "fault", code: "UNEXPECTED_NAK", detail, provisional: true };
  }
  return { type: "fault", code: "UNEXPECTED_NAK", detail: why };
}

/** A BOOT's resetCause by name; undefined for a code this host does not know. */
export function bootCause(f: FrameOf<"BOOT">["fields"]): ResetCauseName | undefined {
  const name = resetCauseName(f.resetCause);
  return name in RESET_CAUSES ? (name as ResetCauseName) : undefined;
}

/** A BOOT's reset cause in words: the alarm it latches and what that means. */
export function resetCauseText(f: FrameOf<"BOOT">["fields"]): string {
  const cause = bootCause(f);
  if (cause === undefined) return `resetCause ${f.resetCause}, a cause this host does not know`;
  const { alarm } = RESET_CAUSES[cause];
  return `resetCause ${f.resetCause} (${cause}): ${ALARMS[alarm].doc}; the board latched ${alarm}`;
}

/** A BOOT frame: a fault when the board has rebooted since it answered HELLO (boot id wasBootId). */
export function bootInput(wasBootId: number | undefined, f: FrameOf<"BOOT">["fields"]): Input | undefined {
  if (wasBootId === undefined || f.bootId === wasBootId) return undefined;
  const detail = `board reset during the session (boot id ${wasBootId} -> ${f.bootId}), ${resetCauseText(f)}`;
  const cause = bootCause(f);
  return { type: "fault", code: "BOARD_RESET", detail, ...(cause !== undefined ? { resetCause: cause } : {}) };
}

/** The supervisor states in which the board was unlocked for this run: a board alarm then is the run's fault. */
const UNLOCKED: readonly StateName[] = ["idle", "armed", "arming", "running", "disarming"];

/**
 * An ALARM frame while no fault is pending: the board latched and parked, and its latching STATUS was lost on
 * the link (the board sends that STATUS first). The frame is the board's word for it: the same board alarm
 * as that STATUS would have been, once the run has unlocked the board. Before (campaign seed 12) the frame was
 * dropped, and the next KEEP's NAK BAD_STATE was recorded as the cause.
 */
export function unseenLatch(f: FrameOf<"ALARM">["fields"], state: StateName): Input | undefined {
  const alarm = knownAlarm(f.alarm);
  return alarm && UNLOCKED.includes(state) ? { type: "status", board: "ALARM", alarm } : undefined;
}
