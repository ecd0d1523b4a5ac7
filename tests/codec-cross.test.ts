// The C codec (firmware-bridge/src/codec.c, through test/codec_cli.c) against the TypeScript codec
// (src/protocol/codec.ts) on the same inputs: golden frames, random valid frames, and mutations of them with
// the CRC recomputed (so the strict parsing rules, not the CRC, decide), plus random byte streams through
// both line assemblers. codec_cli is built here with the host compiler (make; no AVR toolchain needed).

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { LineAssembler, crc16, decodeFrame, encodeFrame } from "../src/protocol/codec.ts";
import { MESSAGES, type Frame } from "../src/protocol/table.ts";
import { Rng } from "../src/sim/plant.ts";

// a build directory of its own: tests/firmware-host.test.ts may run make in firmware-bridge at the same time
const FIRMWARE_DIR = fileURLToPath(new URL("../firmware-bridge/", import.meta.url));
const BUILD = "build/vitest-cross";
const CLI = join(FIRMWARE_DIR, BUILD, "host", "codec_cli");

beforeAll(() => {
  const r = spawnSync(
    "make",
    ["-C", FIRMWARE_DIR, "--no-print-directory", `BUILD=${BUILD}`, `${BUILD}/host/codec_cli`],
    { encoding: "utf8", timeout: 120_000 },
  );
  if (r.status !== 0) throw new Error(`building codec_cli with the host compiler failed:\n${r.stdout}\n${r.stderr}`);
}, 120_000);

const hex = (s: string) => Buffer.from(s, "latin1").toString("hex").toUpperCase();
const unhex = (h: string) => Buffer.from(h, "hex").toString("latin1");

function runCli(mode: "decode" | "asm", inputs: string[]): string[] {
  const r = spawnSync(CLI, [mode], { input: inputs.map(hex).join("\n") + "\n", maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`codec_cli failed: ${r.stderr.toString()}`);
  return r.stdout.toString().trimEnd().split("\n");
}

const rng = new Rng(2024);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)]!;
const TOKEN_CHARS = "ABCXYZabcxyz0123456789._-";

function randomFrame(): Frame {
  const spec = pick(MESSAGES);
  const fields: Record<string, number | string> = {};
  for (const f of spec.fields) {
    if (f.kind === "token")
      fields[f.name] = Array.from({ length: 1 + Math.floor(rng.next() * 20) }, () => pick([...TOKEN_CHARS])).join("");
    else if (f.kind === "i32")
      fields[f.name] = pick([0, -1, 1, 2147483647, -2147483648, Math.floor((rng.next() - 0.5) * 1e6)]);
    else fields[f.name] = pick([0, 1, 9, 10, 65535, 4294967295, Math.floor(rng.next() * 4294967296)]);
  }
  return { id: spec.id, seq: Math.floor(rng.next() * 65536), fields } as Frame;
}

/** A mutation of the body, resealed with a correct CRC so that only the parser can refuse it. */
function mutate(line: string): string {
  const body = line.slice(0, line.lastIndexOf("*"));
  const i = Math.floor(rng.next() * body.length);
  const edits = [
    () => body.slice(0, i) + body.slice(i + 1), // drop a byte
    // insert
    () => body.slice(0, i) + pick([" ", "=", "0", "-", "9", "a", "\r", "\t", "\x7f", "*", "+"]) + body.slice(i),
    () => body.slice(0, i) + pick([" ", "=", "0", "1", "-", "Z", "x", "_"]) + body.slice(i + 1), // replace
    () => body.replace(/=(\d)/, "=0$1"), // leading zero
    () => body.replace(/=(\d+)/, (_m, d: string) => `=${BigInt(d) + 4294967296n}`), // out of range
    () => body.replace(/=-?(\d+)/, "=-0"), // negative zero
    () => body.toLowerCase(),
    () => `${body} `, // trailing space
    () => body.replace(" ", "  "), // double space
    () => body.replace(/ (\w+)=/, (_m, n: string) => ` ${n}X=`), // misnamed field
  ];
  const b = pick(edits)();
  const crc = crc16(b).toString(16).toUpperCase().padStart(4, "0");
  return `${b}*${pick([crc, crc, crc, crc.toLowerCase(), `${crc}\r`])}`;
}

describe("C codec against the TypeScript codec", () => {
  it("agrees on every golden frame, random frame and resealed mutation: accepted, and re-encoded byte for byte", () => {
    const golden = readFileSync(new URL("./golden/frames.txt", import.meta.url), "latin1")
      .split("\n")
      .filter((l) => l.length > 0 && !l.startsWith("#"));
    const inputs: string[] = [...golden];
    for (let k = 0; k < 3000; k++) {
      let line: string;
      try {
        line = encodeFrame(randomFrame()).slice(0, -1);
      } catch {
        continue; // too long for the wire: the TypeScript encoder refuses it
      }
      inputs.push(line, mutate(line), mutate(line), mutate(mutate(line)));
    }
    const out = runCli("decode", inputs);
    expect(out).toHaveLength(inputs.length);
    let accepted = 0;
    for (let k = 0; k < inputs.length; k++) {
      const d = decodeFrame(inputs[k]!);
      const c = out[k]!;
      if (d.ok) {
        accepted++;
        expect(c, inputs[k]).toBe(`OK ${hex(encodeFrame(d.frame))}`);
      } else {
        expect(c.startsWith("ERR"), `${inputs[k]}: TS ${d.error.reason}, C ${c}`).toBe(true);
      }
    }
    expect(accepted).toBeGreaterThan(golden.length + 3000);
    expect(accepted).toBeLessThan(inputs.length); // and plenty were refused
  });

  it("splits random byte streams into the same lines, overflows and priority bytes", () => {
    const alphabet = ["A", "0", " ", "*", "=", "\n", "\n", "\r", "\x1c", "\x18", "\x00", "\xff"];
    const streams: string[] = [];
    for (let k = 0; k < 300; k++) {
      let s = "";
      const n = Math.floor(rng.next() * 1200);
      for (let i = 0; i < n; i++) s += rng.next() < 0.9 ? "A" : pick(alphabet);
      streams.push(s);
    }
    const out = runCli("asm", streams);
    const ts = new LineAssembler(); // one assembler across all streams, as the C side keeps one
    for (let k = 0; k < streams.length; k++) {
      const items = ts.pushAll(Uint8Array.from(Buffer.from(streams[k]!, "latin1")));
      const expected = items.map((it) =>
        it.kind === "line" ? `L${hex(it.line)}` : it.kind === "overflow" ? "O" : it.which === "STOP" ? "S" : "E",
      );
      expect(
        out[k]!.trim()
          .split(" ")
          .filter((x) => x.length > 0),
      ).toEqual(expected);
    }
    expect(unhex("41")).toBe("A");
  });
});
