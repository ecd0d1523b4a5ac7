/* eeprom_config.c - pack, unpack and validate the EEPROM configuration record (see eeprom_config.h).
 * Portable C99: the firmware reads the bytes through hal.c, tools/mkeep.c writes them into smp-board.eep. */
#include "eeprom_config.h"

#include "codec.h" /* smp_crc16 */

/* Every value comes from the generated board_tables.h: the limits of BOARD_DEFAULTS, the actuator feedback and
 * current sense of BOARD_WIRING, and the sensor calibration of the image's machine file (profiles/machines/). */
static void defaults_common(smp_config *c, uint8_t machine) {
  c->machine = machine;
  c->limits.extension_um = SMP_DEFAULT_HARD_MAX_EXTENSION_UM;
  c->limits.stroke_hz = SMP_DEFAULT_HARD_MAX_STROKE_HZ;
  c->limits.current_ma = SMP_DEFAULT_HARD_MAX_CURRENT_MA;
  c->limits.dwell_ms = SMP_DEFAULT_HARD_MAX_DWELL_MS;
  c->limits.lease_ms = SMP_DEFAULT_HARD_MAX_LEASE_MS;
  c->cal.act_nm_per_count = SMP_WIRING_ACTUATOR_FEEDBACK_NM_PER_COUNT;
  c->cal.act_zero_count = SMP_WIRING_ACTUATOR_FEEDBACK_ZERO_COUNT;
  c->cal.current_ua_per_count = SMP_WIRING_CURRENT_SENSE_UA_PER_COUNT;
}

void smp_config_defaults(smp_config *c) {
  defaults_common(c, SMP_IMAGE_ROTARY_MACHINE);
  c->cal.sensor_nm_per_count = SMP_IMAGE_ROTARY_SENSOR_NM_PER_COUNT;
  c->cal.sensor_zero_count = SMP_IMAGE_ROTARY_SENSOR_ZERO_COUNT;
}

void smp_config_defaults_coil(smp_config *c) {
  defaults_common(c, SMP_IMAGE_COIL_MACHINE);
  c->cal.sensor_nm_per_count = SMP_IMAGE_COIL_SENSOR_NM_PER_COUNT;
  c->cal.sensor_zero_count = SMP_IMAGE_COIL_SENSOR_ZERO_COUNT;
}

static void put16(uint8_t *b, uint16_t v) {
  b[0] = (uint8_t)v;
  b[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *b, uint32_t v) {
  put16(b, (uint16_t)v);
  put16(b + 2, (uint16_t)(v >> 16));
}

static uint16_t get16(const uint8_t *b) { return (uint16_t)(b[0] | (uint16_t)b[1] << 8); }

static uint32_t get32(const uint8_t *b) { return get16(b) | (uint32_t)get16(b + 2) << 16; }

void smp_config_pack(const smp_config *c, uint8_t *b) {
  put16(b + 0x00, SMP_EE_MAGIC);
  b[0x02] = SMP_EE_LAYOUT;
  b[0x03] = c->machine;
  put16(b + 0x04, c->limits.extension_um);
  put16(b + 0x06, c->limits.stroke_hz);
  put16(b + 0x08, c->limits.current_ma);
  put16(b + 0x0A, c->limits.dwell_ms);
  put16(b + 0x0C, c->limits.lease_ms);
  put32(b + 0x0E, c->cal.sensor_nm_per_count);
  put16(b + 0x12, c->cal.sensor_zero_count);
  put32(b + 0x14, c->cal.act_nm_per_count);
  put16(b + 0x18, c->cal.act_zero_count);
  put16(b + 0x1A, c->cal.current_ua_per_count);
  put16(b + 0x1C, smp_crc16(b, 0x1C));
}

static uint8_t in_range(uint32_t v, uint32_t lo, uint32_t hi) { return v >= lo && v <= hi; }

smp_cfg_result smp_config_unpack(const uint8_t *b, smp_config *c) {
  smp_config r;
  if (smp_crc16(b, 0x1C) != get16(b + 0x1C)) goto bad_crc;
  if (get16(b) != SMP_EE_MAGIC || b[0x02] != SMP_EE_LAYOUT) goto bad_magic;
  r.machine = b[0x03];
  r.limits.extension_um = get16(b + 0x04);
  r.limits.stroke_hz = get16(b + 0x06);
  r.limits.current_ma = get16(b + 0x08);
  r.limits.dwell_ms = get16(b + 0x0A);
  r.limits.lease_ms = get16(b + 0x0C);
  r.cal.sensor_nm_per_count = get32(b + 0x0E);
  r.cal.sensor_zero_count = get16(b + 0x12);
  r.cal.act_nm_per_count = get32(b + 0x14);
  r.cal.act_zero_count = get16(b + 0x18);
  r.cal.current_ua_per_count = get16(b + 0x1A);
  if (r.machine > SMP_MACHINE_COIL || !in_range(r.limits.extension_um, 1, SMP_ABS_MAX_EXTENSION_UM) ||
      !in_range(r.limits.stroke_hz, 1, SMP_ABS_MAX_STROKE_HZ) ||
      !in_range(r.limits.current_ma, 1, SMP_ABS_MAX_CURRENT_MA) ||
      !in_range(r.limits.dwell_ms, 1, SMP_ABS_MAX_DWELL_MS) || !in_range(r.limits.lease_ms, 1, SMP_ABS_MAX_LEASE_MS) ||
      !in_range(r.cal.sensor_nm_per_count, 1, 1000000UL) || r.cal.sensor_zero_count >= SMP_ADC_RAIL ||
      !in_range(r.cal.act_nm_per_count, 1, 1000000UL) || r.cal.act_zero_count >= SMP_ADC_RAIL ||
      r.cal.current_ua_per_count == 0) {
    smp_config_defaults(c);
    return SMP_CFG_OUT_OF_RANGE;
  }
  *c = r;
  return SMP_CFG_OK;
bad_crc:
  smp_config_defaults(c);
  return SMP_CFG_BAD_CRC;
bad_magic:
  smp_config_defaults(c);
  return SMP_CFG_BAD_MAGIC;
}
