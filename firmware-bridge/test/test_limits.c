/* test_limits.c - host tests of src/limits.c: every check against the floating-point expression of
 * src/sim/board*.ts it replaces (over grids of values, boundaries included), tick wrap-around, rounding. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "eeprom_config.h"
#include "limits.h"

static smp_limits L;

/* board.ts acceptDot: burstMs = strokes*1000/strokeHz + LINK.burstOverheadMs; beyond if > hardMaxDwellMs */
static int dot_beyond_ref(double ext, double hz, double duty, double strokes) {
  double burst_ms = hz > 0 ? strokes * 1000.0 / hz + SMP_BURST_OVERHEAD_MS : INFINITY;
  return ext > L.extension_um || hz == 0 || hz > L.stroke_hz || duty > 1000 || strokes == 0 || burst_ms > L.dwell_ms;
}

static void test_dot(void) {
  uint32_t hz, strokes;
  CHECK(!smp_lim_dot_beyond(&L, 1500, 120, 700, 8));
  CHECK(smp_lim_dot_beyond(&L, 1501, 120, 700, 8));
  CHECK(!smp_lim_dot_beyond(&L, 0, 120, 700, 8)); /* extension 0 is accepted */
  CHECK(smp_lim_dot_beyond(&L, 800, 0, 700, 8));
  CHECK(smp_lim_dot_beyond(&L, 800, 161, 700, 8));
  CHECK(!smp_lim_dot_beyond(&L, 800, 160, 1000, 8));
  CHECK(smp_lim_dot_beyond(&L, 800, 120, 1001, 8));
  CHECK(smp_lim_dot_beyond(&L, 800, 120, 700, 0));
  CHECK(smp_lim_dot_beyond(&L, 800, 120, 700, 0xFFFFFFFFu));
  CHECK(smp_lim_dot_beyond(&L, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu));
  /* the contract suite's dwell case: strokeHz 100, strokes floor(dwell*100/1000)+1 */
  CHECK(smp_lim_dot_beyond(&L, 800, 100, 700, (uint32_t)(L.dwell_ms * 100u / 1000u + 1u)));
  for (hz = 0; hz <= 170; hz++)
    for (strokes = 0; strokes <= 80; strokes++)
      CHECK_MSG(smp_lim_dot_beyond(&L, 800, hz, 500, strokes) == dot_beyond_ref(800, hz, 500, strokes),
                "hz %u strokes %u", (unsigned)hz, (unsigned)strokes);
  {
    smp_limits tight = L;
    tight.dwell_ms = 80; /* no room beyond the overhead: every dot is beyond */
    CHECK(smp_lim_dot_beyond(&tight, 800, 160, 500, 1));
    tight.dwell_ms = 81;
    CHECK(smp_lim_dot_beyond(&tight, 800, 160, 500, 1));
    tight.dwell_ms = 100; /* 20 ms budget: 3 strokes at 160 Hz (18.75 ms) fit, 4 do not */
    CHECK(!smp_lim_dot_beyond(&tight, 800, 160, 500, 3) && smp_lim_dot_beyond(&tight, 800, 160, 500, 4));
  }
}

/* PEDAL's repeatMs (docs/protocol.md §7.13): 0, or LINK.pedalRepeatMinMs..pedalRepeatMaxMs (100..10 000 ms). */
static void test_repeat(void) {
  CHECK(SMP_PEDAL_REPEAT_MIN_MS == 100u && SMP_PEDAL_REPEAT_MAX_MS == 10000u);
  CHECK(!smp_lim_repeat_beyond(0));
  CHECK(smp_lim_repeat_beyond(1));
  CHECK(smp_lim_repeat_beyond(99));
  CHECK(!smp_lim_repeat_beyond(100));
  CHECK(!smp_lim_repeat_beyond(150));
  CHECK(!smp_lim_repeat_beyond(10000));
  CHECK(smp_lim_repeat_beyond(10001));
  CHECK(smp_lim_repeat_beyond(0xFFFFFFFFu));
  CHECK(SMP_PEDAL_SETTLE_US == 1000u);
}

static void test_ticks(void) {
  CHECK(smp_tick_before(0xFFFFFFF0u, 5u));
  CHECK(!smp_tick_before(5u, 0xFFFFFFF0u));
  CHECK(smp_tick_diff(3u, 0xFFFFFFFFu) == 4);
  CHECK(smp_ms_to_ticks(500) == 5000u);
  /* lease: capped at now + hardMaxLeaseMs, replaced even by an earlier tick, wrap-aware */
  CHECK(smp_lim_lease(&L, 1000u, 2000u) == 2000u);
  CHECK(smp_lim_lease(&L, 1000u, 6000u) == 6000u);
  CHECK(smp_lim_lease(&L, 1000u, 6001u) == 6000u);
  CHECK(smp_lim_lease(&L, 1000u, 10u) == 10u);
  CHECK(smp_lim_lease(&L, 0xFFFFFF00u, 100u) == 100u);
  CHECK(smp_lim_lease(&L, 0xFFFFFF00u, 0x2000u) == 0xFFFFFF00u + 5000u);
  /* late: atTick before now - 20 ticks */
  CHECK(!smp_lim_dot_late(1000u, 980u));
  CHECK(smp_lim_dot_late(1000u, 979u));
  CHECK(!smp_lim_dot_late(10u, 0xFFFFFFFFu));
  CHECK(smp_lim_dot_late(10u, 0xFFFFFFF0u));
  /* start late: more than 10 ms = 100 ticks after atTick */
  CHECK(!smp_lim_start_late(1100u, 1000u));
  CHECK(smp_lim_start_late(1101u, 1000u));
  CHECK(!smp_lim_start_late(1000u, 1050u));
}

static void test_speed(void) {
  uint32_t period, hz;
  for (period = 0; period < 20000u; period += 7u) {
    int ref = period > 0 && 1e6 / period > L.stroke_hz;
    CHECK_MSG(smp_lim_over_speed(&L, period) == ref, "period %u", (unsigned)period);
  }
  CHECK(smp_lim_over_speed(&L, 6249u) && !smp_lim_over_speed(&L, 6250u)); /* 160 Hz = 6250 us */
  CHECK(!smp_lim_over_speed(&L, 0) && !smp_lim_over_speed(&L, 0xFFFFFFFFu));
  for (hz = 1; hz <= 160; hz++)
    for (period = 0; period < 60000u; period += 13u) {
      int ref = 1e6 / period > 0.85 * hz; /* 1e6/0 = Infinity in JS */
      CHECK_MSG(smp_lim_up_to_speed(period, hz) == ref, "period %u hz %u", (unsigned)period, (unsigned)hz);
    }
  CHECK(!smp_lim_up_to_speed(0xFFFFFFFFu, 160));
  /* 120 Hz: 85 % is 102 Hz, period 9803.9 us */
  CHECK(smp_lim_up_to_speed(9803u, 120) && !smp_lim_up_to_speed(9804u, 120));
}

static void test_windows(void) {
  CHECK(!smp_lim_stall(100000u) && smp_lim_stall(100001u));
  CHECK(!smp_lim_spinup_timeout(59999u) && smp_lim_spinup_timeout(60000u));
  CHECK(!smp_lim_dwell_exceeded(&L, 400000u) && smp_lim_dwell_exceeded(&L, 400001u));
  CHECK(!smp_lim_pedal_fault(19999u) && smp_lim_pedal_fault(20000u));
  CHECK(!smp_lim_over_current(&L, 3000u) && smp_lim_over_current(&L, 3001u));
  CHECK(!smp_lim_over_extension(&L, 1500000) && smp_lim_over_extension(&L, 1500001));
  CHECK(!smp_lim_tip_past_command(1240000, 1200) && smp_lim_tip_past_command(1240001, 1200)); /* 40 um tolerance */
  CHECK(!smp_lim_tip_past_command(-5000, 0) && smp_lim_tip_past_command(41000, 0));
  CHECK(!smp_lim_sensor_dropout(1022u) && smp_lim_sensor_dropout(1023u));
  CHECK(smp_lim_sensor_stuck(199999) && !smp_lim_sensor_stuck(200000));
  CHECK(smp_lim_actuator_out(780000, 800) && !smp_lim_actuator_out(779999, 800));
}

/* docs/protocol.md §7.5: the extension check at the end of spin-up */
static void test_extension_ahead(void) {
  smp_config c;
  int32_t ahead = SMP_AHEAD_NONE;
  smp_config_defaults(&c); /* 4 um per count, zero at count 112, hard maximum 1500 um */
  CHECK(!smp_lim_extension_ahead(&c.limits, 1500u, ahead)); /* never seen: no claim */
  smp_ahead_note(&ahead, &c.cal, 0u, -400000);    /* sensor floor: no position */
  smp_ahead_note(&ahead, &c.cal, 1023u, -400000); /* rail: no position */
  CHECK(ahead == SMP_AHEAD_NONE);
  smp_ahead_note(&ahead, &c.cal, 112u - 100u, -400000); /* tip at -400 um, actuator parked at -400 um */
  CHECK(ahead == 0);
  CHECK(!smp_lim_extension_ahead(&c.limits, 1500u, ahead));
  smp_ahead_note(&ahead, &c.cal, 112u + 50u, -400000); /* broken spring: tip at +200 um, 600 um ahead */
  smp_ahead_note(&ahead, &c.cal, 112u, -400000);       /* a smaller reading later does not lower it */
  CHECK(ahead == 600000);
  CHECK(!smp_lim_extension_ahead(&c.limits, 940u, ahead)); /* 940 + 600 - 40 tolerance = 1500 */
  CHECK(smp_lim_extension_ahead(&c.limits, 941u, ahead));
  ahead = 40000; /* within the tolerance: noise */
  CHECK(!smp_lim_extension_ahead(&c.limits, 1500u, ahead));
  ahead = 40001;
  CHECK(smp_lim_extension_ahead(&c.limits, 1500u, ahead));
}

/* docs/protocol.md §7.5: the zero check at every spin-up edge, and the calibration it needs */
static void test_zero_check(void) {
  smp_config c;
  smp_config_defaults(&c); /* 4 um per count, zero at count 112: the floor 448 um behind the grip */
  CHECK(!smp_lim_zero_shallow(&c.cal, 112u - 100u, -400000)); /* parked BDC at -400 um: at the actuator */
  CHECK(!smp_lim_zero_shallow(&c.cal, 112u - 110u, -400000)); /* -440 um: 40 um behind, the tolerance */
  CHECK(smp_lim_zero_shallow(&c.cal, 112u - 111u, -400000));  /* -444 um: 44 um behind */
  CHECK(smp_lim_zero_shallow(&c.cal, 0u, -400000));           /* the floor: shallow by more than 48 um */
  CHECK(!smp_lim_zero_shallow(&c.cal, 112u - 90u, -400000));  /* ahead is the extension check's */
  /* the actuator not at park (feedback beyond 150 um of it): no reference */
  CHECK(!smp_lim_zero_shallow(&c.cal, 0u, -249999) && smp_lim_zero_shallow(&c.cal, 0u, -250000));
  /* against park, not the feedback: a feedback frozen 100 um out of park does not make a healthy sensor shallow */
  CHECK(!smp_lim_zero_shallow(&c.cal, 112u - 100u, -300000));
  CHECK(!smp_lim_zero_shallow(&c.cal, 0u, -550001) && smp_lim_zero_shallow(&c.cal, 0u, -550000));
  CHECK(smp_cal_sees_park(&c.cal)); /* 448 um = 400 + 48 */
  c.cal.sensor_zero_count = 111u;   /* 444 um: the floor would hide a parked needle read 44 um behind */
  CHECK(!smp_cal_sees_park(&c.cal));
  smp_config_defaults_coil(&c);
  CHECK(smp_cal_sees_park(&c.cal));
}

static void test_conversions(void) {
  smp_config c;
  int32_t nm;
  unsigned ocr;
  smp_config_defaults(&c);
  CHECK(smp_sensor_nm(&c.cal, 112) == 0);
  CHECK(smp_sensor_nm(&c.cal, 312) == 800000);
  CHECK(smp_sensor_nm(&c.cal, 0) == -448000);
  CHECK(smp_sensor_nm(&c.cal, 1023) == 3644000);
  CHECK(smp_actuator_nm(&c.cal, 250) == 0);
  CHECK(smp_actuator_nm(&c.cal, 90) == -400000);
  CHECK(smp_current_ma(&c.cal, 0) == 0);
  CHECK(smp_current_ma(&c.cal, 1023) == 4995);
  CHECK(smp_current_ma(&c.cal, 615) == 3003);
  /* Math.round semantics: halves go toward +infinity */
  for (nm = -5000000; nm <= 5000000; nm += 37) {
    double ref = floor(nm / 1000.0 + 0.5);
    CHECK_MSG(smp_nm_to_um(nm) == (int32_t)ref, "nm %ld", (long)nm);
  }
  CHECK(smp_nm_to_um(-2500) == -2 && smp_nm_to_um(2500) == 3 && smp_nm_to_um(-2501) == -3);
  /* actuator setpoint: 8 um steps from park (-400 um) */
  CHECK(smp_act_um_to_ocr(-400) == 0 && smp_act_um_to_ocr(-1000) == 0);
  CHECK(smp_act_um_to_ocr(800) == 150 && smp_act_ocr_to_um(150) == 800);
  CHECK(smp_act_um_to_ocr(1500) == 237 && smp_act_ocr_to_um(237) == 1496); /* never 1504: deeper than asked */
  CHECK(smp_act_um_to_ocr(803) == 150 && smp_act_um_to_ocr(805) == 150 && smp_act_um_to_ocr(807) == 150);
  CHECK(smp_act_um_to_ocr(100000) == 255);
  for (ocr = 0; ocr < 256u; ocr++) CHECK(smp_act_um_to_ocr(smp_act_ocr_to_um((uint8_t)ocr)) == ocr);
  for (nm = -400; nm <= 1640; nm++) {
    int32_t got = smp_act_ocr_to_um(smp_act_um_to_ocr(nm));
    CHECK_MSG(got <= nm && nm - got <= 7, "um %ld -> %ld", (long)nm, (long)got);
  }
  CHECK(smp_duty_to_ocr(0) == 0 && smp_duty_to_ocr(1000) == 255 && smp_duty_to_ocr(500) == 128);
  CHECK(smp_duty_to_ocr(700) == 179);
  {
    static const uint16_t uas[] = {1, 977, 4883, 5000, 65535};
    static const uint16_t mas[] = {1, 999, 3000, 4900};
    unsigned a, m, count;
    smp_config k = c;
    for (a = 0; a < 5; a++)
      for (m = 0; m < 4; m++) {
        k.cal.current_ua_per_count = uas[a];
        k.limits.current_ma = mas[m];
        for (count = 0; count < 1024u; count++)
          CHECK(smp_lim_over_current_count(&k.limits, &k.cal, (uint16_t)count) ==
                smp_lim_over_current(&k.limits, smp_current_ma(&k.cal, (uint16_t)count)));
      }
  }
}

static void test_guard(void) {
  smp_config c;
  smp_guard_cfg g;
  smp_pedal pedal = {0, 0};
  smp_guard_in in;
  unsigned count;
  smp_config_defaults(&c);
  /* thresholds in counts are exact */
  g.needle_over = smp_needle_over_count(&c.limits, &c.cal);
  g.current_over = smp_current_over_count(&c.limits, &c.cal);
  for (count = 0; count <= 1023u; count++) {
    CHECK((count >= g.needle_over) == smp_lim_over_extension(&c.limits, smp_sensor_nm(&c.cal, (uint16_t)count)));
    CHECK((count >= g.current_over) == smp_lim_over_current_count(&c.limits, &c.cal, (uint16_t)count));
  }
  CHECK(g.needle_over == 112u + 375u + 1u); /* 1500 um / 4 um per count above zero 112 */
  g.state = SMP_STATE_ARMED;
  g.burst = 0;
  g.lease_tick = 1000;
  g.drive_on_us = 0;
  g.limits = &c.limits;
  /* all quiet */
  in.tick = 500; in.now_us = 50000; in.last_edge_us = 0; in.needle_max = 300; in.current_max = 100;
  in.estop = 0; in.cartridge = 1; in.pedal_no = 1; in.pedal_nc = 0; in.drive_on = 0;
  CHECK(smp_guard_step(&g, &pedal, &in) == 0);
  /* the reference board's order: lease, e-stop, cartridge, pedal released, rail, extension, current */
  in.tick = 1001; in.estop = 1; in.cartridge = 0;
  CHECK(smp_guard_step(&g, &pedal, &in) == SMP_ALARM_LEASE_EXPIRED);
  in.tick = 1000; /* not after the lease tick yet */
  CHECK(smp_guard_step(&g, &pedal, &in) == SMP_ALARM_ESTOP);
  in.estop = 0;
  CHECK(smp_guard_step(&g, &pedal, &in) == SMP_ALARM_CARTRIDGE_MISSING);
  in.cartridge = 1; in.pedal_no = 0; in.pedal_nc = 1;
  CHECK(smp_guard_step(&g, &pedal, &in) == SMP_ALARM_PEDAL_RELEASED);
  in.pedal_no = 1; in.pedal_nc = 0; in.needle_max = 1023; in.current_max = 1023; in.drive_on = 1;
  CHECK(smp_guard_step(&g, &pedal, &in) == SMP_ALARM_SENSOR_DROPOUT);
  in.needle_max = g.needle_over;
  CHECK(smp_guard_step(&g, &pedal, &in) == SMP_ALARM_OVER_EXTENSION);
  in.needle_max = (uint16_t)(g.needle_over - 1u);
  CHECK(smp_guard_step(&g, &pedal, &in) == SMP_ALARM_OVER_CURRENT);
  in.drive_on = 0;
  CHECK(smp_guard_step(&g, &pedal, &in) == 0); /* current only counts with the drive on */
  /* in IDLE: e-stop only; no sensor, lease or cartridge checks */
  g.state = SMP_STATE_IDLE;
  in.tick = 5000; in.cartridge = 0; in.needle_max = 1023;
  CHECK(smp_guard_step(&g, &pedal, &in) == 0);
  in.estop = 1;
  CHECK(smp_guard_step(&g, &pedal, &in) == SMP_ALARM_ESTOP);
  /* in ALARM nothing latches, but the pedal contacts are still tracked */
  g.state = SMP_STATE_ALARM;
  in.pedal_no = 1; in.pedal_nc = 1; in.now_us = 100000;
  CHECK(smp_guard_step(&g, &pedal, &in) == 0 && pedal.mismatch == 1);
  in.now_us = 200000;
  CHECK(smp_guard_step(&g, &pedal, &in) == 0);
  in.pedal_nc = 0;
  CHECK(smp_guard_step(&g, &pedal, &in) == 0 && pedal.mismatch == 0);
  /* pedal fault after 20 ms of agreement, in IDLE as well */
  g.state = SMP_STATE_IDLE; in.estop = 0; in.pedal_nc = 1; in.now_us = 300000;
  CHECK(smp_guard_step(&g, &pedal, &in) == 0);
  in.now_us = 319999;
  CHECK(smp_guard_step(&g, &pedal, &in) == 0);
  in.now_us = 320000;
  CHECK(smp_guard_step(&g, &pedal, &in) == SMP_ALARM_PEDAL_FAULT);
  in.pedal_nc = 0;
  CHECK(smp_guard_step(&g, &pedal, &in) == 0);
  /* bursts: stall counts from the last edge after drive-on (or drive-on), only with the drive on */
  g.state = SMP_STATE_BURST; g.burst = 1; g.lease_tick = 100000; g.drive_on_us = 1000000;
  in.tick = 99000; in.cartridge = 1; in.needle_max = 300; in.current_max = 100;
  in.last_edge_us = 900000; in.drive_on = 1; in.now_us = 1100000;
  CHECK(smp_guard_step(&g, &pedal, &in) == 0);
  in.now_us = 1100001;
  CHECK(smp_guard_step(&g, &pedal, &in) == SMP_ALARM_STALL);
  in.last_edge_us = 1050000;
  CHECK(smp_guard_step(&g, &pedal, &in) == 0);
  in.drive_on = 0; in.last_edge_us = 900000;
  CHECK(smp_guard_step(&g, &pedal, &in) == 0);
  in.now_us = 1400001;
  CHECK(smp_guard_step(&g, &pedal, &in) == SMP_ALARM_DWELL_EXCEEDED);
  in.now_us = 1400000;
  CHECK(smp_guard_step(&g, &pedal, &in) == 0);
  /* armed for the pedal (PEDAL, PEDAL_BURST): every check of ARMED and BURST but PEDAL_RELEASED, which is the
   * normal end of a pedal dot (§7.13) */
  {
    static const uint8_t PEDAL_STATES[2] = {SMP_STATE_PEDAL, SMP_STATE_PEDAL_BURST};
    unsigned k;
    for (k = 0; k < 2u; k++) {
      g.state = PEDAL_STATES[k];
      g.burst = g.state == SMP_STATE_PEDAL_BURST;
      g.lease_tick = 1000; g.drive_on_us = 0;
      in.tick = 500; in.now_us = 50000; in.last_edge_us = 50000; in.needle_max = 300; in.current_max = 100;
      in.estop = 0; in.cartridge = 1; in.pedal_no = 0; in.pedal_nc = 1; in.drive_on = 0;
      CHECK(smp_guard_step(&g, &pedal, &in) == 0); /* released: no alarm */
      in.pedal_no = 1; in.pedal_nc = 0;
      CHECK(smp_guard_step(&g, &pedal, &in) == 0);
      in.tick = 1001; in.estop = 1; in.cartridge = 0; in.pedal_no = 0; in.pedal_nc = 1;
      CHECK(smp_guard_step(&g, &pedal, &in) == SMP_ALARM_LEASE_EXPIRED);
      in.tick = 1000;
      CHECK(smp_guard_step(&g, &pedal, &in) == SMP_ALARM_ESTOP);
      in.estop = 0;
      CHECK(smp_guard_step(&g, &pedal, &in) == SMP_ALARM_CARTRIDGE_MISSING);
      in.cartridge = 1; in.needle_max = 1023;
      CHECK(smp_guard_step(&g, &pedal, &in) == SMP_ALARM_SENSOR_DROPOUT); /* the pedal up, not PEDAL_RELEASED */
      in.needle_max = g.needle_over;
      CHECK(smp_guard_step(&g, &pedal, &in) == SMP_ALARM_OVER_EXTENSION);
      in.needle_max = 300; in.current_max = 1023; in.drive_on = 1;
      CHECK(smp_guard_step(&g, &pedal, &in) == SMP_ALARM_OVER_CURRENT);
      in.current_max = 100;
      in.now_us = 50000 + SMP_STALL_WINDOW_US + 1u; /* a burst's stall and on-time cap; none between bursts */
      CHECK(smp_guard_step(&g, &pedal, &in) == (g.burst ? SMP_ALARM_STALL : 0));
      in.drive_on = 0; in.last_edge_us = in.now_us; in.now_us = 400001;
      CHECK(smp_guard_step(&g, &pedal, &in) == (g.burst ? SMP_ALARM_DWELL_EXCEEDED : 0));
      g.drive_on_us = 450000; /* agreeing contacts: PEDAL_FAULT after 20 ms */
      in.pedal_no = 1; in.pedal_nc = 1; in.now_us = 460000; in.last_edge_us = 455000;
      CHECK(smp_guard_step(&g, &pedal, &in) == 0);
      in.now_us = 480000;
      CHECK(smp_guard_step(&g, &pedal, &in) == SMP_ALARM_PEDAL_FAULT);
      in.pedal_no = 0; in.pedal_nc = 1;
      CHECK(smp_guard_step(&g, &pedal, &in) == 0);
    }
  }
  /* the states with a lease running, and those with a burst (the drive and the depth forecast) */
  CHECK(!smp_state_live(SMP_STATE_ALARM) && !smp_state_live(SMP_STATE_IDLE));
  CHECK(smp_state_live(SMP_STATE_ARMED) && smp_state_live(SMP_STATE_BURST) && smp_state_live(SMP_STATE_PEDAL) &&
        smp_state_live(SMP_STATE_PEDAL_BURST));
  CHECK(smp_state_burst(SMP_STATE_BURST) && smp_state_burst(SMP_STATE_PEDAL_BURST) &&
        !smp_state_burst(SMP_STATE_ARMED) && !smp_state_burst(SMP_STATE_PEDAL) && !smp_state_burst(SMP_STATE_IDLE));
}

/* The depth forecast (smp_depth_over, §7.12) on two needle samples of a cam at a known angle: a lower bound of
 * the BDC depth (actuator + e) whenever e is constant (never latches while actuator + e stays within its threshold,
 * the hard maximum less SMP_DEFAULT_FORECAST_MARGIN_UM, up to the tip-ahead tolerance: the speed over one
 * sample interval runs ahead of the cam's near BDC), and with a lead that builds
 * up it latches before the tip gets there. Counts from the rotary image's calibration (4 um per count, zero 112),
 * the actuator feedback at its setpoint. */
static uint16_t needle_count_at(const smp_calibration *c, double tip_um) {
  double count = tip_um * 1000.0 / (double)c->sensor_nm_per_count + c->sensor_zero_count;
  return count < 0 ? 0 : count > 1022 ? 1022 : (uint16_t)lround(count);
}

static uint8_t forecast_at(const smp_calibration *c, double a_um, double hz, double theta, double e_um,
                           double act_um, double trend) {
  smp_depth_watch w;
  smp_depth_cam cam;
  uint32_t period_us = (uint32_t)lround(1e6 / hz);
  double omega = 2 * 3.14159265358979 * hz / 1e6; /* rad per us */
  double theta0 = theta + omega * 208; /* the sample before, 208 us earlier */
  int16_t set_um = (int16_t)act_um;
  /* the actuator feedback at its setpoint */
  uint16_t act_count = (uint16_t)lround(c->act_zero_count + act_um * 1000.0 / (double)c->act_nm_per_count);
  smp_depth_cam_set(&cam, &L, c->stroke_um, period_us, (uint32_t)lround(period_us * trend), 0);
  smp_depth_idle(&w, 0);
  smp_depth_over(&w, c, &cam, 0, 100000, act_count, set_um); /* the model reaches the setpoint */
  smp_depth_over(&w, c, &cam, needle_count_at(c, act_um - a_um * (1 - cos(theta0)) + e_um), 200000, act_count,
                 set_um);
  return smp_depth_over(&w, c, &cam, needle_count_at(c, act_um - a_um * (1 - cos(theta)) + e_um), 200208,
                        act_count, set_um);
}

static void test_depth_forecast(void) {
  smp_config c;
  double a, hz, theta, e;
  smp_config_defaults(&c);
  CHECK(smp_cam_ceiling_period_us(10000, 0, 0) < 10000 * 100 / 105 + 1);   /* 5 % faster */
  CHECK(smp_cam_ceiling_period_us(10000, 11000, 0) < 10000 * 10 / 11 + 1); /* speeding up: as much again */
  CHECK(smp_cam_ceiling_period_us(0, 0, 0) <= 1000000 / 30);               /* no edge: the floor rate */
  CHECK(smp_cam_ceiling_period_us(20000, 0, 60) < 1000000 / 60 * 100 / 105 + 1); /* 50 Hz, spinning up to 60 */
  CHECK(smp_cam_ceiling_period_us(10000, 0, 60) > 10000 * 95 / 100);             /* beyond its command: as measured */
  for (a = 1250; a <= 2000; a += 250)
    for (hz = 40; hz <= 160; hz += 30)
      for (theta = 0.05; theta < 3.1; theta += 0.05)
        for (e = -300; e <= 700; e += 50) {
          double act = 900;
          double tip = act - a * (1 - cos(theta)) + e;
          if (tip < -300 || tip > 1400) continue; /* the sensor's range, and below the limit itself */
          c.cal.stroke_um = (uint16_t)(2 * a);
          /* e constant: the forecast is a lower bound of actuator + e, up to the tolerance (the host's command
           * margin is the forecast margin plus it) */
          if (act + e + SMP_DEFAULT_TIP_AHEAD_TOLERANCE_UM <= L.extension_um - SMP_DEFAULT_FORECAST_MARGIN_UM)
            CHECK_MSG(!forecast_at(&c.cal, a, hz, theta, e, act, 1.0), "A %g Hz %g theta %g e %g", a, hz, theta, e);
        }
  /* a lead of 600 um built before the quarter stroke on a 1300 um extension (the reference sweep's case):
   * latched while the tip is still ~1 rad before BDC, at a steady 100 Hz */
  c.cal.stroke_um = 3500;
  CHECK(forecast_at(&c.cal, 1750, 100, 1.0, 600, 1300, 1.0));
  CHECK(!forecast_at(&c.cal, 1750, 100, 1.0, 0, 1300, 1.0)); /* healthy: the same stroke, no latch */
}

int main(void) {
  test_repeat();
  smp_config c;
  smp_config_defaults(&c);
  L = c.limits;
  /* The known answers below are for today's generated defaults (BOARD_DEFAULTS, the rotary image): this check
   * fails first, and says so, when a table change means they have to be worked out again. */
  CHECK(L.extension_um == 1500 && L.stroke_hz == 160 && L.current_ma == 3000 && L.dwell_ms == 400 && L.lease_ms == 500);
  test_dot();
  test_ticks();
  test_speed();
  test_windows();
  test_conversions();
  test_extension_ahead();
  test_zero_check();
  test_guard();
  test_depth_forecast();
  return check_report("test_limits");
}
