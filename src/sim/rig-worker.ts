// Runs the simulated rig (plant, board model or emulated firmware, cable) on its own thread for wall-clock
// sessions, so the board keeps its own time like a real device and neither side's load shows up as the
// other's lateness. The host sees a LineTransport; bytes, the operator's zone per dot and burst starts
// cross as messages. Virtual-time sessions keep the rig in-process (one scheduler, exact).

import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { hostLineReceiver } from "../protocol/codec.ts";
import { WallClockScheduler } from "../wallclock/scheduler.ts";
import type { LineTransport } from "../ports/line-transport.ts";
import type { MachineCalibration } from "../profiles/schema.ts";
import type { FaultSpec } from "./faults.ts";

export interface RigWorkerConfig {
  readonly machine: MachineCalibration;
  readonly seed: number;
  readonly firmware: boolean;
  /** Faults the rig itself injects (byte and device level). */
  readonly faults: readonly FaultSpec[];
}

type ToWorker = { type: "bytes"; data: Uint8Array } | { type: "zone"; dot: number; zone: string } | { type: "close" };
type FromWorker =
  | { type: "bytes"; data: Uint8Array }
  | { type: "burst"; dot: number }
  | { type: "ready" }
  | { type: "error"; message: string };

export interface WorkerRig {
  readonly transport: LineTransport;
  /** The operator moves the handpiece to this dot's zone. */
  setZone(dot: number, zone: string): void;
  /** Called when the board starts a dot's burst. */
  readonly burstListeners: ((dot: number) => void)[];
}

/** Start the rig thread; resolves once the board is running. */
export async function startWorkerRig(config: RigWorkerConfig, description: string): Promise<WorkerRig> {
  const boot = new URL("./rig-worker-boot.mjs", import.meta.url);
  const worker = new Worker(boot, {
    workerData: { ...config, entry: import.meta.url } satisfies RigWorkerConfig & { entry: string },
  });
  const lineListeners: ((line: string) => void)[] = [];
  const closeListeners: ((reason: string) => void)[] = [];
  const burstListeners: ((dot: number) => void)[] = [];
  const rx = hostLineReceiver((line) => {
    for (const l of lineListeners) l(line);
  });
  let closed = false;
  await new Promise<void>((resolve, reject) => {
    worker.on("message", (m: FromWorker) => {
      if (m.type === "ready") resolve();
      else if (m.type === "error") reject(new Error(m.message));
      else if (m.type === "burst") for (const l of burstListeners) l(m.dot);
      else rx(m.data);
    });
    worker.on("error", (e) => {
      reject(e);
      for (const l of closeListeners) l(`simulator thread failed: ${e.message}`);
    });
  });
  const post = (m: ToWorker) => {
    if (!closed) worker.postMessage(m);
  };
  return {
    burstListeners,
    setZone: (dot, zone) => post({ type: "zone", dot, zone }),
    transport: {
      description,
      write: (bytes) => post({ type: "bytes", data: Uint8Array.from(bytes) }),
      onLine: (l) => {
        lineListeners.push(l);
      },
      onClose: (l) => {
        closeListeners.push(l);
      },
      close: async () => {
        post({ type: "close" });
        closed = true;
        await worker.terminate();
      },
    },
  };
}

async function workerMain(): Promise<void> {
  const port = parentPort!;
  const config = workerData as RigWorkerConfig;
  try {
    const { SimRig, plantFromMachine } = await import("./rig.ts");
    const { Plant } = await import("./plant.ts");
    const { warmUpEmulator } = await import("./firmware.ts");
    if (config.firmware) warmUpEmulator(new Plant(plantFromMachine(config.machine, config.seed)));
    const rig = new SimRig(new WallClockScheduler(), {
      plant: plantFromMachine(config.machine, config.seed),
      seed: config.seed,
      pumpMs: 1,
      firmware: config.firmware,
      rawHostSink: (data) => port.postMessage({ type: "bytes", data } satisfies FromWorker),
    });
    rig.burstListeners.push((dot) => port.postMessage({ type: "burst", dot } satisfies FromWorker));
    for (const f of config.faults) rig.arm(f);
    port.on("message", (m: ToWorker) => {
      if (m.type === "bytes") rig.transport.write(m.data);
      else if (m.type === "zone") rig.zoneOfDot.set(m.dot, m.zone);
      else void rig.transport.close();
    });
    port.postMessage({ type: "ready" } satisfies FromWorker);
  } catch (e) {
    port.postMessage({ type: "error", message: (e as Error).stack ?? String(e) } satisfies FromWorker);
  }
}

if (!isMainThread && parentPort) void workerMain();
