// Composition of one session run: picks the scheduler (virtual or wall clock), the board (built-in
// simulated rig or a serial port), wires fault injection, and runs the SessionController. The CLI and the
// integration tests both call runSession; nothing else builds these parts.

import {
  SessionController,
  planSession,
  type ControllerEvent,
  type LoopTiming,
  type RunOutcome,
} from "../control/controller.ts";
import { RealScheduler, VirtualScheduler, type Scheduler } from "../control/scheduler.ts";
import type { LoadedMachine, LoadedProfile } from "../profiles/load.ts";
import type { SessionNumber } from "../profiles/schema.ts";
import type { SessionSink } from "../log/records.ts";
import { SmpError } from "../errors/errors.ts";
import { SimRig, plantFromMachine } from "../sim/rig.ts";
import { startWorkerRig } from "../sim/rig-worker.ts";
import { isHostFault, whenTriggered, type FaultSpec } from "../sim/faults.ts";
import type { LineTransport } from "../control/transport.ts";

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

/**
 * A scheduler whose callbacks can be frozen: models a host process that stops running (GC pause, hung
 * event loop). Timers that fall due while frozen run when it thaws, late, as they would in a real process.
 */
class FreezableScheduler implements Scheduler {
  frozenUntilMs = -Infinity;
  constructor(private readonly inner: Scheduler) {}
  nowMs(): number {
    return this.inner.nowMs();
  }
  at(tMs: number, fn: () => void): () => void {
    let cancel = this.inner.at(tMs, () =>
      this.runOrDefer(fn, (c) => {
        cancel = c;
      }),
    );
    return () => cancel();
  }
  runOrDefer(fn: () => void, setCancel: (c: () => void) => void): void {
    if (this.inner.nowMs() < this.frozenUntilMs)
      setCancel(this.inner.at(this.frozenUntilMs, () => this.runOrDefer(fn, setCancel)));
    else fn();
  }
}

export async function runSession(o: RunOptions): Promise<RunResult> {
  const virtual = o.target.kind === "sim" && o.target.virtualTime;
  const base: Scheduler = virtual ? new VirtualScheduler() : new RealScheduler();
  const hostScheduler = new FreezableScheduler(base);
  const plan = planSession(o.profile, o.session, o.dots);
  const hostFaults = (o.faults ?? []).filter(isHostFault);
  const rigFaults = (o.faults ?? []).filter((f) => !isHostFault(f));
  let rig: SimRig | undefined;
  let world: SimWorld | undefined;
  let transport: LineTransport;
  if (o.target.kind === "sim") {
    const seed = o.target.seed ?? 1;
    const firmware = o.target.firmware ?? false;
    if (virtual) {
      // one scheduler for host and board: exact and repeatable
      const r = new SimRig(base, { plant: plantFromMachine(o.machine.calibration, seed), pumpMs: 1, seed, firmware });
      for (const f of rigFaults) r.arm(f);
      rig = r;
      world = { setZone: (n, zone) => r.zoneOfDot.set(n, zone), when: (t, fn) => r.when(t, fn) };
      transport = r.transport;
    } else {
      // on the wall clock the board keeps its own time on its own thread, like a real device
      const description = firmware ? "sim:firmware" : `sim:${o.machine.calibration.machine}`;
      const w = await startWorkerRig(
        { machine: o.machine.calibration, seed, firmware, faults: rigFaults },
        description,
      );
      world = {
        setZone: (n, zone) => w.setZone(n, zone),
        when: (t, fn) => whenTriggered(base, w.burstListeners, t, fn),
      };
      transport = w.transport;
    }
    transport = frozenWhile(transport, hostScheduler);
  } else {
    if (rigFaults.length > 0)
      throw new SmpError(
        "USAGE",
        `--fault ${rigFaults[0]!.kind} needs the simulated board; on a real port only estop, stop and hang (with atMs=)`,
      );
    transport = o.target.transport;
  }
  try {
    const controller = new SessionController({
      scheduler: hostScheduler,
      transport,
      sink: o.sink,
      profile: o.profile,
      machine: o.machine,
      session: o.session,
      dots: plan,
      startedAt: o.startedAt,
      unlockLatched: o.unlockLatched ?? false,
      ...(o.timing ? { timing: o.timing } : {}),
      ...(o.observer ? { observer: o.observer } : {}),
      ...(world ? { onDotSent: world.setZone } : {}),
    });
    o.onController?.(controller);
    for (const f of hostFaults) {
      const action =
        f.kind === "estop"
          ? () => controller.operatorEstop()
          : f.kind === "stop"
            ? () => controller.operatorStop()
            : () => {
                hostScheduler.frozenUntilMs = base.nowMs() + (f.forMs ?? 1000);
              };
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
    return { outcome, rig, controller, elapsedMs: base.nowMs() };
  } finally {
    await transport.close();
  }
}

/** The simulated world as the host side sees it: where the operator works, and when faults trigger. */
interface SimWorld {
  setZone(n: number, zone: string): void;
  when(trigger: FaultSpec["trigger"], fn: () => void): void;
}

/** While the host is frozen its received lines wait, like bytes in a kernel buffer. */
function frozenWhile(inner: LineTransport, s: FreezableScheduler): LineTransport {
  return {
    ...inner,
    write: (b) => inner.write(b),
    onLine: (listener) =>
      inner.onLine((line) =>
        s.runOrDefer(
          () => listener(line),
          () => {},
        ),
      ),
    onClose: (l) => inner.onClose(l),
    close: () => inner.close(),
    description: inner.description,
  };
}
