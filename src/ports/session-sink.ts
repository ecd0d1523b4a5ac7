// Port (types only): where the controller writes the session record. Implemented by log/file.ts
// (append + fdatasync) and by MemorySink in log/records.ts.

import type { SessionRecord } from "../log/records.ts";

/** Anything that accepts records: the file writer, or an array in tests. */
export interface SessionSink {
  write(record: SessionRecord): void;
}
