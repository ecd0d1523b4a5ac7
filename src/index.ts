// Public entry points of the package, for scripts and other tools: run a session, load profiles, speak
// protocol v1. The CLI (src/cli/main.ts) is built from these.

export { runSession, type RunOptions, type RunResult, type BoardTarget } from "./app/session.ts";
export {
  parseDepthProfile,
  parseMachineCalibration,
  dotSettings,
  zonesForSession,
  profileFitsBoard,
} from "./profiles/load.ts";
export { loadDepthProfileFile, loadMachineFile } from "./profiles/files.ts";
export { encodeFrame, decodeFrame, crc16, LineAssembler } from "./protocol/codec.ts";
export * as protocol from "./protocol/table.ts";
export { parseSessionLog, summarize, type SessionRecord } from "./log/records.ts";
export { SmpError } from "./errors/errors.ts";
