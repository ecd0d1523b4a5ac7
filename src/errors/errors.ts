// One error type for the whole host, with a code table. Input errors name the field, the value and the
// limit; CLI exit codes are derived from the code's class.

export const ERROR_CODES = {
  INVALID_INPUT: { exit: 2, doc: "a file, flag or value is invalid" },
  LIMIT: { exit: 2, doc: "a value is beyond an envelope or hard limit" },
  USAGE: { exit: 2, doc: "command-line usage" },
  PORT: { exit: 1, doc: "serial port could not be opened or enumerated" },
  INTERNAL: { exit: 1, doc: "a bug" },
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

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

  get exitCode(): number {
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
