// Composition of one session run: picks the scheduler (virtual or wall clock), the board (built-in
// simulated rig or a serial port), wires fault injection, and runs the SessionController. The CLI and the
// integration tests both call runSession; nothing else builds these parts. The simulator is imported only
// when the session uses it: a run on a real port never loads it (nor the AVR emulator).

import {
  ScriptedDotSource,
  SessionController,
  planSession,
  type ControllerEvent,
  type LoopTiming,
  type RunOutcome,
} from "../control/controller.ts";
import { VirtualScheduler, type Scheduler } from "../time/scheduler.ts";
import { WallClockScheduler } from "../wallclock/scheduler.ts";
import type { LoadedMachine, LoadedProfile } from "../profiles/load.ts";
import type { SessionNumber } from "../profiles/schema.ts";
import type { SessionSink } from "../ports/session-sink.ts";
import { SmpError } from "../errors/errors.ts";
import { isHostFault, type FaultSpec } from "../sim/faults.ts";
import type { SimRig } from "../sim/rig.ts";
import type { SimBoard } from "../sim/session-board.ts";
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
  let sim: SimBoard | undefined;
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
    if (rigFaults.length > 0)
      throw new SmpError(
        "USAGE",
        `--fault ${rigFaults[0]!.kind} needs the simulated board; ` +
          "on a real port only estop, stop and hang (with atMs=)",
      );
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
      if (world) world.when(f.trigger, action);
      else if ("atMs" in f.trigger) base.at(base.nowMs() + f.trigger.atMs, action);
      else
        throw new SmpError("USAGE", `--fault ${f.kind},atDot=... needs the simulated board; use atMs= on a real port`);
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

/** On a simulated board, the end record also carries the simulated world's truth (the deepest the needle tip
 * really went): added here, at the composition root, so the controller never knows about the simulator. */
export function withSimTruth(sink: SessionSink, sim: Pick<SimBoard, "trueDeepestTipUm"> | undefined): SessionSink {
  if (!sim) return sink;
  return {
    write: (r) => {
      const um = r.type === "end" ? sim.trueDeepestTipUm() : undefined;
      sink.write(r.type !== "end" || um === undefined ? r : { ...r, trueDeepestTipUm: um });
    },
  };
}
