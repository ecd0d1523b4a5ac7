// The smp command line, declared once: every command with its summary, positional arguments and options
// (name, type, default, value name, help text, range or choices). Parsing (args.ts, node:util parseArgs,
// strict) and every --help text (help.ts) are derived from this table; no help text repeats it by hand. Fault
// kinds come from the fault module, --sim choices and machine files from boards.ts, the baud rate from the
// protocol table.

import { ERROR_CODES } from "../errors/errors.ts";
import { LINK, type AlarmName } from "../protocol/table.ts";
import { ENVELOPES } from "../safety/limits.ts";
import { BYTE_FAULTS, DEVICE_FAULTS, HOST_FAULTS, type FaultKind } from "../sim/faults.ts";
import { DEFAULT_MACHINE_FILES } from "../profiles/schema.ts";
import { SIM_BOARDS, type SimBoardChoice } from "./boards.ts";

interface OptionBase {
  /** What the option does, one sentence; the default, range, choices or fault kinds are added from the spec. */
  readonly help: string;
  readonly short?: string;
}

/** A switch: false unless given. */
export interface FlagOption extends OptionBase {
  readonly type: "boolean";
  /** The command refuses to run without it; why, for the message. */
  readonly requiredBecause?: string;
}

/** A text value. "file": a path, resolved against the working directory (a default: against the package). */
export interface TextOption extends OptionBase {
  readonly type: "string" | "file";
  readonly valueName: string;
  readonly default?: string;
  /** The default in words, when it is decided at run time. */
  readonly defaultText?: string;
}

/** A whole number within min..max. */
export interface IntOption extends OptionBase {
  readonly type: "int";
  readonly valueName: string;
  readonly default: number;
  readonly min: number;
  readonly max: number;
}

/** One of the keys of `choices`. */
export interface ChoiceOption extends OptionBase {
  readonly type: "choice";
  readonly valueName: string;
  readonly choices: Readonly<Record<string, SimBoardChoice>>;
  readonly default: string;
}

/** A fault spec (KIND[,key=value]...), repeatable, parsed by the fault module; only `kinds` are accepted. */
export interface FaultOption extends OptionBase {
  readonly type: "fault";
  readonly valueName: string;
  readonly kinds: readonly FaultKind[];
  /** Why a known kind outside `kinds` is refused, for the message. */
  readonly refusedBecause?: string;
}

export type OptionSpec = FlagOption | TextOption | IntOption | ChoiceOption | FaultOption;

export interface ArgumentSpec {
  readonly name: string;
  /** One or more (FILE...); otherwise exactly one. */
  readonly repeat?: boolean;
}

export interface CommandSpec {
  /** One line, for the command list and the first line of its help. */
  readonly summary: string;
  /** More words for its own --help. */
  readonly about?: string;
  readonly args: readonly ArgumentSpec[];
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Options that cannot be given together, and the message that says so. */
  readonly conflicts?: readonly { readonly options: readonly [string, string]; readonly message: string }[];
  readonly notes?: string;
}

/** Every command and the top level take it; it is not repeated in the tables below. */
export const HELP_OPTION = { type: "boolean", short: "h", help: "this help" } as const satisfies FlagOption;

export const PROGRAM = {
  name: "smp",
  summary: "scalp micropigmentation rig controller",
  options: {
    version: {
      type: "boolean",
      short: "V",
      help: "print the package version, the protocol version and the schema hash",
    },
  },
} as const satisfies {
  readonly name: string;
  readonly summary: string;
  readonly options: Record<string, FlagOption>;
};

/** Fault kinds by where they act, as the fault module groups them. */
export const FAULT_FAMILIES = { byte: BYTE_FAULTS, device: DEVICE_FAULTS, host: HOST_FAULTS } as const;

const FAULT_EXAMPLES = ["stall", "estop,atDot=5", "flip,rate=0.001", "hang,forMs=800"] as const;

/** Options `smp run` and `smp sim` share. */
const SIM = {
  type: "choice",
  valueName: "KIND",
  choices: SIM_BOARDS,
  default: "rotary",
  help: "built-in simulated board",
} as const satisfies ChoiceOption;
const MACHINE = {
  type: "file",
  valueName: "FILE",
  help: "machine calibration",
  defaultText: Object.entries(DEFAULT_MACHINE_FILES)
    .map(([kind, file]) => `${file} for a ${kind} board`)
    .join(", "),
} as const satisfies TextOption;
const SEED = {
  type: "int",
  valueName: "N",
  default: 1,
  min: 0,
  max: 2 ** 31,
  help: "simulator random seed",
} as const satisfies IntOption;
const faultHelp = (kinds: readonly FaultKind[]) =>
  `inject a fault, e.g. ${FAULT_EXAMPLES.filter((e) => kinds.some((k) => e.split(",")[0] === k)).join(" or ")}`;

/** Faults the simulated rig acts out; the host-side ones are the host's (the run command's). */
const RIG_FAULTS = [...BYTE_FAULTS, ...DEVICE_FAULTS] as const;
const ALL_FAULTS = [...RIG_FAULTS, ...HOST_FAULTS] as const;

/** The alarm a board latches at power-up, which smp run unlocks by itself (any other needs --unlock). */
const POWER_UP_ALARM = "POWER_UP" satisfies AlarmName;

/** The command that runs a session, and its options (smp sim's help points at them). */
const RUN_COMMAND = "run";
const RUN_OPTIONS = {
  profile: { type: "file", valueName: "FILE", default: "profiles/demo.json", help: "depth profile" },
  machine: MACHINE,
  sim: SIM,
  port: { type: "string", valueName: "PATH", help: "a real board on this serial port instead of the simulator" },
  baud: { type: "int", valueName: "N", default: LINK.baud, min: 1200, max: 4_000_000, help: "serial baud rate" },
  session: { type: "int", valueName: "N", default: 1, min: 1, max: 3, help: "session number" },
  dots: {
    type: "int",
    valueName: "N",
    default: 40,
    min: 1,
    max: 100_000,
    help: "dots to place, spread over the session's zones",
  },
  log: {
    type: "file",
    valueName: "FILE",
    defaultText: "sessions/<start time>.jsonl",
    help: "session record, JSON Lines",
  },
  fault: { type: "fault", valueName: "SPEC", kinds: ALL_FAULTS, help: faultHelp(ALL_FAULTS) },
  "virtual-time": { type: "boolean", help: "run the simulator in simulated time, as fast as the machine allows" },
  seed: SEED,
  engineer: {
    type: "boolean",
    help:
      "confirm that an engineer approved a profile in the engineer envelope " +
      `(deeper than ${ENVELOPES.standard.extensionUm.max / 1000} mm)`,
  },
  unlock: {
    type: "boolean",
    help: `clear a latched board alarm other than ${POWER_UP_ALARM} at the start (after finding its cause)`,
  },
  json: { type: "boolean", help: "machine-readable output: one JSON event per line, then the summary" },
} as const satisfies Record<string, OptionSpec>;
const PORT_OPTION = "port" satisfies keyof typeof RUN_OPTIONS;

/** The board, profile and record options a hand-held session shares with `smp run`. */
const HAND_HELD_OPTIONS = {
  profile: RUN_OPTIONS.profile,
  machine: MACHINE,
  sim: SIM,
  port: RUN_OPTIONS.port,
  baud: RUN_OPTIONS.baud,
  session: RUN_OPTIONS.session,
  log: RUN_OPTIONS.log,
  taps: {
    type: "file",
    valueName: "FILE",
    help: "play the operator's acts from this taps file on the simulated board (pedal, cartridge, console)",
  },
  console: {
    type: "string",
    valueName: "KIND",
    defaultText: "keyboard when stdin is a terminal and no --taps is given, else none",
    help: "the operator's console: keyboard, none, or a console file (a Firmata board, with --console-port)",
  },
  "console-port": { type: "string", valueName: "PATH", help: "serial port of the Firmata console board" },
  "virtual-time": RUN_OPTIONS["virtual-time"],
  seed: SEED,
  engineer: RUN_OPTIONS.engineer,
  json: { type: "boolean", help: "machine-readable output: one JSON event per line, then the summary" },
} as const satisfies Record<string, OptionSpec>;
const HAND_HELD_CONFLICTS = [
  { options: ["sim", "port"], message: "give --sim or --port, not both" },
  { options: ["virtual-time", "port"], message: "--virtual-time needs the simulated board, not --port" },
  { options: ["taps", "port"], message: "--taps plays the simulated board's pedal: not with --port" },
] as const;
const HAND_HELD_NOTES =
  "Keys: Up/Down zone, Enter arm/resume/confirm a needle, Space stop (hold), q end, ! e-stop; on the simulated " +
  "board p taps its pedal, P holds it down or lets it up, c takes the cartridge out or puts it in. " +
  "Ctrl-C once: STOP (the session holds). Twice: E-STOP.";

export const COMMANDS = {
  [RUN_COMMAND]: {
    summary: "run one SMP session",
    args: [],
    options: RUN_OPTIONS,
    conflicts: [
      { options: ["sim", "port"], message: "give --sim or --port, not both" },
      { options: ["virtual-time", "port"], message: "--virtual-time needs the simulated board, not --port" },
    ],
    notes: "Ctrl-C once: STOP (needle parks, session holds). Twice: E-STOP.",
  },
  "session start": {
    summary: "run a hand-held session: one dot per pedal press, zone by zone",
    about:
      "The board fires one dot per pedal press with the selected zone's settings. A zone with another needle " +
      "blocks the pedal until the cartridge is changed and confirmed; a stop holds until resumed.",
    args: [],
    options: HAND_HELD_OPTIONS,
    conflicts: HAND_HELD_CONFLICTS,
    notes: HAND_HELD_NOTES,
  },
  "session resume": {
    summary: "continue a hand-held session left off by a crash, a kill or a power loss",
    about:
      "Reads LOG, re-arms only on the operator's act, and appends to it, dot numbers and dots per zone carried on.",
    args: [{ name: "LOG" }],
    options: HAND_HELD_OPTIONS,
    conflicts: HAND_HELD_CONFLICTS,
    notes: HAND_HELD_NOTES,
  },
  "profile validate": {
    summary: "check depth profiles or machine calibrations",
    about:
      `Each file is checked as what its "kind" says it is. ` +
      `Exit ${ERROR_CODES.INVALID_INPUT.exit} on the first bad file.`,
    args: [{ name: "FILE", repeat: true }],
    options: {},
  },
  "profile show": {
    summary: "print a profile's zones and sessions as a table",
    args: [{ name: "FILE" }],
    options: {},
  },
  ports: {
    summary: "list the serial ports this system can see",
    about: `Exit ${ERROR_CODES.PORT.exit} when the system cannot enumerate them.`,
    args: [],
    options: {},
  },
  sim: {
    summary: "serve a simulated board on a pseudo-terminal",
    about:
      "Serves a simulated board on a pseudo-terminal (made by scripts/pty-pair.py, python3) and prints the path " +
      "a client opens as the first line of stdout, then runs until SIGINT or SIGTERM. " +
      `Try: ${PROGRAM.name} ${RUN_COMMAND} --${PORT_OPTION} ${RUN_OPTIONS[PORT_OPTION].valueName}.`,
    args: [],
    options: {
      pty: {
        type: "boolean",
        requiredBecause: "the only way to serve a board so far",
        help: "serve the board on a pseudo-terminal",
      },
      sim: SIM,
      machine: MACHINE,
      fault: {
        type: "fault",
        valueName: "SPEC",
        kinds: RIG_FAULTS,
        refusedBecause: `is a host-side fault; give it to ${PROGRAM.name} ${RUN_COMMAND}`,
        help: faultHelp(RIG_FAULTS),
      },
      seed: SEED,
    },
  },
  console: {
    summary: "serve the emulated operator console (StandardFirmata on an emulated Uno) on a pseudo-terminal",
    about:
      "Prints the path a session opens as its --console-port (first line of stdout), then runs until SIGINT or " +
      "SIGTERM. Keys on stdin press its buttons: u zone up, d zone down, a arm, e opens or closes the e-stop; " +
      "its light and buzzer are printed as they change.",
    args: [],
    options: {
      sim: {
        type: "boolean",
        requiredBecause: "the only console it can serve is the emulated one",
        help: "the emulated console",
      },
      pty: { type: "boolean", requiredBecause: "the only way to serve it so far", help: "on a pseudo-terminal" },
      console: {
        type: "file",
        valueName: "FILE",
        default: "profiles/consoles/uno-console.json",
        help: "console file: which pins are the buttons, the light and the buzzer",
      },
    },
  },
} as const satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;

/** Commands named by two words group under the first one. */
export const GROUPS = {
  session: { summary: "hand-held sessions: start one, or resume one left off" },
  profile: { summary: "check and show depth profiles and machine calibrations" },
} as const satisfies Record<string, { readonly summary: string }>;
