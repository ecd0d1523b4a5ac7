// The simulated board for one `smp run` session, as the composition root sees it: the board's transport
// (seen through the host's freezable scheduler), the simulated world the host side can reach (which zone
// the handpiece is on, when faults trigger) and, in virtual time, the rig itself. Loaded lazily by
// app/session.ts, so a session on a real port never loads the simulator or the AVR emulator.

import type { MachineCalibration } from "../profiles/schema.ts";
import type { LineTransport } from "../ports/line-transport.ts";
import type { Scheduler } from "../time/scheduler.ts";
import { whenTriggered, type FaultSpec } from "./faults.ts";
import type { FreezableScheduler } from "./host-freeze.ts";
import { SimRig, plantFromMachine } from "./rig.ts";
import { startWorkerRig } from "./rig-worker.ts";
import type { BoardInputs } from "./board-model.ts";

/** The simulated world as the host side sees it: where the operator works, and when faults trigger. */
export interface SimWorld {
  setZone(n: number, zone: string): void;
  /** The operator's foot on the pedal, the cartridge in or out: the board's inputs. */
  setInputs(inputs: Partial<BoardInputs>): void;
  /** Run fn at a fault trigger; kind names the fault for the simulated world's record of what struck when. */
  when(trigger: FaultSpec["trigger"], fn: () => void, kind: string): void;
}

export interface SessionSimBoardOptions {
  /** The board's clock: the shared virtual scheduler, or the wall clock. */
  readonly base: Scheduler;
  readonly virtualTime: boolean;
  /** The host's scheduler (frozen by the hang fault); the host receives lines through it. */
  readonly host: FreezableScheduler;
  readonly machine: MachineCalibration;
  readonly seed: number;
  readonly firmware: boolean;
  /** Cable and device faults (host faults are the composition root's). */
  readonly faults: readonly FaultSpec[];
}

export interface SessionSimBoard {
  readonly transport: LineTransport;
  readonly world: SimWorld;
  /** The rig, in virtual time only (on the wall clock it runs on its own thread). */
  readonly rig: SimRig | undefined;
  /** The simulated world's truth, not the controller's measurement: the deepest the needle tip has really
   * gone so far (um; undefined if not known yet). */
  trueDeepestTipUm(): number | undefined;
}

export async function openSimBoard(o: SessionSimBoardOptions): Promise<SessionSimBoard> {
  if (o.virtualTime) {
    // one scheduler for host and board: exact and repeatable
    const rig = new SimRig(o.base, {
      plant: plantFromMachine(o.machine, o.seed),
      pumpMs: 1,
      seed: o.seed,
      firmware: o.firmware,
    });
    for (const f of o.faults) rig.arm(f);
    return {
      transport: o.host.transport(rig.transport),
      world: {
        setZone: (n, zone) => rig.zoneOfDot.set(n, zone),
        setInputs: (inputs) => Object.assign(rig.board.inputs, inputs),
        when: (t, fn, kind) => rig.when(t, fn, kind),
      },
      rig,
      trueDeepestTipUm: () => rig.trueDeepestTipUm,
    };
  }
  // on the wall clock the board keeps its own time on its own thread, like a real device
  const description = o.firmware ? "sim:firmware" : `sim:${o.machine.machine}`;
  const w = await startWorkerRig(
    { machine: o.machine, seed: o.seed, firmware: o.firmware, faults: o.faults },
    description,
  );
  return {
    transport: o.host.transport(w.transport),
    world: {
      setZone: (n, zone) => w.setZone(n, zone),
      setInputs: (inputs) => w.setInputs(inputs),
      when: (t, fn) => whenTriggered(o.base, w.burstListeners, t, fn),
    },
    rig: undefined,
    trueDeepestTipUm: () => w.trueDeepestTipUm,
  };
}
