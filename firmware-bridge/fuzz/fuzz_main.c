/* fuzz_main.c - libFuzzer target: the firmware's main loop (src/main.c, compiled unchanged) over the stub
 * hardware layer (hal_stub.c). The input chooses the EEPROM record, the reset cause and the clock's start (near
 * its wrap or not), then a stream of operations, one per main-loop iteration: raw bytes on the serial line,
 * well-formed host commands (any sequence number, fields near the board's own tick and limits; PEDAL settings with
 * repeat intervals at and around their bounds), time steps, tachometer edges, ADC readings, the e-stop / pedal /
 * cartridge inputs (and pedal presses and releases), and interrupts that land in the middle of a main-loop step.
 * Every iteration, and every frame the board sends, is checked against the board's invariants (docs/protocol.md
 * sections 7 and 7.13); a violation is abort(), which libFuzzer reports as a crash.
 *
 * Each input starts from a freshly reset firmware: under clang, main.c's static variables are placed in two
 * sections of their own (#pragma clang section) and restored from a snapshot before every input; under another
 * compiler (the replay build) each input runs in a process of its own (replay.c). */
#include <setjmp.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eeprom_config.h"
#include "hal_stub.h"

/* ---- the firmware, with main() renamed and its static state in sections the harness can restore ---- */
#if defined(__clang__)
#pragma clang section bss = "smp_main_bss" data = "smp_main_data"
#endif
#define main smp_firmware_main
#include "../src/main.c"
#undef main
#if defined(__clang__)
#pragma clang section bss = "" data = ""
#endif

#if defined(__clang__)
extern char __start_smp_main_data[], __stop_smp_main_data[], __start_smp_main_bss[], __stop_smp_main_bss[];
static char snapshot[8192];
/* The sections hold ASan's redzones between the variables: copy them as plain bytes, without the checks. */
__attribute__((no_sanitize("address"))) static void copy_raw(volatile char *dst, const volatile char *src, size_t n) {
  while (n--) *dst++ = *src++;
}
__attribute__((no_sanitize("address"))) static void zero_raw(volatile char *dst, size_t n) {
  while (n--) *dst++ = 0;
}
static void firmware_state_reset(void) {
  static int taken;
  size_t n = (size_t)(__stop_smp_main_data - __start_smp_main_data);
  if (n > sizeof snapshot) abort(); /* main.c grew: enlarge the snapshot */
  if (!taken) {
    copy_raw(snapshot, __start_smp_main_data, n); /* before the first input: main.c's initial values */
    taken = 1;
  } else {
    copy_raw(__start_smp_main_data, snapshot, n);
  }
  zero_raw(__start_smp_main_bss, (size_t)(__stop_smp_main_bss - __start_smp_main_bss));
}
#else
static void firmware_state_reset(void) {
  static int runs;
  if (runs++) abort(); /* no snapshot without clang: one input per process (replay.c forks) */
}
#endif

/* ---- the input ---- */

static const uint8_t *in_p;
static size_t in_n;
static jmp_buf input_done;

static uint8_t take(void) {
  if (in_n == 0) longjmp(input_done, 1);
  in_n--;
  return *in_p++;
}
static uint16_t take16(void) {
  uint16_t hi = take();
  return (uint16_t)(hi << 8 | take());
}

/* ---- what the host side of the wire has seen ---- */

static struct {
  uint8_t state, alarm;    /* the latest STATUS (the board powers up in ALARM) */
  uint8_t config_ok;       /* the EEPROM record was valid */
  smp_config cfg;          /* what the board should be running on */
  uint16_t tx_seq_next;    /* the harness's next command sequence number */
  uint32_t dot_next;       /* the harness's next dot number */
  uint32_t acked_dots[16]; /* DOTs acknowledged since the last HELLO (the latest 16) */
  uint8_t acked_n;
  uint8_t dotend_seen;
  uint32_t dotend_last;    /* DOTEND numbers rise between HELLOs: no dot fires twice */
  uint32_t adc0_set_us;    /* when ADC0 last changed */
  uint8_t have_rx_seq;     /* the board's sequence-number rule (docs/protocol.md), mirrored: */
  uint16_t rx_seq;         /* the last command sequence number it accepted */
  uint8_t line_dup;        /* the line in hand repeats the last accepted command: its answer is a replay */
  uint32_t frames;
  uint8_t have_last_dot;   /* the board's last accepted dot number (DOTs acknowledged, FIREs), since HELLO */
  uint32_t last_dot;
  uint8_t pedal_acked;     /* a PEDAL was acknowledged: its settings are armed */
  uint32_t arm_id;         /* ... its armId and repeatMs */
  uint32_t repeat_ms;
  uint8_t last_msg;        /* the message id of the board's previous frame (0, HELLO: none yet) */
  uint8_t expect_fire;     /* the previous frame was the STATUS of PEDAL -> PEDAL_BURST: FIRE must follow */
  uint8_t status_seen;
  uint32_t unfired;        /* STATUS unfiredPresses, last seen */
  uint8_t pins_side;       /* which side the pedal contacts read (HAL_PEDAL_*) and since when */
  uint32_t side_since_us;
  uint8_t fired;           /* a FIRE since power-up: last_fire_us is valid */
  uint32_t last_fire_us;
  uint8_t released_since_fire; /* a main-loop pass saw the contacts released for the whole settle time since */
  uint32_t pass_us;        /* when the latest main-loop pass ran (the top of the iteration: before its operation) */
  uint8_t estop_at_pass;   /* the e-stop input as this pass began (after the operation) */
  uint8_t estop_was, cartridge_was; /* the e-stop input and the cartridge switch at the previous check, and since */
  uint32_t estop_since_us, cartridge_since_us; /* when they last changed (as the checks saw them) */
  uint32_t live_since_us;  /* when the board last entered a state with a lease running (its STATUS) */
} host;

static uint8_t pins_side(void) {
  if (fuzz_hal.pedal_no == fuzz_hal.pedal_nc) return HAL_PEDAL_NEITHER;
  return fuzz_hal.pedal_no ? HAL_PEDAL_PRESSED : HAL_PEDAL_RELEASED;
}

/* The pedal contacts are set: note when they came to read the side they read now. */
static void note_pins(void) {
  uint8_t side = pins_side();
  if (side != host.pins_side) {
    host.pins_side = side;
    host.side_since_us = fuzz_hal.us;
  }
}

/* The contacts had read this side continuously for the whole settle time (pedalSettleUs) at t_us: a main-loop pass
 * at t_us had the debounced pedal on that side. (A pass sees every setting of the contacts: the harness changes them
 * only in an operation, and the pass after it runs at the same moment, as time moves only in operations.) */
static uint8_t settled_at(uint8_t side, uint32_t t_us) {
  return host.pins_side == side && smp_tick_diff(t_us, host.side_since_us) >= (int32_t)SMP_PEDAL_SETTLE_US;
}
static uint8_t settled(uint8_t side) { return settled_at(side, fuzz_hal.us); }

static uint8_t line_is(uint8_t msg, smp_frame *fr) {
  return fuzz_hal.line_len > 0 && smp_decode(fuzz_hal.line, fuzz_hal.line_len, fr) == SMP_DEC_OK && fr->msg == msg;
}

static uint8_t dot_was_acked(uint32_t dot) {
  uint8_t i;
  for (i = 0; i < host.acked_n && i < 16u; i++)
    if (host.acked_dots[i] == dot) return 1;
  return host.acked_n > 16u; /* lost track of older ones: no judgement */
}

static uint8_t legal_transition(uint8_t from, uint8_t to) {
  if (to == SMP_STATE_ALARM) return 1;
  switch (from) {
    case SMP_STATE_ALARM: return to == SMP_STATE_IDLE;
    case SMP_STATE_IDLE: return to == SMP_STATE_ARMED || to == SMP_STATE_PEDAL;
    case SMP_STATE_ARMED: return to == SMP_STATE_BURST || to == SMP_STATE_IDLE;
    case SMP_STATE_BURST: return to == SMP_STATE_ARMED;
    case SMP_STATE_PEDAL: return to == SMP_STATE_PEDAL_BURST || to == SMP_STATE_IDLE;
    case SMP_STATE_PEDAL_BURST: return to == SMP_STATE_PEDAL;
    default: return 0;
  }
}

/* The board gave (ACK of a DOT) or took (FIRE) this dot number: the last accepted one now. */
static void note_dot(uint32_t dot) {
  host.acked_dots[host.acked_n % 16u] = dot;
  if (host.acked_n <= 16u) host.acked_n++;
  host.have_last_dot = 1;
  host.last_dot = dot;
}

/* Every line the board takes, before it acts on it: is it a retransmission (answered with the last response,
 * not executed)? */
void fuzz_on_rx_line(const char *line, uint16_t len) {
  smp_frame fr;
  host.line_dup = 0;
  if (smp_decode(line, len, &fr) != SMP_DEC_OK || fr.msg >= SMP_M_HOST_COUNT) return;
  if (fr.msg != SMP_M_HELLO) {
    if (!host.have_rx_seq) return;
    if (fr.seq == host.rx_seq) {
      host.line_dup = 1;
      return;
    }
    if (fr.seq != (uint16_t)(host.rx_seq + 1u)) return;
  }
  host.have_rx_seq = 1;
  host.rx_seq = fr.seq;
}

/* Every frame the board transmits. */
void fuzz_on_tx(const uint8_t *bytes, uint16_t len) {
  smp_frame fr, cmd;
  if (len == 1 && bytes[0] == '\n') return; /* the line break before BOOT */
  /* the board only ever sends frames a host can decode */
  if (smp_decode((const char *)bytes, len, &fr) != SMP_DEC_OK || fr.msg < SMP_M_HOST_COUNT) abort();
  host.frames++;
  {
    uint8_t fire_due = host.expect_fire;
    host.expect_fire = 0;
    /* a move from PEDAL to PEDAL_BURST is a pedal burst: its FIRE is the very next frame, and a FIRE comes only so */
    if (fire_due != (fr.msg == SMP_M_FIRE)) abort();
  }
#ifdef FUZZ_TRACE /* -DFUZZ_TRACE: every frame the board sends, with the board time, on stderr */
  fprintf(stderr, "%10lu us  %.*s", (unsigned long)fuzz_hal.us, (int)len, (const char *)bytes);
#endif
  switch (fr.msg) {
    case SMP_M_STATUS: {
      uint8_t to = (uint8_t)fr.v[SMP_F_STATUS_STATE].u;
      if (fr.v[SMP_F_STATUS_STATE].u >= SMP_STATE_COUNT || fr.v[SMP_F_STATUS_CREDIT].u > SMP_QUEUE_SLOTS ||
          fr.v[SMP_F_STATUS_PARKED].u > 1u)
        abort();
      if (!legal_transition(host.state, to) && to != host.state) abort();
      /* a latched alarm clears only by an UNLOCK, and keeps its first code until then */
      if (host.state == SMP_STATE_ALARM && to != SMP_STATE_ALARM && (!line_is(SMP_M_UNLOCK, &cmd) || host.line_dup))
        abort();
      if (host.state == SMP_STATE_IDLE && to == SMP_STATE_ARMED && (!line_is(SMP_M_ARM, &cmd) || host.line_dup))
        abort();
      if (host.state == SMP_STATE_IDLE && to == SMP_STATE_PEDAL && (!line_is(SMP_M_PEDAL, &cmd) || host.line_dup))
        abort();
      /* a burst ends with its DOTEND, right before the STATUS that says so */
      if ((to == SMP_STATE_ARMED && host.state == SMP_STATE_BURST) ||
          (to == SMP_STATE_PEDAL && host.state == SMP_STATE_PEDAL_BURST)) {
        if (host.last_msg != SMP_M_DOTEND) abort();
      }
      /* ARMED or PEDAL to IDLE: a DISARM (pending from a burst, or the line in hand) */
      if ((host.state == SMP_STATE_ARMED || host.state == SMP_STATE_PEDAL) && to == SMP_STATE_IDLE &&
          host.last_msg != SMP_M_STATUS && (!line_is(SMP_M_DISARM, &cmd) || host.line_dup))
        abort();
      /* STATUS inputs: the cartridge switch and the e-stop input as they are (the e-stop input may have gone active
       * in an interrupt during this pass, after the board read it); nothing else set */
      if ((fr.v[SMP_F_STATUS_INPUTS].u & ~7u) != 0 || ((fr.v[SMP_F_STATUS_INPUTS].u >> 1) & 1u) != fuzz_hal.cartridge ||
          (((fr.v[SMP_F_STATUS_INPUTS].u >> 2) & 1u) != fuzz_hal.estop &&
           ((fr.v[SMP_F_STATUS_INPUTS].u >> 2) & 1u) != host.estop_at_pass))
        abort();
      /* the debounced pedal: once the contacts have read one side for the settle time, as of the latest pass (this
       * frame may come from a command handled before this pass's debounce), it is on that side */
      if ((fr.v[SMP_F_STATUS_INPUTS].u & 1u) ? settled_at(HAL_PEDAL_RELEASED, host.pass_us)
                                              : settled_at(HAL_PEDAL_PRESSED, host.pass_us))
        abort();
      /* unfiredPresses only grows, by at most one between two STATUS (a press sends STATUS before it counts), and
       * restarts at HELLO (INFO) */
      if (host.status_seen && fr.v[SMP_F_STATUS_UNFIRED_PRESSES].u != host.unfired &&
          fr.v[SMP_F_STATUS_UNFIRED_PRESSES].u != host.unfired + 1u)
        abort();
      host.status_seen = 1;
      /* releasing the pedal is the normal end of a pedal dot, never an alarm (the dead-man rule is ARMED/BURST's) */
      if (to == SMP_STATE_ALARM && fr.v[SMP_F_STATUS_ALARM].u == SMP_ALARM_PEDAL_RELEASED &&
          (host.state == SMP_STATE_PEDAL || host.state == SMP_STATE_PEDAL_BURST))
        abort();
      /* a latch, or arming from IDLE, forgets the press held: no repeat without a new press */
      if (to == SMP_STATE_ALARM || (host.state == SMP_STATE_IDLE && to == SMP_STATE_PEDAL)) host.fired = 0;
      host.unfired = fr.v[SMP_F_STATUS_UNFIRED_PRESSES].u;
      if (to == SMP_STATE_ALARM && fr.v[SMP_F_STATUS_ALARM].u == 0) abort();
      if (to != SMP_STATE_ALARM && fr.v[SMP_F_STATUS_ALARM].u != 0) abort();
      if (host.state == SMP_STATE_ALARM && to == SMP_STATE_ALARM && fr.v[SMP_F_STATUS_ALARM].u != host.alarm &&
          host.alarm != 0)
        abort();
      /* a board on the compiled-in defaults never leaves ALARM */
      if (!host.config_ok && to != SMP_STATE_ALARM) abort();
      host.expect_fire = host.state == SMP_STATE_PEDAL && to == SMP_STATE_PEDAL_BURST;
      if (smp_state_live(to) && !smp_state_live(host.state)) host.live_since_us = fuzz_hal.us;
      host.state = to;
      host.alarm = (uint8_t)fr.v[SMP_F_STATUS_ALARM].u;
      break;
    }
    case SMP_M_ALARM: /* sent once the needle is parked */
      if (fuzz_hal.drive_on || fuzz_hal.act_ocr != 0) abort();
      break;
    case SMP_M_INFO: /* HELLO executed: dot numbers start again, and the count of unfired presses */
      host.acked_n = 0;
      host.dotend_seen = 0;
      host.have_last_dot = 0;
      host.unfired = 0;
      if (fr.v[SMP_F_INFO_HARD_MAX_EXTENSION_UM].u != host.cfg.limits.extension_um ||
          fr.v[SMP_F_INFO_HARD_MAX_EXTENSION_UM].u > SMP_ABS_MAX_EXTENSION_UM)
        abort();
      break;
    case SMP_M_ACK:
      if (line_is(SMP_M_PEDAL, &cmd) && cmd.seq == fr.v[SMP_F_ACK_ACK_SEQ].u && !host.line_dup) {
        uint32_t r = cmd.v[SMP_F_PEDAL_REPEAT_MS].u;
        /* accepted pedal settings are within every hard limit, and the repeat within its bounds */
        if (smp_lim_dot_beyond(&host.cfg.limits, cmd.v[SMP_F_PEDAL_EXTENSION_UM].u, cmd.v[SMP_F_PEDAL_STROKE_HZ].u,
                               cmd.v[SMP_F_PEDAL_DUTY_PERMILLE].u, cmd.v[SMP_F_PEDAL_STROKES].u) ||
            cmd.v[SMP_F_PEDAL_EXTENSION_UM].u > host.cfg.limits.extension_um ||
            (r != 0 && (r < SMP_PEDAL_REPEAT_MIN_MS || r > SMP_PEDAL_REPEAT_MAX_MS)))
          abort();
        host.pedal_acked = 1;
        host.arm_id = cmd.v[SMP_F_PEDAL_ARM_ID].u;
        host.repeat_ms = r;
      }
      if (line_is(SMP_M_DOT, &cmd) && cmd.seq == fr.v[SMP_F_ACK_ACK_SEQ].u && !host.line_dup) {
        /* DOT numbers rise above every number given so far, pedal bursts' included */
        if (host.have_last_dot && cmd.v[SMP_F_DOT_DOT].u <= host.last_dot) abort();
        note_dot(cmd.v[SMP_F_DOT_DOT].u);
        /* an accepted DOT is within every hard limit */
        if (cmd.v[SMP_F_DOT_EXTENSION_UM].u > host.cfg.limits.extension_um ||
            cmd.v[SMP_F_DOT_STROKE_HZ].u > host.cfg.limits.stroke_hz || cmd.v[SMP_F_DOT_STROKE_HZ].u == 0 ||
            cmd.v[SMP_F_DOT_STROKES].u == 0 || cmd.v[SMP_F_DOT_DUTY_PERMILLE].u > 1000u)
          abort();
      }
      break;
    case SMP_M_FIRE: {
      uint32_t dot = fr.v[SMP_F_FIRE_DOT].u;
      /* (right after the STATUS that moved the board from PEDAL to PEDAL_BURST: above) with settings armed */
      if (host.state != SMP_STATE_PEDAL_BURST || !host.pedal_acked) abort();
      /* the next dot number, the armed settings' id, the step's tick */
      if (dot != (host.have_last_dot ? host.last_dot + 1u : 1u)) abort();
      if (fr.v[SMP_F_FIRE_ARM_ID].u != host.arm_id || fr.v[SMP_F_FIRE_TICK].u != fuzz_hal.tick) abort();
      if (fr.v[SMP_F_FIRE_REPEAT].u == 0) {
        /* a press: the contacts have read pressed for the whole settle time */
        if (!settled(HAL_PEDAL_PRESSED)) abort();
      } else {
        /* a repeat: armed to, repeatMs after the previous burst fired, with no release seen since */
        if (fr.v[SMP_F_FIRE_REPEAT].u != 1u || host.repeat_ms == 0 || !host.fired || host.released_since_fire ||
            fuzz_hal.us - host.last_fire_us < host.repeat_ms * 1000u)
          abort();
      }
      note_dot(dot);
      host.fired = 1;
      host.last_fire_us = fuzz_hal.us;
      host.released_since_fire = 0;
      break;
    }
    case SMP_M_STROKE:
      if (!dot_was_acked(fr.v[SMP_F_STROKE_DOT].u)) abort();
      break;
    case SMP_M_DOTEND:
      if (!dot_was_acked(fr.v[SMP_F_DOTEND_DOT].u)) abort();
      if (host.dotend_seen && fr.v[SMP_F_DOTEND_DOT].u <= host.dotend_last) abort();
      host.dotend_seen = 1;
      host.dotend_last = fr.v[SMP_F_DOTEND_DOT].u;
      break;
    default:
      break;
  }
  host.last_msg = fr.msg;
}

/* ---- the invariants at the top of every main-loop iteration ---- */

#define GUARD_SLACK_US 300u /* the guard runs every 200 us; one tick more for where in the tick it ran */

static void check_invariants(void) {
  const smp_guard_cfg *g = &fuzz_hal.guard_cfg;
  uint8_t armed_cfg = smp_state_live(g->state); /* ARMED, BURST, PEDAL, PEDAL_BURST */
  host.pass_us = fuzz_hal.us;
  /* the pass just run saw the contacts released for the settle time: a release (or the pedal was up already) */
  if (settled(HAL_PEDAL_RELEASED)) host.released_since_fire = 1;
  if (fuzz_hal.drive_on) {
    uint32_t on_us = fuzz_hal.us - fuzz_hal.drive_on_us;
    uint32_t since_edge = fuzz_hal.last_tach_us - fuzz_hal.drive_on_us <= on_us ? fuzz_hal.us - fuzz_hal.last_tach_us
                                                                                : on_us;
    /* the drive is on only in a burst (a scheduled one or the pedal's) */
    if (!smp_state_burst(host.state) || !g->burst || g->state != host.state) abort();
    /* ... and never beyond the dwell cap, the stall window, the lease, an e-stop or a needle beyond the hard
     * maximum by more than one guard period */
    if (on_us > (uint32_t)host.cfg.limits.dwell_ms * 1000u + GUARD_SLACK_US) abort();
    if (since_edge > SMP_STALL_WINDOW_US + GUARD_SLACK_US) abort();
    /* the lease ran out at its tick, or when it was set if that tick had already passed (a KEEP may ask for one) */
    if (smp_tick_diff(fuzz_hal.tick, g->lease_tick) > 3 && smp_tick_diff(fuzz_hal.tick, fuzz_hal.lease_set_tick) > 3)
      abort();
    if (fuzz_hal.estop) abort();
    if (fuzz_hal.adc[HAL_ADC_NEEDLE] >= g->needle_over && fuzz_hal.us - host.adc0_set_us > GUARD_SLACK_US &&
        on_us > GUARD_SLACK_US)
      abort();
  }
  /* the actuator is out only with the drive on, in a burst */
  if (fuzz_hal.act_ocr != 0 && (!fuzz_hal.drive_on || !smp_state_burst(host.state))) abort();
  /* armed for the pedal, between bursts: drive off, needle parked, no burst running */
  if (host.state == SMP_STATE_PEDAL && (fuzz_hal.drive_on || fuzz_hal.act_ocr != 0 || g->burst)) abort();
  /* no pedal burst without settings armed */
  if (host.state == SMP_STATE_PEDAL_BURST && !host.pedal_acked) abort();
  /* a lease is never granted beyond hardMaxLeaseMs */
  if (armed_cfg && smp_tick_diff(g->lease_tick, fuzz_hal.tick) > (int32_t)smp_ms_to_ticks(host.cfg.limits.lease_ms))
    abort();
  /* with a lease running (ARMED, BURST, PEDAL, PEDAL_BURST), drive on or not: the lease, the e-stop input and the
   * cartridge switch latch within a guard period */
  if (fuzz_hal.estop != host.estop_was) {
    host.estop_was = fuzz_hal.estop;
    host.estop_since_us = fuzz_hal.us;
  }
  if (fuzz_hal.cartridge != host.cartridge_was) {
    host.cartridge_was = fuzz_hal.cartridge;
    host.cartridge_since_us = fuzz_hal.us;
  }
  if (smp_state_live(host.state) && armed_cfg) {
    uint32_t live_us = fuzz_hal.us - host.live_since_us;
    if (smp_tick_diff(fuzz_hal.tick, g->lease_tick) > 3 && smp_tick_diff(fuzz_hal.tick, fuzz_hal.lease_set_tick) > 3 &&
        live_us > GUARD_SLACK_US)
      abort();
    if (fuzz_hal.estop && fuzz_hal.us - host.estop_since_us > GUARD_SLACK_US && live_us > GUARD_SLACK_US) abort();
    if (!fuzz_hal.cartridge && fuzz_hal.us - host.cartridge_since_us > GUARD_SLACK_US && live_us > GUARD_SLACK_US)
      abort();
    /* ... and the needle sensor at its rail or beyond the hard maximum, between bursts too */
    if ((fuzz_hal.adc[HAL_ADC_NEEDLE] >= g->needle_over || fuzz_hal.adc[HAL_ADC_NEEDLE] >= SMP_ADC_RAIL) &&
        fuzz_hal.us - host.adc0_set_us > GUARD_SLACK_US && live_us > GUARD_SLACK_US)
      abort();
  }
  /* the LED shows ALARM */
  if (host.frames > 0 && fuzz_hal.led != (host.state == SMP_STATE_ALARM)) abort();
}

/* ---- the operations ---- */

static void send_command(void) {
  uint8_t m = (uint8_t)(take() % SMP_M_HOST_COUNT);
  uint8_t flags = take();
  smp_value v[SMP_MAX_FIELDS];
  uint8_t buf[SMP_MAX_FRAME_BYTES];
  smp_out out;
  uint16_t seq, len, i;
  memset(v, 0, sizeof v);
  switch (flags & 3u) {
    case 1: seq = (uint16_t)(host.tx_seq_next - 1u); break; /* a retransmission */
    case 2: seq = take16(); break;
    default: seq = host.tx_seq_next++; break;
  }
  switch (m) {
    case SMP_M_ARM:
    case SMP_M_KEEP:
      v[0].u = (flags & 4u) ? (uint32_t)take16() << 16 | take16() : fuzz_hal.tick + take16() % 8000u;
      break;
    case SMP_M_DOT:
      v[SMP_F_DOT_DOT].u = (flags & 8u) ? take16() : host.dot_next++;
      v[SMP_F_DOT_AT_TICK].u = fuzz_hal.tick + (uint32_t)take() * 4u - 512u; /* -512..508 ticks from now */
      v[SMP_F_DOT_EXTENSION_UM].u = take16() % 1700u;
      v[SMP_F_DOT_STROKE_HZ].u = take() % 180u;
      v[SMP_F_DOT_DUTY_PERMILLE].u = take16() % 1100u;
      v[SMP_F_DOT_STROKES].u = take() % 50u;
      v[SMP_F_DOT_LEASE_TICK].u = fuzz_hal.tick + take16() % 8000u;
      break;
    case SMP_M_PEDAL: {
      /* repeat intervals at and around their bounds, or a multiple of 10 ms up to 2.55 s */
      static const uint16_t REPEAT_MS[8] = {0u, 99u, 100u, 101u, 150u, 9999u, 10000u, 10001u};
      uint8_t r;
      v[SMP_F_PEDAL_ARM_ID].u = take();
      v[SMP_F_PEDAL_EXTENSION_UM].u = take16() % 1700u;
      v[SMP_F_PEDAL_STROKE_HZ].u = take() % 180u;
      v[SMP_F_PEDAL_DUTY_PERMILLE].u = take16() % 1100u;
      v[SMP_F_PEDAL_STROKES].u = take() % 50u;
      r = take();
      v[SMP_F_PEDAL_REPEAT_MS].u = r & 0x80u ? (uint32_t)(r & 0x7Fu) * 20u : REPEAT_MS[r & 7u];
      v[SMP_F_PEDAL_LEASE_TICK].u = fuzz_hal.tick + take16() % 8000u;
      break;
    }
    default:
      break;
  }
  out.buf = buf;
  out.mask = SMP_MAX_FRAME_BYTES - 1u;
  out.start = 0;
  len = smp_encode(&out, seq, m, v);
  if (len == 0) abort(); /* every command the harness builds can go on the wire */
  for (i = 0; i < len; i++) fuzz_hal_rx_byte(buf[i]);
}

static void operation(void) {
  static const uint32_t SCALE_US[4] = {1u, 10u, 100u, 500u};
  uint8_t op = take();
  switch (op % 9u) {
    case 0: { /* raw bytes on the line */
      uint8_t n = (uint8_t)(take() % 48u);
      while (n--) fuzz_hal_rx_byte(take());
      break;
    }
    case 1:
      send_command();
      break;
    case 2: { /* time passes */
      uint8_t v = take();
      fuzz_hal_advance_us(((uint32_t)v + 1u) * SCALE_US[op >> 6]);
      break;
    }
    case 3:
      fuzz_hal_tach_edge((uint16_t)(take16() % 1024u));
      host.adc0_set_us = fuzz_hal.us;
      break;
    case 4: { /* an ADC reading; ADC1 = 0xFFFF: the actuator feedback follows its setpoint again */
      uint8_t ch = (uint8_t)(take() % 3u);
      uint16_t count = take16();
      if (ch == HAL_ADC_ACTUATOR && count >= 0xF000u) {
        fuzz_hal.act_follow = 1;
        break;
      }
      fuzz_hal_set_adc(ch, (uint16_t)(count % 1024u));
      if (ch == HAL_ADC_NEEDLE) host.adc0_set_us = fuzz_hal.us;
      break;
    }
    case 5: { /* the inputs: bit 0 e-stop, 1 NO closed, 2 NC closed, 3 cartridge out */
      uint8_t b = take();
      fuzz_hal_set_pins(b & 1u, (b >> 1) & 1u, (b >> 2) & 1u, !((b >> 3) & 1u));
      note_pins();
      break;
    }
    case 6: { /* an interrupt in the middle of the coming main-loop step */
      uint8_t kind = (uint8_t)(1u + take() % (FUZZ_IRQ_KINDS - 1u));
      fuzz_hal_irq_at(kind, (uint16_t)(1u + take()));
      break;
    }
    case 7: /* the operator presses the pedal (NO closed, NC open), or with bit 4 of op releases it (the reverse) */
      if ((op >> 4) & 1u) fuzz_hal_set_pins(fuzz_hal.estop, 0, 1, fuzz_hal.cartridge);
      else fuzz_hal_set_pins(fuzz_hal.estop, 1, 0, fuzz_hal.cartridge);
      note_pins();
      break;
    default: /* a quiet step of a few ms */
      fuzz_hal_advance_us(1000u + (uint32_t)(op >> 4) * 500u);
      break;
  }
}

void fuzz_loop_hook(void) {
  check_invariants();
  operation();
  host.estop_at_pass = fuzz_hal.estop;
}

/* ---- the input's header: EEPROM record, reset cause, clock start ---- */

static void setup_board(void) {
  uint8_t b = in_n ? take() : 0u;
  uint8_t kind = b & 3u, clock = (uint8_t)(b >> 4);
  uint32_t tick0 = clock ? 0u - (uint32_t)clock * 7919u : 0u;
  uint32_t us0 = clock ? 0u - (uint32_t)clock * 1000003u : 0u;
  smp_config c;
  fuzz_hal_reset(tick0, us0);
  host.pins_side = HAL_PEDAL_RELEASED; /* the stub's pedal starts up: NC closed, NO open */
  host.side_since_us = us0;
  host.pass_us = us0;
  host.cartridge_was = 1; /* the stub's cartridge starts in, the e-stop input released */
  host.estop_since_us = us0;
  host.cartridge_since_us = us0;
  fuzz_hal.reset_cause = (uint8_t)((b >> 2) & 3u);
  if (kind == 1u) smp_config_defaults_coil(&c);
  else smp_config_defaults(&c);
  if (kind == 3u) { /* limits from the input: the record is what validation lets through, or it is refused */
    c.limits.extension_um = take16();
    c.limits.stroke_hz = take16();
    c.limits.dwell_ms = take16();
    c.limits.lease_ms = take16();
  }
  smp_config_pack(&c, fuzz_hal.eeprom + SMP_EE_CONFIG_ADDR);
  if (kind == 2u) fuzz_hal.eeprom[SMP_EE_CONFIG_ADDR + SMP_EE_CONFIG_BYTES - 1u] ^= 0x5Au;
  host.config_ok = smp_config_unpack(fuzz_hal.eeprom + SMP_EE_CONFIG_ADDR, &host.cfg) == SMP_CFG_OK;
  fuzz_hal.adc[HAL_ADC_NEEDLE] = 0;
  fuzz_hal.adc[HAL_ADC_CURRENT] = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  firmware_state_reset();
  memset(&host, 0, sizeof host);
  host.state = SMP_STATE_ALARM;
  host.dot_next = 1;
  in_p = data;
  in_n = size;
  if (setjmp(input_done) == 0) {
    setup_board();
    smp_firmware_main();
  }
  return 0;
}
