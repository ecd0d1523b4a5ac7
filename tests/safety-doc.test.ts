// The hazard file (docs/safety.md) and the hazard table (src/safety/hazards.ts) say the same thing: every
// hazard of the table has its section, under its title, with the table's budgets; every section names at least
// one test; and every test it names exists (the file, and the title text in it).

import { describe, expect, it } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { HAZARDS, type HazardBudget } from "../src/safety/hazards.ts";
import { BOARD_DEFAULTS } from "../src/protocol/table.ts";

const doc = readFileSync("docs/safety.md", "utf8");
/** The hazard sections: "### `id` — Title", up to the next heading; whitespace collapsed (lines wrap). */
const sections = new Map(
  [...doc.matchAll(/^### `([a-z-]+)` — (.+)\n([\s\S]*?)(?=^#{2,3} |(?![\s\S]))/gm)].map((m) => [
    m[1]!,
    { title: m[2]!.trim(), body: m[3]!.replace(/\s+/g, " ") },
  ]),
);
const field = (body: string, name: string) => new RegExp(`\\*\\*${name}:\\*\\* (.*?)(?= - \\*\\*|$)`).exec(body)?.[1];
/** `path` "title text" pairs of a Tests field. */
const namedTests = (tests: string) =>
  [...tests.matchAll(/`([^`]+\.ts)` "([^"]+)"/g)].map((m): [string, string] => [m[1]!, m[2]!]);

describe("docs/safety.md", () => {
  it("has one section per hazard of src/safety/hazards.ts, under its title, and no other", () => {
    expect([...sections.keys()].sort()).toEqual(Object.keys(HAZARDS).sort());
    for (const [id, h] of Object.entries(HAZARDS)) expect(sections.get(id)?.title, id).toBe(h.title);
  });

  it.each(Object.entries(HAZARDS))("%s: its budget is the table's", (id, h: HazardBudget) => {
    const budget = field(sections.get(id)!.body, "Budget");
    expect(budget, `${id} has a Budget`).toBeDefined();
    expect(budget).toContain(`true tip ≤ ${BOARD_DEFAULTS.hardMaxExtensionUm} µm`);
    if (h.driveOffWithinMs === undefined) {
      expect(h.parkedWithinMs).toBeUndefined();
      expect(budget).toContain("refused before arming");
    } else {
      expect(budget).toContain(`drive off ≤ ${h.driveOffWithinMs} ms`);
      expect(budget).toContain(`needle parked ≤ ${h.parkedWithinMs} ms`);
    }
  });

  it.each([...sections.keys()])("%s: names tests, and each exists", (id) => {
    const tests = field(sections.get(id)!.body, "Tests");
    expect(tests, `${id} has a Tests field`).toBeDefined();
    const named = namedTests(tests!);
    expect(named.length, `${id} names at least one test`).toBeGreaterThan(0);
    for (const [path, title] of named) {
      expect(existsSync(path), `${id}: ${path} exists`).toBe(true);
      expect(readFileSync(path, "utf8").replace(/\s+/g, " "), `${id}: "${title}" in ${path}`).toContain(title);
    }
  });

  it("the checks above can fail: a missing file and a missing title are found", () => {
    const bogus = namedTests('`tests/no-such.test.ts` "x"; `tests/safety-doc.test.ts` "no such title here"');
    expect(bogus).toHaveLength(2);
    expect(existsSync(bogus[0]![0])).toBe(false);
    expect(readFileSync(bogus[1]![0], "utf8").includes(["no such", "title here"].join(" x "))).toBe(false);
  });
});
