/* eeprom_config.h - the board's configuration record in EEPROM: hard limits and sensor calibration,
 * protected by a CRC-16/CCITT-FALSE. Portable: packing, unpacking and validation only; the EEPROM
 * itself is read by hal.c (and written by tools/mkeep.c into smp-board.eep).
 *
 * The record's layout is the firmware's own, kept here by hand and nowhere else: the SMP_EE_AT_* offsets below
 * are its one definition (eeprom_config.c packs and checks with them, and the TypeScript tests read them out of
 * this file). Little-endian, EEPROM address 0, fields packed without gaps, so each field's width is the distance
 * to the next offset. The ranges are the ones smp_config_unpack checks.
 */
#ifndef SMP_EEPROM_CONFIG_H
#define SMP_EEPROM_CONFIG_H

#include <stdint.h>

#include "limits.h"

#define SMP_EE_MAGIC 0x4D53u /* "SM" */
#define SMP_EE_LAYOUT 2u
#define SMP_EE_CONFIG_ADDR 0x00u

/* Layout v2 (v1 had no cam stroke): the byte offset of each field in the record */
#define SMP_EE_AT_MAGIC 0x00u                 /* u16 SMP_EE_MAGIC */
#define SMP_EE_AT_LAYOUT 0x02u                /* u8  SMP_EE_LAYOUT */
#define SMP_EE_AT_MACHINE 0x03u               /* u8  SMP_MACHINE_* (board_tables.h, from MACHINE_KINDS) */
#define SMP_EE_AT_EXTENSION_UM 0x04u          /* u16 hardMaxExtensionUm 1..SMP_ABS_MAX_EXTENSION_UM */
#define SMP_EE_AT_STROKE_HZ 0x06u             /* u16 hardMaxStrokeHz    1..SMP_ABS_MAX_STROKE_HZ */
#define SMP_EE_AT_CURRENT_MA 0x08u            /* u16 hardMaxCurrentMa   1..SMP_ABS_MAX_CURRENT_MA */
#define SMP_EE_AT_DWELL_MS 0x0Au              /* u16 hardMaxDwellMs     1..SMP_ABS_MAX_DWELL_MS */
#define SMP_EE_AT_LEASE_MS 0x0Cu              /* u16 hardMaxLeaseMs     1..SMP_ABS_MAX_LEASE_MS */
#define SMP_EE_AT_SENSOR_NM_PER_COUNT 0x0Eu   /* u32 needle sensor nm per ADC count (ADC0) 1..1000000 */
#define SMP_EE_AT_SENSOR_ZERO_COUNT 0x12u     /* u16 needle sensor zero count (ADC0 at extension 0) 0..1022 */
#define SMP_EE_AT_ACT_NM_PER_COUNT 0x14u      /* u32 actuator feedback nm per ADC count (ADC1) 1..1000000 */
#define SMP_EE_AT_ACT_ZERO_COUNT 0x18u        /* u16 actuator feedback zero count (ADC1 at 0 um) 0..1022 */
#define SMP_EE_AT_CURRENT_UA_PER_COUNT 0x1Au  /* u16 current sense uA per ADC count (ADC2) 1..65535 */
#define SMP_EE_AT_STROKE_UM 0x1Cu            /* u16 the machine's cam (or armature) stroke, um 1..SMP_MAX_STROKE_UM */
#define SMP_EE_AT_CRC 0x1Eu                   /* u16 CRC-16/CCITT-FALSE over the bytes before it */
#define SMP_EE_CONFIG_BYTES 0x20u             /* the record, CRC included */
/* After the record, not under the CRC: the BOOT/INFO bootId (0xFFFFFFFF = erased = 0) */
#define SMP_EE_BOOT_COUNT_ADDR 0x20u          /* u32 */
#if SMP_EE_AT_CRC + 2u != SMP_EE_CONFIG_BYTES || SMP_EE_CONFIG_BYTES > SMP_EE_BOOT_COUNT_ADDR
#error "EEPROM layout: the CRC ends the record, and the boot counter follows it"
#endif

typedef struct {
  uint8_t machine;
  smp_limits limits;
  smp_calibration cal;
} smp_config;

typedef enum {
  SMP_CFG_OK = 0,
  SMP_CFG_BAD_CRC,     /* blank, corrupted or never written */
  SMP_CFG_BAD_MAGIC,   /* CRC fine but not our record (or another layout) */
  SMP_CFG_OUT_OF_RANGE /* CRC fine but a value beyond the compiled-in absolute caps */
} smp_cfg_result;

/* Compiled-in safe defaults, all from the generated board_tables.h: the limits of BOARD_DEFAULTS, the wiring of
 * BOARD_WIRING and the rotary image's calibration (scripts/gen/c-board.ts names its machine file, today
 * profiles/machines/rotary-pmu.json). Used whenever the EEPROM record is not valid. */
void smp_config_defaults(smp_config *c);
/* The same with the coil image's calibration and machine kind (the coil EEPROM image). */
void smp_config_defaults_coil(smp_config *c);

/* Serialise into SMP_EE_CONFIG_BYTES bytes, CRC included. */
void smp_config_pack(const smp_config *c, uint8_t *bytes);
/* Check CRC, magic and ranges and unpack. On any failure *c holds the compiled-in defaults. */
smp_cfg_result smp_config_unpack(const uint8_t *bytes, smp_config *c);

#endif /* SMP_EEPROM_CONFIG_H */
