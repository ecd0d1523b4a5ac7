/* test_wrap.c - host tests of the u32 microsecond clock's wrap (every 2^32 us = 71.6 min) in src/limits.c:
 * the guard's stall reference and on-time cap (smp_guard_step) and the tachometer period (smp_edge_*), with
 * the clock near 2^32 and the motor's last edge 40 and 60 minutes before the burst (the 35.8-71.6 min band
 * in which a signed comparison of the old edge with drive-on used to pick the old edge and latch STALL a
 * few hundred microseconds into the first burst), and a standstill of 71.6 min plus a few ms (which a plain
 * difference aliases to a period short enough for OVER_SPEED). */
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "eeprom_config.h"
#include "limits.h"

#define MIN_US ((uint32_t)60000000u) /* one minute */
#define STALL_US ((uint32_t)SMP_STALL_WINDOW_US)

static smp_config C;

static smp_guard_cfg burst_cfg(uint32_t drive_on_us) {
  smp_guard_cfg g;
  g.state = SMP_STATE_BURST;
  g.burst = 1;
  g.lease_tick = 100000;
  g.drive_on_us = drive_on_us;
  g.limits = &C.limits;
  g.needle_over = smp_needle_over_count(&C.limits, &C.cal);
  g.current_over = smp_current_over_count(&C.limits, &C.cal);
  return g;
}

static smp_guard_in quiet_in(uint32_t now_us, uint32_t last_edge_us) {
  smp_guard_in in;
  in.tick = 90000; /* lease tick 100000 not passed */
  in.now_us = now_us;
  in.last_edge_us = last_edge_us;
  in.needle_max = 300;
  in.current_max = 100;
  in.estop = 0;
  in.cartridge = 1;
  in.pedal_no = 1;
  in.pedal_nc = 0;
  in.drive_on = 1;
  return in;
}

static uint8_t guard(const smp_guard_cfg *g, uint32_t now_us, uint32_t last_edge_us) {
  smp_pedal pedal = {0, 0};
  smp_guard_in in = quiet_in(now_us, last_edge_us);
  return smp_guard_step(g, &pedal, &in);
}

/* The stall reference with an edge from long before the burst: drive-on, whatever the edge's age. */
static void test_guard_old_edge(void) {
  static const uint32_t drive_ons[] = {0xFFFFFF00UL, 0xFFFE7960UL /* 2^32 - 100 ms */, 0xFFFFFFFFUL, 0x7FFFFFF0UL, 0u};
  static const uint32_t ages_min[] = {40u, 60u};
  unsigned i, a;
  for (i = 0; i < sizeof drive_ons / sizeof drive_ons[0]; i++)
    for (a = 0; a < 2; a++) {
      uint32_t on = drive_ons[i];
      uint32_t old_edge = on - ages_min[a] * MIN_US;
      smp_guard_cfg g = burst_cfg(on);
      uint32_t t;
      /* from drive-on to the stall window: quiet (the motor is still spinning up) */
      for (t = 0; t <= STALL_US; t += 200u)
        CHECK_MSG(guard(&g, on + t, old_edge) == 0, "drive-on %lx, edge %u min before, %lu us in", (unsigned long)on,
                  (unsigned)ages_min[a], (unsigned long)t);
      /* no edge since drive-on: STALL just after the stall window, from drive-on */
      CHECK_MSG(guard(&g, on + STALL_US + 1u, old_edge) == SMP_ALARM_STALL, "drive-on %lx, edge %u min before",
                (unsigned long)on, (unsigned)ages_min[a]);
      /* hal_drive_on moves the edge reference to drive-on: the same */
      CHECK(guard(&g, on + 200u, on) == 0);
      CHECK(guard(&g, on + STALL_US, on) == 0);
      CHECK(guard(&g, on + STALL_US + 1u, on) == SMP_ALARM_STALL);
      /* an edge inside the burst (across the wrap, for the drive-ons near 2^32) is the reference */
      CHECK(guard(&g, on + 150000u, on + 60000u) == 0);
      CHECK(guard(&g, on + 160000u, on + 60000u) == 0);
      CHECK(guard(&g, on + 160001u, on + 60000u) == SMP_ALARM_STALL);
      /* an edge time-stamped a little before drive-on (input capture, taken before the drive went on) counts
       * as none since drive-on */
      CHECK(guard(&g, on + STALL_US + 1u, on - 3u) == SMP_ALARM_STALL);
      CHECK(guard(&g, on + STALL_US, on - 3u) == 0);
      /* the on-time cap, across the wrap: hardMaxDwellMs 400 */
      CHECK(guard(&g, on + 400000u, on + 390000u) == 0);
      CHECK(guard(&g, on + 400001u, on + 390000u) == SMP_ALARM_DWELL_EXCEEDED);
      /* drive off (retracting): no stall, the cap still counts */
      {
        smp_pedal pedal = {0, 0};
        smp_guard_in in = quiet_in(on + 300000u, old_edge);
        in.drive_on = 0;
        CHECK(smp_guard_step(&g, &pedal, &in) == 0);
        in.now_us = on + 400001u;
        CHECK(smp_guard_step(&g, &pedal, &in) == SMP_ALARM_DWELL_EXCEEDED);
      }
    }
}

/* Run the main loop's ageing from `from` for `dur` us in steps of `step` us (the loop runs far more often). */
static void age_for(smp_edge_ref *r, uint32_t from, uint32_t dur, uint32_t step) {
  uint32_t i, n = dur / step; /* counted, so that a duration up to 2^32 - 1 does not overflow the loop */
  for (i = 0; i <= n; i++) smp_edge_age(r, from + i * step);
  smp_edge_age(r, from + dur);
}

static void test_edge_period(void) {
  static const uint32_t starts[] = {0xFFFFF000UL, 0xFFFFFFFFUL, 0x7FFFFFFFUL, 1000u};
  unsigned i;
  for (i = 0; i < sizeof starts / sizeof starts[0]; i++) {
    uint32_t t0 = starts[i];
    smp_edge_ref r;
    uint32_t p, t;
    /* running: exact periods, across the wrap */
    smp_edge_init(&r, t0);
    age_for(&r, t0, 8333u, 50u);
    CHECK(smp_edge_period(&r, t0 + 8333u) == 8333u);
    age_for(&r, t0 + 8333u, 8400u, 50u);
    CHECK(smp_edge_period(&r, t0 + 16733u) == 8400u);
    /* an edge time-stamped after the step's now (by an interrupt since) is not aged out */
    smp_edge_age(&r, t0 + 16700u);
    CHECK(r.fresh && smp_edge_period(&r, t0 + 25000u) == 8267u);
    /* standstills of 40 and 60 min: the next period is unknown, neither over-speed nor up to speed */
    {
      static const uint32_t idle_min[] = {40u, 60u};
      unsigned k;
      for (k = 0; k < 2; k++) {
        smp_edge_init(&r, t0);
        age_for(&r, t0, idle_min[k] * MIN_US, 50000u);
        CHECK_MSG(!r.fresh, "start %lx, %u min", (unsigned long)t0, (unsigned)idle_min[k]);
        p = smp_edge_period(&r, t0 + idle_min[k] * MIN_US);
        CHECK(p == SMP_PERIOD_UNKNOWN);
        CHECK(!smp_lim_over_speed(&C.limits, p) && !smp_lim_up_to_speed(p, 1u) && !smp_lim_up_to_speed(p, 120u));
        /* and the next edge after that one is exact again */
        t = t0 + idle_min[k] * MIN_US;
        smp_edge_age(&r, t + 5000u);
        CHECK(smp_edge_period(&r, t + 8000u) == 8000u);
      }
    }
    /* a standstill of one wrap plus 5 ms: a plain difference says 5000 us (over 160 Hz: OVER_SPEED) */
    smp_edge_init(&r, t0);
    age_for(&r, t0, UINT32_MAX, 50000u);
    smp_edge_age(&r, t0 + 5000u); /* 2^32 + 5000 us after t0 */
    CHECK(smp_lim_over_speed(&C.limits, 5000u)); /* what the plain difference would have latched */
    p = smp_edge_period(&r, t0 + 5000u);
    CHECK(p == SMP_PERIOD_UNKNOWN && !smp_lim_over_speed(&C.limits, p));
    /* ... and one wrap plus 9 ms at 120 Hz: a plain difference says up to speed */
    smp_edge_init(&r, t0);
    age_for(&r, t0, UINT32_MAX, 50000u);
    smp_edge_age(&r, t0 + 9000u);
    CHECK(smp_lim_up_to_speed(9000u, 120u));
    CHECK(!smp_lim_up_to_speed(smp_edge_period(&r, t0 + 9000u), 120u));
    /* the stale mark comes at 2^30 us (17.9 min), not before */
    smp_edge_init(&r, t0);
    smp_edge_age(&r, t0 + SMP_EDGE_STALE_US - 1u);
    CHECK(r.fresh);
    smp_edge_age(&r, t0 + SMP_EDGE_STALE_US);
    CHECK(!r.fresh);
  }
}

int main(void) {
  smp_config_defaults(&C);
  CHECK(C.limits.dwell_ms == 400 && C.limits.stroke_hz == 160);
  test_guard_old_edge();
  test_edge_period();
  return check_report("test_wrap");
}
