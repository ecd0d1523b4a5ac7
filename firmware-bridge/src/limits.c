/* limits.c - every limit check and unit conversion of the board (see limits.h). Portable C99.
 * All comparisons are exact integer forms of the floating-point expressions of the reference board,
 * src/sim/board*.ts. */
#include "limits.h"

uint32_t smp_ms_to_ticks(uint32_t ms) {
  return ms * (SMP_CLOCK_HZ / 1000u); /* msToTicks(ms, clockHz): exact, clockHz is a multiple of 1000 */
}

/* ---- command checks ---- */

uint8_t smp_lim_dot_beyond(const smp_limits *l, uint32_t extension_um, uint32_t stroke_hz, uint32_t duty_permille,
                           uint32_t strokes) {
  uint32_t budget_ms;
  if (extension_um > l->extension_um) return 1;
  if (stroke_hz == 0 || stroke_hz > l->stroke_hz) return 1;
  if (duty_permille > 1000u) return 1;
  if (strokes == 0) return 1;
  /* strokes*1000/strokeHz + overhead > dwell  <=>  strokes*1000 > (dwell - overhead)*strokeHz
   * <=>  strokes > floor((dwell - overhead)*strokeHz / 1000); with dwell <= overhead every dot is beyond
   * (strokes >= 1 gives a positive on-time). (dwell - overhead)*strokeHz <= 65535*160 fits in u32. */
  if (l->dwell_ms <= SMP_BURST_OVERHEAD_MS) return 1;
  budget_ms = (uint32_t)(l->dwell_ms - SMP_BURST_OVERHEAD_MS);
  return strokes > (budget_ms * stroke_hz) / 1000u;
}

uint8_t smp_lim_repeat_beyond(uint32_t repeat_ms) {
  return repeat_ms != 0 && (repeat_ms < SMP_PEDAL_REPEAT_MIN_MS || repeat_ms > SMP_PEDAL_REPEAT_MAX_MS);
}

uint8_t smp_lim_dot_late(uint32_t now_tick, uint32_t at_tick) {
  return smp_tick_before(at_tick, now_tick - smp_ms_to_ticks(SMP_LATE_TOLERANCE_MS));
}

uint8_t smp_lim_start_late(uint32_t now_tick, uint32_t at_tick) {
  return smp_tick_diff(now_tick, at_tick) > (int32_t)smp_ms_to_ticks(SMP_LATE_START_MS);
}

uint32_t smp_lim_lease(const smp_limits *l, uint32_t now_tick, uint32_t requested_tick) {
  uint32_t cap = now_tick + smp_ms_to_ticks(l->lease_ms);
  return smp_tick_before(cap, requested_tick) ? cap : requested_tick;
}

/* ---- measurement checks ---- */

uint8_t smp_lim_over_speed(const smp_limits *l, uint32_t period_us) {
  /* periodUs > 0 && 1e6/periodUs > max  <=>  max*period < 1e6 (max <= 65535, period < 1e6 when it matters) */
  if (period_us == 0 || period_us >= 1000000UL) return 0;
  return (uint32_t)l->stroke_hz * period_us < 1000000UL;
}

uint8_t smp_lim_up_to_speed(uint32_t period_us, uint32_t stroke_hz) {
  /* 1e6/period > (NUM/DEN)*hz  <=>  DEN*1e6 > NUM*hz*period  <=>  period < DEN*1e6/(NUM*hz); 85 %: NUM/DEN 17/20 */
  uint32_t k, q;
  if (period_us == 0) return 1; /* 1e6/0 is Infinity in the simulation */
  if (stroke_hz == 0) return 1;
  if (stroke_hz > 100000UL) return 0;
  k = (uint32_t)SMP_SPINUP_SPEED_NUM * stroke_hz;
  q = SMP_SPINUP_SPEED_DEN * 1000000UL / k;
  return (SMP_SPINUP_SPEED_DEN * 1000000UL % k) == 0 ? period_us < q : period_us <= q;
}

uint8_t smp_lim_spinup_timeout(uint32_t since_drive_on_us) {
  return since_drive_on_us >= SMP_SPINUP_MAX_MS * 1000UL; /* (tUs - driveOnUs) / 1000 >= spinupMaxMs */
}

uint8_t smp_lim_stall(uint32_t since_last_edge_us) { return since_last_edge_us > SMP_STALL_WINDOW_US; }

uint8_t smp_lim_dwell_exceeded(const smp_limits *l, uint32_t on_time_us) {
  return on_time_us > (uint32_t)l->dwell_ms * 1000u;
}

uint8_t smp_lim_pedal_fault(uint32_t mismatch_us) { return mismatch_us >= SMP_PEDAL_DEBOUNCE_US; }

uint8_t smp_lim_over_extension(const smp_limits *l, int32_t extension_nm) {
  return extension_nm > (int32_t)l->extension_um * 1000;
}

uint8_t smp_lim_tip_past_command(int32_t extension_nm, int16_t setpoint_um) {
  return extension_nm > ((int32_t)setpoint_um + SMP_DEFAULT_TIP_AHEAD_TOLERANCE_UM) * 1000;
}

uint8_t smp_lim_over_current(const smp_limits *l, uint32_t current_ma) { return current_ma > l->current_ma; }

uint8_t smp_lim_over_current_count(const smp_limits *l, const smp_calibration *c, uint16_t count) {
  /* smp_current_ma(count) > limit  <=>  (count*ua + 500) / 1000 >= limit + 1  <=>  count*ua >= limit*1000 + 500
   * (no division: this runs every main-loop step) */
  return (uint32_t)count * c->current_ua_per_count >= (uint32_t)l->current_ma * 1000u + 500u;
}

uint8_t smp_lim_sensor_dropout(uint16_t count) { return count >= SMP_ADC_RAIL; }

uint8_t smp_lim_sensor_stuck(int32_t swing_nm) { return swing_nm < SMP_STUCK_SWING_NM; }

uint8_t smp_lim_actuator_out(int32_t actuator_nm, int16_t setpoint_um) {
  return actuator_nm >= ((int32_t)setpoint_um - SMP_ACT_OUT_MARGIN_UM) * 1000;
}

/* ---- conversions ---- */

/* (count - zero) * nm/count; |count - zero| <= 1023 and nm/count <= 1e6 by validation: fits in i32. */
int32_t smp_sensor_nm(const smp_calibration *c, uint16_t count) {
  return ((int32_t)count - (int32_t)c->sensor_zero_count) * (int32_t)c->sensor_nm_per_count;
}

int32_t smp_actuator_nm(const smp_calibration *c, uint16_t count) {
  return ((int32_t)count - (int32_t)c->act_zero_count) * (int32_t)c->act_nm_per_count;
}

uint32_t smp_current_ma(const smp_calibration *c, uint16_t count) {
  return ((uint32_t)count * c->current_ua_per_count + 500u) / 1000u;
}

int32_t smp_nm_to_um(int32_t nm) {
  /* Math.round(nm / 1000) = floor(nm/1000 + 0.5) = floor((nm + 500) / 1000) */
  int32_t x = nm + 500;
  int32_t q = x / 1000;
  if (x % 1000 != 0 && x < 0) q--; /* C truncates toward zero; we need floor */
  return q;
}

uint8_t smp_act_um_to_ocr(int32_t um) {
  int32_t steps;
  if (um <= SMP_ACT_MIN_UM) return 0;
  steps = (um - SMP_ACT_MIN_UM + SMP_ACT_UM_PER_STEP / 2) / SMP_ACT_UM_PER_STEP; /* nearest step ... */
  if (steps > 255) steps = 255;
  if (SMP_ACT_MIN_UM + steps * SMP_ACT_UM_PER_STEP > um) steps--; /* ... but never deeper than asked */
  return (uint8_t)steps;
}

int16_t smp_act_ocr_to_um(uint8_t ocr) { return (int16_t)(SMP_ACT_MIN_UM + (int16_t)ocr * SMP_ACT_UM_PER_STEP); }

uint8_t smp_duty_to_ocr(uint16_t duty_permille) {
  if (duty_permille >= 1000u) return 255;
  return (uint8_t)(((uint32_t)duty_permille * 255u + 500u) / 1000u);
}

/* ---- the guard ---- */

uint16_t smp_needle_over_count(const smp_limits *l, const smp_calibration *c) {
  uint16_t count;
  for (count = 0; count <= SMP_ADC_RAIL; count++)
    if (smp_lim_over_extension(l, smp_sensor_nm(c, count))) return count;
  return 0xFFFFu;
}

uint16_t smp_current_over_count(const smp_limits *l, const smp_calibration *c) {
  uint16_t count;
  for (count = 0; count <= SMP_ADC_RAIL; count++)
    if (smp_lim_over_current_count(l, c, count)) return count;
  return 0xFFFFu;
}

uint8_t smp_guard_step(const smp_guard_cfg *c, smp_pedal *pedal, const smp_guard_in *in) {
  uint8_t armed = smp_state_live(c->state);
  /* the pedal is a dead-man switch in a scheduled session only: in PEDAL a release ends the dot (§7.13) */
  uint8_t dead_man = c->state == SMP_STATE_ARMED || c->state == SMP_STATE_BURST;
  uint8_t code = 0;
  /* BoardGuard.checkPedal: NO and NC must disagree; agreeing for 20 ms is a pedal fault */
  if (in->pedal_no != in->pedal_nc) {
    pedal->mismatch = 0;
  } else {
    if (!pedal->mismatch) {
      pedal->mismatch = 1;
      pedal->since_us = in->now_us;
    }
    if (smp_lim_pedal_fault(in->now_us - pedal->since_us)) code = SMP_ALARM_PEDAL_FAULT;
  }
  if (c->state == SMP_STATE_ALARM) return 0; /* latching in ALARM changes nothing */
  if (code) return code;
  if (armed) {
    if (smp_tick_before(c->lease_tick, in->tick)) return SMP_ALARM_LEASE_EXPIRED;
    if (in->estop) return SMP_ALARM_ESTOP;
    if (!in->cartridge) return SMP_ALARM_CARTRIDGE_MISSING;
    if (dead_man && !in->pedal_no) return SMP_ALARM_PEDAL_RELEASED;
    if (smp_lim_sensor_dropout(in->needle_max)) return SMP_ALARM_SENSOR_DROPOUT; /* open wire: pull-up to the rail */
    if (in->needle_max >= c->needle_over) return SMP_ALARM_OVER_EXTENSION;
  } else if (in->estop) {
    return SMP_ALARM_ESTOP;
  }
  if (in->drive_on && in->current_max >= c->current_over) return SMP_ALARM_OVER_CURRENT;
  if (c->burst) {
    /* on-time so far; the stall reference: the burst's latest tach edge if it lies in [drive-on, now] by
     * unsigned distance (wrap-safe, see limits.h), else drive-on */
    uint32_t on_us = in->now_us - c->drive_on_us;
    uint32_t since = in->last_edge_us - c->drive_on_us <= on_us ? in->last_edge_us : c->drive_on_us;
    if (in->drive_on && smp_lim_stall(in->now_us - since)) return SMP_ALARM_STALL;
    if (smp_lim_dwell_exceeded(c->limits, on_us)) return SMP_ALARM_DWELL_EXCEEDED;
  }
  return 0;
}

uint8_t smp_lim_actuator_track(smp_actuator_track *t, const smp_calibration *c, uint16_t feedback_count,
                               uint8_t setpoint_ocr, uint32_t now_us) {
  /* |feedback_nm - setpoint_um*1000| > tracking: both fit in i32 (feedback |1023 * 1e6|, setpoint 2040 um) */
  int32_t err_nm = smp_actuator_nm(c, feedback_count) - (int32_t)smp_act_ocr_to_um(setpoint_ocr) * 1000;
  if (err_nm <= (int32_t)SMP_ACT_TRACKING_NM && err_nm >= -(int32_t)SMP_ACT_TRACKING_NM) {
    t->mismatch = 0;
    return 0;
  }
  if (!t->mismatch) {
    t->mismatch = 1;
    t->since_us = now_us;
  }
  return now_us - t->since_us > SMP_ACT_SETTLE_US; /* unsigned: wrap-safe */
}

/* ---- tachometer periods ---- */

void smp_edge_init(smp_edge_ref *r, uint32_t now_us) {
  r->t_us = now_us;
  r->fresh = 1;
}

void smp_edge_age(smp_edge_ref *r, uint32_t now_us) {
  /* signed: an edge time-stamped after now_us (taken by an interrupt since) is not old */
  if (r->fresh && smp_tick_diff(now_us, r->t_us) >= (int32_t)SMP_EDGE_STALE_US) r->fresh = 0;
}

uint32_t smp_edge_period(smp_edge_ref *r, uint32_t t_us) {
  uint32_t period = r->fresh ? t_us - r->t_us : SMP_PERIOD_UNKNOWN;
  r->t_us = t_us;
  r->fresh = 1;
  return period;
}

/* ---- extension check (docs/protocol.md §7.5) ---- */

void smp_ahead_note(int32_t *ahead_nm, const smp_calibration *c, uint16_t needle_count, int32_t actuator_nm) {
  int32_t d;
  if (needle_count == 0u || smp_lim_sensor_dropout(needle_count)) return; /* floor or rail: no position */
  d = smp_sensor_nm(c, needle_count) - actuator_nm;
  if (d > *ahead_nm) *ahead_nm = d;
}

uint8_t smp_lim_extension_ahead(const smp_limits *l, uint32_t extension_um, int32_t ahead_nm) {
  int32_t over_nm = 0;
  if (ahead_nm != SMP_AHEAD_NONE && ahead_nm > (int32_t)SMP_DEFAULT_TIP_AHEAD_TOLERANCE_UM * 1000)
    over_nm = ahead_nm - (int32_t)SMP_DEFAULT_TIP_AHEAD_TOLERANCE_UM * 1000;
  return smp_lim_over_extension(l, (int32_t)extension_um * 1000 + over_nm);
}

uint8_t smp_lim_zero_shallow(const smp_calibration *c, uint16_t bdc_count, int32_t actuator_nm) {
  int32_t off_park_nm = actuator_nm - (int32_t)(SMP_DEFAULT_PARK_UM) * 1000;
  if (off_park_nm > (int32_t)SMP_DEFAULT_ACTUATOR_TRACKING_UM * 1000 ||
      off_park_nm < -(int32_t)SMP_DEFAULT_ACTUATOR_TRACKING_UM * 1000)
    return 0; /* the actuator not at park: no reference */
  /* against park itself, not the feedback: a feedback frozen near park (not yet a mismatch) must not look like the
   * sensor (the actuator check decides once the actuator goes out) */
  return bdc_count == 0u || smp_sensor_nm(c, bdc_count) - (int32_t)(SMP_DEFAULT_PARK_UM) * 1000 <
                                -(int32_t)SMP_DEFAULT_SENSOR_ZERO_TOLERANCE_UM * 1000;
}

uint8_t smp_cal_sees_park(const smp_calibration *c) {
  /* (zero count x nm per count) >= (-parkUm + sensorZeroVisibleUm) x 1000; both sides within u32 */
  return (uint32_t)c->sensor_zero_count * c->sensor_nm_per_count >=
         (uint32_t)(-(SMP_DEFAULT_PARK_UM) + SMP_DEFAULT_SENSOR_ZERO_VISIBLE_UM) * 1000u;
}

/* ---- depth forecast (limits.h; src/sim/board-depth.ts) ---- */

#define SMP_ACT_RATE_NM_PER_US SMP_WIRING_ACTUATOR_RATE_UM_PER_MS /* um/ms = nm/us */
#define SMP_SLOWEST_PERIOD_US (1000000UL / SMP_DEFAULT_FORECAST_MIN_STROKE_HZ)
#define SMP_SPEED_MARGIN_NM_PER_US SMP_DEFAULT_FORECAST_SPEED_MARGIN_UM_PER_MS
/* 1 / (1 + camRateMarginPercent / 100) in Q10, rounded down (975 / 1024 = 0.952 <= 1 / 1.05) */
#define SMP_CAM_CEILING_Q10 (102400u / (100u + SMP_DEFAULT_CAM_RATE_MARGIN_PERCENT))

void smp_depth_idle(smp_depth_watch *w, uint32_t now_us) {
  w->have_prev = 0;
  w->model_nm = (int32_t)SMP_PARK_UM * 1000;
  w->model_at_us = now_us;
  w->at_us = now_us;
  w->still_us = 0;
}

/* The model follows set_um from w->model_at_us to until_us (no earlier than the model's time); 1 if it moved. A gap
 * over 12 ms saturates the move: the whole actuator travel is under 3 mm. */
static uint8_t model_follow(smp_depth_watch *w, int16_t set_um, uint32_t until_us) {
  int32_t to_go = (int32_t)set_um * 1000 - w->model_nm;
  int32_t dt = (int32_t)(until_us - w->model_at_us);
  int32_t max_move;
  if (dt <= 0) return 0; /* a setpoint written after this sample was taken */
  max_move = dt > 12000 ? 3000000L : (int32_t)((uint32_t)(uint16_t)dt * SMP_ACT_RATE_NM_PER_US);
  if (to_go > max_move) to_go = max_move;
  if (to_go < -max_move) to_go = -max_move;
  w->model_nm += to_go;
  w->model_at_us = until_us;
  return to_go != 0;
}

void smp_depth_set(smp_depth_watch *w, int16_t previous_setpoint_um, uint32_t now_us) {
  if (model_follow(w, previous_setpoint_um, now_us)) w->still_us = 0;
}

uint32_t smp_cam_ceiling_period_us(uint32_t period_us, uint32_t previous_period_us, uint16_t burst_hz) {
  uint32_t p = period_us;
  if (p == 0 || p > SMP_SLOWEST_PERIOD_US) {
    p = SMP_SLOWEST_PERIOD_US; /* no edge yet, or a standstill: the floor rate */
  } else if (previous_period_us > p && previous_period_us <= SMP_SLOWEST_PERIOD_US) {
    p = (p * p) / previous_period_us; /* speeding up: as much faster again (p^2 < 2^31) */
  }
  if (burst_hz && p > (uint32_t)1000000u / burst_hz) p = (uint32_t)1000000u / burst_hz; /* spinning up to the command */
  return (p * SMP_CAM_CEILING_Q10) >> 10; /* shorter, so faster: at most / (1 + margin) */
}

void smp_depth_cam_set(smp_depth_cam *cam, const smp_limits *l, uint16_t stroke_um, uint32_t period_us,
                       uint32_t previous_period_us, uint16_t burst_hz) {
  uint16_t a_um = (uint16_t)(stroke_um / 2u);
  cam->limit_nm = ((int32_t)l->extension_um - SMP_DEFAULT_FORECAST_MARGIN_UM) * 1000;
  cam->reach_nm = (int32_t)a_um * 690;
  cam->a_um = a_um;
  cam->cap_um = (uint16_t)(((uint32_t)a_um * 972u) >> 10); /* 0.949 A */
  /* period / (2 pi) = period x 0.159155; x 651 / 4096 = 0.158936 rounds it down (period <= 31 746 us here) */
  cam->omega_us = (uint16_t)((smp_cam_ceiling_period_us(period_us, previous_period_us, burst_hz) * 651u) >> 12);
  /* omega_us < 5306 (30 Hz) and a_um >= 1: below 2^29 */
  cam->to_bdc_q16 = a_um ? ((uint32_t)cam->omega_us << 16) / (4u * (uint32_t)a_um) : 0u;
}

/* x / d for a quotient below 4096 (x < 4096 d), rounded down: 12 steps of shift and subtract, a fraction of the
 * library's 32-bit division on the AVR. */
static uint16_t div_q12(uint32_t x, uint16_t d) {
  uint32_t dd = (uint32_t)d << 11;
  uint16_t q = 0;
  uint8_t i;
  for (i = 0; i < 12u; i++) {
    q = (uint16_t)(q << 1);
    if (x >= dd) {
      x -= dd;
      q |= 1u;
    }
    dd >>= 1;
  }
  return q;
}

/* 1 if the actuator's feedback is within within_nm of the model, at this sample and the previous one */
static uint8_t feedback_near_model(const smp_depth_watch *w, int32_t fb_nm, int32_t model_nm, int32_t within_nm) {
  return !(fb_nm - model_nm > within_nm || model_nm - fb_nm > within_nm ||
           w->prev_fb_nm - w->prev_model_nm > within_nm || w->prev_model_nm - w->prev_fb_nm > within_nm);
}

uint8_t smp_depth_over(smp_depth_watch *w, const smp_calibration *c, const smp_depth_cam *cam, uint16_t needle_count,
                       uint32_t sample_us, uint16_t actuator_count, int16_t setpoint_um) {
  int32_t set_nm = (int32_t)setpoint_um * 1000;
  uint32_t dt = sample_us - w->at_us;
  int32_t tip_nm, fb_nm, model_nm, rel_nm, base_nm, d_nm;
  uint32_t x;
  uint16_t swing_um, margin_um;
  uint8_t had = w->have_prev, tracks, follows;
  /* the model follows the setpoint (samples are 104 to 208 us apart) */
  uint8_t moving = model_follow(w, setpoint_um, sample_us) || w->model_nm != set_nm;
  w->at_us = sample_us;
  if (moving) w->still_us = 0;
  else if (w->still_us < SMP_DEPTH_MOVE_SETTLE_US) w->still_us = (uint16_t)(w->still_us + (dt > 1000u ? 1000u : dt));
  if (needle_count == 0 || needle_count >= SMP_ADC_RAIL) { /* at the floor: "this far in, or further" */
    w->have_prev = 0;
    return 0;
  }
  tip_nm = smp_sensor_nm(c, needle_count);
  fb_nm = tip_nm - smp_actuator_nm(c, actuator_count);
  model_nm = tip_nm - w->model_nm;
  /* the speed against the model while the feedback tracks it (the model moves from the setpoint's write, the
   * feedback is up to 416 us old); against the slower of the two when they part (a fault of one of them) */
  d_nm = model_nm - w->prev_model_nm;
  tracks = feedback_near_model(w, fb_nm, model_nm, (int32_t)SMP_ACT_TRACKING_NM);
  if (!tracks && fb_nm - w->prev_fb_nm < d_nm) d_nm = fb_nm - w->prev_fb_nm;
  /* the feedback follows an outgoing move, if up to 620 us late (forecastFollowSlackUm) */
  follows = feedback_near_model(w, fb_nm, model_nm, (int32_t)SMP_ACT_FOLLOW_NM);
  w->have_prev = 1;
  w->prev_fb_nm = fb_nm;
  w->prev_model_nm = model_nm;
  rel_nm = fb_nm < model_nm ? fb_nm : model_nm; /* against the larger of feedback and model */
  /* the actuator where it is now, or at its setpoint if it is past it: a move on its way out may not arrive before
   * this BDC (the coil's whole travel takes longer than a stroke at 150 Hz); how much more of it does, below */
  base_nm = set_nm + rel_nm < tip_nm ? set_nm + rel_nm : tip_nm;
  if (base_nm > cam->limit_nm) return 1;
  if (!had || dt == 0 || dt > 4000u || cam->a_um == 0) return 0;
  if (set_nm + rel_nm + cam->reach_nm <= cam->limit_nm) return 0; /* nothing the cam's travel can add reaches it */
  d_nm -= (int32_t)((uint16_t)dt * (uint32_t)(!moving && w->still_us < SMP_DEPTH_MOVE_SETTLE_US
                                                    ? SMP_SPEED_MARGIN_NM_PER_US + SMP_ACT_RATE_NM_PER_US
                                                    : SMP_SPEED_MARGIN_NM_PER_US));
  if (d_nm <= 0) return 0;
  if (d_nm > 8000000L) d_nm = 8000000L; /* beyond any cam: keeps the product in range */
  /* s = v / omega = (d / dt) / omega, um: (nm >> 10) x (us per rad) / us, rounded down and capped; 7812 x 5051 and
   * 2850 x 4000 fit in u32 */
  x = (uint32_t)(uint16_t)((uint32_t)d_nm >> 10) * cam->omega_us;
  swing_um = x >= (uint32_t)cam->cap_um * (uint16_t)dt ? cam->cap_um : div_q12(x, (uint16_t)dt);
  /* A - sqrt(A^2 - s^2) > M  <=>  s^2 > M (2 A - M)  (0 < M < A), with M = (limit - base) in um, rounded up
   * (x 1049 / 2^20 = / 999.6): no square root and no second division */
  /* an actuator on its way out (and followed by its feedback, if late) goes on out at its rate until the coming BDC,
   * at least theta / omega away, theta >= s / A: s x (us per rad) / (4 A) in us / 4, x 4 x rate in nm */
  if (moving && follows && base_nm < set_nm + rel_nm) {
    /* s <= 0.949 A, so s x to_bdc_q16 <= 0.24 x 2^16 x omega_us < 2^27; rounded down twice: never longer */
    int32_t gain_nm = (int32_t)(((uint32_t)swing_um * cam->to_bdc_q16) >> 16) * (int32_t)(4u * SMP_ACT_RATE_NM_PER_US);
    base_nm = base_nm + gain_nm < set_nm + rel_nm ? base_nm + gain_nm : set_nm + rel_nm;
    if (base_nm > cam->limit_nm) return 1;
  }
  margin_um = (uint16_t)(((uint32_t)(cam->limit_nm - base_nm) * 1049u >> 20) + 1u);
  return (uint32_t)swing_um * swing_um > (uint32_t)margin_um * (uint16_t)(2u * cam->a_um - margin_um);
}
