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
import type { BoardInputs } from "./board-model.ts";

export interface RigWorkerConfig {
  readonly machine: MachineCalibration;
  readonly seed: number;
  readonly firmware: boolean;
  /** Faults the rig itself injects (byte and device level). */
  readonly faults: readonly FaultSpec[];
}

type ToWorker =
  | { type: "bytes"; data: Uint8Array }
  | { type: "zone"; dot: number; zone: string }
  | { type: "inputs"; inputs: Partial<BoardInputs> }
  | { type: "close" };
type FromWorker =
  | { type: "bytes"; data: Uint8Array }
  | { type: "burst"; dot: number }
  | { type: "tip"; deepestUm: number }
  | { type: "ready" }
  | { type: "error"; message: string };

export interface WorkerRig {
  readonly transport: LineTransport;
  /** The operator moves the handpiece to this dot's zone. */
  setZone(dot: number, zone: string): void;
  /** The operator's foot on the pedal, the cartridge in or out (the board's inputs). */
  setInputs(inputs: Partial<BoardInputs>): void;
  /** Called when the board starts a dot's burst. */
  readonly burstListeners: ((dot: number) => void)[];
  /** The rig's truth as last reported by its thread (within about TIP_REPORT_MS): the deepest true tip, um. */
  readonly trueDeepestTipUm: number | undefined;
}

/** How often the rig thread reports a new deepest true tip. */
const TIP_REPORT_MS = 1;

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
  let trueDeepestTipUm: number | undefined;
  await new Promise<void>((resolve, reject) => {
    worker.on("message", (m: FromWorker) => {
      if (m.type === "ready") resolve();
      else if (m.type === "error") reject(new Error(m.message));
      else if (m.type === "burst") for (const l of burstListeners) l(m.dot);
      else if (m.type === "tip") trueDeepestTipUm = m.deepestUm;
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
    get trueDeepestTipUm() {
      return trueDeepestTipUm;
    },
    setZone: (dot, zone) => post({ type: "zone", dot, zone }),
    setInputs: (inputs) => post({ type: "inputs", inputs }),
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
    let reportedUm: number | undefined;
    setInterval(() => {
      const deepestUm = rig.trueDeepestTipUm;
      if (deepestUm === undefined || deepestUm === reportedUm) return;
      reportedUm = deepestUm;
      port.postMessage({ type: "tip", deepestUm } satisfies FromWorker);
    }, TIP_REPORT_MS).unref();
    port.on("message", (m: ToWorker) => {
      if (m.type === "bytes") rig.transport.write(m.data);
      else if (m.type === "zone") rig.zoneOfDot.set(m.dot, m.zone);
      else if (m.type === "inputs") Object.assign(rig.board.inputs, m.inputs);
      else void rig.transport.close();
    });
    port.postMessage({ type: "ready" } satisfies FromWorker);
  } catch (e) {
    port.postMessage({ type: "error", message: (e as Error).stack ?? String(e) } satisfies FromWorker);
  }
}

if (!isMainThread && parentPort) void workerMain();
