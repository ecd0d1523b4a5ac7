// Frame codec for protocol v1: CRC-16/CCITT-FALSE, line encoding and strict decoding, and the byte-level
// line assembler the board uses (it also pulls out the priority bytes), and the host's receiver built on it.
// Pure: no clock, no I/O.
//
// A frame is one line:   <seq> <ID>[ <name>=<value>]...*<CRC>\n
// seq is 0-65535, fields appear in table order, CRC is 4 uppercase hex digits over every byte before '*'.

import { LINK, PRIORITY_BYTES, messageSpec, type Frame, type MessageId } from "./table.ts";

/** CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final xor. check("123456789") = 0x29B1. */
export function crc16(bytes: Uint8Array | string): number {
  let crc = 0xffff;
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    const b = typeof bytes === "string" ? bytes.charCodeAt(i) & 0xff : (bytes[i] ?? 0);
    crc ^= b << 8;
    for (let k = 0; k < 8; k++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

export const SEQ_MODULO = 65536;
const TOKEN_RE = /^[A-Za-z0-9._-]+$/;
const UINT_RE = /^(0|[1-9][0-9]{0,9})$/;
const INT_RE = /^(0|-?[1-9][0-9]{0,9})$/;

export class EncodeError extends Error {}

/** Encode a frame to its line, including the trailing '\n'. Throws EncodeError on a value the wire cannot carry. */
export function encodeFrame(frame: Frame): string {
  const spec = messageSpec(frame.id);
  if (!spec) throw new EncodeError(`unknown message id ${frame.id}`);
  if (!Number.isInteger(frame.seq) || frame.seq < 0 || frame.seq >= SEQ_MODULO) {
    throw new EncodeError(`${frame.id}.seq = ${frame.seq} is not an integer in 0..${SEQ_MODULO - 1}`);
  }
  const values = frame.fields as Record<string, number | string>;
  let body = `${frame.seq} ${frame.id}`;
  for (const f of spec.fields) {
    const v = values[f.name];
    if (f.kind === "token") {
      if (typeof v !== "string" || !TOKEN_RE.test(v))
        throw new EncodeError(`${frame.id}.${f.name} = ${String(v)} is not a token`);
    } else {
      const lo = f.kind === "u32" ? 0 : -0x80000000;
      const hi = f.kind === "u32" ? 0xffffffff : 0x7fffffff;
      if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) {
        throw new EncodeError(`${frame.id}.${f.name} = ${String(v)} is not a ${f.kind} (${lo}..${hi})`);
      }
    }
    body += ` ${f.name}=${v}`;
  }
  const line = `${body}*${crc16(body).toString(16).toUpperCase().padStart(4, "0")}\n`;
  if (line.length > LINK.maxFrameBytes)
    throw new EncodeError(`${frame.id} frame is ${line.length} bytes, limit ${LINK.maxFrameBytes}`);
  return line;
}

export type DecodeError =
  | { reason: "too-long"; length: number }
  | { reason: "bad-char"; index: number; byte: number }
  | { reason: "no-crc" }
  | { reason: "crc-mismatch"; expected: number; actual: number }
  | { reason: "bad-seq"; text: string }
  | { reason: "unknown-id"; id: string }
  | { reason: "bad-field"; id: string; detail: string };

export type DecodeResult = { ok: true; frame: Frame } | { ok: false; error: DecodeError };

/** Decode one line (with or without its '\n'). Never throws; anything not exactly valid is an error. */
export function decodeFrame(line: string): DecodeResult {
  // the line assembler (board) and the serial transport (host) have already dropped a CR before the LF
  const text = line.endsWith("\n") ? line.slice(0, -1) : line;
  if (text.length + 1 > LINK.maxFrameBytes) return { ok: false, error: { reason: "too-long", length: text.length } };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return { ok: false, error: { reason: "bad-char", index: i, byte: c } };
  }
  const star = text.length - 5;
  if (star < 1 || text[star] !== "*" || !/^[0-9A-F]{4}$/.test(text.slice(star + 1)))
    return { ok: false, error: { reason: "no-crc" } };
  const body = text.slice(0, star);
  const expected = parseInt(text.slice(star + 1), 16);
  const actual = crc16(body);
  if (expected !== actual) return { ok: false, error: { reason: "crc-mismatch", expected, actual } };

  const parts = body.split(" ");
  const [seqText = "", id = "", ...rest] = parts;
  if (!UINT_RE.test(seqText) || Number(seqText) >= SEQ_MODULO)
    return { ok: false, error: { reason: "bad-seq", text: seqText } };
  const spec = messageSpec(id);
  if (!spec) return { ok: false, error: { reason: "unknown-id", id } };
  if (rest.length !== spec.fields.length) {
    return {
      ok: false,
      error: { reason: "bad-field", id, detail: `expected ${spec.fields.length} fields, got ${rest.length}` },
    };
  }
  const fields: Record<string, number | string> = {};
  for (let i = 0; i < spec.fields.length; i++) {
    const f = spec.fields[i]!;
    const part = rest[i]!;
    const eq = part.indexOf("=");
    const name = part.slice(0, eq);
    const value = part.slice(eq + 1);
    if (eq < 0 || name !== f.name)
      return {
        ok: false,
        error: { reason: "bad-field", id, detail: `field ${i + 1} should be ${f.name}, got '${part}'` },
      };
    if (f.kind === "token") {
      if (!TOKEN_RE.test(value))
        return { ok: false, error: { reason: "bad-field", id, detail: `${f.name} = '${value}' is not a token` } };
      fields[f.name] = value;
    } else {
      const re = f.kind === "u32" ? UINT_RE : INT_RE;
      const n = Number(value);
      const inRange = f.kind === "u32" ? n <= 0xffffffff : n >= -0x80000000 && n <= 0x7fffffff;
      if (!re.test(value) || !inRange)
        return { ok: false, error: { reason: "bad-field", id, detail: `${f.name} = '${value}' is not a ${f.kind}` } };
      fields[f.name] = n;
    }
  }
  return { ok: true, frame: { id: id as MessageId, seq: Number(seqText), fields } as Frame };
}

export type AssembledItem =
  { kind: "line"; line: string } | { kind: "priority"; which: "STOP" | "ESTOP" } | { kind: "overflow" };

/**
 * Byte-level receiver: splits a byte stream into lines and pulls out priority bytes wherever they appear
 * (even in the middle of a line, which then continues). A '\r' right before '\n' is dropped. A line longer
 * than the frame limit is discarded up to the next '\n' and reported once as overflow, so the stream always
 * resynchronises.
 */
export class LineAssembler {
  private buf: number[] = [];
  private overflowed = false;

  push(byte: number, out: AssembledItem[]): void {
    if (byte === PRIORITY_BYTES.STOP) {
      out.push({ kind: "priority", which: "STOP" });
      return;
    }
    if (byte === PRIORITY_BYTES.ESTOP) {
      out.push({ kind: "priority", which: "ESTOP" });
      return;
    }
    if (byte === 0x0a) {
      if (this.buf[this.buf.length - 1] === 0x0d) this.buf.pop(); // CRLF is accepted; a CR anywhere else is a bad byte
      if (!this.overflowed && this.buf.length > 0) out.push({ kind: "line", line: String.fromCharCode(...this.buf) });
      this.buf = [];
      this.overflowed = false;
      return;
    }
    if (this.overflowed) return;
    if (this.buf.length >= LINK.maxFrameBytes) {
      this.overflowed = true;
      this.buf = [];
      out.push({ kind: "overflow" });
      return;
    }
    this.buf.push(byte & 0xff);
  }

  pushAll(bytes: Uint8Array): AssembledItem[] {
    const out: AssembledItem[] = [];
    for (const b of bytes) this.push(b, out);
    return out;
  }
}

/**
 * The host's receiver for the board's byte stream, the one framer of every host path (serial port, in-process
 * rig, rig thread): a LineAssembler, so the frame length cap and the CR rule are the board's. Each whole line
 * goes to onLine. An overflowed line is dropped before the decoder sees it (docs/protocol.md, known gaps).
 * The protocol defines no priority bytes from the board: a 0x1C or 0x18 from it is removed from the line, as
 * on the board side, and has no effect.
 */
export function hostLineReceiver(onLine: (line: string) => void): (bytes: Uint8Array) => void {
  const rx = new LineAssembler();
  return (bytes) => {
    for (const item of rx.pushAll(bytes)) {
      switch (item.kind) {
        case "line":
          onLine(item.line);
          break;
        case "overflow":
        case "priority":
          break;
      }
    }
  };
}

/** Serial-number arithmetic on 16-bit sequence numbers. */
export const nextSeq = (seq: number): number => (seq + 1) % SEQ_MODULO;
