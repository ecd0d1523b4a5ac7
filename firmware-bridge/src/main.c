/* main.c - SMP driver board firmware, the wire protocol of docs/protocol.md (version SMP_PROTOCOL_VERSION of the
 * generated protocol.h, 2): init, main loop, command handling, the burst state machine, and the pedal-armed dots
 * (PEDAL, PEDAL_BURST, §7.13). Behaviour mirrors the reference board, SimBoard in src/sim/board.ts and its parts
 * (BoardLink in board-link.ts, BurstRunner in board-burst.ts, BoardGuard in board-guard.ts, feedbackParked in
 * board-model.ts); the comments name the method each part corresponds to. Hardware goes through hal.h, limit
 * checks through limits.h, frames through codec.h. */
#include <stdint.h>

#include "codec.h"
#include "eeprom_config.h"
#include "hal.h"
#include "limits.h"
#include "pgm.h"
#include "protocol.h"

#define FIRMWARE_ID "smp-fw-2.0.0"

enum { PHASE_SPINUP, PHASE_STROKES, PHASE_RETRACT };

typedef struct {
  uint32_t dot, at_tick, extension_um, stroke_hz, duty_permille, strokes;
} dot_cmd;

typedef struct {
  uint8_t active;
  uint8_t phase;
  uint8_t edge_after_on; /* an edge at or after drive-on has been seen: the next period lies in the burst */
  uint8_t inside_reads;  /* consecutive BDC reads inside the grip with the actuator out */
  uint8_t window_cut;    /* the stroke window in progress began before an unsynchronised extend */
  dot_cmd dot;
  int16_t setpoint_um;   /* the extension the actuator was commanded to (8 um steps) */
  uint32_t drive_on_us;
  uint32_t strokes;
  int32_t max_extension_nm;
  int32_t tip_ahead_nm; /* spin-up: how far the tip was seen ahead of the actuator (SMP_AHEAD_NONE: never) */
  uint8_t spin_floor;   /* spin-up: the needle sensor read its floor (count 0) at least once */
  uint16_t spin_min, spin_max; /* spin-up: the needle sensor's counts off its floor, lowest and highest */
} burst_t;

/* ---- board state (the fields of SimBoard and its parts) ---- */
static smp_config cfg;
static uint8_t cfg_ok;
static uint8_t state = SMP_STATE_ALARM;
static uint8_t alarm_code = SMP_ALARM_POWER_UP; /* 0 = none */
static uint32_t boot_id;
static uint16_t tx_seq;
static uint8_t have_last_rx;
static uint16_t last_rx_seq;
static uint8_t have_last_dot;
static uint32_t last_dot_accepted;
static uint32_t last_completed_dot;
static struct {
  uint8_t msg; /* SMP_M_ACK, SMP_M_NAK, or SMP_M_COUNT for none */
  uint16_t ack_seq;
  uint8_t nak;
} last_response = {SMP_M_COUNT, 0, 0};
static uint32_t rx_ok, rx_bad, rx_dup;
static uint32_t lease_tick;
/* The dot queue, and in the same bytes the pedal's armed settings (SimBoard.armed, docs/protocol.md §7.13; RAM is
 * short): the queue is empty in PEDAL and PEDAL_BURST (DOT is refused there, and PEDAL is entered only from IDLE,
 * whose queue is empty), and the armed settings are used only there (each PEDAL from IDLE writes them anew). They
 * passed smp_lim_dot_beyond against limits no higher than the SMP_ABS_MAX_* caps, so each fits 16 bits (strokes <=
 * 1000 ms x 160 Hz / 1000), and repeatMs is at most LINK.pedalRepeatMaxMs. */
static union {
  dot_cmd queue[SMP_QUEUE_SLOTS];
  struct {
    uint32_t arm_id;
    uint16_t extension_um, stroke_hz, duty_permille, strokes, repeat_ms;
  } armed;
} dots;
static uint8_t q_head, q_len;
static burst_t burst;
static uint8_t disarm_pending;
/* Pedal-armed dots (SimBoard.lastFireUs, unfiredPresses; BoardGuard.pedalDown, docs/protocol.md §7.13); the armed
 * settings are dots.armed, above. */
static struct {
  uint8_t down;      /* the debounced pedal: pressed */
  uint8_t other;     /* the contacts read the other side continuously since since_us */
  uint32_t since_us;
} pedal;
static uint8_t fire_held;      /* a pedal burst of the press still held fired at fire_us: repeats count from it */
static uint32_t fire_us;
static uint32_t unfired_presses;
static struct {
  uint8_t active;
  uint8_t code;
  uint8_t parked_at_detection; /* the needle was parked when the alarm was detected: parkedUs 0 */
  uint32_t since_us;
  uint32_t tick;
} parking;
static uint32_t next_status_us;
static smp_edge_ref last_edge; /* the latest tach edge, for periods (wrap-safe: limits.h) */
static uint32_t last_period_us; /* the period the latest tach edge closed (SMP_PERIOD_UNKNOWN: none) */
static uint16_t needle_over, current_over; /* guard thresholds in ADC counts */
/* Time of what the main loop is handling now (a step, a received line, an interrupt's event), as the microsecond
 * clock and the tick of the same instant: the frames it causes are stamped with it (docs/protocol.md §7.8). */
static uint32_t now_us, now_tick;
static smp_assembler rx_asm;

/* ---- the guard's view of the board (limits.h smp_guard_step, run by the tick interrupt) ---- */

static void guard_sync(void) {
  smp_guard_cfg g;
  g.state = state;
  g.burst = burst.active;
  g.lease_tick = lease_tick;
  g.drive_on_us = burst.drive_on_us;
  g.limits = &cfg.limits;
  g.needle_over = needle_over;
  g.current_over = current_over;
  g.cal = &cfg.cal;
  hal_guard_set(&g);
}

/* ---- transmit ---- */

static void send_as(uint8_t msg, const smp_value *v, uint8_t priority) {
  smp_out out;
  uint16_t len;
  out.buf = hal_tx_ring();
  out.mask = HAL_TX_MASK;
  out.start = hal_tx_begin();
  len = smp_encode(&out, tx_seq, msg, v);
  if (!len) return; /* a frame that cannot be encoded (never, with these values) is not sent at all */
  if (priority) hal_tx_end_priority(len);
  else hal_tx_end(len);
  tx_seq++;
}

static void send(uint8_t msg, const smp_value *v) { send_as(msg, v, 0); }

/* A bare LF: the receiver drops the cut-off line it ends (it fails its CRC) and an empty line is ignored. */
static void send_line_break(void) {
  uint16_t start = hal_tx_begin();
  hal_tx_ring()[start & HAL_TX_MASK] = '\n';
  hal_tx_end(1);
}

static void send_ack_nak(uint8_t msg, uint16_t ack_seq, uint8_t nak) {
  smp_value v[2];
  v[0].u = ack_seq;
  v[1].u = nak;
  send(msg, v);
}

static void respond_ack(uint16_t seq) {
  last_response.msg = SMP_M_ACK;
  last_response.ack_seq = seq;
  send_ack_nak(SMP_M_ACK, seq, 0);
}

static void respond_nak(uint16_t seq, uint8_t nak, uint8_t remember) {
  if (remember) {
    last_response.msg = SMP_M_NAK;
    last_response.ack_seq = seq;
    last_response.nak = nak;
  }
  send_ack_nak(SMP_M_NAK, seq, nak);
}

/* ---- sensors ---- */

static int32_t actuator_nm(void) { return smp_actuator_nm(&cfg.cal, hal_adc_last(HAL_ADC_ACTUATOR)); }

/* feedbackParked: drive off and the actuator at or behind 0 um (its own feedback, ADC1). */
static uint8_t parked(void) { return !hal_drive_is_on() && actuator_nm() <= 0; }

static uint8_t pedal_reads_pressed(void) { return hal_pedal_no_closed(); }

/* ---- STATUS and state changes ---- */

static void take_now(void) { now_us = hal_now_us_tick(&now_tick); }

/* Stamped with the moment being handled: a state change's tick, or the step at which the period ran out (and
 * the period restarts from that same instant, so periodic STATUS are never less than 500 ticks apart). */
static void send_status_as(uint8_t priority) {
  smp_value v[SMP_MSG_STATUS_NFIELDS];
  next_status_us = now_us + SMP_STATUS_PERIOD_MS * 1000UL;
  v[SMP_F_STATUS_TICK].u = now_tick;
  v[SMP_F_STATUS_STATE].u = state;
  v[SMP_F_STATUS_ALARM].u = alarm_code;
  v[SMP_F_STATUS_CREDIT].u = SMP_QUEUE_SLOTS - q_len;
  v[SMP_F_STATUS_PARKED].u = parked();
  v[SMP_F_STATUS_LAST_DOT].u = last_completed_dot;
  v[SMP_F_STATUS_RX_OK].u = rx_ok;
  v[SMP_F_STATUS_RX_BAD].u = rx_bad;
  v[SMP_F_STATUS_RX_DUP].u = rx_dup;
  v[SMP_F_STATUS_INPUTS].u = (uint32_t)(pedal.down | hal_cartridge_present() << 1 | hal_estop_active() << 2);
  v[SMP_F_STATUS_UNFIRED_PRESSES].u = unfired_presses;
  send_as(SMP_M_STATUS, v, priority);
}

static void send_status(void) { send_status_as(0); }

static void set_state(uint8_t s) {
  if (s == state) return;
  state = s;
  guard_sync();
  hal_led(s == SMP_STATE_ALARM);
  /* the STATUS of a latch goes ahead of the telemetry already queued (docs/protocol.md §7.7); the ALARM frame
   * that confirms the park keeps its place, behind the cut burst's last STROKE frames */
  send_status_as(s == SMP_STATE_ALARM);
}

/* ---- latching (SimBoard.latch) ---- */

/* parked_at_detection: the needle was already parked when the alarm was detected (the drive is off from the
 * detection on: the interrupt, or the line just above), so the ALARM frame says 0 us. */
static void latch_at(uint8_t code, uint32_t tick, uint32_t us, uint8_t parked_at_detection) {
  hal_drive_off();
  hal_actuator_set(0); /* park */
  q_len = 0;
  burst.active = 0;
  disarm_pending = 0;
  fire_held = 0;
  if (state == SMP_STATE_ALARM) { /* the first alarm's code is kept */
    guard_sync();
    return;
  }
  alarm_code = code;
  parking.active = 1;
  parking.code = code;
  parking.parked_at_detection = parked_at_detection;
  parking.since_us = us;
  parking.tick = tick;
  set_state(SMP_STATE_ALARM);
}

/* Detected by the main loop now; parked at detection if the feedback says so once the drive is off. */
static void latch(uint8_t code) {
  hal_drive_off();
  latch_at(code, now_tick, now_us, parked());
}

/* BoardGuard.checkParked: one ALARM frame per latch, once the needle is parked; parkedUs runs from the
 * detection to the pass that first sees the feedback parked (0 when it was parked at the detection). */
static void check_parked(void) {
  smp_value v[SMP_MSG_ALARM_NFIELDS];
  uint32_t parked_us;
  if (!parking.active) return;
  if (parking.parked_at_detection) parked_us = 0;
  else if (parked()) parked_us = hal_now_us() - parking.since_us;
  else return;
  parking.active = 0;
  v[SMP_F_ALARM_ALARM].u = parking.code;
  v[SMP_F_ALARM_TICK].u = parking.tick;
  v[SMP_F_ALARM_PARKED_US].u = parked_us;
  send(SMP_M_ALARM, v);
}

/* The NAK that refuses UNLOCK now, 0 if none: the first alarm cause present (in the protocol's order), else the
 * needle not parked yet. */
static uint8_t unlock_refusal(void) {
  if (hal_estop_active()) return SMP_NAK_ESTOP_PRESSED;
  if (!hal_cartridge_present()) return SMP_NAK_CARTRIDGE_OPEN;
  if (hal_pedal_mismatch()) return SMP_NAK_PEDAL_CONTACTS;
  /* the actuator feedback is away from its setpoint right now (ACTUATOR_FAULT's cause) */
  if (hal_actuator_mismatch()) return SMP_NAK_ACTUATOR_MISMATCH;
  /* the EEPROM configuration was invalid; the board runs on safe defaults and stays in ALARM CONFIG_INVALID */
  if (!cfg_ok) return SMP_NAK_CONFIG_INVALID;
  if (!parked()) return SMP_NAK_ALARM_ACTIVE;
  return 0;
}

/* ARMED with an empty queue, or PEDAL (a pedal burst's end is PEDAL_BURST -> PEDAL), and no burst running. */
static void maybe_disarm(void) {
  if (disarm_pending && (state == SMP_STATE_ARMED || state == SMP_STATE_PEDAL) && !burst.active && q_len == 0) {
    disarm_pending = 0;
    set_state(SMP_STATE_IDLE);
  }
}

static void extend_lease(uint32_t requested) {
  lease_tick = smp_lim_lease(&cfg.limits, now_tick, requested); /* from the command's arrival (§7.3) */
  guard_sync(); /* at once: the guard must never judge a renewed lease by the old tick */
}

/* ---- commands (SimBoard.execute, acceptDot) ---- */

static void send_info(void) {
  static const char firmware[] = FIRMWARE_ID;
  static const char schema[] = SMP_SCHEMA_HASH;
  smp_value v[SMP_MSG_INFO_NFIELDS];
  v[SMP_F_INFO_PROTOCOL].u = SMP_PROTOCOL_VERSION;
  v[SMP_F_INFO_FIRMWARE].t.p = firmware;
  v[SMP_F_INFO_FIRMWARE].t.n = sizeof firmware - 1u;
  v[SMP_F_INFO_SCHEMA].t.p = schema;
  v[SMP_F_INFO_SCHEMA].t.n = sizeof schema - 1u;
  v[SMP_F_INFO_CLOCK_HZ].u = SMP_CLOCK_HZ;
  v[SMP_F_INFO_BOOT_ID].u = boot_id;
  v[SMP_F_INFO_TICK].u = hal_tick();
  v[SMP_F_INFO_HARD_MAX_EXTENSION_UM].u = cfg.limits.extension_um;
  v[SMP_F_INFO_HARD_MAX_STROKE_HZ].u = cfg.limits.stroke_hz;
  v[SMP_F_INFO_HARD_MAX_CURRENT_MA].u = cfg.limits.current_ma;
  v[SMP_F_INFO_HARD_MAX_DWELL_MS].u = cfg.limits.dwell_ms;
  v[SMP_F_INFO_HARD_MAX_LEASE_MS].u = cfg.limits.lease_ms;
  v[SMP_F_INFO_QUEUE_SLOTS].u = SMP_QUEUE_SLOTS;
  send(SMP_M_INFO, v);
}

/* DOT in ARMED or BURST (the acceptance table refuses it elsewhere): the checks of docs/protocol.md §7.4. */
static void accept_dot(uint16_t seq, const smp_value *f) {
  uint32_t tick;
  dot_cmd *d;
  if (smp_lim_dot_beyond(&cfg.limits, f[SMP_F_DOT_EXTENSION_UM].u, f[SMP_F_DOT_STROKE_HZ].u,
                         f[SMP_F_DOT_DUTY_PERMILLE].u, f[SMP_F_DOT_STROKES].u)) {
    respond_nak(seq, SMP_NAK_LIMIT, 1);
    latch(SMP_ALARM_LIMIT_REQUEST);
    return;
  }
  tick = hal_tick();
  if (smp_lim_dot_late(tick, f[SMP_F_DOT_AT_TICK].u)) {
    respond_nak(seq, SMP_NAK_LATE, 1);
    return;
  }
  if (have_last_dot && f[SMP_F_DOT_DOT].u <= last_dot_accepted) {
    respond_nak(seq, SMP_NAK_DOT_ORDER, 1);
    return;
  }
  if (q_len >= SMP_QUEUE_SLOTS) {
    respond_nak(seq, SMP_NAK_QUEUE_FULL, 1);
    return;
  }
  d = &dots.queue[(uint8_t)(q_head + q_len) % SMP_QUEUE_SLOTS];
  d->dot = f[SMP_F_DOT_DOT].u;
  d->at_tick = f[SMP_F_DOT_AT_TICK].u;
  d->extension_um = f[SMP_F_DOT_EXTENSION_UM].u;
  d->stroke_hz = f[SMP_F_DOT_STROKE_HZ].u;
  d->duty_permille = f[SMP_F_DOT_DUTY_PERMILLE].u;
  d->strokes = f[SMP_F_DOT_STROKES].u;
  q_len++;
  have_last_dot = 1;
  last_dot_accepted = f[SMP_F_DOT_DOT].u;
  extend_lease(f[SMP_F_DOT_LEASE_TICK].u);
  respond_ack(seq);
}

/* PEDAL in IDLE, PEDAL or PEDAL_BURST (the acceptance table refuses it elsewhere): arm these settings for the next
 * press (SimBoard.acceptPedal, docs/protocol.md §7.13). Checked like a DOT, and repeatMs 0 or within its bounds. */
static void accept_pedal(uint16_t seq, const smp_value *f) {
  if (smp_lim_dot_beyond(&cfg.limits, f[SMP_F_PEDAL_EXTENSION_UM].u, f[SMP_F_PEDAL_STROKE_HZ].u,
                         f[SMP_F_PEDAL_DUTY_PERMILLE].u, f[SMP_F_PEDAL_STROKES].u) ||
      smp_lim_repeat_beyond(f[SMP_F_PEDAL_REPEAT_MS].u)) {
    respond_nak(seq, SMP_NAK_LIMIT, 1);
    latch(SMP_ALARM_LIMIT_REQUEST);
    return;
  }
  if (state == SMP_STATE_IDLE) fire_held = 0; /* a pedal already held fires nothing until pressed again */
  dots.armed.arm_id = f[SMP_F_PEDAL_ARM_ID].u;
  dots.armed.extension_um = (uint16_t)f[SMP_F_PEDAL_EXTENSION_UM].u;
  dots.armed.stroke_hz = (uint16_t)f[SMP_F_PEDAL_STROKE_HZ].u;
  dots.armed.duty_permille = (uint16_t)f[SMP_F_PEDAL_DUTY_PERMILLE].u;
  dots.armed.strokes = (uint16_t)f[SMP_F_PEDAL_STROKES].u;
  dots.armed.repeat_ms = (uint16_t)f[SMP_F_PEDAL_REPEAT_MS].u;
  extend_lease(f[SMP_F_PEDAL_LEASE_TICK].u);
  disarm_pending = 0;
  if (state == SMP_STATE_IDLE) set_state(SMP_STATE_PEDAL);
  respond_ack(seq);
}

/* Which commands each state accepts: COMMAND_ACCEPTANCE in src/protocol/acceptance.ts, generated into
 * board_tables.h; the reference board looks up the same table. */
static const uint8_t ACCEPTANCE[SMP_M_HOST_COUNT][SMP_STATE_COUNT] SMP_PROGMEM = SMP_ACCEPTANCE_INIT;

static void execute(const smp_frame *fr) {
  uint16_t seq = fr->seq;
  uint8_t cell = smp_pgm_byte(&ACCEPTANCE[fr->msg][state]);
  if (SMP_ACC_VERDICT(cell) == SMP_ACC_NAK) {
    respond_nak(seq, SMP_ACC_CODE(cell), 1);
    return;
  }
  if (SMP_ACC_VERDICT(cell) == SMP_ACC_ACK) {
    respond_ack(seq);
    return;
  }
  if (SMP_ACC_CODE(cell)) latch(SMP_ACC_CODE(cell)); /* e.g. HELLO while armed: HOST_RESTART */
  switch (fr->msg) {
    case SMP_M_HELLO:
      have_last_dot = 0;
      last_completed_dot = 0;
      unfired_presses = 0;
      respond_ack(seq);
      send_info();
      return;
    case SMP_M_UNLOCK: {
      uint8_t refusal = unlock_refusal();
      if (refusal) {
        respond_nak(seq, refusal, 1);
        return;
      }
    }
      alarm_code = 0;
      set_state(SMP_STATE_IDLE);
      respond_ack(seq);
      return;
    case SMP_M_ARM:
      if (!pedal_reads_pressed()) {
        respond_nak(seq, SMP_NAK_BAD_STATE, 1);
        return;
      }
      extend_lease(fr->v[SMP_F_ARM_LEASE_TICK].u);
      disarm_pending = 0;
      set_state(SMP_STATE_ARMED);
      respond_ack(seq);
      return;
    case SMP_M_DOT:
      accept_dot(seq, fr->v);
      return;
    case SMP_M_PEDAL:
      accept_pedal(seq, fr->v);
      return;
    case SMP_M_KEEP:
      extend_lease(fr->v[SMP_F_KEEP_LEASE_TICK].u);
      respond_ack(seq);
      return;
    case SMP_M_DISARM:
      disarm_pending = 1;
      maybe_disarm();
      respond_ack(seq);
      return;
    case SMP_M_STOP:
      latch(SMP_ALARM_STOP);
      respond_ack(seq);
      return;
    case SMP_M_ESTOP:
      latch(SMP_ALARM_ESTOP);
      respond_ack(seq);
      return;
    default:
      return;
  }
}

/* BoardLink.onLine: decoding, counters, de-duplication. */
static void on_line(const char *line, uint16_t len) {
  smp_frame fr;
  if (smp_decode(line, len, &fr) != SMP_DEC_OK || fr.msg >= SMP_M_HOST_COUNT) {
    rx_bad++;
    return;
  }
  rx_ok++;
  if (fr.msg != SMP_M_HELLO) {
    if (!have_last_rx) {
      respond_nak(fr.seq, SMP_NAK_SEQUENCE, 0);
      return;
    }
    if (fr.seq == last_rx_seq) {
      rx_dup++;
      if (last_response.msg != SMP_M_COUNT) send_ack_nak(last_response.msg, last_response.ack_seq, last_response.nak);
      return;
    }
    if (fr.seq != (uint16_t)(last_rx_seq + 1u)) {
      respond_nak(fr.seq, SMP_NAK_SEQUENCE, 0);
      return;
    }
  }
  have_last_rx = 1;
  last_rx_seq = fr.seq;
  execute(&fr);
}

/* Everything received since the last step, in arrival order; interrupt-latched events at their place. */
static void drain_rx(void) {
  uint8_t byte;
  hal_event ev;
  uint8_t r;
  while ((r = hal_rx_next(&byte, &ev)) != 0) {
    if (r == 2) { /* the interrupt switched everything off at ev.us: the change of state is that moment's */
      now_us = ev.us;
      now_tick = ev.tick;
      latch_at(ev.code, ev.tick, ev.us, smp_actuator_nm(&cfg.cal, ev.act_count) <= 0);
      continue;
    }
    switch (smp_asm_push(&rx_asm, byte)) {
      case SMP_ASM_LINE:
        take_now();
        on_line((const char *)rx_asm.buf, rx_asm.len);
        break;
      case SMP_ASM_OVERFLOW:
        rx_bad++;
        break;
      default: /* the interrupt already took the priority bytes out */
        break;
    }
  }
}

/* ---- bursts (BurstRunner.startNext, onTachEdge, step) ---- */

static void start_next_burst(void) {
  const dot_cmd *d;
  uint32_t tick, on_us;
  if (q_len == 0) return;
  d = &dots.queue[q_head];
  tick = hal_tick();
  if (smp_tick_before(tick, d->at_tick)) return;
  if (smp_lim_start_late(tick, d->at_tick)) {
    latch(SMP_ALARM_LATE_START); /* drops the queue, this dot with it */
    return;
  }
  /* Refused while an interrupt-latched alarm waits (it latches at the next drain_rx and drops the queue) or
   * the e-stop input is active (the guard or INT0 queues ESTOP): no burst then, and the dot stays queued. */
  if (!hal_drive_on(smp_duty_to_ocr((uint16_t)d->duty_permille), (uint16_t)d->stroke_hz,
                    cfg.machine == SMP_MACHINE_COIL, &on_us))
    return;
  burst.dot = *d;
  q_head = (uint8_t)((q_head + 1u) % SMP_QUEUE_SLOTS);
  q_len--;
  burst.active = 1;
  burst.phase = PHASE_SPINUP;
  burst.edge_after_on = 0;
  burst.inside_reads = 0;
  burst.window_cut = 0;
  burst.drive_on_us = on_us; /* the moment the drive went on, not the start of the step */
  burst.strokes = 0;
  burst.max_extension_nm = INT32_MIN;
  burst.tip_ahead_nm = SMP_AHEAD_NONE;
  burst.spin_floor = 0;
  burst.spin_min = 0xFFFFu;
  burst.spin_max = 0;
  take_now(); /* the BURST STATUS carries a tick after the drive went on, so never one before atTick */
  set_state(SMP_STATE_BURST);
}

/* FIRE, in a frame of its own: its values are off the stack while set_state encodes the STATUS before it. */
static void __attribute__((noinline)) send_fire(uint32_t dot, uint32_t tick, uint8_t repeat) {
  smp_value v[SMP_MSG_FIRE_NFIELDS];
  v[SMP_F_FIRE_DOT].u = dot;
  v[SMP_F_FIRE_ARM_ID].u = dots.armed.arm_id;
  v[SMP_F_FIRE_TICK].u = tick;
  v[SMP_F_FIRE_REPEAT].u = repeat;
  send(SMP_M_FIRE, v);
}

/* SimBoard.fire: a pedal burst with the settings armed now (docs/protocol.md §7.13), for a press (repeat 0) or a
 * repeat while the pedal is held (repeat 1), at the step's moment (now_us, now_tick). Its dot number is one above the
 * last dot accepted since HELLO and becomes the last accepted; the burst then runs as a scheduled one does (its start
 * is start_next_burst's, kept apart so that a scheduled burst's code and timing stay as they were). Nothing fires if
 * the drive cannot go on (an interrupt-latched alarm waits, or the e-stop input is active). */
static void fire_pedal(uint8_t repeat) {
  uint32_t on_us, tick = now_tick;
  uint32_t dot = have_last_dot ? last_dot_accepted + 1u : 1u;
  if (!hal_drive_on(smp_duty_to_ocr(dots.armed.duty_permille), dots.armed.stroke_hz, cfg.machine == SMP_MACHINE_COIL,
                    &on_us))
    return;
  have_last_dot = 1;
  last_dot_accepted = dot;
  fire_held = 1;
  fire_us = now_us;
  burst.dot.dot = dot;
  burst.dot.at_tick = tick;
  burst.dot.extension_um = dots.armed.extension_um;
  burst.dot.stroke_hz = dots.armed.stroke_hz;
  burst.dot.duty_permille = dots.armed.duty_permille;
  burst.dot.strokes = dots.armed.strokes;
  burst.active = 1;
  burst.phase = PHASE_SPINUP;
  burst.edge_after_on = 0;
  burst.inside_reads = 0;
  burst.window_cut = 0;
  burst.drive_on_us = on_us;
  burst.strokes = 0;
  /* every puncture reads above 0 um, so the deepest of them is the same from 0 as from INT32_MIN; and a burst
   * released before its first puncture says 0 um in its DOTEND (§7.13) */
  burst.max_extension_nm = 0;
  burst.tip_ahead_nm = SMP_AHEAD_NONE;
  burst.spin_floor = 0;
  burst.spin_min = 0xFFFFu;
  burst.spin_max = 0;
  take_now();
  set_state(SMP_STATE_PEDAL_BURST);
  send_fire(dot, tick, repeat);
}

/* BurstRunner.extend: command the actuator out; the needle is on its way up, so it arrives before the next
 * bottom dead centre. The setpoint is rounded to the actuator's 8 um steps. at_edge = 0: unsynchronised
 * (spin-up timeout), mid-window, so the stroke window being measured started with the needle parked. */
static void extend(uint8_t at_edge) {
  uint8_t ocr = smp_act_um_to_ocr((int32_t)burst.dot.extension_um);
  /* parked, the needle reads its floor at every cam turn; a sensor that never did, nor moved, is stuck (§7.5) */
  if (!burst.spin_floor && burst.spin_min <= burst.spin_max &&
      smp_lim_sensor_stuck(smp_sensor_nm(&cfg.cal, burst.spin_max) - smp_sensor_nm(&cfg.cal, burst.spin_min))) {
    latch(SMP_ALARM_SENSOR_STUCK);
    return;
  }
  if (smp_lim_extension_ahead(&cfg.limits, burst.dot.extension_um, burst.tip_ahead_nm)) {
    latch(SMP_ALARM_OVER_EXTENSION); /* the tip is ahead of the actuator (§7.5): not out, the needle parked */
    return;
  }
  burst.window_cut = !at_edge;
  burst.phase = PHASE_STROKES;
  burst.setpoint_um = smp_act_ocr_to_um(ocr);
  hal_actuator_set(ocr);
  /* the last puncture's retract, in the interrupt that samples it (the strokes so far were counted in spin-up: none;
   * a sensor read "in" at 0 um and below: smp_sensor_nm > 0 from the zero count up) */
  hal_retract_after(burst.dot.strokes > 0xFFFFu ? 0u : (uint16_t)burst.dot.strokes, cfg.cal.sensor_zero_count);
  hal_peak_reset(); /* motor inrush during spin-up is not a puncture's current */
}

static void on_edge(const hal_edge *e) {
  uint32_t period = smp_edge_period(&last_edge, e->t_us); /* SMP_PERIOD_UNKNOWN after a long standstill */
  int32_t ext_nm;
  uint8_t actuator_out;
  smp_depth_cam cam;
  /* the depth forecast's cam for the coming stroke (its division here, once per edge, not per sample) */
  smp_depth_cam_set(&cam, &cfg.limits, cfg.cal.stroke_um, period, last_period_us,
                    burst.active ? (uint16_t)burst.dot.stroke_hz : 0u);
  hal_depth_cam(&cam);
  last_period_us = period;
  if (smp_lim_over_speed(&cfg.limits, period) && hal_drive_is_on()) {
    latch(SMP_ALARM_OVER_SPEED);
    return;
  }
  if (!burst.active) return;
  if (burst.phase == PHASE_SPINUP) {
    uint8_t period_in_burst = burst.edge_after_on; /* the previous edge came after drive-on */
    if (smp_tick_diff(e->t_us, burst.drive_on_us) >= 0) burst.edge_after_on = 1;
    if (smp_lim_sensor_dropout(e->bdc)) {
      latch(SMP_ALARM_SENSOR_DROPOUT);
      return;
    }
    /* the zero check: the parked needle's bottom dead centre reads at park; read further behind, or at the floor,
     * the sensor reads shallow and would hide a needle gone as deep (§7.5) */
    if (smp_lim_zero_shallow(&cfg.cal, e->bdc, actuator_nm())) {
      latch(SMP_ALARM_SENSOR_OFFSET);
      return;
    }
    smp_ahead_note(&burst.tip_ahead_nm, &cfg.cal, e->bdc, actuator_nm());
    /* the window's maximum only when the window opened after drive-on: an earlier one can hold the previous
     * burst's strokes, seen while the actuator was on its way back to park (not a tip ahead of it) */
    if (period_in_burst && e->win_max != 0xFFFFu)
      smp_ahead_note(&burst.tip_ahead_nm, &cfg.cal, e->win_max, actuator_nm());
    if (period_in_burst && smp_lim_up_to_speed(period, burst.dot.stroke_hz)) extend(1); /* just past BDC */
    return;
  }
  if (smp_lim_sensor_dropout(e->bdc)) {
    latch(SMP_ALARM_SENSOR_DROPOUT);
    return;
  }
  ext_nm = smp_sensor_nm(&cfg.cal, e->bdc);
  if (smp_lim_over_extension(&cfg.limits, ext_nm)) {
    latch(SMP_ALARM_OVER_EXTENSION);
    return;
  }
  /* a turning cam moves the needle by its whole stroke between two edges; a frozen reading is stuck (an
   * empty window counts as stuck too, as -Infinity < 200 does in board-burst.ts). Not judged on a window cut
   * short by an unsynchronised extend (spin-up timeout): it may hold only the parked needle, which the
   * sensor reads at its bottom rail (BurstRunner's windowCut). Nor while the actuator feedback is away from
   * its setpoint (moving, or lying): the actuator check decides within its settle time, so a frozen feedback
   * is ACTUATOR_FAULT, not SENSOR_STUCK (the first real cause, as board-burst.ts). */
  if (!burst.window_cut && !hal_actuator_mismatch() &&
      (e->win_min > e->win_max ||
       smp_lim_sensor_stuck(smp_sensor_nm(&cfg.cal, e->win_max) - smp_sensor_nm(&cfg.cal, e->win_min)))) {
    latch(SMP_ALARM_SENSOR_STUCK);
    return;
  }
  burst.window_cut = 0;
  actuator_out = burst.phase == PHASE_STROKES && smp_lim_actuator_out(actuator_nm(), burst.setpoint_um);
  if (ext_nm > 0) {
    smp_value v[SMP_MSG_STROKE_NFIELDS];
    burst.strokes++;
    if (ext_nm > burst.max_extension_nm) burst.max_extension_nm = ext_nm;
    /* the last puncture: retract first, the STROKE frame after (sending may wait for room in the ring) */
    if (burst.phase == PHASE_STROKES && burst.strokes >= burst.dot.strokes) {
      burst.phase = PHASE_RETRACT; /* just past bottom dead centre: parked before the next one */
      hal_actuator_set(0);
    }
    v[SMP_F_STROKE_DOT].u = burst.dot.dot;
    v[SMP_F_STROKE_STROKE].u = burst.strokes;
    v[SMP_F_STROKE_EXTENSION_UM].i = smp_nm_to_um(ext_nm);
    v[SMP_F_STROKE_PERIOD_US].u = period;
    v[SMP_F_STROKE_CURRENT_MA].u = smp_current_ma(&cfg.cal, e->win_peak);
    /* ahead of the command: a broken spring, stopped before its lead grows over more strokes; latched before its
     * STROKE goes out (sending can wait ~20 ms for room in the ring), which still reaches the host ahead of the
     * ALARM frame, so the host has the depth that tripped it (§7.5) */
    if (smp_lim_tip_past_command(ext_nm, burst.setpoint_um)) {
      latch(SMP_ALARM_OVER_EXTENSION);
      send(SMP_M_STROKE, v);
      return;
    }
    send(SMP_M_STROKE, v);
    burst.inside_reads = 0;
  } else if (actuator_out && ++burst.inside_reads >= SMP_INSIDE_READS_DROPOUT) {
    latch(SMP_ALARM_SENSOR_DROPOUT); /* extended actuator, yet the sensor sees the needle inside the grip */
    return;
  }
}

/* The DOTEND of a pedal burst released in spin-up, in a frame of its own: its values are off the stack while
 * set_state encodes the STATUS after it. */
static void __attribute__((noinline)) send_release_dotend(void) {
  smp_value v[SMP_MSG_DOTEND_NFIELDS];
  v[SMP_F_DOTEND_DOT].u = burst.dot.dot;
  v[SMP_F_DOTEND_STROKES].u = burst.strokes;
  v[SMP_F_DOTEND_MAX_EXTENSION_UM].i = smp_nm_to_um(burst.max_extension_nm);
  v[SMP_F_DOTEND_ON_TIME_US].u = now_us - burst.drive_on_us;
  v[SMP_F_DOTEND_TICK].u = now_tick;
  send(SMP_M_DOTEND, v);
}

/* BurstRunner.release: the pedal released during a pedal burst (§7.13). In spin-up the needle never left the grip:
 * the burst ends now, drive off and DOTEND (strokes 0, 0 um) in this pass, as run_burst ends one. In strokes the
 * actuator goes back to park at once (a park also cancels hal_retract_after's pending park, and only spin-up sends the
 * actuator out, so nothing extends it again); the punctures still made on the way are counted, and the burst ends
 * like any other once the feedback is parked (run_burst). */
static void burst_release(void) {
  uint8_t phase = burst.phase;
  if (phase == PHASE_RETRACT) return;
  burst.phase = PHASE_RETRACT;
  hal_actuator_set(0);
  if (phase != PHASE_SPINUP) return;
  hal_drive_off();
  send_release_dotend();
  last_completed_dot = burst.dot.dot;
  burst.active = 0;
  set_state(SMP_STATE_PEDAL);
}

/* The stall and on-time checks of BurstRunner.step are in the guard (limits.c, tick interrupt). */
static void run_burst(void) {
  if (burst.phase == PHASE_SPINUP) {
    uint16_t count = hal_adc_last(HAL_ADC_NEEDLE);
    smp_ahead_note(&burst.tip_ahead_nm, &cfg.cal, count, actuator_nm());
    if (count == 0) {
      burst.spin_floor = 1;
    } else {
      if (count < burst.spin_min) burst.spin_min = count;
      if (count > burst.spin_max) burst.spin_max = count;
    }
  }
  if (burst.phase == PHASE_SPINUP && smp_lim_spinup_timeout(now_us - burst.drive_on_us)) {
    extend(0); /* slow motor: go anyway, unsynchronised */
  }
  if (burst.phase == PHASE_RETRACT && actuator_nm() <= 0) {
    smp_value v[SMP_MSG_DOTEND_NFIELDS];
    hal_drive_off();
    v[SMP_F_DOTEND_DOT].u = burst.dot.dot;
    v[SMP_F_DOTEND_STROKES].u = burst.strokes;
    v[SMP_F_DOTEND_MAX_EXTENSION_UM].i = smp_nm_to_um(burst.max_extension_nm);
    v[SMP_F_DOTEND_ON_TIME_US].u = now_us - burst.drive_on_us;
    v[SMP_F_DOTEND_TICK].u = now_tick; /* and the ARMED STATUS below carries the same tick */
    send(SMP_M_DOTEND, v);
    last_completed_dot = burst.dot.dot;
    burst.active = 0;
    if (state == SMP_STATE_BURST) set_state(SMP_STATE_ARMED);
    else if (state == SMP_STATE_PEDAL_BURST) set_state(SMP_STATE_PEDAL); /* a pedal burst's end (§7.13) */
    else guard_sync();
  }
}

/* ---- the debounced pedal (BoardGuard.debouncePedal, SimBoard.onPedal; docs/protocol.md §7.13) ---- */

/* The contacts read pressed (NO closed, NC open) or released (the reverse); agreeing contacts are neither and hold the
 * debounced state. It changes once they have read the other side continuously for pedalSettleUs, as seen by the
 * main-loop passes (each reads them once). A change sends STATUS; a press fires in PEDAL and counts as unfired
 * anywhere else; a release ends a pedal burst. Every pass takes only the test below while the contacts agree with
 * the debounced pedal (a scheduled session holds it down throughout); the rest is out of line, so a scheduled
 * session's passes gain only that test. */
static void __attribute__((noinline)) pedal_other_side(uint8_t pressed) {
  /* when the contacts were read, not the pass's start: a pass during a burst can take milliseconds */
  uint32_t t_us = hal_now_us();
  uint8_t releasing;
  if (!pedal.other) {
    pedal.other = 1;
    pedal.since_us = t_us;
    return;
  }
  if (t_us - pedal.since_us < SMP_PEDAL_SETTLE_US) return;
  pedal.down = pressed;
  pedal.other = 0;
  releasing = !pressed && state == SMP_STATE_PEDAL_BURST && burst.active;
  /* a release in strokes parks the actuator before anything else: the STATUS below takes the main loop some
   * milliseconds to encode during a burst (the depth forecast and the guard interrupts take most of the CPU then) */
  if (releasing && burst.phase == PHASE_STROKES) burst_release();
  send_status(); /* the debounced pedal is STATUS inputs bit 1; then what the change does, as SimBoard.onPedal */
  if (!pressed) { /* a release: no more repeats of this press; a pedal burst in spin-up ends now */
    fire_held = 0;
    if (releasing) burst_release();
  } else if (state == SMP_STATE_PEDAL && !burst.active) {
    fire_pedal(0);
  } else {
    unfired_presses++;
  }
}

static inline void pedal_step(void) {
  uint8_t side = hal_pedal_side();
  if (side == HAL_PEDAL_NEITHER || (side == HAL_PEDAL_PRESSED) == pedal.down) pedal.other = 0;
  else pedal_other_side(side == HAL_PEDAL_PRESSED);
}

/* Held pedal, a repeat interval armed, in PEDAL (the previous burst ended): repeatMs since that burst fired. Not with
 * a DISARM pending, which takes the board to IDLE once the burst has ended. */
static void pedal_repeat(void) {
  if (fire_held && dots.armed.repeat_ms && !disarm_pending && !burst.active &&
      now_us - fire_us >= (uint32_t)dots.armed.repeat_ms * 1000u)
    fire_pedal(1);
}

/* ---- the main-loop step (SimBoard.mainLoop) ---- */

/* One step of SimBoard.mainLoop. The continuous checks of BoardGuard.step (pedal contacts, lease, e-stop,
 * cartridge, pedal released, sensor rail and hard extension, current, actuator feedback vs setpoint) and the
 * stall and on-time checks of BurstRunner.step run in the guard every 200 us from the tick interrupt, which
 * switches everything off at once and queues the alarm for latch_at(). */
static void step(void) {
  hal_edge e;
  take_now();
  smp_edge_age(&last_edge, now_us); /* before the edges: every edge taken so far is older than now_us */
  while (hal_edge_pop(&e)) on_edge(&e);
  if (burst.active) run_burst();
  pedal_step();
  if (state == SMP_STATE_ARMED && !burst.active) start_next_burst();
  if (state == SMP_STATE_PEDAL) pedal_repeat();
  maybe_disarm();
  check_parked();
  if (smp_tick_diff(now_us, next_status_us) >= 0) send_status();
}

/* ---- power-up (SimBoard.powerUp) ---- */

/* The alarm each BOOT.resetCause latches (RESET_CAUSES): only a clean power-on is POWER_UP. */
static const uint8_t RESET_ALARMS[SMP_RESET_COUNT] SMP_PROGMEM = SMP_RESET_ALARMS_INIT;

/* Not inlined: its EEPROM buffer would otherwise stay on main's stack frame for good, under every deeper call
 * and the guard interrupt's depth forecast on top of them (2 KB of RAM). */
static void __attribute__((noinline)) power_up(void) {
  uint8_t bytes[SMP_EE_CONFIG_BYTES];
  smp_value v[SMP_MSG_BOOT_NFIELDS];
  uint32_t t0;
  uint8_t cause;
  hal_init(); /* drive off, actuator parked, watchdog on */
  cause = hal_reset_cause();
  hal_eeprom_read(SMP_EE_CONFIG_ADDR, bytes, sizeof bytes);
  cfg_ok = smp_config_unpack(bytes, &cfg) == SMP_CFG_OK;
  /* in ALARM since reset: the reset cause's alarm, or CONFIG_INVALID when the compiled-in defaults are in force */
  alarm_code = cfg_ok ? smp_pgm_byte(&RESET_ALARMS[cause]) : SMP_ALARM_CONFIG_INVALID;
  needle_over = smp_needle_over_count(&cfg.limits, &cfg.cal);
  current_over = smp_current_over_count(&cfg.limits, &cfg.cal);
  guard_sync(); /* state ALARM: the guard only watches the pedal contacts */
  hal_wdt_feed();
  boot_id = hal_boot_count_next();
  hal_wdt_feed();
  t0 = hal_now_us();
  while (!hal_adc_ready() && hal_now_us() - t0 < 5000u) {
  } /* first samples of every channel, so the first STATUS reports parked truthfully */
  /* the debounced pedal starts as the contacts first read (their pull-ups have long settled by now), released if
   * they agree; no event (§7.13) */
  pedal.down = hal_pedal_side() == HAL_PEDAL_PRESSED;
  smp_asm_init(&rx_asm);
  hal_led(1);
  take_now();
  smp_edge_init(&last_edge, now_us);
  last_period_us = SMP_PERIOD_UNKNOWN;
  v[SMP_F_BOOT_BOOT_ID].u = boot_id;
  v[SMP_F_BOOT_RESET_CAUSE].u = cause;
  send_line_break(); /* a reset may have cut a frame short on the wire: end that line before BOOT */
  send(SMP_M_BOOT, v);
  send_status();
}

int main(void) {
  power_up();
  for (;;) {
    hal_wdt_feed(); /* the only place the watchdog is fed */
    drain_rx();
    step();
  }
}
