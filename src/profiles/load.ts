// Pure loaders for depth profiles and machine calibrations: JSON text in, validated, envelope-checked and
// frozen data out, or ONE SmpError whose details name every problem found (field, value, limit). Shape
// problems (INVALID_INPUT) are reported first; envelope problems (LIMIT) once the shape is valid. Nothing is
// clamped or defaulted. No fs, no clock. Also: per-dot settings, zones of a session, board-fit check.

import { createHash } from "node:crypto";
import type { z } from "zod";
import { SmpError, formatLimit, limitError, type LimitDetail } from "../errors/errors.ts";
import { LINK } from "../protocol/table.ts";
import { ENVELOPES, checkRange, type Envelope, type HardLimits, type Range } from "../safety/limits.ts";
import {
  DepthProfileSchema,
  MachineCalibrationSchema,
  type DepthProfile,
  type MachineCalibration,
  type Needle,
  type SessionNumber,
  type ZoneSession,
} from "./schema.ts";

export interface LoadedProfile {
  readonly profile: DepthProfile;
  /** sha256 hex of the exact text. */
  readonly hash: string;
  readonly source: string;
}

export interface LoadedMachine {
  readonly calibration: MachineCalibration;
  readonly hash: string;
  readonly source: string;
}

/** What one dot of one zone in one session needs. `strokes` is a count; dwellMs may be fractional. */
export interface DotSettings {
  readonly zone: string;
  readonly session: SessionNumber;
  readonly needle: Needle;
  readonly targetExtensionUm: number;
  readonly strokeHz: number;
  readonly strokes: number;
  readonly dwellMs: number;
}

/** Time the dot interval must keep free after the burst, ms. */
export const MIN_FREE_AFTER_BURST_MS = 50;

type Path = readonly (string | number)[];

export function inputError(details: readonly LimitDetail[], context: string): SmpError {
  return new SmpError("INVALID_INPUT", `${context}:\n${details.map((d) => `  ${formatLimit(d)}`).join("\n")}`, details);
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

export function parseDepthProfile(text: string, source: string): LoadedProfile {
  const profile = parseWith(DepthProfileSchema, text, source, "depth profile");
  const envelope = ENVELOPES[profile.envelope];
  const problems = profileEnvelopeProblems(profile, envelope);
  if (problems.length > 0) throw limitError(problems, `${source}: depth profile outside the ${envelope.name} envelope`);
  return { profile, hash: sha256Hex(text), source };
}

export function parseMachineCalibration(text: string, source: string): LoadedMachine {
  const calibration = parseWith(MachineCalibrationSchema, text, source, "machine calibration");
  return { calibration, hash: sha256Hex(text), source };
}

/** Every envelope violation of a shape-valid profile; empty when it fits. */
export function profileEnvelopeProblems(profile: DepthProfile, env: Envelope): LimitDetail[] {
  const out: LimitDetail[] = [];
  const what = `${env.name} envelope`;
  checkRange(out, "dotIntervalMs", profile.dotIntervalMs, env.dotIntervalMs, what, "ms");
  forEachSession(profile, (s, base) => {
    checkRange(out, `${base}.needle.diameterMm`, s.needle.diameterMm, env.needleDiameterMm, what, "mm");
    checkRange(out, `${base}.targetExtensionUm`, s.targetExtensionUm, env.extensionUm, what, "um");
    checkRange(out, `${base}.strokeHz`, s.strokeHz, env.strokeHz, what, "Hz");
    const b = burstOf(s, base);
    if (s.dwellMs !== undefined) checkRange(out, b.field, s.dwellMs, env.dwellMs, what, "ms");
    derived(
      out,
      b,
      b.strokes,
      env.strokesPerDot,
      what,
      "strokes",
      s.dwellMs === undefined ? "" : `${ms(s.dwellMs)} ms at ${s.strokeHz} Hz is ${b.strokes} strokes: `,
    );
    derived(out, b, b.burstMs, env.dwellMs, what, "ms", b.says);
    const freeMs = profile.dotIntervalMs - Math.max(b.burstMs, s.dwellMs ?? 0) - LINK.burstOverheadMs;
    if (freeMs < MIN_FREE_AFTER_BURST_MS && !out.some((d) => d.field === b.field)) {
      out.push({
        field: b.field,
        value: b.value,
        limit:
          `burst ${ms(profile.dotIntervalMs - freeMs)} ms ` +
          `(with ${LINK.burstOverheadMs} ms spin-up and actuator travel) ` +
          `leaves ${ms(freeMs)} ms of dotIntervalMs ${profile.dotIntervalMs} ms free; ` +
          `at least ${MIN_FREE_AFTER_BURST_MS} ms must stay free`,
      });
    }
  });
  return out;
}

/** Checks every session entry against the board's hard limits (from its HELLO reply). Empty when it fits. */
export function profileFitsBoard(profile: DepthProfile, hard: HardLimits): LimitDetail[] {
  const out: LimitDetail[] = [];
  const what = "board hard";
  forEachSession(profile, (s, base) => {
    checkRange(
      out,
      `${base}.targetExtensionUm`,
      s.targetExtensionUm,
      { min: 0, max: hard.hardMaxExtensionUm },
      what,
      "um",
    );
    checkRange(out, `${base}.strokeHz`, s.strokeHz, { min: 0, max: hard.hardMaxStrokeHz }, what, "Hz");
    const b = burstOf(s, base);
    const maxDwellMs = hard.hardMaxDwellMs - LINK.burstOverheadMs; // the board caps the burst with its overhead
    if (s.dwellMs !== undefined)
      checkRange(
        out,
        b.field,
        s.dwellMs,
        { min: 0, max: maxDwellMs },
        `${what} (less ${LINK.burstOverheadMs} ms burst overhead)`,
        "ms",
      );
    derived(
      out,
      b,
      b.burstMs,
      { min: 0, max: maxDwellMs },
      `${what} (less ${LINK.burstOverheadMs} ms burst overhead)`,
      "ms",
      b.says,
    );
  });
  return out;
}

export function dotSettings(profile: DepthProfile, zone: string, session: SessionNumber): DotSettings {
  const entry = profile.zones.find((candidate) => candidate.zone === zone);
  if (entry === undefined) {
    const have = profile.zones.map((c) => c.zone).join(", ");
    throw inputError(
      [{ field: "zone", value: zone, limit: `no such zone in profile "${profile.name}" (has ${have})` }],
      "dot settings",
    );
  }
  const s = entry.sessions.find((candidate) => candidate.session === session);
  if (s === undefined) {
    const have = entry.sessions.map((c) => c.session).join(", ");
    throw inputError(
      [{ field: "session", value: session, limit: `zone ${zone} has no session ${session} (has ${have})` }],
      "dot settings",
    );
  }
  const strokes = strokesOf(s);
  const dwellMs = s.dwellMs ?? (strokes * 1000) / s.strokeHz;
  return {
    zone,
    session,
    needle: s.needle,
    targetExtensionUm: s.targetExtensionUm,
    strokeHz: s.strokeHz,
    strokes,
    dwellMs,
  };
}

/** Zones, in file order, that have an entry for this session. */
export function zonesForSession(profile: DepthProfile, session: SessionNumber): string[] {
  return profile.zones.filter((z) => z.sessions.some((s) => s.session === session)).map((z) => z.zone);
}

// ---- internals ----

function forEachSession(profile: DepthProfile, fn: (s: ZoneSession, base: string) => void): void {
  profile.zones.forEach((z, i) => z.sessions.forEach((s, j) => fn(s, `zones[${i}].sessions[${j}]`)));
}

/** Strokes the board is sent for one dot: strokesPerDot, or dwellMs at strokeHz rounded (at least 1). */
function strokesOf(s: ZoneSession): number {
  return s.strokesPerDot ?? Math.max(1, Math.round(((s.dwellMs ?? 0) * s.strokeHz) / 1000));
}

/** The burst the board really runs (strokes at strokeHz), named by the field that set it. */
interface Burst {
  readonly field: string;
  readonly value: number;
  readonly strokes: number;
  readonly burstMs: number;
  /** How the burst time was reached, for limit messages. */
  readonly says: string;
}

function burstOf(s: ZoneSession, base: string): Burst {
  const strokes = strokesOf(s);
  const burstMs = (strokes * 1000) / s.strokeHz;
  const given = s.strokesPerDot === undefined ? "dwellMs" : "strokesPerDot";
  const says = `burst of ${strokes} strokes at ${s.strokeHz} Hz lasts ${ms(burstMs)} ms: `;
  return { field: `${base}.${given}`, value: s.strokesPerDot ?? s.dwellMs ?? 0, strokes, burstMs, says };
}

/** A check on a quantity derived from the burst; skipped when its field is already reported. */
function derived(
  out: LimitDetail[],
  b: Burst,
  v: number,
  range: Range,
  what: string,
  unit: string,
  prefix: string,
): void {
  if (out.some((d) => d.field === b.field)) return;
  const found: LimitDetail[] = [];
  checkRange(found, b.field, v, range, what, unit);
  for (const d of found) out.push({ field: b.field, value: b.value, limit: prefix + d.limit });
}

const ms = (v: number): string => String(Math.round(v * 10) / 10);

function parseWith<T>(schema: z.ZodType<T>, text: string, source: string, what: string): T {
  const json = parseJson(text, source, what);
  const result = schema.safeParse(json);
  const problems = duplicateKeys(text, json);
  if (!result.success) problems.push(...result.error.issues.flatMap((issue) => issueDetails(issue, json)));
  if (problems.length > 0 || !result.success) throw inputError(problems, `${source}: invalid ${what}`);
  return result.data;
}

function parseJson(text: string, source: string, what: string): unknown {
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text; // a BOM is not a syntax error
  try {
    return JSON.parse(body);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const at = Number(/position (\d+)/.exec(message)?.[1] ?? body.length);
    const before = body.slice(0, at).split("\n");
    const line = before.length;
    const lineText = body.split("\n")[line - 1] ?? "";
    const detail = {
      field: "(json)",
      value: lineText.trim().slice(0, 80),
      limit: `not valid JSON at line ${line} column ${(before.at(-1)?.length ?? 0) + 1}: ${message}`,
    };
    throw inputError([detail], `${source}: ${what} is not valid JSON`);
  }
}

function issueDetails(issue: z.core.$ZodIssue, json: unknown): LimitDetail[] {
  const path = issue.path.map((p) => (typeof p === "number" ? p : String(p)));
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({
      field: fieldName([...path, key]),
      value: valueAt(json, [...path, key]),
      limit: "unknown key",
    }));
  }
  const atPath = valueAt(json, path);
  const value =
    issue.code === "custom" && issue.params !== undefined && "value" in issue.params
      ? (issue.params["value"] as unknown)
      : atPath;
  const limit = describe(issue, path);
  return [
    { field: fieldName(path), value, limit: atPath === undefined && path.length > 0 ? `required: ${limit}` : limit },
  ];
}

function describe(issue: z.core.$ZodIssue, path: Path): string {
  const unit = unitOf(path);
  const join = (...parts: (string | number | bigint)[]) => parts.join(" ").trimEnd();
  switch (issue.code) {
    case "invalid_type":
      return `expected ${issue.expected === "int" ? "an integer" : issue.expected}`;
    case "too_big":
      if (issue.origin === "string") return `longer than ${issue.maximum} characters`;
      if (issue.origin === "array") return `must have at most ${issue.maximum} entries`;
      return issue.inclusive === false
        ? join("must be below", issue.maximum, unit)
        : join("above maximum", issue.maximum, unit);
    case "too_small":
      if (issue.origin === "string")
        return issue.minimum === 1 ? "must not be empty" : `shorter than ${issue.minimum} characters`;
      if (issue.origin === "array") return `must have at least ${issue.minimum} entries`;
      return issue.inclusive === false
        ? join("must be above", issue.minimum, unit)
        : join("below minimum", issue.minimum, unit);
    case "invalid_value":
      return issue.values.length === 1
        ? `expected ${String(issue.values[0])}`
        : `expected one of ${issue.values.map(String).join(", ")}`;
    case "invalid_format":
      return `must match ${issue.pattern ?? issue.format}`;
    default:
      return issue.message;
  }
}

const UNITS: readonly (readonly [RegExp, string])[] = [
  [/PerCount$/, "um per count"],
  [/Um$/, "um"],
  [/Mm$/, "mm"],
  [/Hz(AtFullDuty)?$/, "Hz"],
  [/Ms$/, "ms"],
  [/Ma$/, "mA"],
  [/Permille$/, "permille"],
  [/Percent$/, "%"],
  [/Cm2$/, "per cm2"],
];

function unitOf(path: Path): string {
  const last = String(path.at(-1) ?? "");
  return UNITS.find(([re]) => re.test(last))?.[1] ?? "";
}

/** ["zones", 1, "sessions", 0, "x"] -> "zones[1].sessions[0].x"; [] -> "(root)". */
export function fieldName(path: Path): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(p)) out += out === "" ? p : `.${p}`;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out === "" ? "(root)" : out;
}

function valueAt(json: unknown, path: Path): unknown {
  let v: unknown = json;
  for (const p of path) {
    if (typeof v !== "object" || v === null || !Object.hasOwn(v, p)) return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

/**
 * JSON.parse silently keeps the last of two equal keys, while a reviewer may read the first: refuse both.
 * `text` is already known to be valid JSON, so a light scan of strings and brackets is enough.
 */
function duplicateKeys(text: string, json: unknown): LimitDetail[] {
  interface Frame {
    readonly path: Path;
    readonly keys: Set<string> | null;
    key: string;
    index: number;
  }
  const out: LimitDetail[] = [];
  const stack: Frame[] = [];
  const childPath = (f: Frame | undefined): Path => (f === undefined ? [] : [...f.path, f.keys ? f.key : f.index]);
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const top = stack.at(-1);
    if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      let next = end + 1;
      while (/\s/.test(text[next] ?? "")) next++;
      if (top?.keys && text[next] === ":") {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.keys.has(key)) {
          const path = [...top.path, key];
          out.push({
            field: fieldName(path),
            value: valueAt(json, path),
            limit: "duplicate key (JSON.parse would silently keep the last one)",
          });
        }
        top.keys.add(key);
        top.key = key;
      }
      i = end;
    } else if (c === "{" || c === "[")
      stack.push({ path: childPath(top), keys: c === "{" ? new Set() : null, key: "", index: 0 });
    else if (c === "}" || c === "]") stack.pop();
    else if (c === "," && top !== undefined && top.keys === null) top.index++;
  }
  return out;
}
