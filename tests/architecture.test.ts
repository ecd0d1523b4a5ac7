// The layering rules are the tools' (dependency-cruiser's folder matrix in .dependency-cruiser.cjs, ESLint's
// clock rules in eslint.config.js); this test runs them in `npm test` too and proves that they bite: a copy
// of src/ with wrong imports planted in it must fail with the rules named, and clock reads planted in the
// pure core must fail ESLint. Also: every source file starts with a header comment saying what it is for.

import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");
const CONFIG = join(ROOT, ".dependency-cruiser.cjs");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.(ts|mjs)$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** dependency-cruiser over `src` in dir, with the repository's rules: the violated rule names. */
function cruise(dir: string): { rules: string[] } {
  const r = spawnSync(
    process.execPath,
    [join(ROOT, "node_modules/dependency-cruiser/bin/dependency-cruise.mjs"), "src", "--config", CONFIG, "-T", "json"],
    { cwd: dir, encoding: "utf8", timeout: 60_000 },
  );
  const summary = JSON.parse(r.stdout) as { summary: { violations: { rule: { name: string } }[] } };
  return { rules: summary.summary.violations.map((v) => v.rule.name) };
}

describe("dependency rules (dependency-cruiser)", () => {
  it("hold on src/ as it is", () => {
    const r = cruise(ROOT);
    expect(r.rules).toEqual([]);
  });

  it("fail on a copy of src/ with wrong imports planted in it, naming each broken rule", () => {
    const dir = mkdtempSync(join(tmpdir(), "smp-layers-"));
    cpSync(join(ROOT, "src"), join(dir, "src"), { recursive: true });
    cpSync(join(ROOT, "tsconfig.json"), join(dir, "tsconfig.json"));
    symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
    const plant = (file: string, body: string) => writeFileSync(join(dir, file), `// planted\n${body}\n`);
    plant("src/sim/planted.ts", 'export { SessionController } from "../control/controller.ts";');
    plant(
      "src/protocol/planted.ts",
      'export { readFileSync } from "node:fs";\nexport { SimBoard } from "../sim/board.ts";',
    );
    plant("src/app/planted.ts", 'export { SimRig } from "../sim/rig.ts";');
    plant("src/control/planted.ts", 'export { SerialPort } from "serialport";');
    plant("src/time/planted.ts", 'export { WallClockScheduler } from "../wallclock/scheduler.ts";');
    plant("src/log/planted.ts", 'export { SimBoard } from "../sim/board.ts";');
    mkdirSync(join(dir, "src/newfolder"));
    plant("src/newfolder/planted.ts", 'export { SimBoard } from "../sim/board.ts";');
    // the one module of sim that app and cli load statically must not pull the simulator in behind it
    writeFileSync(
      join(dir, "src/sim/faults.ts"),
      readFileSync(join(dir, "src/sim/faults.ts"), "utf8") + '\nexport { Plant } from "./plant.ts";\n',
    );
    const r = cruise(dir);
    expect(new Set(r.rules)).toEqual(
      new Set([
        "matrix-sim",
        "pure-no-node-io",
        "matrix-protocol",
        "lazy-app-sim",
        "pure-no-packages",
        "serialport-only-at-the-port-edges",
        "matrix-time",
        "matrix-log",
        "every-file-in-a-unit",
        "matrix-simFaults",
      ]),
    );
  });
});

describe("clock rules (ESLint)", () => {
  const eslint = new ESLint({ cwd: ROOT });
  const lint = async (file: string, code: string) => {
    const [result] = await eslint.lintText(code, { filePath: join(ROOT, file) });
    return result!.messages.map((m) => ({ line: m.line, text: `${m.ruleId}: ${m.message}` }));
  };

  it("refuse a clock read in the pure core and in control", async () => {
    const planted = [
      "export const a = Date.now();",
      "export const b = new Date();",
      "export const c = performance.now();",
      "export const d = setTimeout(() => {}, 1);",
      "export const e = process.hrtime();",
      "export const f = globalThis.performance.now();",
      "export const g = new globalThis.Date();",
      "const D = Date;",
      "export const h = D.now();",
    ].join("\n");
    for (const file of ["src/protocol/codec.ts", "src/control/controller.ts", "src/time/ticks.ts"]) {
      const messages = await lint(file, `// planted\n${planted}\n`);
      const clockLines = messages.filter((m) => m.text.includes("through the Scheduler port")).map((m) => m.line);
      expect(new Set(clockLines), file).toEqual(new Set([2, 3, 4, 5, 6, 7, 8, 9]));
    }
  });

  it("keep src/ports to types", async () => {
    const code = "// planted\nexport interface A {\n  x: number;\n}\nexport type B = A;\nexport const c = 1;\n";
    const messages = await lint("src/ports/line-transport.ts", code);
    expect(messages.map((m) => m.line)).toEqual([6]);
  });

  it("allow it at the edges (the wall-clock adapter)", async () => {
    const messages = await lint("src/wallclock/scheduler.ts", "// planted\nexport const a = performance.now();\n");
    expect(messages).toEqual([]);
  });
});

describe("source files", () => {
  it("start with a header comment saying what they are for", () => {
    const files = sources(join(ROOT, "src"));
    expect(files.length).toBeGreaterThan(30);
    for (const f of files) expect(readFileSync(f, "utf8").startsWith("//"), f).toBe(true);
  });
});
