// The file edge of the session record: one write() per record on a file opened for append, followed by
// fdatasync, so a crash (or power loss) at any moment loses at most the record being written.

import { closeSync, fdatasyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { SmpError } from "../errors/errors.ts";
import { dirname } from "node:path";
import { parseSessionLog, type ParsedLog, type SessionRecord } from "./records.ts";
import type { SessionSink } from "../ports/session-sink.ts";

export class SessionFile implements SessionSink {
  private fd: number | undefined;

  /** append: continue an existing record (`smp session resume`); else a new file, never an existing one. */
  constructor(
    readonly path: string,
    private readonly durable = true,
    append = false,
  ) {
    if (append) {
      this.fd = openSync(path, "r+");
      // a crash mid-write leaves a torn last line: end it, so the records appended after it parse (the reader
      // then skips that one line as not a record only at the end; here it is cut off)
      const text = readFileSync(path, "utf8");
      const cut = text.endsWith("\n") || text.length === 0 ? text.length : text.lastIndexOf("\n") + 1;
      ftruncateSync(this.fd, Buffer.byteLength(text.slice(0, cut)));
      closeSync(this.fd);
      this.fd = openSync(path, "a");
      return;
    }
    mkdirSync(dirname(path), { recursive: true });
    try {
      this.fd = openSync(path, "ax"); // exclusive: two runs can never share a record
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      throw new SmpError("INVALID_INPUT", `session record ${path} already exists; choose another --log`, [
        { field: "--log", value: path, limit: "must be a new file" },
      ]);
    }
  }

  write(record: SessionRecord): void {
    if (this.fd === undefined) throw new Error(`session log ${this.path} is closed`);
    writeSync(this.fd, `${JSON.stringify(record)}\n`);
    if (this.durable) fdatasyncSync(this.fd);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

export function readSessionFile(path: string): ParsedLog {
  return parseSessionLog(readFileSync(path, "utf8"));
}
