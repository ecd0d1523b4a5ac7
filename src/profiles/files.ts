// The fs edge of the profiles module: read a profile, machine-calibration or console file and hand the exact text to
// the pure parsers in load.ts. A missing, unreadable or non-UTF-8 file is an SmpError INVALID_INPUT naming
// the path. The text is checked to round-trip to the same bytes, so `hash` is the sha256 of the file itself.

import { readFileSync } from "node:fs";
import { parseDepthProfile, parseMachineCalibration, type LoadedMachine, type LoadedProfile } from "./load.ts";
import { inputError } from "./validate.ts";
import { parseConsoleFile, type LoadedConsole } from "./console.ts";

export function loadDepthProfileFile(path: string): LoadedProfile {
  return parseDepthProfile(readText(path, "depth profile"), path);
}

export function loadMachineFile(path: string): LoadedMachine {
  return parseMachineCalibration(readText(path, "machine calibration"), path);
}

export function loadConsoleFile(path: string): LoadedConsole {
  return parseConsoleFile(readText(path, "console file"), path);
}

function readText(path: string, what: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
    throw inputError(
      [{ field: "(file)", value: path, limit: `cannot read ${what} file (${reason})` }],
      `${path}: cannot read ${what} file`,
    );
  }
  const text = bytes.toString("utf8");
  if (!Buffer.from(text, "utf8").equals(bytes)) {
    throw inputError(
      [{ field: "(file)", value: path, limit: "not valid UTF-8" }],
      `${path}: ${what} file is not valid UTF-8`,
    );
  }
  return text;
}
