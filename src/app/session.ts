// Composition of one session run: picks the scheduler (virtual or wall clock), the board (built-in
// simulated rig or a serial port), wires fault injection, and runs the SessionController. The CLI and the
// integration tests both call runSession; nothing else builds these parts.

import { SessionController, planSession, type ControllerEvent, type LoopTiming, type RunOutcome } from "../control/controller.ts";
import { RealScheduler, VirtualScheduler, type Scheduler } from "../control/scheduler.ts";
import type { LoadedMachine, LoadedProfile } from "../profiles/load.ts";
import type { SessionNumber } from "../profiles/schema.ts";
import type { SessionSink } from "../log/records.ts";
import { SmpError } from "../errors/errors.ts";
import { SimRig, plantFromMachine } from "../sim/rig.ts";
import type { FaultSpec } from "../sim/faults.ts";
import type { LineTransport } from "../control/transport.ts";

export type BoardTarget =
  | { readonly kind: "sim"; readonly virtualTime: boolean; readonly seed?: number }
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
    let cancel = this.inner.at(tMs, () => this.runOrDefer(fn, (c) => { cancel = c; }));
    return () => cancel();
  }
  runOrDefer(fn: () => void, setCancel: (c: () => void) => void): void {
    if (this.inner.nowMs() < this.frozenUntilMs) setCancel(this.inner.at(this.frozenUntilMs, () => this.runOrDefer(fn, setCancel)));
    else fn();
  }
}

export async function runSession(o: RunOptions): Promise<RunResult> {
  const base: Scheduler = o.target.kind === "sim" && o.target.virtualTime ? new VirtualScheduler() : new RealScheduler();
  const hostScheduler = new FreezableScheduler(base);
  const plan = planSession(o.profile, o.session, o.dots);
  let rig: SimRig | undefined;
  let transport: LineTransport;
  if (o.target.kind === "sim") {
    rig = new SimRig(base, { plant: plantFromMachine(o.machine.calibration, o.target.seed ?? 1), pumpMs: o.target.virtualTime ? 1 : 2, seed: o.target.seed ?? 1 });
    transport = frozenWhile(rig.transport, hostScheduler);
  } else {
    transport = o.target.transport;
  }
  const simRig = rig;
  const controller = new SessionController({
    scheduler: hostScheduler, transport, sink: o.sink, profile: o.profile, machine: o.machine, session: o.session, dots: plan,
    startedAt: o.startedAt, ...(o.timing ? { timing: o.timing } : {}), ...(o.observer ? { observer: o.observer } : {}),
    ...(simRig ? { onDotSent: (n: number, zone: string) => simRig.zoneOfDot.set(n, zone) } : {}),
  });
  o.onController?.(controller);
  for (const f of o.faults ?? []) armFault(f, base, hostScheduler, controller, simRig);
  const done = controller.run();
  if (base instanceof VirtualScheduler) {
    const limitMs = 20_000 + o.dots * (o.profile.profile.dotIntervalMs + 500);
    base.runUntilCondition(() => controller.outcome !== undefined, limitMs);
    if (!controller.outcome) throw new SmpError("INTERNAL", `virtual-time session did not end within ${limitMs} ms of simulated time`);
  }
  const outcome = await done;
  await transport.close();
  return { outcome, rig, controller, elapsedMs: base.nowMs() };
}

/** While the host is frozen its received lines wait, like bytes in a kernel buffer. */
function frozenWhile(inner: LineTransport, s: FreezableScheduler): LineTransport {
  return {
    ...inner,
    write: (b) => inner.write(b),
    onLine: (listener) => inner.onLine((line) => s.runOrDefer(() => listener(line), () => {})),
    onClose: (l) => inner.onClose(l),
    close: () => inner.close(),
    description: inner.description,
  };
}

/** Host-side faults are the controller's; everything else is armed in the simulated rig. */
function armFault(f: FaultSpec, base: Scheduler, host: FreezableScheduler, controller: SessionController, rig: SimRig | undefined): void {
  const hostAction = f.kind === "estop" ? () => controller.operatorEstop()
    : f.kind === "stop" ? () => controller.operatorStop()
    : f.kind === "hang" ? () => { host.frozenUntilMs = base.nowMs() + (f.forMs ?? 1000); }
    : undefined;
  if (rig) return hostAction ? rig.when(f.trigger, hostAction) : rig.arm(f);
  if (!hostAction || !("atMs" in f.trigger)) throw new SmpError("USAGE", `--fault ${f.kind}${hostAction ? ",atDot=..." : ""} needs the simulated board (on a real port: estop or stop with atMs=)`);
  base.at(base.nowMs() + f.trigger.atMs, hostAction);
}
