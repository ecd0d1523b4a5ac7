// Reads the firmware's own definitions out of its committed C headers, so a test checks bytes against the
// names the firmware uses instead of restating their values: integer #defines (the generated codes of
// protocol.h and board_tables.h) and the EEPROM record layout of eeprom_config.h (SMP_EE_AT_* offsets, fields
// packed without gaps, so a field's width is the distance to the next offset).

import { readFileSync } from "node:fs";

const ROOT = new URL("../", import.meta.url);
export const PROTOCOL_H = "firmware-bridge/include/protocol.h";
export const BOARD_TABLES_H = "firmware-bridge/include/board_tables.h";
export const EEPROM_CONFIG_H = "firmware-bridge/include/eeprom_config.h";

/** Every `#define NAME <integer>` of a header (decimal or hex, with or without a u/UL suffix). */
export function cDefines(path: string): ReadonlyMap<string, number> {
  const text = readFileSync(new URL(path, ROOT), "utf8");
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^#define (\w+) (0x[0-9A-Fa-f]+|\d+)u?L?(?=\s|$)/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

/** The value of one integer #define; throws when the header has none by that name. */
export function cDefine(path: string, name: string): number {
  const v = cDefines(path).get(name);
  if (v === undefined) throw new Error(`${path} defines no integer ${name}`);
  return v;
}

export interface EepromField {
  readonly at: number;
  readonly bytes: 1 | 2 | 4;
}

/** The record's fields by the name after SMP_EE_AT_ (MAGIC, SENSOR_NM_PER_COUNT, CRC, ...). */
export function eepromLayout(): ReadonlyMap<string, EepromField> {
  const defines = cDefines(EEPROM_CONFIG_H);
  const end = cDefine(EEPROM_CONFIG_H, "SMP_EE_CONFIG_BYTES");
  const at = [...defines]
    .filter(([n]) => n.startsWith("SMP_EE_AT_"))
    .map(([n, v]) => [n.slice("SMP_EE_AT_".length), v] as const)
    .sort((a, b) => a[1] - b[1]);
  const out = new Map<string, EepromField>();
  at.forEach(([name, offset], i) => {
    const bytes = (at[i + 1]?.[1] ?? end) - offset;
    if (bytes !== 1 && bytes !== 2 && bytes !== 4) throw new Error(`EEPROM field ${name}: ${bytes} bytes wide`);
    out.set(name, { at: offset, bytes });
  });
  return out;
}

/** A little-endian unsigned field of the record in an EEPROM image. */
export function eepromRead(image: Uint8Array, layout: ReadonlyMap<string, EepromField>, name: string): number {
  const f = layout.get(name);
  if (f === undefined) throw new Error(`the EEPROM record has no field ${name}`);
  let v = 0;
  for (let i = f.bytes - 1; i >= 0; i--) v = v * 256 + image[f.at + i]!;
  return v;
}

/** Writes a field (little-endian, the value's low bytes). */
export function eepromWrite(image: Uint8Array, layout: ReadonlyMap<string, EepromField>, name: string, v: number) {
  const f = layout.get(name);
  if (f === undefined) throw new Error(`the EEPROM record has no field ${name}`);
  for (let i = 0; i < f.bytes; i++) image[f.at + i] = Math.floor(v / 256 ** i) & 0xff;
}
