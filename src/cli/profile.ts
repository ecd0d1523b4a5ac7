// `smp profile validate FILE...` (each file checked as what its "kind" says: depth profile or machine
// calibration; the first bad one ends it with its SmpError) and `smp profile show FILE` (zones and sessions as a
// table, with the per-dot settings the controller would send).

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { ExitCode } from "../errors/errors.ts";
import { loadDepthProfileFile, loadMachineFile } from "../profiles/files.ts";
import { dotSettings } from "../profiles/load.ts";
import { parseCommand } from "./args.ts";
import { printHelp } from "./help.ts";

export function validateCommand(args: readonly string[]): ExitCode {
  const parsed = parseCommand("profile validate", args);
  if (parsed.help) return printHelp("profile validate");
  for (const f of parsed.positionals) console.log(`ok  ${f}  ${loadAny(f)}`);
  return 0;
}

export function showCommand(args: readonly string[]): ExitCode {
  const parsed = parseCommand("profile show", args);
  if (parsed.help) return printHelp("profile show");
  const p = loadDepthProfileFile(resolve(parsed.positionals[0]!));
  console.log(
    `${p.profile.name}  (envelope ${p.profile.envelope}, dot interval ${p.profile.dotIntervalMs} ms)\n` +
      `sha256 ${p.hash}\n`,
  );
  const row = (cells: readonly string[]) => cells.map((c) => c.padEnd(11)).join("");
  console.log(row(["zone", "session", "needle", "target um", "strokes/s", "strokes", "dwell ms", "dots/cm2"]));
  for (const z of p.profile.zones) {
    for (const s of z.sessions) {
      const d = dotSettings(p.profile, z.zone, s.session);
      console.log(
        row([
          z.zone,
          String(s.session),
          `${s.needle.configuration} ${s.needle.diameterMm}`,
          String(d.targetExtensionUm),
          String(d.strokeHz),
          String(d.strokes),
          d.dwellMs.toFixed(1),
          String(s.densityDotsPerCm2),
        ]),
      );
    }
  }
  return 0;
}

/** Validate a depth profile or a machine calibration, choosing by its "kind". */
function loadAny(file: string): string {
  const path = resolve(file);
  let kind: unknown;
  try {
    kind = (JSON.parse(readText(path)) as { kind?: unknown }).kind;
  } catch {
    kind = undefined; // the loader reports the syntax error with the field
  }
  if (kind === "smp-machine-calibration") {
    const m = loadMachineFile(path);
    return `machine calibration (${m.calibration.machine}) sha256 ${m.hash}`;
  }
  const p = loadDepthProfileFile(path);
  return `depth profile (${p.profile.zones.length} zones) sha256 ${p.hash}`;
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
