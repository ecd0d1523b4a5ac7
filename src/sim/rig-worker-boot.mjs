// Entry of the simulator thread: registers the TypeScript loader (tsx) in this thread, then loads the
// module named in workerData.entry (src/sim/rig-worker.ts), which does the work.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.entry);
