// Property-based fuzzing (fast-check) of three host modules, each test naming its case count (FUZZ_RUNS
// overrides it for a long run: tests/fixtures/fuzz-runs.ts):
// - the codec (src/protocol/codec.ts): every message of the table round-trips; any bytes through the host's line
//   framer and decoder never throw and never yield a frame that breaks its schema; corrupted frames (1-3 bit
//   flips, truncation, a byte lost or doubled) are detected, never decoded into something else;
// - the profile loader (src/profiles/load.ts): any JSON value or text is accepted or refused with SmpError
//   details naming field, value and limit, never another throw; what it accepts re-validates to the same data;
//   a valid profile's number moved past its limit is refused naming that field and value, never clamped;
// - the supervisor FSM (src/safety/fsm.ts): random input sequences never reach a state outside the table or
//   enable the drive outside running, and nothing leads from a fault back to running, nor from a latched
//   alarm to running without the operator's --unlock.

import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { crc16, decodeFrame, encodeFrame, hostLineReceiver, type DecodeError } from "../src/protocol/codec.ts";
import { LINK, MESSAGES, PRIORITY_BYTES, type Frame } from "../src/protocol/table.ts";
import { parseDepthProfile, parseMachineCalibration } from "../src/profiles/load.ts";
import { SmpError } from "../src/errors/errors.ts";
import { ENVELOPES } from "../src/safety/limits.ts";
import { STATES, driveEnabled, initialState, transition } from "../src/safety/fsm.ts";
import { FUZZ_TIMEOUT_MS, fuzzRuns } from "./fixtures/fuzz-runs.ts";
import { HAPPY_TO_RUNNING, fsmInputArb, uniform } from "./fixtures/fsm-inputs.ts";

const bytesOf = (s: string) => Uint8Array.from([...s].map((c) => c.charCodeAt(0)));
const textOf = (b: Uint8Array) => String.fromCharCode(...b);

// ---------------------------------------------------------------------------------------------------------
// codec

const u32 = fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(0, 1, 9, 10, 0xffffffff));
const i32 = fc.oneof(fc.integer({ min: -0x80000000, max: 0x7fffffff }), fc.constantFrom(0, -1, -0x80000000));
const token = fc.stringMatching(/^[A-Za-z0-9._-]{1,32}$/);

function frameArb(spec: (typeof MESSAGES)[number]): fc.Arbitrary<Frame> {
  const kinds = { u32, i32, token } as const;
  const fields = Object.fromEntries(spec.fields.map((f) => [f.name, kinds[f.kind] as fc.Arbitrary<unknown>]));
  return fc
    .record({ seq: fc.integer({ min: 0, max: 65535 }), fields: fc.record(fields) })
    .map(({ seq, fields: v }) => ({ id: spec.id, seq, fields: v }) as unknown as Frame)
    .filter((f) => {
      try {
        encodeFrame(f);
        return true;
      } catch {
        return false; // too long for the wire (long tokens in INFO): the encoder's refusal is tested elsewhere
      }
    });
}
const anyFrame = fc.oneof(...MESSAGES.map(frameArb));

const DECODE_REASONS: readonly DecodeError["reason"][] = [
  "too-long",
  "bad-char",
  "no-crc",
  "crc-mismatch",
  "bad-seq",
  "unknown-id",
  "bad-field",
];

/** A decoded frame satisfies its message's schema: id in the table, exactly its fields, each of its kind. */
function expectSchema(frame: Frame): void {
  const spec = MESSAGES.find((m) => m.id === frame.id);
  expect(spec, frame.id).toBeDefined();
  expect(frame.seq).toSatisfy((s: number) => Number.isInteger(s) && s >= 0 && s < 65536);
  const values = frame.fields as Record<string, unknown>;
  expect(Object.keys(values)).toEqual(spec!.fields.map((f) => f.name));
  for (const f of spec!.fields) {
    const v = values[f.name];
    if (f.kind === "token") expect(v).toMatch(/^[A-Za-z0-9._-]+$/);
    else if (f.kind === "u32") expect(v).toSatisfy((n: number) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff);
    else expect(v).toSatisfy((n: number) => Number.isInteger(n) && n >= -0x80000000 && n <= 0x7fffffff);
  }
}

/** Every line the host's framer delivers for these bytes, decoded. */
function receive(bytes: Uint8Array) {
  const lines: string[] = [];
  hostLineReceiver((l) => lines.push(l))(bytes);
  return lines.map((line) => ({ line, result: decodeFrame(line) }));
}

describe("fuzz: codec", () => {
  for (const spec of MESSAGES) {
    const runs = fuzzRuns(200);
    it(
      `${spec.id} round-trips: encode then decode gives the frame back (${runs} cases)`,
      () => {
        fc.assert(
          fc.property(frameArb(spec), (frame) => {
            const line = encodeFrame(frame);
            expect(line.length).toBeLessThanOrEqual(LINK.maxFrameBytes);
            expect(receive(bytesOf(line)).map((r) => r.result)).toEqual([{ ok: true, frame }]);
          }),
          { numRuns: runs },
        );
      },
      FUZZ_TIMEOUT_MS,
    );
  }

  const garbageRuns = fuzzRuns(2000);
  it(
    `any bytes through framer and decoder: no throw, documented errors, valid frames only (${garbageRuns} cases)`,
    () => {
      const frameBytes = anyFrame.map((f) => [...bytesOf(encodeFrame(f))]);
      const stream = fc
        .array(
          fc.oneof(
            fc.uint8Array({ maxLength: 80 }).map((b) => [...b]),
            frameBytes,
            fc.constant([0x0a]),
          ),
          {
            maxLength: 8,
          },
        )
        .map((parts) => Uint8Array.from(parts.flat()));
      fc.assert(
        fc.property(stream, (bytes) => {
          for (const { line, result } of receive(bytes)) {
            expect(line.length).toBeLessThanOrEqual(LINK.maxFrameBytes);
            if (result.ok) {
              expectSchema(result.frame);
              expect(encodeFrame(result.frame)).toBe(`${line}\n`); // canonical: nothing guessed
            } else {
              expect(DECODE_REASONS).toContain(result.error.reason);
            }
          }
        }),
        { numRuns: garbageRuns },
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  const corruptRuns = fuzzRuns(3000);
  it(
    `corruption is detected: 1-3 bit flips, truncation, a byte lost or doubled (${corruptRuns} cases)`,
    () => {
      const special = new Set<number>([0x0a, PRIORITY_BYTES.STOP, PRIORITY_BYTES.ESTOP]);
      const corruption = fc.oneof(
        fc.record({
          kind: fc.constant("flips" as const),
          at: fc.uniqueArray(fc.nat(), { minLength: 1, maxLength: 3 }),
        }),
        fc.record({
          kind: fc.constantFrom("truncate" as const, "drop" as const, "double" as const),
          at: fc.tuple(fc.nat()),
        }),
      );
      fc.assert(
        fc.property(anyFrame, corruption, (frame, c) => {
          const good = encodeFrame(frame).slice(0, -1); // without its '\n'
          const bytes = [...bytesOf(good)];
          let bad: number[];
          if (c.kind === "flips") {
            bad = bytes.slice();
            const bits = new Set(c.at.map((a) => a % (bytes.length * 8)));
            for (const bit of bits) bad[bit >> 3] = bad[bit >> 3]! ^ (1 << (bit & 7));
            fc.pre(bits.size === c.at.length && bad.every((b) => !special.has(b)));
          } else {
            const i = c.at[0] % bytes.length;
            if (c.kind === "truncate") bad = bytes.slice(0, i);
            else if (c.kind === "drop") bad = [...bytes.slice(0, i), ...bytes.slice(i + 1)];
            else bad = [...bytes.slice(0, i + 1), ...bytes.slice(i)];
            fc.pre(textOf(Uint8Array.from(bad)) !== good); // a change that leaves the text as it was is no corruption
          }
          expect(decodeFrame(textOf(Uint8Array.from(bad))).ok).toBe(false);
          for (const { result } of receive(Uint8Array.from([...bad, 0x0a]))) expect(result.ok).toBe(false);
        }),
        { numRuns: corruptRuns },
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  it("the CRC the framer checks is CRC-16/CCITT-FALSE (so the detection above rests on its distance)", () => {
    expect(crc16("123456789")).toBe(0x29b1);
  });
});

// ---------------------------------------------------------------------------------------------------------
// profile loader

const DEMO_TEXT = readFileSync(new URL("../profiles/demo.json", import.meta.url), "utf8");
const DEMO = JSON.parse(DEMO_TEXT) as unknown;
const MACHINE_TEXT = readFileSync(new URL("../profiles/machines/rotary-pmu.json", import.meta.url), "utf8");
const MACHINE = JSON.parse(MACHINE_TEXT) as unknown;

/** The loader's contract: a result, or an SmpError INVALID_INPUT/LIMIT whose every detail names field and limit. */
function loadOrRefuse(load: () => unknown): { ok: true; value: unknown } | { ok: false; error: SmpError } {
  try {
    return { ok: true, value: load() };
  } catch (e) {
    expect(e).toBeInstanceOf(SmpError);
    const err = e as SmpError;
    expect(["INVALID_INPUT", "LIMIT"]).toContain(err.code);
    expect(err.details.length).toBeGreaterThan(0);
    for (const d of err.details) {
      expect(d.field).toMatch(/\S/);
      expect(d).toHaveProperty("value");
      expect(d.limit).toMatch(/\S/);
    }
    return { ok: false, error: err };
  }
}

type Path = (string | number)[];
function leaves(v: unknown, path: Path = []): Path[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => leaves(x, [...path, i]));
  if (typeof v === "object" && v !== null) return Object.entries(v).flatMap(([k, x]) => leaves(x, [...path, k]));
  return [path];
}
function withValue(root: unknown, path: Path, value: unknown): unknown {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let at = copy;
  for (const p of path.slice(0, -1)) at = at[p] as Record<string | number, unknown>;
  at[path.at(-1)!] = value;
  return copy;
}
const fieldOf = (path: Path) => path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");

describe("fuzz: profile loader", () => {
  const anyRuns = fuzzRuns(1000);
  it(
    `any JSON or text: accepted, or refused naming field, value, limit; no other throw (${anyRuns} cases)`,
    () => {
      const demoLeaves = leaves(DEMO);
      const mutatedDemo = fc
        .tuple(fc.integer({ min: 0, max: demoLeaves.length - 1 }), fc.jsonValue({ maxDepth: 2 }))
        .map(([i, v]) => JSON.stringify(withValue(DEMO, demoLeaves[i]!, v)));
      const text = fc.oneof(
        fc.jsonValue().map((v) => JSON.stringify(v)),
        mutatedDemo,
        fc.string({ maxLength: 200 }),
      );
      fc.assert(
        fc.property(text, (t) => {
          const profile = loadOrRefuse(() => parseDepthProfile(t, "fuzz.json"));
          if (profile.ok) {
            // what was accepted re-validates, to the same data
            const again = parseDepthProfile(JSON.stringify((profile.value as { profile: unknown }).profile), "again");
            expect(again.profile).toEqual((profile.value as { profile: unknown }).profile);
          }
          loadOrRefuse(() => parseMachineCalibration(t, "fuzz-machine.json"));
        }),
        { numRuns: anyRuns },
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  const machineRuns = fuzzRuns(500);
  it(
    `a machine file with a value replaced: accepted and re-validating, or refused (${machineRuns} cases)`,
    () => {
      const machineLeaves = leaves(MACHINE);
      fc.assert(
        fc.property(fc.integer({ min: 0, max: machineLeaves.length - 1 }), fc.jsonValue({ maxDepth: 1 }), (i, v) => {
          const r = loadOrRefuse(() =>
            parseMachineCalibration(JSON.stringify(withValue(MACHINE, machineLeaves[i]!, v)), "m"),
          );
          if (r.ok) {
            const cal = (r.value as { calibration: unknown }).calibration;
            expect(parseMachineCalibration(JSON.stringify(cal), "again").calibration).toEqual(cal);
          }
        }),
        // found by this property: an object as the machine kind threw a TypeError from the stroke-range lookup
        { numRuns: machineRuns, examples: [[3, { toString: 0 }]] },
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  // Each number of the demo profile with its limit: the envelope's (fit.ts) or the schema's (schema.ts).
  const env = ENVELOPES.standard;
  const LIMITS: readonly { re: RegExp; min: number; max: number; int: boolean }[] = [
    { re: /^dotIntervalMs$/, min: env.dotIntervalMs.min, max: env.dotIntervalMs.max, int: true },
    { re: /^depthToleranceUm$/, min: env.depthToleranceUm.min, max: env.depthToleranceUm.max, int: true },
    { re: /\.targetExtensionUm$/, min: env.extensionUm.min, max: env.extensionUm.max, int: true },
    { re: /\.strokeHz$/, min: env.strokeHz.min, max: env.strokeHz.max, int: true },
    { re: /\.strokesPerDot$/, min: env.strokesPerDot.min, max: env.strokesPerDot.max, int: true },
    { re: /\.diameterMm$/, min: env.needleDiameterMm.min, max: env.needleDiameterMm.max, int: false },
    { re: /\.densityDotsPerCm2$/, min: 1, max: 80, int: false },
  ];
  const numeric = leaves(DEMO).flatMap((path) => {
    const field = fieldOf(path);
    const limit = LIMITS.find((l) => l.re.test(field));
    return limit ? [{ path, field, ...limit }] : [];
  });

  it("the demo profile is valid and has a number under every limit above (so the mutations below start valid)", () => {
    expect(() => parseDepthProfile(DEMO_TEXT, "demo.json")).not.toThrow();
    for (const l of LIMITS)
      expect(
        numeric.some((n) => l.re.test(n.field)),
        String(l.re),
      ).toBe(true);
  });

  const pastRuns = fuzzRuns(1000);
  it(
    `a number moved past its limit is refused naming that field and value, never clamped (${pastRuns} cases)`,
    () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: numeric.length - 1 }),
          fc.boolean(),
          fc.integer({ min: 1, max: 100_000 }),
          (i, above, steps) => {
            const n = numeric[i]!;
            const step = n.int ? 1 : 0.01;
            const value = Math.round((above ? n.max + steps * step : n.min - steps * step) * 100) / 100;
            const r = loadOrRefuse(() =>
              parseDepthProfile(JSON.stringify(withValue(DEMO, n.path, value)), "past.json"),
            );
            expect(r.ok, `${n.field} = ${value} was accepted`).toBe(false);
            if (!r.ok) expect(r.error.details).toContainEqual(expect.objectContaining({ field: n.field, value }));
          },
        ),
        { numRuns: pastRuns },
      );
    },
    FUZZ_TIMEOUT_MS,
  );
});

// ---------------------------------------------------------------------------------------------------------
// supervisor FSM

const HAPPY = HAPPY_TO_RUNNING;
/** A prefix of the happy path (running is reached in one walk out of eight), then random inputs mixed with
 * the happy path's own (start, armAcked...), which try to get back to running after whatever happened. */
const walkArb = fc
  .tuple(fc.integer({ min: 0, max: HAPPY.length }), fc.array(fc.oneof(fsmInputArb, uniform(HAPPY)), { maxLength: 60 }))
  .map(([k, rest]) => [...HAPPY.slice(0, k), ...rest]);

describe("fuzz: supervisor FSM", () => {
  const runs = fuzzRuns(3000);
  it(
    `random inputs: table states only, drive only in running, no running after a fault, ` +
      `no UNLOCK of a latched alarm without --unlock (${runs} cases)`,
    () => {
      let reachedRunning = 0;
      let operatorUnlocks = 0; // UNLOCKs of another alarm than POWER_UP seen (with --unlock)
      fc.assert(
        fc.property(walkArb, (inputs) => {
          let s = initialState;
          let faulted = false; // a fault, stop or hold was detected: parking, then done
          for (const input of inputs) {
            const r = transition(s, input);
            expect(STATES).toContain(r.next.name);
            expect(driveEnabled(r.next)).toBe(r.next.name === "running");
            // the host itself sends UNLOCK for no latched alarm but POWER_UP, unless the operator gave --unlock
            const sendsUnlock = r.effects.some((e) => e.type === "send" && e.command === "UNLOCK");
            if (sendsUnlock && input.type === "proceed" && input.latched !== "POWER_UP") {
              expect(input.unlockLatched, "UNLOCK of a latched alarm without --unlock").toBe(true);
              operatorUnlocks++;
            }
            if (r.effects.some((e) => e.type === "fault") || r.next.name === "parking") faulted = true;
            if (r.next.name === "running" && s.name !== "running") {
              reachedRunning++;
              expect(faulted, "running after a fault").toBe(false);
            }
            if (s.name === "done") expect(r.next).toBe(s);
            s = r.next;
          }
        }),
        { numRuns: runs },
      );
      expect(reachedRunning).toBeGreaterThan(runs / 20); // the property was exercised, not vacuous
      expect(operatorUnlocks).toBeGreaterThan(0); // and so was the unlock rule
    },
    FUZZ_TIMEOUT_MS,
  );
});
