// Schema validation of profile and calibration text: JSON in, the schema's data out, or ONE SmpError
// INVALID_INPUT whose details name every problem found (field, value, limit): syntax errors with line and
// column, zod issues in words with their unit, unknown keys, and duplicate keys that JSON.parse would hide.

import type { z } from "zod";
import { SmpError, formatLimit, type LimitDetail } from "../errors/errors.ts";

type Path = readonly (string | number)[];

/** One INVALID_INPUT error listing every detail under its context line. */
export function inputError(details: readonly LimitDetail[], context: string): SmpError {
  return new SmpError("INVALID_INPUT", `${context}:\n${details.map((d) => `  ${formatLimit(d)}`).join("\n")}`, details);
}

/** JSON text checked against a schema: its data, or one error naming every syntax, schema and key problem. */
export function parseWith<T>(schema: z.ZodType<T>, text: string, source: string, what: string): T {
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
