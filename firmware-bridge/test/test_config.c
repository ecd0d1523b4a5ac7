/* test_config.c - host tests of src/eeprom_config.c: the record round-trips, any corrupted byte is caught
 * by the CRC, values beyond the compiled-in caps are refused, and every failure yields the safe defaults. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "codec.h"
#include "eeprom_config.h"

static int same(const smp_config *a, const smp_config *b) {
  return a->machine == b->machine && memcmp(&a->limits, &b->limits, sizeof a->limits) == 0 &&
         a->cal.sensor_nm_per_count == b->cal.sensor_nm_per_count &&
         a->cal.sensor_zero_count == b->cal.sensor_zero_count && a->cal.act_nm_per_count == b->cal.act_nm_per_count &&
         a->cal.act_zero_count == b->cal.act_zero_count && a->cal.current_ua_per_count == b->cal.current_ua_per_count;
}

static void reseal(uint8_t *b) {
  uint16_t crc = smp_crc16(b, SMP_EE_AT_CRC);
  b[SMP_EE_AT_CRC] = (uint8_t)crc;
  b[SMP_EE_AT_CRC + 1u] = (uint8_t)(crc >> 8);
}

int main(void) {
  smp_config def, coil, got;
  uint8_t b[SMP_EE_CONFIG_BYTES], bad[SMP_EE_CONFIG_BYTES];
  unsigned i, bit;
  smp_config_defaults(&def);
  smp_config_defaults_coil(&coil);
  /* each image's calibration (generated from its machine file), the wiring of both, the limits of both */
  CHECK(def.machine == SMP_MACHINE_ROTARY && coil.machine == SMP_MACHINE_COIL);
  CHECK(def.cal.sensor_nm_per_count == SMP_IMAGE_ROTARY_SENSOR_NM_PER_COUNT &&
        def.cal.sensor_zero_count == SMP_IMAGE_ROTARY_SENSOR_ZERO_COUNT);
  CHECK(coil.cal.sensor_nm_per_count == SMP_IMAGE_COIL_SENSOR_NM_PER_COUNT &&
        coil.cal.sensor_zero_count == SMP_IMAGE_COIL_SENSOR_ZERO_COUNT);
  CHECK(def.cal.act_zero_count == SMP_WIRING_ACTUATOR_FEEDBACK_ZERO_COUNT && coil.cal.act_zero_count == def.cal.act_zero_count);
  CHECK(memcmp(&def.limits, &coil.limits, sizeof def.limits) == 0 && def.limits.lease_ms == SMP_DEFAULT_HARD_MAX_LEASE_MS);

  smp_config_pack(&def, b);
  CHECK(smp_config_unpack(b, &got) == SMP_CFG_OK && same(&got, &def));
  smp_config_pack(&coil, b);
  CHECK(smp_config_unpack(b, &got) == SMP_CFG_OK && same(&got, &coil));

  /* every single-bit error anywhere in the record is caught; the result is the defaults */
  for (i = 0; i < SMP_EE_CONFIG_BYTES; i++)
    for (bit = 0; bit < 8; bit++) {
      memcpy(bad, b, sizeof bad);
      bad[i] ^= (uint8_t)(1u << bit);
      CHECK(smp_config_unpack(bad, &got) == SMP_CFG_BAD_CRC && same(&got, &def));
    }
  /* blank EEPROM */
  memset(bad, 0xFF, sizeof bad);
  CHECK(smp_config_unpack(bad, &got) == SMP_CFG_BAD_CRC && same(&got, &def));
  memset(bad, 0x00, sizeof bad);
  CHECK(smp_config_unpack(bad, &got) != SMP_CFG_OK && same(&got, &def));

  /* a well-sealed record with a value beyond a compiled-in cap is refused */
  {
    smp_config over = coil;
    over.limits.extension_um = 1501;
    smp_config_pack(&over, bad);
    CHECK(smp_config_unpack(bad, &got) == SMP_CFG_OUT_OF_RANGE && same(&got, &def));
    over = coil;
    over.limits.stroke_hz = 161;
    smp_config_pack(&over, bad);
    CHECK(smp_config_unpack(bad, &got) == SMP_CFG_OUT_OF_RANGE);
    over = coil;
    over.limits.lease_ms = 0;
    smp_config_pack(&over, bad);
    CHECK(smp_config_unpack(bad, &got) == SMP_CFG_OUT_OF_RANGE);
    over = coil;
    over.cal.sensor_nm_per_count = 0;
    smp_config_pack(&over, bad);
    CHECK(smp_config_unpack(bad, &got) == SMP_CFG_OUT_OF_RANGE);
    over = coil;
    over.machine = 2;
    smp_config_pack(&over, bad);
    CHECK(smp_config_unpack(bad, &got) == SMP_CFG_OUT_OF_RANGE);
    over = coil;
    over.limits.extension_um = 1200; /* stricter than the default is fine */
    smp_config_pack(&over, bad);
    CHECK(smp_config_unpack(bad, &got) == SMP_CFG_OK && got.limits.extension_um == 1200);
  }
  /* another layout version, resealed */
  smp_config_pack(&def, bad);
  bad[2] = (uint8_t)(SMP_EE_LAYOUT + 1u);
  reseal(bad);
  CHECK(smp_config_unpack(bad, &got) == SMP_CFG_BAD_MAGIC && same(&got, &def));
  return check_report("test_config");
}
