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
  c->cal.stroke_um = SMP_IMAGE_ROTARY_STROKE_UM;
}

void smp_config_defaults_coil(smp_config *c) {
  defaults_common(c, SMP_IMAGE_COIL_MACHINE);
  c->cal.sensor_nm_per_count = SMP_IMAGE_COIL_SENSOR_NM_PER_COUNT;
  c->cal.sensor_zero_count = SMP_IMAGE_COIL_SENSOR_ZERO_COUNT;
  c->cal.stroke_um = SMP_IMAGE_COIL_STROKE_UM;
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
  put16(b + SMP_EE_AT_MAGIC, SMP_EE_MAGIC);
  b[SMP_EE_AT_LAYOUT] = SMP_EE_LAYOUT;
  b[SMP_EE_AT_MACHINE] = c->machine;
  put16(b + SMP_EE_AT_EXTENSION_UM, c->limits.extension_um);
  put16(b + SMP_EE_AT_STROKE_HZ, c->limits.stroke_hz);
  put16(b + SMP_EE_AT_CURRENT_MA, c->limits.current_ma);
  put16(b + SMP_EE_AT_DWELL_MS, c->limits.dwell_ms);
  put16(b + SMP_EE_AT_LEASE_MS, c->limits.lease_ms);
  put32(b + SMP_EE_AT_SENSOR_NM_PER_COUNT, c->cal.sensor_nm_per_count);
  put16(b + SMP_EE_AT_SENSOR_ZERO_COUNT, c->cal.sensor_zero_count);
  put32(b + SMP_EE_AT_ACT_NM_PER_COUNT, c->cal.act_nm_per_count);
  put16(b + SMP_EE_AT_ACT_ZERO_COUNT, c->cal.act_zero_count);
  put16(b + SMP_EE_AT_CURRENT_UA_PER_COUNT, c->cal.current_ua_per_count);
  put16(b + SMP_EE_AT_STROKE_UM, c->cal.stroke_um);
  put16(b + SMP_EE_AT_CRC, smp_crc16(b, SMP_EE_AT_CRC));
}

static uint8_t in_range(uint32_t v, uint32_t lo, uint32_t hi) { return v >= lo && v <= hi; }

smp_cfg_result smp_config_unpack(const uint8_t *b, smp_config *c) {
  smp_config r;
  if (smp_crc16(b, SMP_EE_AT_CRC) != get16(b + SMP_EE_AT_CRC)) goto bad_crc;
  if (get16(b + SMP_EE_AT_MAGIC) != SMP_EE_MAGIC || b[SMP_EE_AT_LAYOUT] != SMP_EE_LAYOUT) goto bad_magic;
  r.machine = b[SMP_EE_AT_MACHINE];
  r.limits.extension_um = get16(b + SMP_EE_AT_EXTENSION_UM);
  r.limits.stroke_hz = get16(b + SMP_EE_AT_STROKE_HZ);
  r.limits.current_ma = get16(b + SMP_EE_AT_CURRENT_MA);
  r.limits.dwell_ms = get16(b + SMP_EE_AT_DWELL_MS);
  r.limits.lease_ms = get16(b + SMP_EE_AT_LEASE_MS);
  r.cal.sensor_nm_per_count = get32(b + SMP_EE_AT_SENSOR_NM_PER_COUNT);
  r.cal.sensor_zero_count = get16(b + SMP_EE_AT_SENSOR_ZERO_COUNT);
  r.cal.act_nm_per_count = get32(b + SMP_EE_AT_ACT_NM_PER_COUNT);
  r.cal.act_zero_count = get16(b + SMP_EE_AT_ACT_ZERO_COUNT);
  r.cal.current_ua_per_count = get16(b + SMP_EE_AT_CURRENT_UA_PER_COUNT);
  r.cal.stroke_um = get16(b + SMP_EE_AT_STROKE_UM);
  if (r.machine >= SMP_MACHINE_COUNT || !in_range(r.limits.extension_um, 1, SMP_ABS_MAX_EXTENSION_UM) ||
      !in_range(r.limits.stroke_hz, 1, SMP_ABS_MAX_STROKE_HZ) ||
      !in_range(r.limits.current_ma, 1, SMP_ABS_MAX_CURRENT_MA) ||
      !in_range(r.limits.dwell_ms, 1, SMP_ABS_MAX_DWELL_MS) || !in_range(r.limits.lease_ms, 1, SMP_ABS_MAX_LEASE_MS) ||
      !in_range(r.cal.sensor_nm_per_count, 1, 1000000UL) || r.cal.sensor_zero_count >= SMP_ADC_RAIL ||
      !in_range(r.cal.act_nm_per_count, 1, 1000000UL) || r.cal.act_zero_count >= SMP_ADC_RAIL ||
      r.cal.current_ua_per_count == 0 || !in_range(r.cal.stroke_um, 1, SMP_MAX_STROKE_UM) ||
      !smp_cal_sees_park(&r.cal)) { /* the zero check could not see the parked needle */
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
