// Every --help text, rendered from the declaration (commands.ts): the command list, a group's commands, and a
// command's usage line, options (with default, range, choices and fault kinds, the ones it takes and the ones
// it refuses), the options it refuses together, and notes. Nothing here names a command or an option itself.

import { EXIT_CODES } from "../errors/errors.ts";
import type { HelpTopic } from "./args.ts";
import {
  COMMANDS,
  FAULT_FAMILIES,
  GROUPS,
  HELP_OPTION,
  PROGRAM,
  type CommandName,
  type CommandSpec,
} from "./commands.ts";
import type { OptionSpec } from "./commands.ts";

/** Help lines are wrapped to this many columns. */
const WIDTH_COLUMNS = 110;

export function helpText(topic: HelpTopic): string {
  if (topic === undefined) return mainHelp();
  if (Object.hasOwn(GROUPS, topic)) return groupHelp(topic as keyof typeof GROUPS);
  return commandHelp(topic as CommandName);
}

/** Prints the help for the topic; its exit code, 0. */
export function printHelp(topic: HelpTopic): 0 {
  console.log(helpText(topic));
  return 0;
}

/** "smp run [options]", "smp profile validate FILE...", "smp sim --pty [options]". */
export function usageLine(name: CommandName): string {
  const spec: CommandSpec = COMMANDS[name];
  const options = Object.entries(spec.options);
  const required = options.filter(([, o]) => o.type === "boolean" && o.requiredBecause !== undefined);
  return [
    PROGRAM.name,
    name,
    ...required.map(([n]) => `--${n}`),
    ...spec.args.map((a) => (a.repeat === true ? `${a.name}...` : a.name)),
    ...(options.length > required.length ? ["[options]"] : []),
  ].join(" ");
}

function mainHelp(): string {
  const names = Object.keys(COMMANDS) as CommandName[];
  return [
    `${PROGRAM.name} - ${PROGRAM.summary}`,
    "",
    "Usage:",
    ...table(names.map((n) => [usageLine(n), COMMANDS[n].summary])),
    "",
    "Options:",
    ...optionRows({ ...PROGRAM.options, help: HELP_OPTION }),
    "",
    "Exit codes:",
    ...Object.entries(EXIT_CODES).flatMap(([code, doc]) => wrap(doc, "     ", `  ${code}  `)),
    "",
    `Run '${PROGRAM.name} COMMAND --help' for the options of a command.`,
  ].join("\n");
}

function groupHelp(group: keyof typeof GROUPS): string {
  const names = (Object.keys(COMMANDS) as CommandName[]).filter((n) => n.startsWith(`${group} `));
  return [
    `${PROGRAM.name} ${group} - ${GROUPS[group].summary}`,
    "",
    "Usage:",
    ...table(names.map((n) => [usageLine(n), COMMANDS[n].summary])),
    "",
    `Run '${PROGRAM.name} ${group} COMMAND --help' for more about a command.`,
  ].join("\n");
}

function commandHelp(name: CommandName): string {
  const spec: CommandSpec = COMMANDS[name];
  return [
    `${PROGRAM.name} ${name} - ${spec.summary}`,
    "",
    `Usage: ${usageLine(name)}`,
    ...(spec.about !== undefined ? ["", ...wrap(spec.about, "")] : []),
    "",
    "Options:",
    ...optionRows({ ...spec.options, help: HELP_OPTION }),
    ...conflictRows(spec.conflicts ?? []),
    ...(spec.notes !== undefined ? ["", ...wrap(spec.notes, "")] : []),
  ].join("\n");
}

/** "--name VALUE" or "-h, --help". */
function optionLabel(name: string, o: OptionSpec): string {
  const short = o.short !== undefined ? `-${o.short}, ` : "";
  return `${short}--${name}${"valueName" in o ? ` ${o.valueName}` : ""}`;
}

function optionRows(options: Readonly<Record<string, OptionSpec>>): string[] {
  return table(Object.entries(options).map(([name, o]) => [optionLabel(name, o), ...optionDescription(o)]));
}

/** The options a command refuses together, each pair with the message that refuses it. */
function conflictRows(conflicts: NonNullable<CommandSpec["conflicts"]>): string[] {
  if (conflicts.length === 0) return [];
  const rows = conflicts.map(({ options, message }) => [options.map((o) => `--${o}`).join(", "), message] as const);
  return ["", "Not together:", ...table(rows)];
}

/** The option's help with what the spec adds: the first entry is the sentence, the others are lines below it. */
function optionDescription(o: OptionSpec): string[] {
  switch (o.type) {
    case "boolean":
      return [o.requiredBecause !== undefined ? `${o.help} (required: ${o.requiredBecause})` : o.help];
    case "string":
    case "file": {
      const fallback = o.default ?? o.defaultText;
      return [fallback !== undefined ? `${o.help} (default ${fallback})` : o.help];
    }
    case "int":
      return [`${o.help}, ${o.min} to ${o.max} (default ${o.default})`];
    case "choice": {
      const width = Math.max(...Object.keys(o.choices).map((c) => c.length));
      return [
        `${o.help}, one of (default ${o.default}):`,
        ...Object.entries(o.choices).map(([c, board]) => `  ${c.padEnd(width)}  ${board.description}`),
      ];
    }
    case "fault": {
      const refused = Object.values(FAULT_FAMILIES)
        .flat()
        .filter((k) => !o.kinds.includes(k));
      return [
        `${o.help}; repeatable. Kinds:`,
        ...Object.entries(FAULT_FAMILIES).flatMap(([family, kinds]) => {
          const accepted = kinds.filter((k) => o.kinds.includes(k));
          return accepted.length === 0 ? [] : [`  ${family}: ${accepted.join(" ")}`];
        }),
        ...(refused.length === 0
          ? []
          : [`  not here: ${refused.join(" ")}${o.refusedBecause !== undefined ? ` (each ${o.refusedBecause})` : ""}`]),
      ];
    }
  }
}

/** Two columns: the first padded to its widest entry, the second (and its extra lines) wrapped beside it. */
function table(rows: readonly (readonly [string, ...string[]])[]): string[] {
  const width = Math.max(...rows.map(([left]) => left.length));
  const indent = " ".repeat(2 + width + 3);
  return rows.flatMap(([left, first = "", ...more]) => {
    const [head = "", ...tail] = wrap(first, indent, `  ${left.padEnd(width)}   `);
    return [head, ...tail, ...more.flatMap((line) => wrap(line, `${indent}    `, indent))];
  });
}

/** Greedy word wrap to WIDTH_COLUMNS; the first line starts with `lead`, the others with `indent`. */
function wrap(text: string, indent: string, lead = indent): string[] {
  const lines: string[] = [];
  let line = lead;
  let empty = true;
  for (const word of text.split(" ")) {
    if (!empty && line.length + 1 + word.length > WIDTH_COLUMNS) {
      lines.push(line);
      line = indent + word;
    } else line += (empty ? "" : " ") + word;
    empty = false;
  }
  lines.push(line);
  return lines;
}
