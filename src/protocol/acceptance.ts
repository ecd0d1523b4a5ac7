// The command x state acceptance matrix of the protocol: what the board does with each host command in each
// board state, before the command's own checks. One table for the reference board (src/sim/board.ts), the
// firmware (generated into firmware-bridge/include/board_tables.h for src/main.c) and docs/protocol.md §6.2
// (generated). Board behaviour, not wire format: it is not part of the schema hash (docs/protocol.md §11).

import type { AlarmName, BoardStateName, HostMessageId, NakName } from "./table.ts";

/** What the board does with one command in one state. */
export type Acceptance =
  /** Execute the command (its own checks, such as UNLOCK's alarm causes or DOT's limits, may still refuse it),
   * after latching `latchFirst` if given. */
  | { readonly verdict: "run"; readonly latchFirst?: AlarmName }
  /** Acknowledge; nothing else changes. */
  | { readonly verdict: "ack" }
  /** Refuse with this NAK code; nothing is executed. */
  | { readonly verdict: "nak"; readonly nak: NakName };

export interface CommandAcceptance {
  /** What executing the command does (docs/protocol.md §6.2 shows it in every state where it runs). */
  readonly run: string;
  readonly in: Readonly<Record<BoardStateName, Acceptance>>;
}

const RUN = { verdict: "run" } as const;
const ACK = { verdict: "ack" } as const;
const BAD_STATE = { verdict: "nak", nak: "BAD_STATE" } as const;
/** HELLO while armed: the host restarted mid-session, so its old dots must not fire. */
const RESTART = { verdict: "run", latchFirst: "HOST_RESTART" } as const;

export const COMMAND_ACCEPTANCE = {
  HELLO: {
    run: "forget the last accepted dot number, lastDot := 0, ACK, INFO (§5.1)",
    in: { ALARM: RUN, IDLE: RUN, ARMED: RESTART, BURST: RESTART, PEDAL: RESTART, PEDAL_BURST: RESTART },
  },
  UNLOCK: {
    run: "a cause present: its NAK (§6.4); not parked: NAK ALARM_ACTIVE; else → IDLE, ACK",
    in: { ALARM: RUN, IDLE: ACK, ARMED: ACK, BURST: ACK, PEDAL: ACK, PEDAL_BURST: ACK },
  },
  ARM: {
    run: "pedal pressed: set lease, → ARMED, ACK; else NAK BAD_STATE",
    in: { ALARM: BAD_STATE, IDLE: RUN, ARMED: BAD_STATE, BURST: BAD_STATE, PEDAL: BAD_STATE, PEDAL_BURST: BAD_STATE },
  },
  DOT: {
    run: "checks §7.4: queue, set lease, ACK; or NAK",
    in: { ALARM: BAD_STATE, IDLE: BAD_STATE, ARMED: RUN, BURST: RUN, PEDAL: BAD_STATE, PEDAL_BURST: BAD_STATE },
  },
  PEDAL: {
    run: "checks §7.13: arm these settings, set lease, → PEDAL (from IDLE), ACK; or NAK",
    in: { ALARM: BAD_STATE, IDLE: RUN, ARMED: BAD_STATE, BURST: BAD_STATE, PEDAL: RUN, PEDAL_BURST: RUN },
  },
  KEEP: {
    run: "set lease, ACK",
    in: { ALARM: BAD_STATE, IDLE: BAD_STATE, ARMED: RUN, BURST: RUN, PEDAL: RUN, PEDAL_BURST: RUN },
  },
  DISARM: {
    run: "disarm pending, ACK; → IDLE once no burst runs and the queue is empty",
    in: { ALARM: ACK, IDLE: ACK, ARMED: RUN, BURST: RUN, PEDAL: RUN, PEDAL_BURST: RUN },
  },
  STOP: {
    run: "latch STOP, ACK",
    in: { ALARM: RUN, IDLE: RUN, ARMED: RUN, BURST: RUN, PEDAL: RUN, PEDAL_BURST: RUN },
  },
  ESTOP: {
    run: "latch ESTOP, ACK",
    in: { ALARM: RUN, IDLE: RUN, ARMED: RUN, BURST: RUN, PEDAL: RUN, PEDAL_BURST: RUN },
  },
} as const satisfies Record<HostMessageId, CommandAcceptance>;

/** The verdict for a command in a state. */
export function acceptance(id: HostMessageId, state: BoardStateName): Acceptance {
  return COMMAND_ACCEPTANCE[id].in[state];
}
