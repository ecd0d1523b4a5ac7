// `smp`: the command line and the one composition root of the product. The commands, their options and
// every --help text come from one declaration (commands.ts, parsed by args.ts, rendered by help.ts); each
// command lives in its own module, loaded when it runs. Errors become `smp: message` on stderr and the
// SmpError's exit code; a session's exit code is its outcome's.

import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ERROR_CODES, SmpError, type ExitCode } from "../errors/errors.ts";
import { route } from "./args.ts";
import type { CommandName } from "./commands.ts";
import { printHelp } from "./help.ts";
import { versionText } from "./version.ts";

/** One handler per declared command (the type makes a missing one a compile error). */
const HANDLERS: Record<CommandName, (args: readonly string[]) => Promise<ExitCode> | ExitCode> = {
  run: async (args) => (await import("./run.ts")).runCommand(args),
  "session start": async (args) => (await import("./session.ts")).startCommand(args),
  "session resume": async (args) => (await import("./session.ts")).resumeCommand(args),
  "profile validate": async (args) => (await import("./profile.ts")).validateCommand(args),
  "profile show": async (args) => (await import("./profile.ts")).showCommand(args),
  ports: async (args) => (await import("./ports.ts")).portsCommand(args),
  sim: async (args) => (await import("./sim.ts")).simCommand(args),
  console: async (args) => (await import("./console.ts")).consoleCommand(args),
};

export async function main(argv: readonly string[]): Promise<ExitCode> {
  try {
    const r = route(argv);
    switch (r.kind) {
      case "help":
        return printHelp(r.topic);
      case "version":
        console.log(versionText());
        return 0;
      case "command":
        return await HANDLERS[r.name](r.args);
    }
  } catch (e) {
    if (e instanceof SmpError) {
      console.error(`smp: ${e.message}`);
      return e.exitCode;
    }
    console.error(`smp: internal error: ${(e as Error).stack ?? String(e)}`);
    return ERROR_CODES.INTERNAL.exit;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
