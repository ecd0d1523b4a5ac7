// The dependency rule, enforced: the pure core (protocol, safety, profiles, units, errors, the record
// types) never touches the clock, the filesystem or the port; control reaches I/O only through interfaces.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

const CLOCK = /\b(Date\.now|new Date\(|performance\.now|setTimeout|setInterval|setImmediate|process\.hrtime)\b/;
const IO_IMPORT = /from\s+"(node:fs|fs|node:fs\/promises|node:net|node:child_process|serialport|@serialport\/[^"]+)"/;
const EDGE_IMPORT = /from\s+"\.\.\/(sim|transport|cli|app)\//;

/** Files allowed at the edges of otherwise pure folders, each with its reason. */
const EDGES = new Set([
  "src/profiles/files.ts", // reads profile files; the parsers in load.ts stay pure
  "src/log/file.ts", // appends the session record
  "src/control/scheduler.ts", // RealScheduler is the one wall-clock adapter
]);

describe("dependency direction", () => {
  const core = [
    "src/protocol",
    "src/safety",
    "src/profiles",
    "src/units",
    "src/errors",
    "src/log",
    "src/control",
  ].flatMap(sources);

  it("finds the source files it checks", () => {
    expect(core.length).toBeGreaterThan(15);
  });

  it.each(core.filter((f) => !EDGES.has(f)))("%s has no clock, no I/O and no edge imports", (file) => {
    const text = readFileSync(file, "utf8").replace(/\/\/.*$/gm, "");
    expect(text).not.toMatch(CLOCK);
    expect(text).not.toMatch(IO_IMPORT);
    expect(text).not.toMatch(EDGE_IMPORT);
  });

  it("the pure core does not import control", () => {
    for (const f of ["src/protocol", "src/safety", "src/profiles", "src/units", "src/errors"].flatMap(sources)) {
      expect(readFileSync(f, "utf8"), f).not.toMatch(/from\s+"\.\.\/control\//);
    }
  });

  it("every source file starts with a header comment saying what it is for", () => {
    for (const f of sources("src")) expect(readFileSync(f, "utf8").startsWith("//"), f).toBe(true);
  });
});
