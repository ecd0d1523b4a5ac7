// `smp`: the command line and the one composition root of the product. Parses flags, loads files, runs a
// session (simulated board or serial port), renders live progress and the summary, maps outcomes to exit
// codes: 0 done, 1 internal error, 2 invalid input or usage, 3 stopped by a safety fault or e-stop.

import { readFileSync } from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SmpError } from "../errors/errors.ts";
import { loadDepthProfileFile, loadMachineFile } from "../profiles/files.ts";
import { dotSettings } from "../profiles/load.ts";
import { checkRunAllowed } from "../profiles/policy.ts";
import type { SessionNumber } from "../profiles/schema.ts";
import { SessionFile } from "../log/file.ts";
import { summarize, type SessionRecord } from "../log/records.ts";
import type { SessionSink } from "../ports/session-sink.ts";
import { isHostFault, parseFaultSpec } from "../sim/faults.ts";
import { runSession, type BoardTarget } from "../app/session.ts";
import { openSerialTransport, listSerialPorts } from "../transport/serial.ts";
import type { ControllerEvent } from "../control/controller.ts";
import { LINK } from "../protocol/table.ts";
import { renderSummary } from "./render.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const DEFAULT_PROFILE = join(ROOT, "profiles/demo.json");
const DEFAULT_MACHINE = {
  rotary: join(ROOT, "profiles/machines/rotary-pmu.json"),
  coil: join(ROOT, "profiles/machines/coil-short.json"),
};

const HELP = {
  main: `smp - scalp micropigmentation rig controller

Usage:
  smp run [options]              run a session (default: demo on the built-in simulated rotary machine)
  smp profile validate FILE...   check depth profiles or machine calibrations
  smp profile show FILE          print a profile's zones and sessions
  smp ports                      list serial ports
  smp sim --pty [options]        serve a simulated board on a pseudo-terminal

Exit codes: 0 done, 1 internal error, 2 invalid input or usage, 3 stopped by a safety fault or e-stop.
Run 'smp COMMAND --help' for the options of a command.`,
  run: `smp run - run one SMP session

Options:
  --profile FILE     depth profile (default profiles/demo.json)
  --machine FILE     machine calibration (default: profiles/machines/rotary-pmu.json or coil-short.json)
  --sim KIND         built-in simulated board: rotary (default) or coil (the TypeScript board model),
                     or firmware (the real board firmware on an emulated ATmega328P, rotary machine)
  --port PATH        a real board on this serial port instead of the simulator
  --baud N           serial baud rate (default ${LINK.baud})
  --session N        session 1, 2 or 3 (default 1)
  --dots N           dots to place, spread over the session's zones (default 40)
  --log FILE         session record, JSON Lines (default sessions/<start time>.jsonl)
  --fault SPEC       inject a fault (repeatable), e.g. stall, estop,atDot=5, flip,rate=0.001, hang,forMs=800
                     kinds: flip drop dup delay disconnect unplug stall slow overshoot overcurrent
                     sensor-stuck sensor-dropout reset pedal-stuck pedal-release estop-button
                     estop stop hang
  --virtual-time     run the simulator in simulated time, as fast as the machine allows
  --seed N           simulator random seed (default 1)
  --engineer         allow a profile that declares the engineer envelope (deeper than 1.2 mm)
  --unlock           clear a latched board alarm other than POWER_UP at the start (after finding its cause)
  --json             machine-readable output: one JSON event per line, then the summary
  -h, --help         this help

Ctrl-C once: STOP (needle parks, session holds). Twice: E-STOP.`,
  profile:
    "smp profile validate FILE...   validate depth profiles and machine calibrations; exit 2 on the first bad file\n" +
    "smp profile show FILE          print a profile's zones and sessions as a table",
  ports: `smp ports   list the serial ports this system can see (exit 1 when it cannot enumerate them)`,
  sim:
    `smp sim --pty [--sim rotary|coil|firmware] [--machine FILE] [--fault SPEC]... [--seed N]

Serves a simulated board on a pseudo-terminal (made by scripts/pty-pair.py, python3) and prints the path ` +
    `a client opens as the
first line of stdout, then runs until SIGINT or SIGTERM. Try: smp run --port <path>.
Faults are those of smp run except the host-side ones (estop, stop, hang).`,
};

function usage(message: string): never {
  throw new SmpError("USAGE", `${message}\nRun 'smp --help' for usage.`);
}

type Options = NonNullable<ParseArgsConfig["options"]>;
const HELP_FLAG = { help: { type: "boolean", short: "h" } } as const;

function parse<T extends Options>(args: string[], options: T) {
  try {
    return parseArgs({
      args,
      options: { ...options, ...HELP_FLAG },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    return usage((e as Error).message);
  }
}

function intFlag(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new SmpError("USAGE", `--${name} = ${JSON.stringify(value)}: expected a whole number from ${min} to ${max}`, [
      { field: `--${name}`, value, limit: `${min}..${max}` },
    ]);
  }
  return n;
}

async function cmdRun(args: string[]): Promise<number> {
  const { values: v } = parse(args, {
    profile: { type: "string" },
    machine: { type: "string" },
    sim: { type: "string" },
    port: { type: "string" },
    baud: { type: "string" },
    session: { type: "string" },
    dots: { type: "string" },
    log: { type: "string" },
    fault: { type: "string", multiple: true },
    "virtual-time": { type: "boolean" },
    seed: { type: "string" },
    engineer: { type: "boolean" },
    json: { type: "boolean" },
    unlock: { type: "boolean" },
  } as const);
  if (v.help) return print(HELP.run);
  if (v.sim !== undefined && v.port !== undefined) usage("give --sim or --port, not both");
  const sim = simChoice(v.sim);
  if (v.port !== undefined && v["virtual-time"]) usage("--virtual-time needs the simulated board, not --port");
  const session = intFlag("session", v.session, 1, 1, 3) as SessionNumber;
  const dots = intFlag("dots", v.dots, 40, 1, 100_000);
  const seed = intFlag("seed", v.seed, 1, 0, 2 ** 31);
  const faults = (v.fault ?? []).map(parseFaultSpec);
  if (v.port !== undefined) {
    const simOnly = faults.find((f) => !isHostFault(f) || !("atMs" in f.trigger));
    if (simOnly)
      usage(
        `--fault ${simOnly.kind}` +
          `${isHostFault(simOnly) ? " needs atMs= on a real port" : " needs the simulated board (--sim)"}`,
      );
  }
  const profile = loadDepthProfileFile(resolve(v.profile ?? DEFAULT_PROFILE));
  const machine = loadMachineFile(resolve(v.machine ?? DEFAULT_MACHINE[sim.machine]));
  checkRunAllowed(
    {
      profile,
      machine,
      session,
      engineerApproved: Boolean(v.engineer),
      ...(v.port === undefined ? { simulated: { machine: sim.machine, name: `--sim ${sim.name}` } } : {}),
    },
    { engineer: "pass --engineer to confirm an engineer approved it" },
  );
  const startedAt = new Date().toISOString();
  const logPath = resolve(v.log ?? join("sessions", `${startedAt.replace(/[:.]/g, "-")}.jsonl`));
  const file = new SessionFile(logPath);
  let target: BoardTarget;
  try {
    target =
      v.port !== undefined
        ? {
            kind: "transport",
            transport: await openSerialTransport(v.port, intFlag("baud", v.baud, LINK.baud, 1200, 4_000_000)),
          }
        : { kind: "sim", virtualTime: Boolean(v["virtual-time"]), seed, firmware: sim.firmware };
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
  const json = Boolean(v.json);
  const progress = new Progress(json, dots);
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
      dots,
      target,
      faults,
      sink,
      startedAt,
      unlockLatched: Boolean(v.unlock),
      observer: (e) => progress.event(e),
      onController: (c) => {
        controllerRef = c;
      },
    });
    progress.done();
    const wallMs = performance.now() - wallStart;
    const summary = summarize(records);
    if (json) {
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
      console.log(
        renderSummary(summary, {
          message: result.outcome.message,
          logPath,
          wallMs,
          transport:
            target.kind === "sim" ? `${sim.description}${target.virtualTime ? " (virtual time)" : ""}` : String(v.port),
        }),
      );
    }
    return result.outcome.exitCode;
  } finally {
    file.close();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** Live progress: one rewritten line on a terminal, a line per zone change otherwise; JSON events with --json. */
class Progress {
  private zone = "";
  private readonly tty = process.stdout.isTTY === true;
  constructor(
    private readonly json: boolean,
    private readonly total: number,
  ) {}

  event(e: ControllerEvent): void {
    if (this.json) return void console.log(JSON.stringify(e));
    if (e.type === "dot") {
      const r = e.record;
      const line =
        `state running  zone ${r.zone.padEnd(9)}  ` +
        `dot ${String(r.n).padStart(String(this.total).length)}/${this.total}  ` +
        `depth ${r.maxExtensionUm ?? "?"} um (target ${r.targetExtensionUm})  ` +
        `speed ${r.strokeHz.toFixed(1)}/s (set ${r.commandedStrokeHz})  strokes ${r.strokeCount}`;
      if (this.tty) process.stdout.write(`\r\x1b[2K${line}`);
      else if (r.zone !== this.zone || r.n === this.total) console.log(line);
      this.zone = r.zone;
    } else if (e.type === "state") {
      this.newline();
      console.log(`state ${e.from} -> ${e.to}${e.cause ? ` (${e.cause})` : ""}`);
    } else if (e.type === "fault") {
      this.newline();
      const r = e.record;
      console.log(
        `FAULT ${r.code} (${r.source}): ${r.detail}; ` +
          `needle parked ${r.parkedAfterMs === null ? "UNCONFIRMED" : `after ${r.parkedAfterMs} ms`}`,
      );
    } else {
      this.newline();
      console.log(e.message);
    }
  }

  private newline(): void {
    if (this.tty && this.zone) process.stdout.write("\n");
    this.zone = this.tty ? "" : this.zone;
  }

  done(): void {
    if (this.tty && this.zone) process.stdout.write("\n");
  }
}

function cmdProfile(args: string[]): number {
  const { values, positionals } = parse(args, {});
  const [sub, ...files] = positionals;
  if (values.help || sub === undefined) return print(HELP.profile);
  if (files.length === 0) usage(`smp profile ${sub} needs a FILE`);
  if (sub === "validate") {
    for (const f of files) {
      const text = loadAny(f);
      console.log(`ok  ${f}  ${text}`);
    }
    return 0;
  }
  if (sub === "show") {
    const p = loadDepthProfileFile(resolve(files[0]!));
    console.log(
      `${p.profile.name}  (envelope ${p.profile.envelope}, dot interval ${p.profile.dotIntervalMs} ms)\n` +
        `sha256 ${p.hash}\n`,
    );
    console.log(
      ["zone", "session", "needle", "target um", "strokes/s", "strokes", "dwell ms", "dots/cm2"]
        .map((h) => h.padEnd(11))
        .join(""),
    );
    for (const z of p.profile.zones) {
      for (const s of z.sessions) {
        const d = dotSettings(p.profile, z.zone, s.session);
        console.log(
          [
            z.zone,
            String(s.session),
            `${s.needle.configuration} ${s.needle.diameterMm}`,
            String(d.targetExtensionUm),
            String(d.strokeHz),
            String(d.strokes),
            d.dwellMs.toFixed(1),
            String(s.densityDotsPerCm2),
          ]
            .map((c) => c.padEnd(11))
            .join(""),
        );
      }
    }
    return 0;
  }
  return usage(`unknown profile command '${sub}'`);
}

/** Validate a depth profile or a machine calibration, choosing by its "kind". */
function loadAny(file: string): string {
  const path = resolve(file);
  let kind: unknown;
  try {
    kind = (JSON.parse(readText(path)) as { kind?: unknown }).kind;
  } catch {
    kind = undefined; // the loader reports the syntax error with the field
  }
  if (kind === "smp-machine-calibration") {
    const m = loadMachineFile(path);
    return `machine calibration (${m.calibration.machine}) sha256 ${m.hash}`;
  }
  const p = loadDepthProfileFile(path);
  return `depth profile (${p.profile.zones.length} zones) sha256 ${p.hash}`;
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

async function cmdPorts(args: string[]): Promise<number> {
  const { values } = parse(args, {});
  if (values.help) return print(HELP.ports);
  const ports = await listSerialPorts();
  if (ports.length === 0) console.log("no serial ports found");
  for (const p of ports)
    console.log(
      `${p.path}\t${p.manufacturer ?? ""}\t${p.vendorId ?? ""}:${p.productId ?? ""}\t${p.serialNumber ?? ""}`,
    );
  return 0;
}

async function cmdSim(args: string[]): Promise<number> {
  const { values: v } = parse(args, {
    pty: { type: "boolean" },
    sim: { type: "string" },
    machine: { type: "string" },
    fault: { type: "string", multiple: true },
    seed: { type: "string" },
  } as const);
  if (v.help) return print(HELP.sim);
  if (!v.pty) usage("smp sim needs --pty (the only way to serve a board so far)");
  const sim = simChoice(v.sim);
  const machine = loadMachineFile(resolve(v.machine ?? DEFAULT_MACHINE[sim.machine]));
  const faults = (v.fault ?? []).map(parseFaultSpec);
  const host = faults.find(isHostFault);
  if (host) usage(`--fault ${host.kind} is a host-side fault; give it to smp run`);
  const { servePtyBoard } = await import("../sim/pty.ts");
  const board = await servePtyBoard(machine.calibration, faults, intFlag("seed", v.seed, 1, 0, 2 ** 31), sim.firmware);
  console.log(board.clientPath);
  await new Promise<void>((res) => {
    process.once("SIGINT", res);
    process.once("SIGTERM", res);
  });
  await board.stop();
  return 0;
}

/** --sim rotary|coil: the TypeScript board model with that machine; --sim firmware: the real firmware, emulated. */
function simChoice(value: string | undefined): {
  name: string;
  machine: "rotary" | "coil";
  firmware: boolean;
  description: string;
} {
  const name = value ?? "rotary";
  if (name === "rotary" || name === "coil")
    return { name, machine: name, firmware: false, description: `simulated ${name} machine` };
  if (name === "firmware")
    return {
      name,
      machine: "rotary",
      firmware: true,
      description: "board firmware on an emulated ATmega328P, simulated rotary machine",
    };
  return usage(`--sim = ${JSON.stringify(name)}: expected rotary, coil or firmware`);
}

function print(text: string): number {
  console.log(text);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "run":
        return await cmdRun(rest);
      case "profile":
        return cmdProfile(rest);
      case "ports":
        return await cmdPorts(rest);
      case "sim":
        return await cmdSim(rest);
      case undefined:
      case "-h":
      case "--help":
      case "help":
        return print(HELP.main);
      default:
        return usage(`unknown command '${command}'`);
    }
  } catch (e) {
    if (e instanceof SmpError) {
      console.error(`smp: ${e.message}`);
      return e.exitCode;
    }
    console.error(`smp: internal error: ${(e as Error).stack ?? String(e)}`);
    return 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
