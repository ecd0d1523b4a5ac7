// Where the package lives and what it is called: its root folder (the built-in profiles and machine files are
// found relative to it, wherever smp is started) and its name and version from package.json.

import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** A file shipped with the package, e.g. "profiles/demo.json", as an absolute path. */
export const packageFile = (relative: string): string => join(PACKAGE_ROOT, relative);

export function packageInfo(): { readonly name: string; readonly version: string } {
  const json = JSON.parse(readFileSync(packageFile("package.json"), "utf8")) as { name?: unknown; version?: unknown };
  return { name: String(json.name), version: String(json.version) };
}
