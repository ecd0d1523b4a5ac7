// Protocol v1 codec: CRC-16/CCITT-FALSE against published vectors and a table-free bit-serial reference,
// the golden frames in tests/golden/frames.txt (shared with the firmware tests) decoded and re-encoded
// byte for byte, every decode rejection with its specific reason, encoder refusals, and fast-check
// properties of the line assembler + decoder (never throws, round trip, resync, priority bytes, bit flips).

import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  EncodeError,
  LineAssembler,
  crc16,
  decodeFrame,
  encodeFrame,
  type AssembledItem,
  type DecodeError,
  type DecodeResult,
} from "../src/protocol/codec.ts";
import { LINK, MESSAGES, PRIORITY_BYTES, type FieldKind, type Frame, type MessageSpec } from "../src/protocol/table.ts";

// ---------------------------------------------------------------------------------------------------------
// Independent reference implementations (written from the protocol description, not from codec.ts)

/** CRC-16/CCITT-FALSE as a bit-serial shift register: one input bit at a time, no table, no byte xor. */
function refCrc(input: string | readonly number[]): number {
  const bytes = typeof input === "string" ? [...input].map((c) => c.charCodeAt(0)) : input;
  let reg = 0xffff;
  for (const byte of bytes) {
    for (let bit = 7; bit >= 0; bit--) {
      const feedback = ((reg >> 15) & 1) ^ ((byte >> bit) & 1);
      reg = (reg << 1) & 0xffff;
      if (feedback) reg ^= 0x1021;
    }
  }
  return reg;
}

const hex4 = (n: number) => n.toString(16).toUpperCase().padStart(4, "0");
/** A line (without '\n') with the correct CRC for an arbitrary body, valid or not. */
const withCrc = (body: string) => `${body}*${hex4(refCrc(body))}`;

/** The wire line for a frame, built directly from the format description: `<seq> <ID>[ name=value]...*CRC\n`. */
function refLine(frame: Frame): string {
  const spec = MESSAGES.find((m) => m.id === frame.id)!;
  const values = frame.fields as Record<string, number | string>;
  const body = [`${frame.seq}`, frame.id, ...spec.fields.map((f) => `${f.name}=${String(values[f.name])}`)].join(" ");
  return `${withCrc(body)}\n`;
}

const bytesOf = (s: string) => Uint8Array.from([...s].map((c) => c.charCodeAt(0)));
const linesOf = (items: readonly AssembledItem[]) => items.flatMap((i) => (i.kind === "line" ? [i.line] : []));

function errorOf(r: DecodeResult): DecodeError {
  if (r.ok) throw new Error(`expected a decode error, got ${JSON.stringify(r.frame)}`);
  return r.error;
}

// ---------------------------------------------------------------------------------------------------------
// Arbitraries

const u32 = fc.oneof(
  fc.integer({ min: 0, max: 0xffffffff }),
  fc.integer({ min: 0, max: 9999 }),
  fc.constantFrom(0, 1, 9, 10, 0xffffffff),
);
const i32 = fc.oneof(
  fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  fc.integer({ min: -9999, max: 9999 }),
  fc.constantFrom(0, -1, 1, -0x80000000, 0x7fffffff),
);
const tokenArb = fc.stringMatching(/^[A-Za-z0-9._-]{1,20}$/);
const valueArb = (kind: FieldKind): fc.Arbitrary<number | string> =>
  kind === "u32" ? u32 : kind === "i32" ? i32 : tokenArb;

function frameArbFor(spec: MessageSpec): fc.Arbitrary<Frame> {
  const fields = Object.fromEntries(spec.fields.map((f) => [f.name, valueArb(f.kind)]));
  return fc
    .record({ seq: fc.integer({ min: 0, max: 65535 }), fields: fc.record(fields) })
    .map(({ seq, fields: values }) => ({ id: spec.id, seq, fields: values }) as unknown as Frame);
}

/** Any frame of the table with in-range values (it may be too long for the wire). */
const anyFrameArb: fc.Arbitrary<Frame> = fc.oneof(...MESSAGES.map(frameArbFor));
/** Frames whose line fits LINK.maxFrameBytes: exactly the frames the wire can carry. */
const validFrameArb = anyFrameArb.filter((f) => refLine(f).length <= LINK.maxFrameBytes);

// ---------------------------------------------------------------------------------------------------------

describe("crc16 (CRC-16/CCITT-FALSE)", () => {
  it("matches the catalogue check value and the empty input", () => {
    expect(crc16("123456789")).toBe(0x29b1);
    expect(crc16(bytesOf("123456789"))).toBe(0x29b1);
    expect(crc16("")).toBe(0xffff);
    expect(crc16(new Uint8Array(0))).toBe(0xffff);
  });

  it("the bit-serial reference reproduces the published vectors (so it can judge crc16)", () => {
    expect(refCrc("123456789")).toBe(0x29b1);
    expect(refCrc("")).toBe(0xffff);
    expect(refCrc("A")).toBe(0xb915); // published CCITT (init 0xFFFF) value for "A"
    expect(refCrc("A".repeat(256))).toBe(0xea0b); // published value for 256 x "A"
  });

  it("agrees with the reference on further fixed vectors", () => {
    const vectors = [
      "A",
      "A".repeat(256),
      "\u0000",
      "0 HELLO",
      String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i)),
    ];
    for (const v of vectors) expect(crc16(v), JSON.stringify(v)).toBe(refCrc(v));
    expect(crc16("A")).toBe(0xb915);
    expect(crc16("A".repeat(256))).toBe(0xea0b);
  });

  it("agrees with the reference on random byte arrays and on their string form", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const ref = refCrc([...bytes]);
        expect(crc16(bytes)).toBe(ref);
        expect(crc16(String.fromCharCode(...bytes))).toBe(ref);
      }),
      { numRuns: 500 },
    );
  });
});

describe("golden frames (tests/golden/frames.txt)", () => {
  const file = readFileSync(new URL("./golden/frames.txt", import.meta.url), "latin1");
  const rawLines = file.split("\n");
  const frameLines = rawLines.filter((l) => l !== "" && !l.startsWith("#"));

  it("has the simple format the firmware test expects: LF endings, no blank lines, final newline", () => {
    expect(file.endsWith("\n")).toBe(true);
    expect(file).not.toContain("\r");
    expect(rawLines.slice(0, -1).every((l) => l.length > 0)).toBe(true);
    expect(frameLines.length).toBeGreaterThanOrEqual(MESSAGES.length);
  });

  it("every line carries the CRC that the independent reference computes", () => {
    for (const line of frameLines) {
      const star = line.lastIndexOf("*");
      expect(line.slice(star + 1), line).toBe(hex4(refCrc(line.slice(0, star))));
    }
  });

  it("every line decodes and re-encodes byte for byte", () => {
    for (const line of frameLines) {
      const r = decodeFrame(line);
      expect(r.ok, `${line}: ${JSON.stringify(r)}`).toBe(true);
      if (!r.ok) continue;
      expect(encodeFrame(r.frame)).toBe(`${line}\n`);
      expect(refLine(r.frame)).toBe(`${line}\n`);
    }
  });

  it("covers every message id of the table", () => {
    const ids = new Set(frameLines.map((l) => l.slice(0, l.lastIndexOf("*")).split(" ")[1]));
    for (const m of MESSAGES) expect(ids.has(m.id), `no golden frame for ${m.id}`).toBe(true);
  });

  it("decodes to the expected field values", () => {
    const frameFor = (prefix: string) => {
      const line = frameLines.find((l) => l.startsWith(prefix));
      if (line === undefined) throw new Error(`no golden line starting with '${prefix}'`);
      const r = decodeFrame(line);
      if (!r.ok) throw new Error(`${line} does not decode`);
      return r.frame;
    };
    expect(frameFor("12 DOT ")).toEqual({
      id: "DOT",
      seq: 12,
      fields: { dot: 5, atTick: 1000, extensionUm: 800, strokeHz: 120, dutyPermille: 650, strokes: 8, leaseTick: 3500 },
    });
    expect(frameFor("2 ARM ")).toEqual({ id: "ARM", seq: 2, fields: { leaseTick: 4294967295 } });
    expect(frameFor("65535 ACK ")).toEqual({ id: "ACK", seq: 65535, fields: { ackSeq: 65535 } });
    expect(frameFor("7 NAK ")).toEqual({ id: "NAK", seq: 7, fields: { ackSeq: 12, nak: 9 } });
    expect(frameFor("0 HELLO")).toEqual({ id: "HELLO", seq: 0, fields: {} });
    expect(frameFor("3 STROKE ").fields).toMatchObject({ extensionUm: -35, periodUs: 8333, currentMa: 1200 });
    expect(frameFor("5 STROKE ").fields).toMatchObject({ extensionUm: -2147483648, periodUs: 4294967295 });
    const info = frameFor("1 INFO ");
    expect(info.fields).toMatchObject({
      protocol: 2,
      firmware: "smp-fw_1.0.3",
      schema: "87fb8914",
      clockHz: 10000,
      bootId: 3735928559,
      queueSlots: 8,
    });
  });

  it("includes a frame of exactly LINK.maxFrameBytes bytes (with its newline)", () => {
    expect(Math.max(...frameLines.map((l) => l.length + 1))).toBe(LINK.maxFrameBytes);
  });
});

describe("decodeFrame rejections", () => {
  const DOT_BODY = "12 DOT dot=5 atTick=1000 extensionUm=800 strokeHz=120 dutyPermille=650 strokes=8 leaseTick=3500";
  const DOT_LINE = withCrc(DOT_BODY);

  it("accepts the unmodified base frames (so each rejection below is caused by its one change)", () => {
    expect(decodeFrame(DOT_LINE).ok).toBe(true);
    expect(decodeFrame(`${DOT_LINE}\n`).ok).toBe(true);
    // a CR before the LF is dropped by the line assembler or the serial transport, never by the decoder
    expect(decodeFrame(`${DOT_LINE}\r\n`)).toMatchObject({ ok: false, error: { reason: "bad-char" } });
    expect(new LineAssembler().pushAll(Buffer.from(`${DOT_LINE}\r\n`))).toEqual([{ kind: "line", line: DOT_LINE }]);
    expect(
      new LineAssembler()
        .pushAll(Buffer.from(`${DOT_LINE}\r\r\n`))
        .map((i) => i.kind === "line" && decodeFrame(i.line).ok),
    ).toEqual([false]);
    expect(decodeFrame(withCrc("2 ARM leaseTick=4294967295")).ok).toBe(true);
    expect(decodeFrame(withCrc("65535 HELLO")).ok).toBe(true);
    expect(decodeFrame(withCrc("3 STROKE dot=5 stroke=1 extensionUm=-2147483648 periodUs=1 currentMa=1")).ok).toBe(
      true,
    );
  });

  it("wrong CRC -> crc-mismatch, reporting both values", () => {
    const good = refCrc(DOT_BODY);
    const bad = good ^ 0x0001;
    expect(errorOf(decodeFrame(`${DOT_BODY}*${hex4(bad)}`))).toEqual({
      reason: "crc-mismatch",
      expected: bad,
      actual: good,
    });
  });

  it("missing CRC -> no-crc", () => {
    expect(errorOf(decodeFrame(DOT_BODY)).reason).toBe("no-crc");
    expect(errorOf(decodeFrame(`${DOT_BODY}*`)).reason).toBe("no-crc");
    expect(errorOf(decodeFrame(`${DOT_BODY}*12`)).reason).toBe("no-crc");
    expect(errorOf(decodeFrame("*FFFF")).reason).toBe("no-crc");
    expect(errorOf(decodeFrame("")).reason).toBe("no-crc");
  });

  it("lowercase hex CRC -> no-crc", () => {
    const line = withCrc("0 HELLO");
    expect(line).toBe("0 HELLO*C591");
    expect(errorOf(decodeFrame("0 HELLO*c591")).reason).toBe("no-crc");
  });

  it("unknown id -> unknown-id", () => {
    expect(errorOf(decodeFrame(withCrc("0 HELLOX")))).toEqual({ reason: "unknown-id", id: "HELLOX" });
    expect(errorOf(decodeFrame(withCrc("0 hello")))).toEqual({ reason: "unknown-id", id: "hello" });
    expect(errorOf(decodeFrame(withCrc("0")))).toEqual({ reason: "unknown-id", id: "" });
  });

  it("missing field -> bad-field", () => {
    const e = errorOf(decodeFrame(withCrc(DOT_BODY.replace(" leaseTick=3500", ""))));
    expect(e).toEqual({ reason: "bad-field", id: "DOT", detail: "expected 7 fields, got 6" });
    expect(errorOf(decodeFrame(withCrc("2 ARM")))).toMatchObject({ reason: "bad-field", id: "ARM" });
  });

  it("extra field -> bad-field", () => {
    expect(errorOf(decodeFrame(withCrc(`${DOT_BODY} extra=1`)))).toEqual({
      reason: "bad-field",
      id: "DOT",
      detail: "expected 7 fields, got 8",
    });
    expect(errorOf(decodeFrame(withCrc("0 HELLO x=1")))).toMatchObject({ reason: "bad-field", id: "HELLO" });
    // a trailing space is an (empty) extra field
    expect(errorOf(decodeFrame(withCrc("0 HELLO ")))).toMatchObject({ reason: "bad-field", id: "HELLO" });
  });

  it("field out of order -> bad-field naming the expected field", () => {
    const swapped = "12 DOT atTick=1000 dot=5 extensionUm=800 strokeHz=120 dutyPermille=650 strokes=8 leaseTick=3500";
    const e = errorOf(decodeFrame(withCrc(swapped)));
    expect(e.reason).toBe("bad-field");
    if (e.reason === "bad-field") expect(e.detail).toContain("should be dot");
  });

  it("a field without '=' or with a misspelt name -> bad-field", () => {
    expect(errorOf(decodeFrame(withCrc("2 ARM leaseTick")))).toMatchObject({ reason: "bad-field", id: "ARM" });
    expect(errorOf(decodeFrame(withCrc("2 ARM leasetick=5")))).toMatchObject({ reason: "bad-field", id: "ARM" });
    expect(errorOf(decodeFrame(withCrc("2 ARM =5")))).toMatchObject({ reason: "bad-field", id: "ARM" });
  });

  it("u32 overflow (4294967296) -> bad-field; 4294967295 is accepted", () => {
    expect(errorOf(decodeFrame(withCrc("2 ARM leaseTick=4294967296")))).toMatchObject({
      reason: "bad-field",
      id: "ARM",
    });
    expect(errorOf(decodeFrame(withCrc("2 ARM leaseTick=99999999999")))).toMatchObject({
      reason: "bad-field",
      id: "ARM",
    });
    const ok = decodeFrame(withCrc("2 ARM leaseTick=4294967295"));
    expect(ok.ok && ok.frame.fields).toEqual({ leaseTick: 4294967295 });
  });

  it("negative value in a u32 field -> bad-field", () => {
    expect(errorOf(decodeFrame(withCrc("2 ARM leaseTick=-1")))).toMatchObject({ reason: "bad-field", id: "ARM" });
    expect(errorOf(decodeFrame(withCrc("2 ARM leaseTick=-0")))).toMatchObject({ reason: "bad-field", id: "ARM" });
  });

  it("i32 bounds, '-0' and '+' signs -> bad-field", () => {
    const stroke = (ext: string) =>
      decodeFrame(withCrc(`3 STROKE dot=5 stroke=1 extensionUm=${ext} periodUs=1 currentMa=1`));
    expect(errorOf(stroke("2147483648"))).toMatchObject({ reason: "bad-field", id: "STROKE" });
    expect(errorOf(stroke("-2147483649"))).toMatchObject({ reason: "bad-field", id: "STROKE" });
    expect(errorOf(stroke("-0"))).toMatchObject({ reason: "bad-field", id: "STROKE" });
    expect(errorOf(stroke("+5"))).toMatchObject({ reason: "bad-field", id: "STROKE" });
    expect(stroke("2147483647").ok).toBe(true);
  });

  it("leading zeros ('007') -> bad-field in a field, bad-seq in the sequence number", () => {
    expect(errorOf(decodeFrame(withCrc("2 ARM leaseTick=007")))).toMatchObject({ reason: "bad-field", id: "ARM" });
    expect(errorOf(decodeFrame(withCrc("2 ARM leaseTick=00")))).toMatchObject({ reason: "bad-field", id: "ARM" });
    expect(errorOf(decodeFrame(withCrc("007 HELLO")))).toEqual({ reason: "bad-seq", text: "007" });
  });

  it("malformed numbers and tokens -> bad-field", () => {
    expect(errorOf(decodeFrame(withCrc("2 ARM leaseTick=1e3")))).toMatchObject({ reason: "bad-field" });
    expect(errorOf(decodeFrame(withCrc("2 ARM leaseTick=0x10")))).toMatchObject({ reason: "bad-field" });
    expect(errorOf(decodeFrame(withCrc("2 ARM leaseTick=")))).toMatchObject({ reason: "bad-field" });
    const info = (fw: string) =>
      withCrc(
        `1 INFO protocol=1 firmware=${fw} schema=87fb8914 clockHz=10000 bootId=1 tick=1 ` +
          "hardMaxExtensionUm=1 hardMaxStrokeHz=1 hardMaxCurrentMa=1 hardMaxDwellMs=1 hardMaxLeaseMs=1 queueSlots=1",
      );
    expect(decodeFrame(info("fw-1.0_a")).ok).toBe(true);
    expect(errorOf(decodeFrame(info("")))).toMatchObject({ reason: "bad-field", id: "INFO" });
    expect(errorOf(decodeFrame(info("a=b")))).toMatchObject({ reason: "bad-field", id: "INFO" });
    expect(errorOf(decodeFrame(info("a+b")))).toMatchObject({ reason: "bad-field", id: "INFO" });
  });

  it("non-ASCII or control byte -> bad-char with its index and value", () => {
    const body = "0 HELLO\u00e9";
    expect(errorOf(decodeFrame(`${body}*${hex4(refCrc(body))}`))).toEqual({ reason: "bad-char", index: 7, byte: 0xe9 });
    expect(errorOf(decodeFrame(withCrc("0 HEL\tLO")))).toEqual({ reason: "bad-char", index: 5, byte: 0x09 });
    expect(errorOf(decodeFrame(withCrc("0 HEL\rLO")))).toEqual({ reason: "bad-char", index: 5, byte: 0x0d });
    expect(errorOf(decodeFrame(withCrc("0 HEL\u007fLO")))).toEqual({ reason: "bad-char", index: 5, byte: 0x7f });
  });

  it("too-long line -> too-long; a line of exactly the limit (with '\\n') is accepted", () => {
    const fixed =
      "2 INFO protocol=1 firmware= schema=0000ffff clockHz=10000 bootId=3735928559 tick=123456 " +
      "hardMaxExtensionUm=1500 hardMaxStrokeHz=160 hardMaxCurrentMa=3000 " +
      "hardMaxDwellMs=300 hardMaxLeaseMs=1000 queueSlots=8";
    const infoWithFirmware = (n: number) => withCrc(fixed.replace("firmware=", `firmware=${"f".repeat(n)}`));
    const n = LINK.maxFrameBytes - 1 - (fixed.length + 5); // fills the line to the limit
    expect(infoWithFirmware(n).length + 1).toBe(LINK.maxFrameBytes);
    expect(decodeFrame(infoWithFirmware(n)).ok).toBe(true);
    expect(errorOf(decodeFrame(infoWithFirmware(n + 1)))).toEqual({ reason: "too-long", length: LINK.maxFrameBytes });
    expect(errorOf(decodeFrame("x".repeat(5000))).reason).toBe("too-long");
  });

  it("bad seq (65536, empty, negative) -> bad-seq", () => {
    expect(errorOf(decodeFrame(withCrc("65536 HELLO")))).toEqual({ reason: "bad-seq", text: "65536" });
    expect(errorOf(decodeFrame(withCrc(" HELLO")))).toEqual({ reason: "bad-seq", text: "" });
    expect(errorOf(decodeFrame(withCrc("-1 HELLO")))).toEqual({ reason: "bad-seq", text: "-1" });
    expect(decodeFrame(withCrc("65535 HELLO")).ok).toBe(true);
  });
});

describe("encodeFrame refusals", () => {
  const dot = (over: Record<string, unknown>) =>
    ({
      id: "DOT",
      seq: 1,
      fields: {
        dot: 1,
        atTick: 2,
        extensionUm: 800,
        strokeHz: 120,
        dutyPermille: 650,
        strokes: 8,
        leaseTick: 9,
        ...over,
      },
    }) as unknown as Frame;
  const info = (firmware: string) =>
    ({
      id: "INFO",
      seq: 1,
      fields: {
        protocol: 2,
        firmware,
        schema: "87fb8914",
        clockHz: 10000,
        bootId: 1,
        tick: 2,
        hardMaxExtensionUm: 1500,
        hardMaxStrokeHz: 160,
        hardMaxCurrentMa: 3000,
        hardMaxDwellMs: 300,
        hardMaxLeaseMs: 1000,
        queueSlots: 8,
      },
    }) as Frame;

  it("encodes the base frames (so each refusal below is caused by its one change)", () => {
    expect(encodeFrame(dot({}))).toBe(refLine(dot({})));
    expect(encodeFrame(info("fw-1"))).toBe(refLine(info("fw-1")));
  });

  it("throws EncodeError for a non-integer", () => {
    expect(() => encodeFrame(dot({ extensionUm: 800.5 }))).toThrow(EncodeError);
    expect(() => encodeFrame(dot({ strokes: Number.NaN }))).toThrow(EncodeError);
    expect(() => encodeFrame(dot({ strokes: Number.POSITIVE_INFINITY }))).toThrow(EncodeError);
    expect(() => encodeFrame(dot({ strokes: "8" }))).toThrow(EncodeError);
    expect(() => encodeFrame({ id: "HELLO", seq: 1.5, fields: {} })).toThrow(EncodeError);
  });

  it("throws EncodeError for a negative u32 and for out-of-range values", () => {
    expect(() => encodeFrame(dot({ atTick: -1 }))).toThrow(EncodeError);
    expect(() => encodeFrame(dot({ atTick: 4294967296 }))).toThrow(EncodeError);
    expect(() =>
      encodeFrame({
        id: "STROKE",
        seq: 1,
        fields: { dot: 1, stroke: 1, extensionUm: 2147483648, periodUs: 1, currentMa: 1 },
      }),
    ).toThrow(EncodeError);
    expect(() => encodeFrame({ id: "HELLO", seq: 65536, fields: {} })).toThrow(EncodeError);
    expect(() => encodeFrame({ id: "HELLO", seq: -1, fields: {} })).toThrow(EncodeError);
  });

  it("throws EncodeError for a token with a space (or other non-token text)", () => {
    expect(() => encodeFrame(info("smp fw"))).toThrow(EncodeError);
    expect(() => encodeFrame(info(""))).toThrow(EncodeError);
    expect(() => encodeFrame(info("a=b"))).toThrow(EncodeError);
    expect(() => encodeFrame(info("a\nb"))).toThrow(EncodeError);
  });

  it("throws EncodeError for an unknown id, a missing field, and a frame over the size limit", () => {
    expect(() => encodeFrame({ id: "NOPE", seq: 1, fields: {} } as unknown as Frame)).toThrow(EncodeError);
    expect(() => encodeFrame({ id: "ARM", seq: 1, fields: {} } as unknown as Frame)).toThrow(EncodeError);
    expect(() => encodeFrame(info("f".repeat(300)))).toThrow(EncodeError);
  });
});

describe("LineAssembler", () => {
  it("splits lines, accepts CRLF, skips empty lines", () => {
    const items = new LineAssembler().pushAll(bytesOf("0 HELLO*C591\r\n\n\r\n\n1 UNLOCK*0290\n"));
    expect(items).toEqual([
      { kind: "line", line: "0 HELLO*C591" },
      { kind: "line", line: "1 UNLOCK*0290" },
    ]);
  });

  it("keeps a CR anywhere but before '\\n' in the line, so the decoder refuses it", () => {
    const items = new LineAssembler().pushAll(bytesOf("0 HEL\rLO*C591\n"));
    expect(items).toEqual([{ kind: "line", line: "0 HEL\rLO*C591" }]);
    expect(errorOf(decodeFrame("0 HEL\rLO*C591"))).toEqual({ reason: "bad-char", index: 5, byte: 0x0d });
  });

  it("regression: a '-' flipped to '\\r' (one bit) does not turn into a different valid frame", () => {
    // With the CR silently dropped, this STROKE frame's CRC happens to match the body without '-': the
    // flip would have delivered extensionUm=1 instead of -1 as a valid frame.
    const line = encodeFrame({
      id: "STROKE",
      seq: 3,
      fields: { dot: 5, stroke: 1, extensionUm: -1, periodUs: 8000, currentMa: 1200 },
    });
    expect(line).toBe("3 STROKE dot=5 stroke=1 extensionUm=-1 periodUs=8000 currentMa=1200*2FB8\n");
    expect(refCrc("3 STROKE dot=5 stroke=1 extensionUm=1 periodUs=8000 currentMa=1200")).toBe(0x2fb8); // the collision
    const bytes = bytesOf(line);
    const i = line.indexOf("-");
    bytes[i] = bytes[i]! ^ 0x20; // 0x2D '-' -> 0x0D '\r'
    for (const l of linesOf(new LineAssembler().pushAll(bytes))) expect(decodeFrame(l).ok).toBe(false);
  });

  it("keeps a partial line across pushes", () => {
    const a = new LineAssembler();
    expect(a.pushAll(bytesOf("0 HEL"))).toEqual([]);
    expect(a.pushAll(bytesOf("LO*C591\n"))).toEqual([{ kind: "line", line: "0 HELLO*C591" }]);
  });

  it("reports an over-long line once as overflow, drops it, and resynchronises at the next '\\n'", () => {
    const a = new LineAssembler();
    const items = a.pushAll(bytesOf(`${"x".repeat(1000)}\n0 HELLO*C591\n`));
    expect(items).toEqual([{ kind: "overflow" }, { kind: "line", line: "0 HELLO*C591" }]);
    // exactly maxFrameBytes bytes before '\n' still come out as a line (the decoder then refuses it)
    const edge = new LineAssembler().pushAll(bytesOf(`${"y".repeat(LINK.maxFrameBytes)}\n`));
    expect(edge).toEqual([{ kind: "line", line: "y".repeat(LINK.maxFrameBytes) }]);
    expect(errorOf(decodeFrame("y".repeat(LINK.maxFrameBytes))).reason).toBe("too-long");
    // one byte more is an overflow
    expect(new LineAssembler().pushAll(bytesOf(`${"y".repeat(LINK.maxFrameBytes + 1)}\n`))).toEqual([
      { kind: "overflow" },
    ]);
  });
});

describe("properties", () => {
  it("(a) any bytes through LineAssembler + decodeFrame never throw", () => {
    const bytesArb = fc.oneof(
      fc.uint8Array({ maxLength: 700 }),
      // bias towards frame-like input: alphabet bytes, newlines, priority bytes
      fc
        .array(
          fc.constantFrom(
            ...bytesOf("0123456789 =*ABCDEFHKLMNOPRSTUXYabcdefgkmnlopqrstuvxyz-\n\r"),
            0x18,
            0x1c,
            0xff,
            0x00,
          ),
          { maxLength: 700 },
        )
        .map((a) => Uint8Array.from(a)),
    );
    fc.assert(
      fc.property(bytesArb, fc.integer({ min: 1, max: 64 }), (bytes, chunk) => {
        const a = new LineAssembler();
        for (let i = 0; i < bytes.length; i += chunk) {
          for (const item of a.pushAll(bytes.subarray(i, i + chunk))) {
            if (item.kind === "line") {
              expect(item.line.length).toBeLessThanOrEqual(LINK.maxFrameBytes);
              const r = decodeFrame(item.line);
              expect(typeof r.ok).toBe("boolean");
            }
          }
        }
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 400 }), (s) => {
        decodeFrame(s);
      }),
      { numRuns: 300 },
    );
  });

  it("(b) round trip: every valid frame encodes to the reference line and decodes to the same object", () => {
    fc.assert(
      fc.property(validFrameArb, (frame) => {
        const line = encodeFrame(frame);
        expect(line).toBe(refLine(frame));
        const r = decodeFrame(line);
        expect(r).toEqual({ ok: true, frame });
      }),
      { numRuns: 1000 },
    );
  });

  it("(b') a frame too long for the wire is refused by the encoder, never emitted", () => {
    fc.assert(
      fc.property(anyFrameArb, (frame) => {
        if (refLine(frame).length > LINK.maxFrameBytes) expect(() => encodeFrame(frame)).toThrow(EncodeError);
        else expect(encodeFrame(frame)).toBe(refLine(frame));
      }),
      { numRuns: 500 },
    );
  });

  it("(b'') the decoder accepts only canonical text: whatever it accepts re-encodes to the same bytes", () => {
    // Mutate the body of a valid frame (replace, insert or delete one character), re-seal it with a
    // correct CRC, and decode: an accepted line must be exactly what encodeFrame would have written.
    const alphabet = "0123456789 =-+.*_aAzZ";
    fc.assert(
      fc.property(
        validFrameArb,
        fc.nat(),
        fc.constantFrom(...alphabet),
        fc.constantFrom("replace", "insert", "delete"),
        (frame, at, ch, op) => {
          const body = encodeFrame(frame).slice(0, -6);
          const i = at % (body.length + 1);
          const mutated =
            op === "insert"
              ? body.slice(0, i) + ch + body.slice(i)
              : op === "delete"
                ? body.slice(0, i) + body.slice(i + 1)
                : body.slice(0, i) + ch + body.slice(i + 1);
          const line = withCrc(mutated);
          const r = decodeFrame(line);
          if (r.ok) expect(encodeFrame(r.frame)).toBe(`${line}\n`);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("(c) resync: garbage without '\\n', then '\\n', then a valid frame -> the frame is recovered", () => {
    const garbageArb = fc.uint8Array({ maxLength: 600 }).map((g) => g.filter((b) => b !== 0x0a));
    fc.assert(
      fc.property(garbageArb, validFrameArb, (garbage, frame) => {
        const line = encodeFrame(frame);
        const a = new LineAssembler();
        const items = [...a.pushAll(garbage), ...a.pushAll(Uint8Array.of(0x0a)), ...a.pushAll(bytesOf(line))];
        const lines = linesOf(items);
        expect(lines.length).toBeGreaterThanOrEqual(1);
        expect(decodeFrame(lines[lines.length - 1]!)).toEqual({ ok: true, frame });
      }),
      { numRuns: 500 },
    );
  });

  it("(d) priority bytes inserted anywhere are pulled out in order and the frame still decodes", () => {
    const insertsArb = fc.array(fc.tuple(fc.nat(), fc.constantFrom<"STOP" | "ESTOP">("STOP", "ESTOP")), {
      minLength: 1,
      maxLength: 8,
    });
    fc.assert(
      fc.property(validFrameArb, insertsArb, (frame, inserts) => {
        const line = encodeFrame(frame);
        const bytes = [...bytesOf(line)];
        // place each priority byte at a position in the original line (0..length, i.e. also after '\n')
        const placed = inserts.map(([pos, which], order) => ({ pos: pos % (line.length + 1), which, order }));
        placed.sort((x, y) => x.pos - y.pos || x.order - y.order);
        const out: number[] = [];
        let k = 0;
        for (let i = 0; i <= bytes.length; i++) {
          while (k < placed.length && placed[k]!.pos === i) out.push(PRIORITY_BYTES[placed[k++]!.which]);
          if (i < bytes.length) out.push(bytes[i]!);
        }
        const items = new LineAssembler().pushAll(Uint8Array.from(out));
        expect(items.filter((it) => it.kind === "priority")).toEqual(
          placed.map((p) => ({ kind: "priority", which: p.which })),
        );
        const lines = linesOf(items);
        expect(lines).toEqual([line.slice(0, -1)]);
        expect(decodeFrame(lines[0]!)).toEqual({ ok: true, frame });
      }),
      { numRuns: 500 },
    );
  });

  it("(e) any single bit flip in a valid frame is detected (never a different valid frame)", () => {
    const special = new Set<number>([0x0a, PRIORITY_BYTES.STOP, PRIORITY_BYTES.ESTOP]);
    fc.assert(
      fc.property(validFrameArb, fc.nat(), fc.integer({ min: 0, max: 7 }), (frame, at, bit) => {
        const line = encodeFrame(frame).slice(0, -1); // the frame's bytes, without the terminating '\n'
        const bytes = bytesOf(line);
        const i = at % bytes.length;
        const flipped = bytes[i]! ^ (1 << bit);
        fc.pre(!special.has(flipped));
        bytes[i] = flipped;
        expect(decodeFrame(String.fromCharCode(...bytes)).ok).toBe(false);
        // and through the assembler, as the receiver sees it (a CR is not dropped mid-line)
        const items = new LineAssembler().pushAll(Uint8Array.from([...bytes, 0x0a]));
        for (const l of linesOf(items)) expect(decodeFrame(l).ok).toBe(false);
      }),
      { numRuns: 3000 },
    );
  });

  it("(e') exhaustively: every single bit flip of every golden frame is detected", () => {
    const file = readFileSync(new URL("./golden/frames.txt", import.meta.url), "latin1");
    const special = new Set<number>([0x0a, PRIORITY_BYTES.STOP, PRIORITY_BYTES.ESTOP]);
    let checked = 0;
    for (const line of file.split("\n").filter((l) => l !== "" && !l.startsWith("#"))) {
      const bytes = bytesOf(line);
      for (let i = 0; i < bytes.length; i++) {
        for (let bit = 0; bit < 8; bit++) {
          const copy = bytes.slice();
          copy[i] = copy[i]! ^ (1 << bit);
          if (special.has(copy[i]!)) continue;
          expect(decodeFrame(String.fromCharCode(...copy)).ok, `flip byte ${i} bit ${bit} of ${line}`).toBe(false);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(10_000);
  });
});
