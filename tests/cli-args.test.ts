// The smp command line declared once (src/cli/commands.ts): every --help text shows what the declaration
// says (each option with its value name, default, range and choices; every fault kind of the fault module),
// and parsing follows it (defaults, ranges, choices, conflicts, required options, positional arguments).
// In process; tests/cli.test.ts runs the bin entry.

import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { EXIT_CODES, SmpError } from "../src/errors/errors.ts";
import { MACHINE_KINDS } from "../src/profiles/schema.ts";
import { LINK } from "../src/protocol/table.ts";
import { BYTE_FAULTS, DEVICE_FAULTS, HOST_FAULTS } from "../src/sim/faults.ts";
import { parseCommand, route, type Route } from "../src/cli/args.ts";
import { SIM_BOARDS } from "../src/cli/boards.ts";
import { COMMANDS, GROUPS, type CommandName, type CommandSpec, type OptionSpec } from "../src/cli/commands.ts";
import { helpText, usageLine } from "../src/cli/help.ts";
import { packageFile } from "../src/cli/package.ts";

const NAMES = Object.keys(COMMANDS) as CommandName[];
const ALL_FAULTS = [...BYTE_FAULTS, ...DEVICE_FAULTS, ...HOST_FAULTS];

/** The help text with its wrapping undone, so a phrase split over two lines is still found. */
const flat = (text: string) => text.replace(/\s+/g, " ");

function usageError(fn: () => unknown): SmpError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SmpError);
    expect((e as SmpError).exitCode).toBe(2);
    return e as SmpError;
  }
  throw new Error("expected a usage error");
}

/** What parseCommand gives for these arguments (not --help). */
function values<N extends CommandName>(name: N, args: string[]) {
  const p = parseCommand(name, args);
  if (p.help) throw new Error("unexpected --help");
  return p.values;
}

/** A value the option accepts, for building command lines. */
function sample(o: OptionSpec): string[] {
  switch (o.type) {
    case "boolean":
      return [];
    case "int":
      return [String(o.max)];
    case "choice":
      return [Object.keys(o.choices).at(-1)!];
    case "fault":
      return [o.kinds[0]!];
    default:
      return ["x.json"];
  }
}

describe("--help, derived from the declaration", () => {
  it.each(NAMES)("smp %s --help shows every declared option with its value name, default and range", (name) => {
    const help = flat(helpText(name));
    expect(help).toContain(`Usage: ${usageLine(name)}`);
    expect(help).toContain(COMMANDS[name].summary);
    expect(help).toContain("-h, --help");
    for (const [option, o] of Object.entries(COMMANDS[name].options) as [string, OptionSpec][]) {
      const label = `--${option}${"valueName" in o ? ` ${o.valueName}` : ""}`;
      expect(help, label).toMatch(new RegExp(`(^| )${label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} `));
      expect(help, label).toContain(flat(o.help));
      if (o.type === "int") expect(help, label).toContain(`${o.min} to ${o.max} (default ${o.default})`);
      if (o.type === "choice") {
        expect(help, label).toContain(`(default ${o.default})`);
        for (const [choice, board] of Object.entries(o.choices))
          expect(help).toContain(`${choice} ${board.description}`);
      }
      if ((o.type === "file" || o.type === "string") && o.default !== undefined)
        expect(help, label).toContain(`(default ${o.default})`);
    }
    for (const line of helpText(name).split("\n")) expect(line.length, line).toBeLessThanOrEqual(110);
  });

  it("smp run --help lists every fault kind of the fault module, by family", () => {
    const help = flat(helpText("run"));
    for (const kind of ALL_FAULTS) expect(help).toMatch(new RegExp(` ${kind}( |$)`));
    expect(help).toContain("actuator-feedback-stuck"); // the kind the hand-written help had missed
    expect(help).toContain(`byte: ${BYTE_FAULTS.join(" ")}`);
    expect(help).toContain(`device: ${DEVICE_FAULTS.join(" ")}`);
    expect(help).toContain(`host: ${HOST_FAULTS.join(" ")}`);
  });

  it("smp sim --help lists the rig's fault kinds and not the host-side ones", () => {
    const help = flat(helpText("sim"));
    expect(help).toContain(`byte: ${BYTE_FAULTS.join(" ")}`);
    expect(help).toContain(`device: ${DEVICE_FAULTS.join(" ")}`);
    expect(help).not.toContain("host:");
    // the host-side kinds, named as refused here, with the reason the declaration gives
    const refused = `not here: ${HOST_FAULTS.join(" ")} (each ${COMMANDS.sim.options.fault.refusedBecause})`;
    expect(COMMANDS.sim.options.fault.refusedBecause).toMatch(/host-side/);
    expect(help).toContain(refused);
    expect(flat(helpText("run"))).not.toContain("not here:");
    expect(help).toContain("Try: smp run --port PATH.");
  });

  it("every --help shows the options its command refuses together, with the message", () => {
    for (const name of NAMES) {
      const spec: CommandSpec = COMMANDS[name];
      const conflicts = spec.conflicts ?? [];
      const lines = helpText(name).split("\n");
      const heading = lines.indexOf("Not together:");
      expect(heading >= 0, name).toBe(conflicts.length > 0);
      // one row per conflict, in order, right below the heading
      conflicts.forEach(({ options, message }, i) => {
        const row = lines[heading + 1 + i]?.trim().split(/ {2,}/);
        expect(row).toEqual([options.map((o) => `--${o}`).join(", "), message]);
      });
    }
    expect(COMMANDS.run.conflicts.length).toBeGreaterThan(0);
  });

  it("offers a simulated board for every machine kind of the schema, plus the firmware", () => {
    expect(Object.keys(SIM_BOARDS)).toEqual([...MACHINE_KINDS, "firmware"]);
    for (const kind of MACHINE_KINDS) expect(SIM_BOARDS[kind].machine).toBe(kind);
    expect(helpText("run")).toContain(`default ${LINK.baud}`);
  });

  it("the README names every fault kind the fault module knows", () => {
    const readme = readFileSync(packageFile("README.md"), "utf8");
    for (const kind of [...BYTE_FAULTS, ...DEVICE_FAULTS, ...HOST_FAULTS]) expect(readme).toContain(`\`${kind}\``);
  });

  it("the README's exit-code list is the one table's (EXIT_CODES): every code, its meaning, nothing else", () => {
    const readme = readFileSync(packageFile("README.md"), "utf8");
    // the list after the "Exit codes" line: items "- `N` meaning", continued on lines indented by two spaces
    const list = /^Exit codes\b.*\n\n((?:- .*\n(?: {2}\S.*\n)*)+)/m.exec(readme)?.[1];
    expect(list).toBeDefined();
    const items = flat(list ?? "")
      .split(/(?:^| )- (?=`)/)
      .filter((item) => item.trim() !== "")
      .map((item) => /^`(\d+)` (.*?)\s*$/.exec(item)?.slice(1) ?? ["not an exit code", item]);
    expect(Object.fromEntries(items)).toEqual(Object.fromEntries(Object.entries(EXIT_CODES)));
    expect(items).toHaveLength(Object.keys(EXIT_CODES).length);
  });

  it("the command list shows every command and group, and the program options", () => {
    const main = helpText(undefined);
    for (const name of NAMES)
      expect(main).toMatch(new RegExp(`^  ${usageLine(name).replace(/[.[\]]/g, "\\$&")} `, "m"));
    expect(main).toContain("-V, --version");
    // every exit code of the one table, with the start of its meaning
    for (const [code, doc] of Object.entries(EXIT_CODES))
      expect(main).toContain(`\n  ${code}  ${doc.split(" ").slice(0, 3).join(" ")}`);
    for (const group of Object.keys(GROUPS) as (keyof typeof GROUPS)[]) {
      const help = helpText(group);
      expect(help).toContain(GROUPS[group].summary);
      const members = NAMES.filter((n) => n.startsWith(`${group} `));
      expect(members.length).toBeGreaterThan(0);
      for (const n of members) expect(help).toContain(usageLine(n));
    }
  });
});

describe("routing", () => {
  const routeOf = (...argv: string[]): Route => route(argv);

  it("names the command, the help or the version", () => {
    expect(routeOf()).toEqual({ kind: "help", topic: undefined });
    expect(routeOf("--help")).toEqual({ kind: "help", topic: undefined });
    expect(routeOf("-h")).toEqual({ kind: "help", topic: undefined });
    expect(routeOf("help", "profile", "show")).toEqual({ kind: "help", topic: "profile show" });
    expect(routeOf("--help", "run")).toEqual({ kind: "help", topic: "run" });
    expect(routeOf("profile")).toEqual({ kind: "help", topic: "profile" });
    expect(routeOf("profile", "--help")).toEqual({ kind: "help", topic: "profile" });
    expect(routeOf("--version")).toEqual({ kind: "version" });
    expect(routeOf("-V")).toEqual({ kind: "version" });
    expect(routeOf("run", "--dots", "3")).toEqual({ kind: "command", name: "run", args: ["--dots", "3"] });
    expect(routeOf("profile", "show", "a.json")).toEqual({ kind: "command", name: "profile show", args: ["a.json"] });
  });

  it("refuses unknown commands and options, naming them", () => {
    expect(usageError(() => routeOf("frobnicate")).message).toMatch(/^unknown command 'frobnicate'/);
    expect(usageError(() => routeOf("profile", "frob", "x")).message).toMatch(/^unknown profile command 'frob'/);
    expect(usageError(() => routeOf("help", "nope")).message).toMatch(/^unknown command 'nope'/);
    expect(usageError(() => routeOf("--bogus")).message).toMatch(/'--bogus'/);
    expect(usageError(() => routeOf("profile", "--bogus")).message).toMatch(/'--bogus'/);
    expect(usageError(() => routeOf("--version", "x")).message).toMatch(/unexpected argument 'x'/);
  });
});

describe("parsing, derived from the declaration", () => {
  it("gives every option its declared default; file defaults are the package's files", () => {
    const v = values("run", []);
    expect(v).toMatchObject({
      profile: packageFile("profiles/demo.json"),
      machine: undefined,
      sim: "rotary",
      port: undefined,
      baud: LINK.baud,
      session: 1,
      dots: 40,
      fault: [],
      "virtual-time": false,
      seed: 1,
      engineer: false,
      unlock: false,
      json: false,
    });
  });

  it("converts given values: paths resolved, numbers, choices, repeated fault specs", () => {
    const v = values("run", [
      "--log",
      "s.jsonl",
      "--dots",
      "7",
      "--sim",
      "coil",
      "--fault",
      "stall",
      "--fault",
      "estop",
    ]);
    expect(v.log).toBe(`${process.cwd()}/s.jsonl`);
    expect(v.dots).toBe(7);
    expect(v.sim).toBe("coil");
    expect(v.fault.map((f) => f.kind)).toEqual(["stall", "estop"]);
  });

  it("refuses a whole number outside its declared range, naming field, value and limit", () => {
    for (const name of NAMES) {
      for (const [option, o] of Object.entries(COMMANDS[name].options) as [string, OptionSpec][]) {
        if (o.type !== "int") continue;
        const required = [...(name === "sim" ? ["--pty"] : []), ...COMMANDS[name].args.map((a) => a.name)];
        for (const bad of [String(o.min - 1), String(o.max + 1), "1.5", "", "ten"]) {
          const e = usageError(() => parseCommand(name, [...required, `--${option}=${bad}`]));
          expect(e.details).toEqual([{ field: `--${option}`, value: bad, limit: `${o.min}..${o.max}` }]);
        }
        expect(values(name, [...required, `--${option}`, String(o.min)])).toMatchObject({ [option]: o.min });
      }
    }
  });

  it("refuses a choice it does not declare, and a fault kind the command does not serve", () => {
    expect(usageError(() => parseCommand("run", ["--sim", "banana"])).message).toMatch(
      /^--sim = "banana": expected rotary, coil or firmware/,
    );
    expect(usageError(() => parseCommand("run", ["--fault", "meteor"])).message).toMatch(/kind = "meteor"/);
    for (const kind of HOST_FAULTS)
      expect(usageError(() => parseCommand("sim", ["--pty", "--fault", kind])).message).toMatch(/host-side/);
    for (const kind of ALL_FAULTS) expect(values("run", ["--fault", kind]).fault[0]?.kind).toBe(kind);
  });

  it("refuses declared conflicts and a missing required option", () => {
    for (const { options, message } of COMMANDS.run.conflicts) {
      const args = options.flatMap((o) => [`--${o}`, ...sample(COMMANDS.run.options[o])]);
      expect(usageError(() => parseCommand("run", args)).message).toMatch(new RegExp(`^${message}`));
      expect(() => parseCommand("run", args.slice(0, args.indexOf(`--${options[1]}`)))).not.toThrow();
    }
    expect(usageError(() => parseCommand("sim", [])).message).toMatch(/^smp sim needs --pty/);
  });

  it.each(NAMES)("smp %s refuses a positional argument it does not declare, naming it (exit 2)", (name) => {
    const spec: CommandSpec = COMMANDS[name];
    const required = name === "sim" ? ["--pty"] : [];
    const given = spec.args.map((a) => `${a.name.toLowerCase()}.json`);
    if (spec.args.at(-1)?.repeat === true) {
      expect(values(name, [...given, "more.json", "andmore.json"])).toBeDefined();
    } else {
      const e = usageError(() => parseCommand(name, [...required, ...given, "extra"]));
      expect(e.message).toMatch(new RegExp(`^unexpected argument 'extra': smp ${name} takes `));
      expect(e.message).toContain(`Run 'smp ${name} --help' for usage.`);
    }
    for (const [i, a] of spec.args.entries()) {
      const e = usageError(() => parseCommand(name, [...required, ...given.slice(0, i)]));
      expect(e.message).toMatch(new RegExp(`^smp ${name} needs a ${a.name}`));
    }
    expect(parseCommand(name, ["extra", "--help"])).toEqual({ help: true });
  });

  it("refuses an unknown option for every command", () => {
    for (const name of NAMES) expect(usageError(() => parseCommand(name, ["--bogus"])).message).toMatch(/'--bogus'/);
  });

  it("declares conflicts only between declared options", () => {
    for (const name of NAMES) {
      const spec: CommandSpec = COMMANDS[name];
      for (const c of spec.conflicts ?? []) for (const o of c.options) expect(Object.keys(spec.options)).toContain(o);
    }
  });
});
