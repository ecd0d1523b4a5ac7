// Generates every file that mirrors the TypeScript tables, so nothing on the C side or in the protocol document
// is kept by hand: the firmware's protocol.h (ids, fields, codes, the codec's message table) and
// board_tables.h (board constants, wiring, EEPROM calibrations from profiles/machines/, the acceptance matrix),
// and the table sections of docs/protocol.md. `npm run gen:header` writes them; `--check` exits 1 if any
// committed file differs from a fresh generation (tests/firmware-header.test.ts checks the same).

import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { BOARD_HEADER, generateBoardHeader } from "./gen/c-board.ts";
import { PROTOCOL_HEADER, generateProtocolHeader } from "./gen/c-protocol.ts";
import { PROTOCOL_DOC, generateProtocolDoc } from "./gen/doc-protocol.ts";

export interface GeneratedFile {
  /** Path from the repository root. */
  readonly path: string;
  /** The file as it must be, given what is committed now (a document keeps its hand-written parts). */
  readonly generate: (current: string) => string;
}

export const GENERATED_FILES: readonly GeneratedFile[] = [
  { path: PROTOCOL_HEADER, generate: generateProtocolHeader },
  { path: BOARD_HEADER, generate: generateBoardHeader },
  { path: PROTOCOL_DOC, generate: generateProtocolDoc },
];

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** The committed text of a generated file ("" if it is missing). */
export function committed(path: string): string {
  try {
    return readFileSync(ROOT + path, "utf8");
  } catch {
    return "";
  }
}

/** The generated files whose committed text differs from a fresh generation. */
export function staleFiles(): string[] {
  return GENERATED_FILES.filter((f) => {
    const current = committed(f.path);
    return f.generate(current) !== current;
  }).map((f) => f.path);
}

if (process.argv[1]?.endsWith("gen-firmware-header.ts")) {
  if (process.argv.includes("--check")) {
    const stale = staleFiles();
    for (const path of stale) console.error(`${path} differs from a fresh generation: run npm run gen:header`);
    if (stale.length > 0) process.exit(1);
    console.log(`up to date: ${GENERATED_FILES.map((f) => f.path).join(", ")}`);
  } else {
    for (const f of GENERATED_FILES) {
      const current = committed(f.path);
      const text = f.generate(current);
      if (text !== current) writeFileSync(ROOT + f.path, text);
      console.log(`${text === current ? "unchanged" : "wrote"} ${f.path}`);
    }
  }
}
