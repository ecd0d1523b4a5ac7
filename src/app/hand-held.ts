// Composition of one hand-held session (`smp session start` and `smp session resume`): the scheduler (virtual
// or wall clock), the board (built-in simulated rig or a serial port), the operator's console (keyboard, Firmata
// board, or none), the taps a simulated session is played from, and the HandHeldSession itself. Like
// app/session.ts it refuses a run the run policy does not allow before anything moves, and imports the
// simulator only when the session uses it.

import { HandHeldSession, type HandAct, type HandHeldEvent, type HandHeldOutcome } from "../control/hand-held.ts";
import type { HandHeldResume } from "../control/hand-held.ts";
import type { LoopTiming } from "../control/timing.ts";
import { SmpError } from "../errors/errors.ts";
import type { OperatorConsole } from "../ports/console.ts";
import type { SessionSink } from "../ports/session-sink.ts";
import type { LineTransport } from "../ports/line-transport.ts";
import type { LoadedMachine, LoadedProfile } from "../profiles/load.ts";
import { checkRunAllowed } from "../profiles/policy.ts";
import type { SessionNumber } from "../profiles/schema.ts";
import type { TimedTap } from "../profiles/taps.ts";
import { VirtualScheduler, type Scheduler } from "../time/scheduler.ts";
import { WallClockScheduler } from "../wallclock/scheduler.ts";
import type { BoardTarget } from "./session.ts";
import { withSimTruth } from "./session.ts";
import { playTaps } from "./taps.ts";
import type { BoardInputs } from "../sim/board-model.ts";

export interface HandHeldRunOptions {
  readonly profile: LoadedProfile;
  readonly machine: LoadedMachine;
  readonly session: SessionNumber;
  readonly target: BoardTarget;
  readonly sink: SessionSink;
  readonly startedAt: string;
  /** A simulated session's operator: the pedal, the cartridge switch and the console acts, in time. */
  readonly taps?: readonly TimedTap[];
  readonly console?: OperatorConsole;
  readonly resume?: HandHeldResume;
  readonly timing?: LoopTiming;
  readonly observer?: (e: HandHeldEvent) => void;
  readonly engineerApproved?: boolean;
  /** Lets the caller reach the session (operator acts from signal handlers and the keyboard). */
  readonly onSession?: (s: HandHeldSession) => void;
  /** On a simulated board: lets the caller work its inputs (the keyboard's simulated foot pedal). */
  readonly onSimInputs?: (set: (i: Partial<BoardInputs>) => void) => void;
}

export interface HandHeldResult {
  readonly outcome: HandHeldOutcome;
  readonly elapsedMs: number;
}

/** Simulated time a virtual-time session may take beyond its taps before it counts as stuck. */
const VIRTUAL_SLACK_MS = 60_000;

export async function runHandHeld(o: HandHeldRunOptions): Promise<HandHeldResult> {
  const { profile, machine, session } = o;
  try {
    checkRunAllowed({ profile, machine, session, engineerApproved: o.engineerApproved ?? false });
  } catch (e) {
    if (o.target.kind === "transport") await o.target.transport.close();
    throw e;
  }
  const virtual = o.target.kind === "sim" && o.target.virtualTime;
  const base: Scheduler = virtual ? new VirtualScheduler() : new WallClockScheduler();
  let transport: LineTransport;
  let setInputs: ((i: Partial<BoardInputs>) => void) | undefined;
  let sink = o.sink;
  if (o.target.kind === "sim") {
    const { openSimBoard } = await import("../sim/session-board.ts");
    const { FreezableScheduler } = await import("../sim/host-freeze.ts");
    const sim = await openSimBoard({
      base,
      virtualTime: virtual,
      host: new FreezableScheduler(base),
      machine: machine.calibration,
      seed: o.target.seed ?? 1,
      firmware: o.target.firmware ?? false,
      faults: [],
    });
    transport = sim.transport;
    setInputs = (i) => sim.world.setInputs(i);
    setInputs({ pedalPressed: false }); // the operator's foot is off the pedal
    o.onSimInputs?.(setInputs);
    sink = withSimTruth(o.sink, sim);
  } else {
    transport = o.target.transport;
  }
  try {
    const hand = new HandHeldSession({
      scheduler: base,
      transport,
      sink,
      profile,
      machine,
      session,
      startedAt: o.startedAt,
      ...(o.resume ? { resume: o.resume } : {}),
      ...(o.timing ? { timing: o.timing } : {}),
      observer: (e) => {
        if (e.type === "phase") o.console?.show(hand.shows);
        if (e.type === "phase") o.console?.buzz(hand.shows === "fault");
        o.observer?.(e);
      },
    });
    o.onSession?.(hand);
    o.console?.onAct((act: HandAct) => hand.act(act));
    const done = hand.start();
    if (o.taps) {
      if (!setInputs) throw new SmpError("USAGE", "a taps file plays the simulated board's pedal: use it with --sim");
      playTaps(o.taps, { scheduler: base, setInputs, session: hand });
    }
    if (base instanceof VirtualScheduler) {
      const limitMs = VIRTUAL_SLACK_MS + (o.taps?.at(-1)?.atMs ?? 0);
      base.runUntilCondition(() => hand.outcome !== undefined, limitMs);
      if (!hand.outcome)
        throw new SmpError(
          "USAGE",
          `the virtual-time session was still open ${limitMs} ms in: a taps file must end it (act "end")`,
        );
    }
    const outcome = await done;
    return { outcome, elapsedMs: base.nowMs() };
  } finally {
    await transport.close();
  }
}
