/* limits.h - every limit check and unit conversion of the board, in one place. Portable C99 (no AVR
 * dependency): the firmware calls these, the host tests call the same code.
 *
 * The board's behaviour constants come from BOARD_DEFAULTS in src/protocol/board-defaults.ts and its wiring
 * from BOARD_WIRING in src/protocol/board-wiring.ts, as the SMP_DEFAULT_* and SMP_WIRING_* macros of the
 * generated board_tables.h (plain integers; here they get their C types and units); LINK in
 * src/protocol/table.ts arrives the same way, through protocol.h. Times are microseconds (u32, wrapping) or
 * board ticks (u32, wrapping). */
#ifndef SMP_LIMITS_H
#define SMP_LIMITS_H

#include <stdint.h>

#include "board_tables.h"

/* A generated plain integer with a C suffix: SMP_U(SMP_DEFAULT_QUEUE_SLOTS) is 4u. */
#define SMP_SUFFIX_(x, s) x##s
#define SMP_U(x) SMP_SUFFIX_(x, u)
#define SMP_UL(x) SMP_SUFFIX_(x, UL)

/* ---- board constants ---- */
#define SMP_CLOCK_HZ SMP_UL(SMP_DEFAULT_CLOCK_HZ)                      /* board tick rate (INFO clockHz) */
#define SMP_US_PER_TICK 100u
#if SMP_DEFAULT_CLOCK_HZ * 100 != 1000000 || SMP_DEFAULT_CLOCK_HZ % 1000 != 0
#error "clockHz: the firmware's 10 kHz tick (Timer1, SMP_US_PER_TICK, smp_ms_to_ticks) is fixed"
#endif
#define SMP_QUEUE_SLOTS SMP_U(SMP_DEFAULT_QUEUE_SLOTS)
#define SMP_STALL_WINDOW_US (SMP_DEFAULT_STALL_WINDOW_MS * 1000UL)     /* stallWindowMs */
#define SMP_LATE_TOLERANCE_MS SMP_U(SMP_DEFAULT_LATE_TOLERANCE_MS)     /* a DOT may arrive this late and still be queued */
#define SMP_PEDAL_DEBOUNCE_US (SMP_DEFAULT_PEDAL_DEBOUNCE_MS * 1000UL) /* pedalDebounceMs */
#define SMP_PEDAL_SETTLE_US SMP_UL(SMP_DEFAULT_PEDAL_SETTLE_US)        /* pedalSettleUs: the debounced pedal (§7.13) */
#define SMP_STUCK_SWING_NM (SMP_DEFAULT_STUCK_SWING_UM * 1000L)        /* swing below this between two edges: stuck */
#define SMP_ADC_RAIL SMP_U(SMP_DEFAULT_ADC_MAX_COUNT)                  /* ADC_MAX: an open sensor wire reads the rail */
#define SMP_PARK_UM SMP_DEFAULT_PARK_UM                                /* PARK_UM: needle tip inside the grip at every cam phase */
#define SMP_ACT_OUT_MARGIN_UM SMP_DEFAULT_ACTUATOR_OUT_MARGIN_UM       /* actuator counts as extended within this of its setpoint */
#define SMP_INSIDE_READS_DROPOUT SMP_U(SMP_DEFAULT_DROPOUT_INSIDE_READS) /* BDC reads inside the grip, actuator out -> SENSOR_DROPOUT */
#define SMP_ACT_TRACKING_NM (SMP_DEFAULT_ACTUATOR_TRACKING_UM * 1000L)  /* feedback this far from the setpoint: mismatch */
#define SMP_ACT_SETTLE_US (SMP_DEFAULT_ACTUATOR_SETTLE_MS * 1000UL)     /* a mismatch longer than this: ACTUATOR_FAULT */
#define SMP_ACT_FOLLOW_NM (SMP_ACT_TRACKING_NM + SMP_DEFAULT_FORECAST_FOLLOW_SLACK_UM * 1000L) /* forecast: a stale feedback */

/* LINK.burstOverheadMs (SMP_BURST_OVERHEAD_MS) and LINK.lateStartMs (SMP_LATE_START_MS) come from the
 * generated protocol.h. */
#define SMP_SPINUP_MAX_MS SMP_U(SMP_DEFAULT_SPINUP_MAX_MS) /* BOARD_DEFAULTS.spinupMaxMs: spin-up ends at the speed below or then */
/* Spin-up speed threshold SMP_DEFAULT_SPINUP_SPEED_PERCENT as the reduced fraction NUM/DEN of the stroke rate
 * (85 % = 17/20), for exact integer comparison in smp_lim_up_to_speed. */
#if SMP_DEFAULT_SPINUP_SPEED_PERCENT < 1 || SMP_DEFAULT_SPINUP_SPEED_PERCENT > 100
#error "spinupSpeedPercent must be 1..100"
#endif
#define SMP_SPINUP_GCD_                                                                                      \
  ((SMP_DEFAULT_SPINUP_SPEED_PERCENT % 4 == 0 ? 4 : SMP_DEFAULT_SPINUP_SPEED_PERCENT % 2 == 0 ? 2 : 1) *     \
   (SMP_DEFAULT_SPINUP_SPEED_PERCENT % 25 == 0 ? 25 : SMP_DEFAULT_SPINUP_SPEED_PERCENT % 5 == 0 ? 5 : 1))
#define SMP_SPINUP_SPEED_NUM (SMP_DEFAULT_SPINUP_SPEED_PERCENT / SMP_SPINUP_GCD_)
#define SMP_SPINUP_SPEED_DEN (100 / SMP_SPINUP_GCD_)

/* ---- compiled-in absolute caps: no EEPROM record may exceed them (domain brief: 1.5 mm, 160 Hz) ---- */
#define SMP_ABS_MAX_EXTENSION_UM 1500u
#define SMP_ABS_MAX_STROKE_HZ 160u
#define SMP_ABS_MAX_CURRENT_MA 4900u /* below the current-sense full scale (1023 counts ~ 4995 mA) */
#define SMP_ABS_MAX_DWELL_MS 1000u
#define SMP_ABS_MAX_LEASE_MS 2000u
#if SMP_DEFAULT_HARD_MAX_EXTENSION_UM > SMP_ABS_MAX_EXTENSION_UM || SMP_DEFAULT_HARD_MAX_STROKE_HZ > SMP_ABS_MAX_STROKE_HZ || \
    SMP_DEFAULT_HARD_MAX_CURRENT_MA > SMP_ABS_MAX_CURRENT_MA || SMP_DEFAULT_HARD_MAX_DWELL_MS > SMP_ABS_MAX_DWELL_MS ||      \
    SMP_DEFAULT_HARD_MAX_LEASE_MS > SMP_ABS_MAX_LEASE_MS
#error "a BOARD_DEFAULTS hard limit is above its compiled-in absolute cap"
#endif

/* ---- actuator setpoint: Timer2 phase-correct PWM on OC2A, 8 um per OCR2A step ---- */
#define SMP_ACT_UM_PER_STEP SMP_WIRING_ACTUATOR_UM_PER_STEP
#define SMP_ACT_MIN_UM SMP_PARK_UM    /* OCR2A = 0 (pin solid low) is the park position */

typedef struct {
  uint16_t extension_um; /* hardMaxExtensionUm */
  uint16_t stroke_hz;    /* hardMaxStrokeHz */
  uint16_t current_ma;   /* hardMaxCurrentMa */
  uint16_t dwell_ms;     /* hardMaxDwellMs: cap on a burst's drive on-time */
  uint16_t lease_ms;     /* hardMaxLeaseMs */
} smp_limits;

typedef struct {
  uint32_t sensor_nm_per_count; /* ADC0, needle tip position */
  uint16_t sensor_zero_count;
  uint32_t act_nm_per_count;    /* ADC1, actuator position feedback */
  uint16_t act_zero_count;
  uint16_t current_ua_per_count; /* ADC2, drive current */
  uint16_t stroke_um;            /* the machine's cam (or armature) stroke, for the depth forecast (§7.12) */
} smp_calibration;
#define SMP_MAX_STROKE_UM 6000u /* the EEPROM range check's ceiling (the depth forecast's arithmetic holds to it) */

/* ---- board states ---- */
/* A lease runs and the needle may go out: every continuous check applies (ARMED, BURST, PEDAL, PEDAL_BURST). */
static inline uint8_t smp_state_live(uint8_t s) {
  return s == SMP_STATE_ARMED || s == SMP_STATE_BURST || s == SMP_STATE_PEDAL || s == SMP_STATE_PEDAL_BURST;
}
/* A burst runs in this state (BURST, PEDAL_BURST): the drive may be on and the depth forecast judges. */
static inline uint8_t smp_state_burst(uint8_t s) { return s == SMP_STATE_BURST || s == SMP_STATE_PEDAL_BURST; }

/* ---- board time ---- */
static inline int32_t smp_tick_diff(uint32_t a, uint32_t b) { return (int32_t)(a - b); }
static inline uint8_t smp_tick_before(uint32_t a, uint32_t b) { return smp_tick_diff(a, b) < 0; }
uint32_t smp_ms_to_ticks(uint32_t ms);

/* ---- command checks ---- */
/* A DOT beyond a hard limit (NAK LIMIT + latch LIMIT_REQUEST): extension, stroke rate 0 or too high, duty
 * above 1000, no strokes, or strokes/strokeHz + SMP_BURST_OVERHEAD_MS above the dwell cap. */
uint8_t smp_lim_dot_beyond(const smp_limits *l, uint32_t extension_um, uint32_t stroke_hz, uint32_t duty_permille,
                           uint32_t strokes);
/* PEDAL's repeatMs neither 0 nor within LINK.pedalRepeatMinMs..pedalRepeatMaxMs (NAK LIMIT + latch LIMIT_REQUEST, like
 * settings smp_lim_dot_beyond refuses; docs/protocol.md §7.13). */
uint8_t smp_lim_repeat_beyond(uint32_t repeat_ms);
/* DOT arrived after its start tick (beyond SMP_LATE_TOLERANCE_MS): NAK LATE. */
uint8_t smp_lim_dot_late(uint32_t now_tick, uint32_t at_tick);
/* A queued dot about to start more than SMP_LATE_START_MS after its start tick. */
uint8_t smp_lim_start_late(uint32_t now_tick, uint32_t at_tick);
/* The lease tick granted for a requested one: at most hardMaxLeaseMs from now. */
uint32_t smp_lim_lease(const smp_limits *l, uint32_t now_tick, uint32_t requested_tick);

/* ---- measurement checks ---- */
uint8_t smp_lim_over_speed(const smp_limits *l, uint32_t period_us);     /* 1e6/period > hardMaxStrokeHz */
uint8_t smp_lim_up_to_speed(uint32_t period_us, uint32_t stroke_hz);      /* 1e6/period > NUM/DEN strokeHz */
uint8_t smp_lim_spinup_timeout(uint32_t since_drive_on_us);              /* >= spinupMaxMs */
uint8_t smp_lim_stall(uint32_t since_last_edge_us);                      /* > stall window */
uint8_t smp_lim_dwell_exceeded(const smp_limits *l, uint32_t on_time_us); /* > hardMaxDwellMs */
uint8_t smp_lim_pedal_fault(uint32_t mismatch_us);                       /* >= debounce */
uint8_t smp_lim_over_extension(const smp_limits *l, int32_t extension_nm);
/* A stroke's bottom dead centre sensed deeper than the commanded extension (setpoint_um) by more than
 * SMP_DEFAULT_TIP_AHEAD_TOLERANCE_UM: a healthy cartridge only gives, and the actuator only moves towards its setpoint,
 * so this is a broken spring or an overshooting actuator, caught before its lead can grow over more strokes
 * (docs/protocol.md §7.5). */
uint8_t smp_lim_tip_past_command(int32_t extension_nm, int16_t setpoint_um);
uint8_t smp_lim_over_current(const smp_limits *l, uint32_t current_ma);
uint8_t smp_lim_over_current_count(const smp_limits *l, const smp_calibration *c, uint16_t count); /* same, ADC2 */
uint8_t smp_lim_sensor_dropout(uint16_t count);                          /* at the rail */
uint8_t smp_lim_sensor_stuck(int32_t swing_nm);                          /* < stuck swing */
uint8_t smp_lim_actuator_out(int32_t actuator_nm, int16_t setpoint_um);  /* within the margin */

/* ---- tachometer periods across the wrap of the us clock ----
 * The u32 microsecond clock wraps every 2^32 us (71.6 min): after the motor has stood still for 35.8 to
 * 71.6 min (mod 71.6) a plain difference or a signed comparison with the last edge's time aliases to a short
 * or a negative interval. So the last edge is marked stale once it is SMP_EDGE_STALE_US old (smp_edge_age,
 * called at least every few ms by the main loop), and a period from a stale edge is SMP_PERIOD_UNKNOWN: longer
 * than any period a check cares about (not over-speed, not up to speed), as the reference board's unwrapped
 * difference is. */
#define SMP_EDGE_STALE_US ((uint32_t)1 << 30) /* 17.9 min: far beyond any period that matters, far inside the wrap */
#define SMP_PERIOD_UNKNOWN UINT32_MAX

typedef struct {
  uint32_t t_us; /* the latest edge (or power-up) */
  uint8_t fresh; /* t_us is less than SMP_EDGE_STALE_US old */
} smp_edge_ref;

void smp_edge_init(smp_edge_ref *r, uint32_t now_us);
/* Marks the reference stale once it is SMP_EDGE_STALE_US old. Must run at least every 2^31 - 2^30 us (the
 * main loop runs it every step; the watchdog resets the board if a step takes 64 ms). */
void smp_edge_age(smp_edge_ref *r, uint32_t now_us);
/* The period from the previous edge to an edge at t_us (SMP_PERIOD_UNKNOWN when the previous one is stale);
 * t_us becomes the reference. */
uint32_t smp_edge_period(smp_edge_ref *r, uint32_t t_us);

/* ---- the guard: the continuous checks of BoardGuard.step and BurstRunner.step's stall and on-time checks,
 * run from the 10 kHz tick interrupt ----
 * Every second tick (200 us, the reference board steps every 250 us), in the reference board's order:
 * pedal contacts; in ARMED/BURST/PEDAL/PEDAL_BURST (a lease running) lease, e-stop, cartridge, and in ARMED/BURST
 * only (the pedal a dead-man switch there; in PEDAL a release is the normal end of a dot, §7.13) pedal released
 * (in IDLE e-stop); in ARMED/BURST/PEDAL/PEDAL_BURST position sensor at the rail or beyond the hard extension;
 * drive on and current beyond the hard maximum; in a burst with the drive on no tach edge for the stall window;
 * in a burst the on-time cap. The first
 * that applies is the alarm to latch. The ADC thresholds are precomputed in counts, so the interrupt does
 * no division and no per-sample conversion.
 *
 * Stall reference: the burst's latest tach edge, or its drive-on if there was none since. Times are u32 us
 * and wrap every 71.6 min, so an edge counts only if it lies between drive-on and now by unsigned distance
 * from drive-on (a burst lasts about a second at most): an edge from before the burst, however old, never
 * passes for a newer one. (hal_drive_on also moves the edge time the guard sees to the drive-on moment.) */
typedef struct {
  uint8_t state;         /* SMP_STATE_* */
  uint8_t burst;         /* a burst is running */
  uint32_t lease_tick;   /* lease in force */
  uint32_t drive_on_us;  /* when the running burst switched the drive on */
  const smp_limits *limits; /* hardMaxDwellMs: the on-time cap */
  uint16_t needle_over;  /* lowest ADC0 count beyond hardMaxExtensionUm (0xFFFF: none) */
  uint16_t current_over; /* lowest ADC2 count beyond hardMaxCurrentMa (0xFFFF: none) */
  const smp_calibration *cal; /* ADC1 actuator feedback conversion, for smp_lim_actuator_track */
} smp_guard_cfg;

typedef struct {
  uint32_t tick;
  uint32_t now_us;
  uint32_t last_edge_us; /* latest tachometer edge (drive-on, if none since the drive went on) */
  uint16_t needle_max;   /* highest ADC0 count since the previous guard step */
  uint16_t current_max;  /* highest ADC2 count since the previous guard step */
  uint8_t estop;         /* e-stop input active */
  uint8_t cartridge;     /* cartridge switch closed */
  uint8_t pedal_no;      /* NO contact closed */
  uint8_t pedal_nc;      /* NC contact closed */
  uint8_t drive_on;
} smp_guard_in;

typedef struct {
  uint8_t mismatch; /* the two pedal contacts agree right now (blocks UNLOCK) */
  uint32_t since_us;
} smp_pedal;

/* Returns the alarm code to latch, or 0. Always tracks the pedal contacts (also in ALARM). */
uint8_t smp_guard_step(const smp_guard_cfg *c, smp_pedal *pedal, const smp_guard_in *in);

/* Actuator plausibility (BoardGuard.checkActuator), run by the guard right after smp_guard_step, in every state:
 * "parked" and the end of a retract rest on the actuator's position feedback (ADC1) alone, so the feedback
 * must follow the setpoint. mismatch: |feedback - setpoint| > SMP_ACT_TRACKING_NM right now (blocks UNLOCK);
 * returns 1 (ACTUATOR_FAULT) once the mismatch has lasted longer than SMP_ACT_SETTLE_US (a full move takes
 * ~8 ms). The setpoint is the OCR2A step driven (0 = park, also when the PWM is disconnected). */
typedef struct {
  uint8_t mismatch;
  uint32_t since_us;
} smp_actuator_track;
uint8_t smp_lim_actuator_track(smp_actuator_track *t, const smp_calibration *c, uint16_t feedback_count,
                               uint8_t setpoint_ocr, uint32_t now_us);
/* Threshold counts for smp_guard_cfg: the lowest count at which smp_lim_over_extension(smp_sensor_nm())
 * and smp_lim_over_current_count() are true (0xFFFF if none up to 1023). */
uint16_t smp_needle_over_count(const smp_limits *l, const smp_calibration *c);
uint16_t smp_current_over_count(const smp_limits *l, const smp_calibration *c);

/* ---- depth forecast (docs/protocol.md §7.12; the reference board's src/sim/board-depth.ts) ----
 * Run by the ADC interrupt on every needle sample of a burst (hal.c), right after the conversion: a lower bound
 * of the tip's depth at the coming bottom dead centre, setpoint + rel + A - sqrt(A^2 - s^2), in integers and
 * without a square root or a library division. Every rounding errs towards a lower bound (a shallower forecast):
 * the speed is taken in um as nm / 1024, the cam's swing s = v / omega is rounded down and capped at 0.949 A, and
 * the comparison A - sqrt(A^2 - s^2) > margin is made as s^2 > margin (2 A - margin), with the margin rounded up.
 * The cam rate's ceiling is a period: the last one, shortened by the trend of the last two when the motor is
 * speeding up, never longer than 1 / 30 Hz, and shortened again by 5 % (smp_cam_ceiling_period_us); the main loop
 * turns it into 1 / omega once per tachometer edge (smp_depth_cam_set), so the sample's only division is one of
 * 12 quotient bits, by shift and subtract (some 40 us per sample on the 16 MHz part, measured in emulation). */
typedef struct {
  int32_t model_nm;      /* the actuator model: its setpoint followed at SMP_WIRING_ACTUATOR_RATE_UM_PER_MS */
  uint32_t model_at_us;  /* the model's time: the previous sample, or a setpoint write after it */
  uint32_t at_us;        /* the previous sample */
  uint8_t have_prev;     /* the previous needle sample was off its floor (in this burst) */
  int32_t prev_fb_nm;    /* tip minus actuator feedback then */
  int32_t prev_model_nm; /* tip minus actuator model then */
  uint16_t still_us;     /* how long the model has stood at its setpoint (saturating) */
} smp_depth_watch;
/* For this long after the model has arrived at its setpoint, the tip's speed relative to the actuator is taken a
 * further SMP_WIRING_ACTUATOR_RATE_UM_PER_MS slower: the model moves from the moment the setpoint was written
 * (smp_depth_set), the real actuator up to SMP_WIRING_ACTUATOR_LAG_US later (firmware-bridge/README.md, wiring), so
 * it may still be moving after the model stopped, and its feedback is sampled only every 416 us: neither tells the
 * actuator's own last motion from the cam's. While the model moves, it runs ahead of the real actuator, which makes
 * the relative speed it gives smaller (a shallower forecast), never larger. */
#define SMP_DEPTH_MOVE_SETTLE_US (2u * SMP_WIRING_ACTUATOR_LAG_US)

/* The forecast's constants, worked out by the main loop at each tachometer edge (smp_depth_cam_set). */
typedef struct {
  int32_t limit_nm;  /* (hardMaxExtensionUm - SMP_DEFAULT_FORECAST_MARGIN_UM) x 1000 */
  int32_t reach_nm;  /* the most the cam's travel still to come can add: A (1 - sqrt(1 - 0.949^2)) < 0.69 A */
  uint16_t a_um;     /* half the cam's stroke (0: no forecast) */
  uint16_t cap_um;   /* the cam's swing s is capped at 0.949 A (forecastSwingCapPermille 950) */
  uint16_t omega_us; /* 1 / omega at the cam rate's ceiling, us per radian, rounded down: period / (2 pi) */
  uint32_t to_bdc_q16; /* omega_us / (4 a_um) in Q16, rounded down: a swing s in um gives the time to BDC, s / (A omega),
                        * in units of 4 us (so the sample's forecast needs no second division) */
} smp_depth_cam;

/* Outside a burst (between bursts): the speed history is dropped, and the model restarts at park, where the
 * actuator is commanded outside a burst. The real one may still be on its way there, at or above the model, so
 * the tip is judged against its feedback (the larger of the two). Also at power-up. */
void smp_depth_idle(smp_depth_watch *w, uint32_t now_us);
/* The actuator's setpoint is written now: the model follows the one before it up to now_us, and the new one (which
 * the next smp_depth_over passes) from now_us. */
void smp_depth_set(smp_depth_watch *w, int16_t previous_setpoint_um, uint32_t now_us);
/* The cam rate's ceiling as a period, us, from the last two tachometer periods (0: none), never longer than the
 * running burst's commanded stroke rate gives (burst_hz; 0: none): the first strokes after spin-up, still speeding up
 * towards it, have no trend to go by. */
uint32_t smp_cam_ceiling_period_us(uint32_t period_us, uint32_t previous_period_us, uint16_t burst_hz);
/* The constants after a tachometer edge that closed period_us (previous_period_us the one before it; burst_hz the
 * running burst's stroke rate, 0: none). */
void smp_depth_cam_set(smp_depth_cam *cam, const smp_limits *l, uint16_t stroke_um, uint32_t period_us,
                       uint32_t previous_period_us, uint16_t burst_hz);
/* One needle sample of a burst (count, taken at sample_us; a new one each call): the model follows the setpoint up
 * to sample_us, then 1 if the forecast is beyond hardMaxExtensionUm - SMP_DEFAULT_FORECAST_MARGIN_UM.
 * actuator_count: the feedback (ADC1); setpoint_um: the OCR2A setpoint. */
uint8_t smp_depth_over(smp_depth_watch *w, const smp_calibration *c, const smp_depth_cam *cam, uint16_t needle_count,
                       uint32_t sample_us, uint16_t actuator_count, int16_t setpoint_um);

/* ---- conversions ---- */
int32_t smp_sensor_nm(const smp_calibration *c, uint16_t count);   /* needle extension, nm */
int32_t smp_actuator_nm(const smp_calibration *c, uint16_t count); /* actuator position, nm */
uint32_t smp_current_ma(const smp_calibration *c, uint16_t count); /* rounded */
int32_t smp_nm_to_um(int32_t nm); /* rounded like Math.round (halves toward +infinity) */
uint8_t smp_act_um_to_ocr(int32_t um); /* nearest OCR2A step not deeper than um, clamped to 0..255 */
int16_t smp_act_ocr_to_um(uint8_t ocr);
uint8_t smp_duty_to_ocr(uint16_t duty_permille); /* drive PWM compare value, 0..255 */

/* ---- extension check (docs/protocol.md §7.5) ---- */
/* How far the needle tip was seen ahead of the actuator feedback, nm (a healthy cartridge only gives, so never
 * by more than noise); starts at SMP_AHEAD_NONE. Only samples with the sensor off its floor and below its rail
 * count. */
#define SMP_AHEAD_NONE INT32_MIN
void smp_ahead_note(int32_t *ahead_nm, const smp_calibration *c, uint16_t needle_count, int32_t actuator_nm);
/* Sending the actuator out to extension_um would put the tip, that far ahead, beyond the hard maximum at the
 * next bottom dead centre (ahead beyond SMP_DEFAULT_TIP_AHEAD_TOLERANCE_UM counts). */
uint8_t smp_lim_extension_ahead(const smp_limits *l, uint32_t extension_um, int32_t ahead_nm);
/* The zero check, at every tachometer edge of spin-up: with the actuator parked (its feedback within
 * SMP_DEFAULT_ACTUATOR_TRACKING_UM of parkUm), the needle's bottom dead centre read further behind parkUm than
 * SMP_DEFAULT_SENSOR_ZERO_TOLERANCE_UM, or at the floor (count 0): the sensor reads shallow (SENSOR_OFFSET). */
uint8_t smp_lim_zero_shallow(const smp_calibration *c, uint16_t bdc_count, int32_t actuator_nm);
/* The calibration puts the sensor's floor far enough behind the grip to see the parked needle (its bottom dead
 * centre at parkUm) and SMP_DEFAULT_SENSOR_ZERO_VISIBLE_UM beyond: what the zero check needs. */
uint8_t smp_cal_sees_park(const smp_calibration *c);

#endif /* SMP_LIMITS_H */
