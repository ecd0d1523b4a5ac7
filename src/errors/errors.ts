// One error type for the whole host, and the one table of exit codes: every code the smp command returns,
// which error code exits with which, and how each way a session run can end maps to its exit code. Input
// errors name the field, the value and the limit.

/** Every exit code of the smp command. */
export const EXIT_CODES = {
  0: "done: the session completed, or the command did what it was asked",
  1: "internal error (a bug), or a serial port that could not be opened or enumerated",
  2: "invalid input or usage, or a session refused because the profile or machine does not fit the limits",
  3:
    "stopped by a safety fault, an operator stop or e-stop, or a refusal to arm on a board mismatch " +
    "(no board, a board that does not match, a latched alarm that may not or cannot be cleared)",
  4:
    "held: the session stopped itself short of its plan with the needle parked and the board disarmed, " +
    "nothing latched (a zone's target depth the loop cannot reach)",
} as const;
export type ExitCode = keyof typeof EXIT_CODES;

export const ERROR_CODES = {
  INVALID_INPUT: { exit: 2, doc: "a file, flag or value is invalid" },
  LIMIT: { exit: 2, doc: "a value is beyond an envelope or hard limit" },
  USAGE: { exit: 2, doc: "command-line usage" },
  PORT: { exit: 1, doc: "serial port could not be opened or enumerated" },
  INTERNAL: { exit: 1, doc: "a bug" },
} as const satisfies Record<string, { exit: ExitCode; doc: string }>;
export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * Every way a session run can end: the outcome it reports (RunOutcome.outcome) and its exit code. The
 * supervisor state machine ends every run in exactly one of these.
 */
export const RUN_ENDINGS = {
  done: { outcome: "done", exit: 0, doc: "every dot placed and the board disarmed" },
  fault: {
    outcome: "fault",
    exit: 3,
    doc:
      "a safety fault (board or host); the needle parked or the wait ran out; or the link lost after the " +
      "handshake, before the board was armed (a never-armed LINK_LOST record)",
  },
  stopped: {
    outcome: "stopped",
    exit: 3,
    doc: "an operator STOP (the needle parked), or a stop or e-stop before the session ran",
  },
  held: {
    outcome: "held",
    exit: 4,
    doc:
      "a zone's target out of reach (TARGET_UNREACHABLE): no new dots, the dots in flight ended, the board " +
      "disarmed with the needle parked; nothing latched, so the next run needs no --unlock",
  },
  limitsRefused: {
    outcome: "refused",
    exit: 2,
    doc: "refused to arm: the profile or machine goes beyond the board's hard limits",
  },
  boardMismatch: {
    outcome: "refused",
    exit: 3,
    doc: "refused to arm: the board's protocol, schema, lease, queue or clock does not match the host",
  },
  noBoard: { outcome: "refused", exit: 3, doc: "no board answered HELLO, or the link closed before it did" },
  alarmLatched: {
    outcome: "refused",
    exit: 3,
    doc:
      "a board alarm other than POWER_UP (a fault, or a reset other than a clean power-on) is latched " +
      "and the operator did not ask to clear it (--unlock)",
  },
  unlockRefused: { outcome: "refused", exit: 3, doc: "the board refused UNLOCK: the alarm's cause is still there" },
} as const satisfies Record<string, { outcome: string; exit: ExitCode; doc: string }>;
export type RunEnding = keyof typeof RUN_ENDINGS;
export type RunOutcomeName = (typeof RUN_ENDINGS)[RunEnding]["outcome"];

/** The exit code of a run that ended this way: the one place it is decided. */
export function runExitCode(ending: RunEnding): ExitCode {
  return RUN_ENDINGS[ending].exit;
}

export interface LimitDetail {
  /** Dotted path of the offending field, e.g. "zones[1].sessions[0].targetExtensionUm". */
  readonly field: string;
  readonly value: unknown;
  /** The limit in words, e.g. "standard envelope maximum 1200 um". */
  readonly limit: string;
}

export class SmpError extends Error {
  readonly code: ErrorCode;
  readonly details: readonly LimitDetail[];

  constructor(code: ErrorCode, message: string, details: readonly LimitDetail[] = []) {
    super(message);
    this.name = "SmpError";
    this.code = code;
    this.details = details;
  }

  get exitCode(): ExitCode {
    return ERROR_CODES[this.code].exit;
  }
}

/** "field = value: limit" - the one format every limit message uses. */
export function formatLimit(d: LimitDetail): string {
  return `${d.field} = ${JSON.stringify(d.value)}: ${d.limit}`;
}

export function limitError(details: readonly LimitDetail[], context: string): SmpError {
  return new SmpError("LIMIT", `${context}:\n${details.map((d) => `  ${formatLimit(d)}`).join("\n")}`, details);
}
