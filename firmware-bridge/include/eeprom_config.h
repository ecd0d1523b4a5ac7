/* eeprom_config.h - the board's configuration record in EEPROM: hard limits and sensor calibration,
 * protected by a CRC-16/CCITT-FALSE. Portable: packing, unpacking and validation only; the EEPROM
 * itself is read by hal.c (and written by tools/mkeep.c into smp-board.eep).
 *
 * Layout v1 (little-endian, EEPROM address 0):
 *   0x00 u16 magic 0x4D53 ("SM")
 *   0x02 u8  layout version (1)
 *   0x03 u8  machine kind: 0 rotary (drive PWM continuous), 1 coil (drive PWM gated at strokeHz)
 *   0x04 u16 hardMaxExtensionUm   1..SMP_ABS_MAX_EXTENSION_UM
 *   0x06 u16 hardMaxStrokeHz      1..SMP_ABS_MAX_STROKE_HZ
 *   0x08 u16 hardMaxCurrentMa     1..SMP_ABS_MAX_CURRENT_MA
 *   0x0A u16 hardMaxDwellMs       1..SMP_ABS_MAX_DWELL_MS
 *   0x0C u16 hardMaxLeaseMs       1..SMP_ABS_MAX_LEASE_MS
 *   0x0E u32 needle sensor nm per ADC count (ADC0)        1..1000000
 *   0x12 u16 needle sensor zero count (ADC0 at extension 0) 0..1022
 *   0x14 u32 actuator feedback nm per ADC count (ADC1)    1..1000000
 *   0x18 u16 actuator feedback zero count (ADC1 at 0 um)  0..1022
 *   0x1A u16 current sense uA per ADC count (ADC2)        1..65535
 *   0x1C u16 CRC-16/CCITT-FALSE over bytes 0x00..0x1B
 *   0x20 u32 boot counter (not under the CRC; the BOOT/INFO bootId; 0xFFFFFFFF = erased = 0)
 */
#ifndef SMP_EEPROM_CONFIG_H
#define SMP_EEPROM_CONFIG_H

#include <stdint.h>

#include "limits.h"

#define SMP_EE_MAGIC 0x4D53u
#define SMP_EE_LAYOUT 1u
#define SMP_EE_CONFIG_ADDR 0x00u
#define SMP_EE_CONFIG_BYTES 0x1Eu /* record including its CRC */
#define SMP_EE_BOOT_COUNT_ADDR 0x20u

#define SMP_MACHINE_ROTARY 0u
#define SMP_MACHINE_COIL 1u

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
