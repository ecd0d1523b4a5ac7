// `smp sim --pty`: serve a simulated board (the TypeScript model or the emulated firmware) on a
// pseudo-terminal, print the client's device path as the first line of stdout, run until SIGINT or SIGTERM.
// The simulator is loaded with a dynamic import, only here.

import type { ExitCode } from "../errors/errors.ts";
import { loadMachineFile } from "../profiles/files.ts";
import { DEFAULT_MACHINE_FILES } from "../profiles/schema.ts";
import { parseCommand } from "./args.ts";
import { SIM_BOARDS } from "./boards.ts";
import { printHelp } from "./help.ts";
import { packageFile } from "./package.ts";

export async function simCommand(args: readonly string[]): Promise<ExitCode> {
  const parsed = parseCommand("sim", args);
  if (parsed.help) return printHelp("sim");
  const v = parsed.values;
  const board = SIM_BOARDS[v.sim];
  const machine = loadMachineFile(v.machine ?? packageFile(DEFAULT_MACHINE_FILES[board.machine]));
  const { servePtyBoard } = await import("../sim/pty.ts");
  const served = await servePtyBoard(machine.calibration, v.fault, v.seed, board.firmware);
  console.log(served.clientPath);
  await new Promise<void>((res) => {
    process.once("SIGINT", res);
    process.once("SIGTERM", res);
  });
  await served.stop();
  return 0;
}
