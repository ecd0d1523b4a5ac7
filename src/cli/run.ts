// `smp run`: load the profile and the machine calibration, ask the run policy whether this run is allowed
// (here, before anything is opened, with the flags' names and the --sim board; runSession asks again), open
// the board (simulated, or a serial port), run the session with live progress, write the session record,
// print the summary. Ctrl-C (SIGINT or SIGTERM) once asks for STOP, twice for E-STOP. The exit code is the
// outcome's.

import { join, resolve } from "node:path";
import { runSession, type BoardTarget } from "../app/session.ts";
import type { ExitCode } from "../errors/errors.ts";
import { SessionFile } from "../log/file.ts";
import { summarize, type SessionRecord } from "../log/records.ts";
import type { SessionSink } from "../ports/session-sink.ts";
import { loadDepthProfileFile, loadMachineFile } from "../profiles/files.ts";
import { checkRunAllowed } from "../profiles/policy.ts";
import { DEFAULT_MACHINE_FILES, type SessionNumber } from "../profiles/schema.ts";
import { realPortRefusal } from "../sim/faults.ts";
import { openSerialTransport } from "../transport/serial.ts";
import { parseCommand, usage } from "./args.ts";
import { SIM_BOARDS } from "./boards.ts";
import type { COMMANDS } from "./commands.ts";
import { printHelp } from "./help.ts";
import { packageFile } from "./package.ts";
import { Progress } from "./progress.ts";
import { renderSummary } from "./render.ts";

/** The options that give the engineer's approval and the machine calibration, named in the policy's messages. */
const ENGINEER_OPTION = "engineer" satisfies keyof (typeof COMMANDS)["run"]["options"];
const MACHINE_OPTION = "machine" satisfies keyof (typeof COMMANDS)["run"]["options"];

export async function runCommand(args: readonly string[]): Promise<ExitCode> {
  const parsed = parseCommand("run", args);
  if (parsed.help) return printHelp("run");
  const v = parsed.values;
  const session = v.session as SessionNumber; // declared 1 to 3
  // refused before anything is opened (runSession would refuse it too, once the port is open)
  const refusedFault = v.port !== undefined ? realPortRefusal(v.fault) : undefined;
  if (refusedFault !== undefined) usage(refusedFault, "run");
  const board = SIM_BOARDS[v.sim];
  const profile = loadDepthProfileFile(v.profile);
  const machine = loadMachineFile(v.machine ?? packageFile(DEFAULT_MACHINE_FILES[board.machine]));
  checkRunAllowed(
    {
      profile,
      machine,
      machineName: `--${MACHINE_OPTION} ${machine.source}`,
      session,
      engineerApproved: v.engineer,
      ...(v.port === undefined ? { simulated: { machine: board.machine, name: `--sim ${v.sim}` } } : {}),
    },
    { engineer: `pass --${ENGINEER_OPTION} to confirm an engineer approved it` },
  );
  const startedAt = new Date().toISOString();
  const logPath = v.log ?? resolve(join("sessions", `${startedAt.replace(/[:.]/g, "-")}.jsonl`));
  const file = new SessionFile(logPath);
  let target: BoardTarget;
  try {
    target =
      v.port !== undefined
        ? { kind: "transport", transport: await openSerialTransport(v.port, v.baud) }
        : { kind: "sim", virtualTime: v["virtual-time"], seed: v.seed, firmware: board.firmware };
  } catch (e) {
    file.close();
    throw e;
  }
  const records: SessionRecord[] = [];
  const sink: SessionSink = {
    write: (r) => {
      file.write(r);
      records.push(r);
    },
  };
  const progress = new Progress(v.json, v.dots);
  let stopRequests = 0;
  let controllerRef: { operatorStop(): void; operatorEstop(): void } | undefined;
  const onSignal = () => {
    stopRequests++;
    if (stopRequests === 1) controllerRef?.operatorStop();
    else controllerRef?.operatorEstop();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const wallStart = performance.now();
  try {
    const result = await runSession({
      profile,
      machine,
      session,
      dots: v.dots,
      target,
      faults: v.fault,
      sink,
      startedAt,
      engineerApproved: v.engineer,
      unlockLatched: v.unlock,
      observer: (e) => progress.event(e),
      onController: (c) => {
        controllerRef = c;
      },
    });
    progress.done();
    const wallMs = performance.now() - wallStart;
    const summary = summarize(records);
    if (v.json) {
      console.log(
        JSON.stringify({
          type: "summary",
          ...summary,
          outcome: result.outcome.outcome,
          exitCode: result.outcome.exitCode,
          message: result.outcome.message,
          log: logPath,
          wallMs: Math.round(wallMs),
          boardTimeMs: Math.round(result.elapsedMs),
        }),
      );
    } else {
      const transport =
        target.kind === "sim" ? `${board.description}${target.virtualTime ? " (virtual time)" : ""}` : String(v.port);
      console.log(renderSummary(summary, { message: result.outcome.message, logPath, wallMs, transport }));
    }
    return result.outcome.exitCode;
  } finally {
    file.close();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
