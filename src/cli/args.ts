// Command-line parsing derived from the declaration (commands.ts): which command the words name, then its
// options through node:util parseArgs (strict: an unknown option is an error), its positional arguments
// counted against the declared ones, conflicts, and each value converted and checked against its type and
// range. Every refusal is an SmpError USAGE naming the argument, the option or the value.

import { resolve } from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { SmpError } from "../errors/errors.ts";
import { parseFaultSpec, type FaultSpec } from "../sim/faults.ts";
import {
  COMMANDS,
  GROUPS,
  HELP_OPTION,
  PROGRAM,
  type CommandName,
  type CommandSpec,
  type OptionSpec,
} from "./commands.ts";
import { packageFile } from "./package.ts";

/** The value an option of this spec parses to. */
export type OptionValue<O> = O extends { readonly type: "boolean" }
  ? boolean
  : O extends { readonly type: "int" }
    ? number
    : O extends { readonly type: "choice"; readonly choices: infer C }
      ? keyof C & string
      : O extends { readonly type: "fault" }
        ? readonly FaultSpec[]
        : O extends { readonly default: string }
          ? string
          : string | undefined;

export type CommandValues<N extends CommandName> = {
  readonly [K in keyof (typeof COMMANDS)[N]["options"]]: OptionValue<(typeof COMMANDS)[N]["options"][K]>;
};

export type Parsed<N extends CommandName> =
  | { readonly help: true }
  | { readonly help: false; readonly values: CommandValues<N>; readonly positionals: readonly string[] };

export type GroupName = keyof typeof GROUPS;
export type HelpTopic = CommandName | GroupName | undefined;

/** What the words on the command line ask for. */
export type Route =
  | { readonly kind: "command"; readonly name: CommandName; readonly args: readonly string[] }
  | { readonly kind: "help"; readonly topic: HelpTopic }
  | { readonly kind: "version" };

/** A usage error; `topic` names the help that explains it. */
export function usage(message: string, topic?: string): never {
  const help = [PROGRAM.name, ...(topic === undefined ? [] : [topic]), "--help"].join(" ");
  throw new SmpError("USAGE", `${message}\nRun '${help}' for usage.`);
}

const isCommand = (name: string): name is CommandName => Object.hasOwn(COMMANDS, name);
const isGroup = (name: string): name is GroupName => Object.hasOwn(GROUPS, name);

/** Picks the command (or the help or version) that argv names; unknown commands and options are refused. */
export function route(argv: readonly string[]): Route {
  const [first, ...rest] = argv;
  if (first === undefined) return { kind: "help", topic: undefined };
  if (first === "help") return { kind: "help", topic: topicOf(rest) };
  if (first.startsWith("-")) {
    const { values, positionals } = strictParse(argv, { ...PROGRAM.options, help: HELP_OPTION }, undefined);
    if (values["version"] === true) {
      const extra = positionals[0];
      if (extra !== undefined) usage(`unexpected argument '${extra}' after --version`);
      return { kind: "version" };
    }
    if (values["help"] === true) return { kind: "help", topic: topicOf(positionals) };
    return usage(`unknown command '${positionals[0] ?? first}'`);
  }
  if (isCommand(first)) return { kind: "command", name: first, args: rest };
  if (isGroup(first)) {
    const [sub, ...subArgs] = rest;
    if (sub === undefined) return { kind: "help", topic: first };
    if (sub.startsWith("-")) {
      const { positionals } = strictParse(rest, { help: HELP_OPTION }, first);
      if (positionals.length > 0) usage(`unexpected argument '${positionals[0]}'`, first);
      return { kind: "help", topic: first };
    }
    const name = `${first} ${sub}`;
    if (isCommand(name)) return { kind: "command", name, args: subArgs };
    return usage(`unknown ${first} command '${sub}'`, first);
  }
  return usage(`unknown command '${first}'`);
}

/** `smp help run`, `smp help profile show`: the command or group those words name. */
function topicOf(words: readonly string[]): HelpTopic {
  if (words.length === 0) return undefined;
  const name = words.join(" ");
  if (isCommand(name) || isGroup(name)) return name;
  return usage(`unknown command '${name}'`);
}

/** The options and arguments of one command, checked and converted; `help: true` when --help was given. */
export function parseCommand<N extends CommandName>(name: N, args: readonly string[]): Parsed<N> {
  const spec: CommandSpec = COMMANDS[name];
  const { values: raw, positionals } = strictParse(args, { ...spec.options, help: HELP_OPTION }, name);
  if (raw["help"] === true) return { help: true };
  checkPositionals(name, spec, positionals);
  for (const [option, o] of Object.entries(spec.options)) {
    if (o.type === "boolean" && o.requiredBecause !== undefined && raw[option] !== true)
      usage(`${PROGRAM.name} ${name} needs --${option} (${o.requiredBecause})`, name);
  }
  for (const { options, message } of spec.conflicts ?? []) {
    if (options.every((o) => raw[o] !== undefined)) usage(message, name);
  }
  const values: Record<string, unknown> = {};
  for (const [option, o] of Object.entries(spec.options)) values[option] = convert(option, o, raw[option], name);
  return { help: false, values: values as CommandValues<N>, positionals };
}

function strictParse(args: readonly string[], options: Readonly<Record<string, OptionSpec>>, topic?: string) {
  const config: NonNullable<ParseArgsConfig["options"]> = {};
  for (const [name, o] of Object.entries(options)) {
    config[name] = {
      type: o.type === "boolean" ? "boolean" : "string",
      ...(o.type === "fault" ? { multiple: true } : {}),
      ...(o.short !== undefined ? { short: o.short } : {}),
    };
  }
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: config,
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Record<string, string | boolean | string[] | undefined>, positionals };
  } catch (e) {
    return usage((e as Error).message, topic);
  }
}

function checkPositionals(name: CommandName, spec: CommandSpec, positionals: readonly string[]): void {
  spec.args.forEach((a, i) => {
    if (positionals[i] === undefined) usage(`${PROGRAM.name} ${name} needs a ${a.name}`, name);
  });
  const repeats = spec.args.at(-1)?.repeat === true;
  const extra = positionals[spec.args.length];
  if (!repeats && extra !== undefined) {
    const takes =
      spec.args.length === 0 ? "takes no arguments" : `takes ${spec.args.map((a) => `one ${a.name}`).join(" and ")}`;
    usage(`unexpected argument '${extra}': ${PROGRAM.name} ${name} ${takes}`, name);
  }
}

type RawValue = string | boolean | string[] | undefined;

function convert(name: string, o: OptionSpec, raw: RawValue, topic: string): unknown {
  const text = typeof raw === "string" ? raw : undefined;
  switch (o.type) {
    case "boolean":
      return raw === true;
    case "string":
      return text ?? o.default;
    case "file":
      return text !== undefined ? resolve(text) : o.default !== undefined ? packageFile(o.default) : undefined;
    case "int": {
      if (text === undefined) return o.default;
      const n = Number(text);
      if (text.trim() === "" || !Number.isInteger(n) || n < o.min || n > o.max) {
        const limit = `${o.min}..${o.max}`;
        throw new SmpError(
          "USAGE",
          `--${name} = ${JSON.stringify(text)}: expected a whole number from ${o.min} to ${o.max}`,
          [{ field: `--${name}`, value: text, limit }],
        );
      }
      return n;
    }
    case "choice": {
      const choice = text ?? o.default;
      if (!Object.hasOwn(o.choices, choice))
        usage(`--${name} = ${JSON.stringify(choice)}: expected ${orList(Object.keys(o.choices))}`, topic);
      return choice;
    }
    case "fault": {
      const faults = (Array.isArray(raw) ? raw : []).map(parseFaultSpec);
      const refused = faults.find((f) => !o.kinds.includes(f.kind));
      if (refused) usage(`--${name} ${refused.kind} ${o.refusedBecause ?? "is not accepted here"}`, topic);
      return faults;
    }
  }
}

/** ["a", "b", "c"] -> "a, b or c". */
export const orList = (items: readonly string[]): string =>
  items.length <= 1 ? items.join("") : `${items.slice(0, -1).join(", ")} or ${items.at(-1)}`;
