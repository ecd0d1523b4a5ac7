/* fuzz_limits.c - libFuzzer target: the board's limit checks and conversions (src/limits.c), under any
 * configuration record the EEPROM validation (eeprom_config.c) lets through. Properties (abort() on a
 * violation), each against an exact integer reference written here, not taken from limits.c:
 *   - a DOT is accepted exactly when every field is within its hard limit and its burst fits the dwell cap;
 *     so an accepted extension never exceeds the configured cap, nor the compiled-in absolute one; being
 *     beyond is monotonic (one um deeper, one stroke more, one Hz faster stays beyond);
 *   - a granted lease never lies beyond hardMaxLeaseMs from now, nor after the tick requested;
 *   - the actuator setpoint is never deeper than asked and rises with the request; never beyond the cap;
 *   - the extension check with the tip seen ahead of the actuator refuses whatever would put the tip beyond
 *     the hard maximum, and is monotonic in the extension and in how far ahead;
 *   - the guard's ADC thresholds are exactly the first count the conversion puts beyond the limit, and every
 *     count above it is beyond too; the guard raises an alarm whenever one of its conditions holds;
 *   - rounding (nm to um), over-speed and up-to-speed agree with their exact references. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eeprom_config.h"
#include "limits.h"
#include "protocol.h"

static const uint8_t *in_p;
static size_t in_n;

static uint8_t take(void) {
  if (in_n == 0) return 0;
  in_n--;
  return *in_p++;
}
static uint16_t take16(void) {
  uint16_t hi = take();
  return (uint16_t)((unsigned)hi << 8 | take());
}
static uint32_t take32(void) {
  uint32_t hi = take16();
  return hi << 16 | take16();
}

/* ---- exact references ---- */

static int ref_dot_beyond(const smp_limits *l, uint32_t ext, uint32_t hz, uint32_t duty, uint32_t strokes) {
  if (ext > l->extension_um || hz == 0 || hz > l->stroke_hz || duty > 1000u || strokes == 0) return 1;
  /* strokes*1000/hz + overhead > dwell, in 64-bit integers: strokes*1000 > (dwell - overhead)*hz */
  return (int64_t)strokes * 1000 > ((int64_t)l->dwell_ms - (int64_t)SMP_BURST_OVERHEAD_MS) * (int64_t)hz;
}

static int32_t ref_nm_to_um(int32_t nm) { /* Math.round(nm / 1000): floor((nm + 500) / 1000) */
  int64_t x = (int64_t)nm + 500;
  return (int32_t)(x >= 0 ? x / 1000 : -((-x + 999) / 1000));
}

/* A value: near a boundary (within 4 of it, either side) or anywhere. */
static uint32_t near(uint32_t boundary) {
  uint8_t mode = take();
  if (mode & 1u) return boundary + (uint32_t)(mode >> 1) % 9u - 4u;
  return mode & 2u ? take16() : take32();
}

static void check_dot(const smp_limits *l) {
  uint32_t ext = near(l->extension_um);
  uint32_t hz = near(l->stroke_hz);
  uint32_t duty = near(1000u);
  uint32_t fit = l->dwell_ms > SMP_BURST_OVERHEAD_MS ? (uint32_t)((l->dwell_ms - SMP_BURST_OVERHEAD_MS) * hz / 1000u) : 0u;
  uint32_t strokes = near(fit); /* the most strokes whose burst fits the dwell cap at this rate */
  uint8_t beyond = smp_lim_dot_beyond(l, ext, hz, duty, strokes);
  uint32_t repeat = near(take() & 1u ? SMP_PEDAL_REPEAT_MIN_MS : SMP_PEDAL_REPEAT_MAX_MS);
  if (beyond != ref_dot_beyond(l, ext, hz, duty, strokes)) abort();
  /* PEDAL's repeat: 0 (once a press) or within LINK.pedalRepeatMinMs..pedalRepeatMaxMs */
  if (smp_lim_repeat_beyond(repeat) !=
      (repeat != 0 && (repeat < SMP_PEDAL_REPEAT_MIN_MS || repeat > SMP_PEDAL_REPEAT_MAX_MS)))
    abort();
  if (smp_lim_repeat_beyond(0)) abort();
  if (!beyond && (ext > l->extension_um || ext > SMP_ABS_MAX_EXTENSION_UM || hz > SMP_ABS_MAX_STROKE_HZ)) abort();
  if (beyond) { /* monotonic: further beyond stays beyond */
    if (ext < UINT32_MAX && !smp_lim_dot_beyond(l, ext + 1u, hz, duty, strokes)) abort();
    if (strokes < UINT32_MAX && strokes > 0 && !smp_lim_dot_beyond(l, ext, hz, duty, strokes + 1u)) abort();
    if (duty < UINT32_MAX && !smp_lim_dot_beyond(l, ext, hz, duty + 1u, strokes)) abort();
    if (hz >= l->stroke_hz && hz < UINT32_MAX && !smp_lim_dot_beyond(l, ext, hz + 1u, duty, strokes)) abort();
  }
}

static void check_lease(const smp_limits *l) {
  uint32_t now = take32(), req = take() & 1u ? now + take16() : take32();
  uint32_t granted = smp_lim_lease(l, now, req);
  if (smp_tick_diff(granted, now) > (int32_t)smp_ms_to_ticks(l->lease_ms)) abort();
  if (smp_tick_diff(granted, req) > 0) abort();
  if (granted != req && granted != now + smp_ms_to_ticks(l->lease_ms)) abort();
}

static void check_actuator(const smp_limits *l) {
  int32_t um = (int32_t)take16() - 32768, um2 = um + (int32_t)take();
  uint8_t ocr = smp_act_um_to_ocr(um), ocr2 = smp_act_um_to_ocr(um2);
  if (um > SMP_ACT_MIN_UM && smp_act_ocr_to_um(ocr) > um) abort(); /* never deeper than asked */
  if (um <= SMP_ACT_MIN_UM && ocr != 0) abort();                   /* at or behind the park: park */
  if (ocr2 < ocr) abort();                                         /* monotonic */
  if (um <= (int32_t)l->extension_um && smp_act_ocr_to_um(ocr) > (int16_t)l->extension_um && ocr != 0) abort();
  /* at most one step short of what was asked, below the top step */
  if (um > SMP_ACT_MIN_UM && ocr < 255u && smp_act_ocr_to_um(ocr) + SMP_ACT_UM_PER_STEP <= um) abort();
}

static void check_ahead(const smp_limits *l, const smp_calibration *c) {
  int32_t ahead = SMP_AHEAD_NONE, ahead2;
  uint8_t n = (uint8_t)(take() % 6u), i;
  uint32_t ext = take16() % (l->extension_um + 1u); /* the DOT already passed smp_lim_dot_beyond */
  int64_t tip_nm;
  for (i = 0; i < n; i++) {
    uint16_t needle = (uint16_t)(take16() % 1024u), act = (uint16_t)(take16() % 1024u);
    smp_ahead_note(&ahead, c, needle, smp_actuator_nm(c, act));
  }
  tip_nm = (int64_t)ext * 1000;
  if (ahead != SMP_AHEAD_NONE && ahead > SMP_DEFAULT_TIP_AHEAD_TOLERANCE_UM * 1000)
    tip_nm += ahead - SMP_DEFAULT_TIP_AHEAD_TOLERANCE_UM * 1000;
  if (smp_lim_extension_ahead(l, ext, ahead) != (tip_nm > (int64_t)l->extension_um * 1000)) abort();
  if (smp_lim_extension_ahead(l, ext, ahead)) {
    if (ext < l->extension_um && !smp_lim_extension_ahead(l, ext + 1u, ahead)) abort();
    ahead2 = ahead == SMP_AHEAD_NONE ? 0 : ahead;
    if (ahead2 < INT32_MAX - 1000 && ahead2 >= ahead && !smp_lim_extension_ahead(l, ext, ahead2 + 1000)) abort();
  }
}

static void check_thresholds(const smp_limits *l, const smp_calibration *c) {
  uint16_t over = smp_needle_over_count(l, c), cur = smp_current_over_count(l, c), k;
  for (k = 0; k <= SMP_ADC_RAIL; k++) {
    int64_t nm = ((int64_t)k - c->sensor_zero_count) * (int64_t)c->sensor_nm_per_count;
    if ((k >= over) != (nm > (int64_t)l->extension_um * 1000)) abort();
    if ((k >= cur) != ((uint64_t)k * c->current_ua_per_count >= (uint64_t)l->current_ma * 1000u + 500u)) abort();
  }
}

static void check_guard(const smp_limits *l, const smp_calibration *c) {
  smp_guard_cfg g;
  smp_guard_in in;
  smp_pedal pedal;
  uint8_t flags = take(), code, armed, dead_man;
  memset(&g, 0, sizeof g);
  memset(&in, 0, sizeof in);
  g.state = (uint8_t)(take() % SMP_STATE_COUNT);
  g.burst = g.state == SMP_STATE_BURST || g.state == SMP_STATE_PEDAL_BURST;
  g.lease_tick = take32();
  g.drive_on_us = take32();
  g.limits = l;
  g.cal = c;
  g.needle_over = smp_needle_over_count(l, c);
  g.current_over = smp_current_over_count(l, c);
  {
    uint16_t d = take16(); /* -32768..32767 ticks around the lease */
    in.tick = d & 0x8000u ? g.lease_tick - (0x10000u - (uint32_t)d) : g.lease_tick + d;
  }
  in.now_us = g.drive_on_us + take32() % 2000000u;
  in.last_edge_us = take() & 1u ? take32() : in.now_us - take32() % 200000u;
  in.needle_max = (uint16_t)(take16() % 1024u);
  in.current_max = (uint16_t)(take16() % 1024u);
  in.estop = flags & 1u;
  in.cartridge = (flags >> 1) & 1u;
  in.pedal_no = (flags >> 2) & 1u;
  in.pedal_nc = !in.pedal_no; /* the contacts agree only in the pedal-fault test below */
  in.drive_on = (flags >> 3) & 1u;
  pedal.mismatch = 0;
  pedal.since_us = 0;
  code = smp_guard_step(&g, &pedal, &in);
  /* a lease running (scheduled or pedal-armed): every check; the pedal a dead-man switch only when scheduled */
  armed = g.state == SMP_STATE_ARMED || g.state == SMP_STATE_BURST || g.state == SMP_STATE_PEDAL ||
          g.state == SMP_STATE_PEDAL_BURST;
  dead_man = g.state == SMP_STATE_ARMED || g.state == SMP_STATE_BURST;
  if (g.state == SMP_STATE_ALARM) {
    if (code) abort(); /* latching in ALARM changes nothing */
    return;
  }
  if (armed && (smp_tick_before(g.lease_tick, in.tick) || in.estop || !in.cartridge || (dead_man && !in.pedal_no) ||
                in.needle_max >= g.needle_over || in.needle_max >= SMP_ADC_RAIL) &&
      !code)
    abort();
  if (code == SMP_ALARM_PEDAL_RELEASED && (!dead_man || in.pedal_no)) abort(); /* a pedal release ends a pedal dot */
  if (!armed && code != 0 && code != SMP_ALARM_ESTOP && code != SMP_ALARM_OVER_CURRENT && !g.burst) abort();
  if (in.estop && !code) abort();
  if (in.drive_on && in.current_max >= g.current_over && !code) abort();
  if (g.burst && in.now_us - g.drive_on_us > (uint32_t)l->dwell_ms * 1000u && !code) abort();
  if (code) { /* an alarm, and the same one again a step later with nothing changed */
    smp_pedal p2 = pedal;
    if (smp_guard_step(&g, &p2, &in) != code) abort();
  }
  /* a needle reading further out never makes an alarm go away */
  if (code && in.needle_max < 1023u) {
    smp_pedal p2 = pedal;
    in.needle_max++;
    if (!smp_guard_step(&g, &p2, &in)) abort();
  }
}

static void check_numbers(const smp_limits *l) {
  int32_t nm = (int32_t)take32();
  uint32_t period = take() & 1u ? take16() : take32(), hz = take() % 200u;
  if (nm <= INT32_MAX - 500 && smp_nm_to_um(nm) != ref_nm_to_um(nm)) abort();
  if (smp_lim_over_speed(l, period) != (period > 0 && (uint64_t)l->stroke_hz * period < 1000000u)) abort();
  if (hz > 0) {
    /* 1e6/period > (NUM/DEN) * hz  <=>  DEN * 1e6 > NUM * hz * period */
    int ref = period == 0 || (uint64_t)SMP_SPINUP_SPEED_DEN * 1000000u > (uint64_t)SMP_SPINUP_SPEED_NUM * hz * period;
    if (smp_lim_up_to_speed(period, hz) != ref) abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  smp_config c;
  uint8_t record[SMP_EE_CONFIG_BYTES];
  in_p = data;
  in_n = size;
  /* a configuration: the defaults with the input's values, kept only if validation accepts the record */
  smp_config_defaults(&c);
  if (take() & 1u) {
    c.limits.extension_um = take16();
    c.limits.stroke_hz = take16();
    c.limits.current_ma = take16();
    c.limits.dwell_ms = take16();
    c.limits.lease_ms = take16();
    c.cal.sensor_nm_per_count = take32();
    c.cal.sensor_zero_count = take16();
    c.cal.act_nm_per_count = take32();
    c.cal.act_zero_count = take16();
    c.cal.current_ua_per_count = take16();
  }
  smp_config_pack(&c, record);
  if (smp_config_unpack(record, &c) != SMP_CFG_OK) smp_config_defaults(&c);
  if (c.limits.extension_um > SMP_ABS_MAX_EXTENSION_UM || c.limits.stroke_hz > SMP_ABS_MAX_STROKE_HZ ||
      c.limits.current_ma > SMP_ABS_MAX_CURRENT_MA || c.limits.dwell_ms > SMP_ABS_MAX_DWELL_MS ||
      c.limits.lease_ms > SMP_ABS_MAX_LEASE_MS)
    abort(); /* no record the validation accepts raises a compiled-in cap */
  while (in_n > 0) {
    switch (take() % 7u) {
      case 0: check_dot(&c.limits); break;
      case 1: check_lease(&c.limits); break;
      case 2: check_actuator(&c.limits); break;
      case 3: check_ahead(&c.limits, &c.cal); break;
      case 4: check_thresholds(&c.limits, &c.cal); break;
      case 5: check_guard(&c.limits, &c.cal); break;
      default: check_numbers(&c.limits); break;
    }
  }
  return 0;
}
