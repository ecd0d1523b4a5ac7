// Generates firmware-bridge/include/board_tables.h: the board's behaviour constants (BOARD_DEFAULTS), its
// actuator and analog front end (BOARD_WIRING), the machine kinds (MACHINE_KINDS: the EEPROM record's machine
// byte), the calibration of each EEPROM image from its machine file in profiles/machines/, and the command x
// state acceptance matrix (COMMAND_ACCEPTANCE) that src/main.c looks every command up in. Constants are plain
// integers (limits.h and eeprom_config.c give them their C types); codes carry the u suffix.

import { fileURLToPath } from "node:url";
import { COMMAND_ACCEPTANCE, type Acceptance } from "../../src/protocol/acceptance.ts";
import { BOARD_WIRING, currentSenseUaPerCount } from "../../src/protocol/board-wiring.ts";
import { loadMachineFile } from "../../src/profiles/files.ts";
import { DEFAULT_MACHINE_FILES, MACHINE_KINDS, type MachineCalibration } from "../../src/profiles/schema.ts";
import {
  ALARMS,
  BOARD_DEFAULTS,
  BOARD_STATES,
  HOST_MESSAGES,
  NAKS,
  type BoardStateName,
} from "../../src/protocol/table.ts";
import { cInteger, upper } from "./c-protocol.ts";

export const BOARD_HEADER = "firmware-bridge/include/board_tables.h";

/**
 * The EEPROM images the firmware build writes (firmware-bridge/Makefile, tools/mkeep.c), each with the sensor
 * calibration of its machine kind's default machine file (the profile schema's DEFAULT_MACHINE_FILES). The rotary
 * image's calibration is also the firmware's compiled-in default, in force whenever the EEPROM record is invalid.
 */
export const EEPROM_IMAGES = DEFAULT_MACHINE_FILES;

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The EEPROM record's range for the sensor calibration (eeprom_config.c checks the same on the board). */
function sensorCalibration(file: string, m: MachineCalibration): { nmPerCount: number; zeroCount: number } {
  const nmPerCount = Math.round(m.sensor.extensionUmPerCount * 1000);
  if (Math.abs(nmPerCount - m.sensor.extensionUmPerCount * 1000) > 1e-6 || nmPerCount < 1 || nmPerCount > 1e6)
    throw new Error(`${file}: sensor.extensionUmPerCount must be a whole number of nm per count, 1 to 1000000`);
  const zeroCount = m.sensor.extensionZeroCount;
  if (zeroCount > BOARD_DEFAULTS.adcMaxCount - 1)
    throw new Error(`${file}: sensor.extensionZeroCount must be below the ADC rail (${BOARD_DEFAULTS.adcMaxCount})`);
  return { nmPerCount, zeroCount };
}

/** The machine byte of the EEPROM record: a kind's index in MACHINE_KINDS, so the order there is the wire's. */
function machineKinds(): string[] {
  const out = ["", "/* machine kinds (MACHINE_KINDS): the EEPROM record's machine byte */"];
  MACHINE_KINDS.forEach((kind, i) => out.push(`#define SMP_MACHINE_${upper(kind)} ${i}u`));
  out.push(`#define SMP_MACHINE_COUNT ${MACHINE_KINDS.length}u`);
  return out;
}

function images(): string[] {
  const out = [
    "",
    "/* EEPROM images: the sensor calibration and cam stroke of one machine file each (mkeep.c, eeprom_config.c) */",
  ];
  for (const [image, file] of Object.entries(EEPROM_IMAGES)) {
    const m = loadMachineFile(ROOT + file).calibration;
    if (m.machine !== image) throw new Error(`${file}: a ${m.machine} machine, not ${image}`);
    const cal = sensorCalibration(file, m);
    const name = `SMP_IMAGE_${upper(image)}`;
    out.push(`/* ${image}: ${file} (${m.name}) */`);
    out.push(`#define ${name}_MACHINE SMP_MACHINE_${upper(m.machine)}`);
    out.push(`#define ${name}_SENSOR_NM_PER_COUNT ${cal.nmPerCount}`);
    out.push(`#define ${name}_SENSOR_ZERO_COUNT ${cal.zeroCount}`);
    out.push(`#define ${name}_STROKE_UM ${m.strokeUm}`);
  }
  return out;
}

/** One cell: the verdict in the top two bits, the NAK code or the alarm to latch first in the low six. */
function cell(a: Acceptance): string {
  const code = (n: number) => {
    if (n >= 64) throw new Error(`code ${n} does not fit the acceptance cell's six bits`);
  };
  switch (a.verdict) {
    case "ack":
      return "SMP_ACC_ACK";
    case "nak":
      code(NAKS[a.nak].code);
      return `SMP_ACC_NAK | SMP_NAK_${a.nak}`;
    case "run":
      if (a.latchFirst === undefined) return "SMP_ACC_RUN";
      code(ALARMS[a.latchFirst].code);
      return `SMP_ACC_RUN | SMP_ALARM_${a.latchFirst}`;
  }
}

function acceptanceMatrix(): string[] {
  const states = Object.keys(BOARD_STATES) as BoardStateName[];
  const out = [
    "",
    "/* ---- command x state acceptance (COMMAND_ACCEPTANCE): what the board does with a host command in each",
    " * state, before the command's own checks. One byte per cell: the verdict, and in the low six bits the NAK",
    " * code (SMP_ACC_NAK) or the alarm to latch before running the command (SMP_ACC_RUN; 0 = none). ---- */",
    "#define SMP_ACC_RUN 0x00u /* execute the command (its own checks may still refuse it) */",
    "#define SMP_ACC_ACK 0x40u /* acknowledge; nothing else changes */",
    "#define SMP_ACC_NAK 0x80u /* refuse; nothing is executed */",
    "#define SMP_ACC_VERDICT(cell) ((uint8_t)((cell) & 0xC0u))",
    "#define SMP_ACC_CODE(cell) ((uint8_t)((cell) & 0x3Fu))",
    "/* initialiser of uint8_t [SMP_M_HOST_COUNT][SMP_STATE_COUNT], designated: every cell is named by its command",
    " * and its state, so no reordering of either can move a verdict to another cell (every cell is written: one",
    " * left out would read 0, SMP_ACC_RUN) */",
    "#define SMP_ACCEPTANCE_INIT \\",
    "  { \\",
  ];
  for (const m of HOST_MESSAGES) {
    out.push(`    [SMP_M_${m.id}] = { \\`);
    for (const s of states) out.push(`      [SMP_STATE_${s}] = ${cell(COMMAND_ACCEPTANCE[m.id].in[s])}, \\`);
    out.push("    }, \\");
  }
  out.push("  }");
  return out;
}

export function generateBoardHeader(): string {
  const out: string[] = [
    "/* board_tables.h - GENERATED by scripts/gen-firmware-header.ts from src/protocol/board-defaults.ts,",
    " * src/protocol/board-wiring.ts, src/protocol/acceptance.ts, src/profiles/schema.ts (MACHINE_KINDS) and",
    " * profiles/machines/. Do not edit. */",
    "#ifndef SMP_BOARD_TABLES_H",
    "#define SMP_BOARD_TABLES_H",
    "",
    "#include <stdint.h>",
    "",
    '#include "protocol.h"',
    "",
    "/* board behaviour constants (BOARD_DEFAULTS): plain decimal integers, limits.h gives them their C types */",
  ];
  for (const [n, v] of Object.entries(BOARD_DEFAULTS))
    out.push(`#define SMP_DEFAULT_${upper(n)} ${cInteger("BOARD_DEFAULTS", n, v)}`);
  out.push("", "/* the actuator and the analog front end (BOARD_WIRING) */");
  for (const [n, v] of Object.entries(BOARD_WIRING))
    out.push(`#define SMP_WIRING_${upper(n)} ${cInteger("BOARD_WIRING", n, v)}`);
  out.push(
    `#define SMP_WIRING_CURRENT_SENSE_UA_PER_COUNT ${currentSenseUaPerCount()} /* full scale / 1024, rounded */`,
  );
  out.push(...machineKinds(), ...images(), ...acceptanceMatrix(), "", "#endif /* SMP_BOARD_TABLES_H */", "");
  return out.join("\n");
}
