// Composition of one session run: picks the scheduler (virtual or wall clock), the board (built-in
// simulated rig or a serial port), wires fault injection, and runs the SessionController. The CLI and the
// integration tests both call runSession; nothing else builds these parts. Before anything starts it refuses a
// run the run policy (profiles/policy.ts) does not allow and faults a real port cannot act out, whoever the
// caller. The simulator is imported only when the session uses it: a run on a real port never loads it (nor
// the AVR emulator).

import { SessionController } from "../control/controller.ts";
import { ScriptedDotSource, planSession } from "../control/dot-source.ts";
import type { ControllerEvent, RunOutcome } from "../control/session-types.ts";
import type { LoopTiming } from "../control/timing.ts";
import { VirtualScheduler, type Scheduler } from "../time/scheduler.ts";
import { WallClockScheduler } from "../wallclock/scheduler.ts";
import type { LoadedMachine, LoadedProfile } from "../profiles/load.ts";
import { checkRunAllowed } from "../profiles/policy.ts";
import type { SessionNumber } from "../profiles/schema.ts";
import type { SessionSink } from "../ports/session-sink.ts";
import { SmpError } from "../errors/errors.ts";
import { isHostFault, realPortRefusal, type FaultSpec } from "../sim/faults.ts";
import type { SimRig } from "../sim/rig.ts";
import type { SessionSimBoard } from "../sim/session-board.ts";
import type { LineTransport } from "../ports/line-transport.ts";

export type BoardTarget =
  | { readonly kind: "sim"; readonly virtualTime: boolean; readonly seed?: number; readonly firmware?: boolean }
  | { readonly kind: "transport"; readonly transport: LineTransport };

export interface RunOptions {
  readonly profile: LoadedProfile;
  readonly machine: LoadedMachine;
  readonly session: SessionNumber;
  readonly dots: number;
  readonly target: BoardTarget;
  readonly faults?: readonly FaultSpec[];
  readonly sink: SessionSink;
  readonly startedAt: string;
  readonly timing?: LoopTiming;
  readonly observer?: (e: ControllerEvent) => void;
  /** An engineer approved a profile in the engineer envelope (--engineer); without it one is refused. */
  readonly engineerApproved?: boolean;
  /** Clear a latched board alarm other than POWER_UP at the start (--unlock). */
  readonly unlockLatched?: boolean;
  /** Lets the caller reach the controller (operator stop and e-stop from signal handlers). */
  readonly onController?: (c: SessionController) => void;
}

export interface RunResult {
  readonly outcome: RunOutcome;
  readonly rig: SimRig | undefined;
  readonly controller: SessionController;
  /** Scheduler time at the end, ms (virtual or wall). */
  readonly elapsedMs: number;
}

export async function runSession(o: RunOptions): Promise<RunResult> {
  await refuseBeforeStart(o);
  const virtual = o.target.kind === "sim" && o.target.virtualTime;
  const base: Scheduler = virtual ? new VirtualScheduler() : new WallClockScheduler();
  const plan = planSession(o.profile, o.session, o.dots);
  const hostFaults = (o.faults ?? []).filter(isHostFault);
  const rigFaults = (o.faults ?? []).filter((f) => !isHostFault(f));
  // the simulator (and the hang fault's freezable scheduler) is loaded only when it is used
  const freezable =
    o.target.kind === "sim" || hostFaults.some((f) => f.kind === "hang")
      ? new (await import("../sim/host-freeze.ts")).FreezableScheduler(base)
      : undefined;
  const hostScheduler: Scheduler = freezable ?? base;
  let sim: SessionSimBoard | undefined;
  let transport: LineTransport;
  if (o.target.kind === "sim") {
    const { openSimBoard } = await import("../sim/session-board.ts");
    sim = await openSimBoard({
      base,
      virtualTime: virtual,
      host: freezable!,
      machine: o.machine.calibration,
      seed: o.target.seed ?? 1,
      firmware: o.target.firmware ?? false,
      faults: rigFaults,
    });
    transport = sim.transport;
  } else {
    transport = o.target.transport;
  }
  const world = sim?.world;
  try {
    const controller = new SessionController({
      scheduler: hostScheduler,
      transport,
      sink: withSimTruth(o.sink, sim),
      profile: o.profile,
      machine: o.machine,
      session: o.session,
      source: new ScriptedDotSource(plan),
      startedAt: o.startedAt,
      unlockLatched: o.unlockLatched ?? false,
      ...(o.timing ? { timing: o.timing } : {}),
      ...(o.observer ? { observer: o.observer } : {}),
      ...(world ? { onDotSent: (n: number, zone: string) => world.setZone(n, zone) } : {}),
    });
    o.onController?.(controller);
    for (const f of hostFaults) {
      const action =
        f.kind === "estop"
          ? () => controller.operatorEstop()
          : f.kind === "stop"
            ? () => controller.operatorStop()
            : () => freezable!.freezeForMs(f.forMs ?? 1000);
      if (world) world.when(f.trigger, action, f.kind);
      else if ("atMs" in f.trigger) base.at(base.nowMs() + f.trigger.atMs, action);
      else throw new SmpError("INTERNAL", `--fault ${f.kind} on a real port passed realPortRefusal`);
    }
    const done = controller.run();
    if (base instanceof VirtualScheduler) {
      const limitMs = 20_000 + o.dots * (o.profile.profile.dotIntervalMs + 500);
      base.runUntilCondition(() => controller.outcome !== undefined, limitMs);
      if (!controller.outcome)
        throw new SmpError("INTERNAL", `virtual-time session did not end within ${limitMs} ms of simulated time`);
    }
    const outcome = await done;
    return { outcome, rig: sim?.rig, controller, elapsedMs: base.nowMs() };
  } finally {
    await transport.close();
  }
}

/** Refuses a run that may not start, before anything moves; a port given to a refused run is closed. */
async function refuseBeforeStart(o: RunOptions): Promise<void> {
  try {
    const refused = o.target.kind === "transport" ? realPortRefusal(o.faults ?? []) : undefined;
    if (refused !== undefined) throw new SmpError("USAGE", refused);
    const { profile, machine, session } = o;
    checkRunAllowed({ profile, machine, session, engineerApproved: o.engineerApproved ?? false });
  } catch (e) {
    if (o.target.kind === "transport") await o.target.transport.close();
    throw e;
  }
}

/** On a simulated board, the end record also carries the simulated world's truth (the deepest the needle tip
 * really went): added here, at the composition root, so the controller never knows about the simulator. */
export function withSimTruth(
  sink: SessionSink,
  sim: Pick<SessionSimBoard, "trueDeepestTipUm"> | undefined,
): SessionSink {
  if (!sim) return sink;
  return {
    write: (r) => {
      const um = r.type === "end" ? sim.trueDeepestTipUm() : undefined;
      sink.write(r.type !== "end" || um === undefined ? r : { ...r, trueDeepestTipUm: um });
    },
  };
}
