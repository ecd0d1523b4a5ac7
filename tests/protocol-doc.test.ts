// docs/protocol.md against the protocol table, read the way an implementer reads it: the grammar's message
// ids, each message's field table under its heading (§5), the state, alarm and NAK code tables (§6.1, §6.3,
// §6.4), the command x state matrix (§6.2) and the board and link numbers (§10) are parsed here,
// independently of the generator that writes most of them, and must say what src/protocol/table.ts,
// src/protocol/board-defaults.ts and src/protocol/acceptance.ts say. The hand-written columns of those tables
// must not be left empty.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { COMMAND_ACCEPTANCE, type Acceptance } from "../src/protocol/acceptance.ts";
import {
  ALARMS,
  BOARD_DEFAULTS,
  BOARD_MESSAGES,
  BOARD_STATES,
  HOST_MESSAGES,
  LINK,
  MESSAGES,
  NAKS,
  type BoardStateName,
} from "../src/protocol/table.ts";

const DOC = readFileSync("docs/protocol.md", "utf8");

/** The lines of the section that starts with `heading` (up to the next heading of the same or a higher level). */
function section(heading: string): string[] {
  const lines = DOC.split("\n");
  const start = lines.indexOf(heading);
  expect(start, `docs/protocol.md has no heading "${heading}"`).toBeGreaterThanOrEqual(0);
  const level = heading.indexOf(" ");
  const end = lines.findIndex((l, i) => i > start && /^#+ /.test(l) && l.indexOf(" ") <= level);
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** The first Markdown table in `lines`, as rows of cells keyed by header (separator row dropped). */
function firstTable(lines: string[]): Record<string, string>[] {
  const start = lines.findIndex((l) => l.startsWith("|"));
  if (start < 0) return [];
  let end = start;
  while (end < lines.length && lines[end]!.startsWith("|")) end++;
  const split = (row: string) =>
    row
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((c) => c.trim().replace(/\\\|/g, "|"));
  const headers = split(lines[start]!);
  return lines
    .slice(start + 2, end)
    .map((row) => Object.fromEntries(split(row).map((c, i): [string, string] => [headers[i] ?? "", c])));
}

const unquote = (cell: string | undefined) => cell?.replace(/^`(.*)`$/, "$1");

describe("docs/protocol.md agrees with the protocol table", () => {
  it("lists every message id in the grammar, host commands then board frames (§2.1)", () => {
    const grammar = DOC.slice(DOC.indexOf("msg-id      ="), DOC.indexOf("field       ="));
    const [host, board] = grammar.split("\n").map((l) => [...l.matchAll(/"([A-Z]+)"/g)].map((m) => m[1]));
    expect(host).toEqual(HOST_MESSAGES.map((m) => m.id));
    expect(board).toEqual(BOARD_MESSAGES.map((m) => m.id));
  });

  it.each(MESSAGES.map((m) => [m.id, m] as const))("§5 %s: its description and field table", (id, m) => {
    const lines = section(`#### ${id}`);
    expect(lines.join("\n")).toContain(m.doc);
    const rows = firstTable(lines);
    if (m.fields.length === 0) {
      expect(lines).toContain("No fields.");
      return;
    }
    expect(rows.map((r) => [r["#"], unquote(r.field), r.type, r.meaning])).toEqual(
      m.fields.map((f, i) => [`${i + 1}`, f.name, f.kind, f.doc]),
    );
  });

  it("§6.1: the board states with their codes, each with its drive and meaning", () => {
    const rows = firstTable(section("### 6.1 Board states (`BOARD_STATES`)"));
    expect(rows.map((r) => [r.state, Number(r.code)])).toEqual(Object.entries(BOARD_STATES));
    for (const r of rows) expect([r.drive, r.meaning]).not.toContain("");
  });

  it.each([
    ["### 6.3 Alarm codes (`ALARMS`)", ALARMS],
    ["### 6.4 NAK codes (`NAKS`)", NAKS],
  ] as const)("%s: every code, its name and its meaning, each with when it is raised", (heading, table) => {
    const rows = firstTable(section(heading));
    expect(rows.map((r) => [unquote(r.name), Number(r.code), r["meaning (table)"]])).toEqual(
      Object.entries(table as Record<string, { code: number; doc: string }>).map(([name, s]) => [name, s.code, s.doc]),
    );
    for (const r of rows) expect(Object.values(r)).not.toContain("");
  });

  it("§6.2: the command x state matrix says what COMMAND_ACCEPTANCE says, cell by cell", () => {
    const rows = firstTable(section("### 6.2 Board state machine"));
    const states = Object.keys(BOARD_STATES) as BoardStateName[];
    expect(rows.map((r) => r.command)).toEqual(HOST_MESSAGES.map((m) => m.id));
    for (const m of HOST_MESSAGES) {
      const row = rows.find((r) => r.command === m.id)!;
      const { run } = COMMAND_ACCEPTANCE[m.id];
      let left = "";
      for (const s of states) {
        const cell: Acceptance = COMMAND_ACCEPTANCE[m.id].in[s];
        const text = row[s] === "same" ? left : row[s]!;
        const expected =
          cell.verdict === "ack"
            ? "ACK, nothing else"
            : cell.verdict === "nak"
              ? `NAK ${cell.nak}`
              : cell.latchFirst
                ? `latch ${cell.latchFirst}, then ${run}`
                : run;
        expect(text, `${m.id} in ${s}`).toBe(expected);
        left = text;
      }
    }
  });

  it.each(HOST_MESSAGES.map((m) => [m.id] as const))("§5 %s: says in which states it is executed", (id) => {
    const line = section(`#### ${id}`).find((l) => l.startsWith("By state (§6.2): "));
    expect(line, `§5 ${id} has a "By state" line`).toBeDefined();
    const said = new Map<string, string>();
    for (const part of line!.replace("By state (§6.2): ", "").replace(/\.$/, "").split("; ")) {
      const [states, text] = part.split(": ");
      const list = states === "every state" ? Object.keys(BOARD_STATES) : states!.split(", ");
      for (const s of list) said.set(s, text!);
    }
    for (const s of Object.keys(BOARD_STATES) as BoardStateName[]) {
      const cell: Acceptance = COMMAND_ACCEPTANCE[id].in[s];
      const executed =
        cell.verdict === "run" && (cell.latchFirst ? `latch ${cell.latchFirst}, then executed` : "executed");
      const expected =
        cell.verdict === "ack" ? "ACK, nothing else" : cell.verdict === "nak" ? `NAK ${cell.nak}` : executed;
      expect(said.get(s), `${id} in ${s}`).toBe(expected);
    }
  });

  it("§10: every board default and LINK setting it lists has the table's value, and none is missing", () => {
    const rows = firstTable(section("## 10. Numbers"));
    const value = (cell: string) => Number(cell.replace(/[\s ]/g, "").replace("−", "-"));
    const listed = new Map(rows.map((r) => [unquote(r.name), r.value ?? ""]));
    const expected: [string, number][] = [
      ...Object.entries(BOARD_DEFAULTS),
      ...Object.entries(LINK).map(([n, v]): [string, number] => [`LINK.${n}`, v]),
    ];
    for (const [name, v] of expected) {
      expect(listed.has(name), `§10 lists ${name}`).toBe(true);
      expect(value(listed.get(name)!), name).toBe(v);
    }
  });
});
