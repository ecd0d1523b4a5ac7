/* hal_stub.c - hal.h on the host, for the fuzz harnesses (fuzz_main.c runs src/main.c over it): no AVR
 * registers, every input set by the harness (hal_stub.h), time virtual. The interrupt paths follow hal.c
 * step for step: the receive interrupt acts on the priority bytes, INT0 on the e-stop input, the guard runs
 * smp_guard_step and smp_lim_actuator_track every second tick and switches everything off before it posts
 * its alarm, the depth forecast judges every needle sample of a burst, events keep their place among the received
 * bytes, and the drive and the actuator refuse to go on while an event is pending or the e-stop input is active. */
#include "hal_stub.h"

#include <stdlib.h>
#include <string.h>

#include "protocol.h"

#define RX_SIZE 256u
#define EV_SLOTS 4u
#define EDGE_SLOTS 4u

fuzz_hal_state fuzz_hal;

static uint8_t rx_ring[RX_SIZE];
static uint8_t rx_head, rx_tail;
static struct {
  uint8_t code, pos;
  uint32_t tick, us;
} ev_q[EV_SLOTS];
static uint8_t ev_n, ev_tail, ev_lost;
static hal_edge edge_q[EDGE_SLOTS];
static uint8_t edge_head, edge_tail;
static uint8_t tx_ring[HAL_TX_MASK + 1u];
static uint16_t tx_head;
static uint8_t irq_kind;
static uint16_t irq_countdown;
static uint32_t boot_count;

void fuzz_hal_reset(uint32_t tick, uint32_t us) {
  memset(&fuzz_hal, 0, sizeof fuzz_hal);
  fuzz_hal.tick = tick;
  fuzz_hal.us = us;
  fuzz_hal.last_tach_us = us;
  fuzz_hal.act_follow = 1;
  fuzz_hal.pedal_nc = 1; /* pedal up: NC closed, NO open */
  fuzz_hal.cartridge = 1;
  fuzz_hal.win_min = 0xFFFFu;
  fuzz_hal.guard_cfg.state = SMP_STATE_ALARM;
  memset(fuzz_hal.eeprom, 0xFF, sizeof fuzz_hal.eeprom);
  smp_asm_init(&fuzz_hal.rx_mirror);
  rx_head = rx_tail = 0;
  ev_n = ev_tail = ev_lost = 0;
  edge_head = edge_tail = 0;
  tx_head = 0;
  irq_kind = FUZZ_IRQ_NONE;
  irq_countdown = 0;
  boot_count = 0;
}

/* ---- ADC: the actuator feedback of a healthy actuator follows its setpoint ---- */

static uint16_t adc_now(uint8_t ch) {
  if (ch == HAL_ADC_ACTUATOR && fuzz_hal.act_follow) {
    const smp_calibration *c = fuzz_hal.guard_cfg.cal;
    uint32_t per = c && c->act_nm_per_count ? c->act_nm_per_count : SMP_WIRING_ACTUATOR_FEEDBACK_NM_PER_COUNT;
    int32_t zero = c ? (int32_t)c->act_zero_count : SMP_WIRING_ACTUATOR_FEEDBACK_ZERO_COUNT;
    int32_t count = zero + (int32_t)smp_act_ocr_to_um(fuzz_hal.act_ocr) * 1000 / (int32_t)per;
    if (count < 0) count = 0;
    if (count > (int32_t)SMP_ADC_RAIL) count = (int32_t)SMP_ADC_RAIL;
    return (uint16_t)count;
  }
  return fuzz_hal.adc[ch];
}

/* ---- the interrupt paths ---- */

static void safe_off(void) {
  fuzz_hal.drive_on = 0;
  fuzz_hal.act_ocr = 0;
  fuzz_hal.retract_left = 0;
}

static uint8_t inhibited(void) { return ev_n != 0 || ev_lost != 0 || fuzz_hal.estop; }

static void post_event(uint8_t code) {
  uint8_t pos = rx_head;
  if (ev_n > 0) {
    uint8_t last = (uint8_t)((ev_tail + ev_n - 1u) % EV_SLOTS);
    if (ev_q[last].code == code && ev_q[last].pos == pos) return;
  }
  if (ev_n < EV_SLOTS) {
    uint8_t slot = (uint8_t)((ev_tail + ev_n) % EV_SLOTS);
    ev_q[slot].code = code;
    ev_q[slot].pos = pos;
    ev_q[slot].tick = fuzz_hal.tick;
    ev_q[slot].us = fuzz_hal.us;
    ev_n++;
  } else if (!ev_lost) {
    ev_lost = code;
  }
}

static void isr_rx(uint8_t b) {
  if (b == SMP_PRIO_STOP || b == SMP_PRIO_ESTOP) {
    safe_off();
    post_event(b == SMP_PRIO_STOP ? SMP_ALARM_STOP : SMP_ALARM_ESTOP);
    return;
  }
  if ((uint8_t)(rx_head + 1u) != rx_tail) rx_ring[rx_head++] = b; /* else: ring full, the byte is lost */
}

static void isr_int0(void) {
  if (fuzz_hal.estop) {
    safe_off();
    post_event(SMP_ALARM_ESTOP);
  }
}

static void isr_tach(uint16_t bdc) {
  fuzz_hal.last_tach_us = fuzz_hal.us;
  /* the bottom-dead-centre sample is an ADC0 conversion like any other: it belongs to the window it closes */
  if (bdc < fuzz_hal.win_min) fuzz_hal.win_min = bdc;
  if (bdc > fuzz_hal.win_max) fuzz_hal.win_max = bdc;
  if ((uint8_t)(edge_head - edge_tail) < EDGE_SLOTS) {
    hal_edge *e = &edge_q[edge_head % EDGE_SLOTS];
    e->t_us = fuzz_hal.us;
    e->bdc = bdc;
    e->win_min = fuzz_hal.win_min;
    e->win_max = fuzz_hal.win_max;
    e->win_peak = fuzz_hal.win_peak;
    edge_head++;
    /* the burst's last puncture parks the actuator in this interrupt (hal.c: the ADC interrupt's BDC sample) */
    if (fuzz_hal.retract_left && bdc > fuzz_hal.retract_floor && bdc < SMP_ADC_RAIL && --fuzz_hal.retract_left == 0)
      fuzz_hal.act_ocr = 0;
  }
  fuzz_hal.adc[HAL_ADC_NEEDLE] = bdc;
  if (bdc > fuzz_hal.chk_max0) fuzz_hal.chk_max0 = bdc;
  fuzz_hal.win_min = 0xFFFFu;
  fuzz_hal.win_max = 0;
  fuzz_hal.win_peak = 0;
}

static void isr_guard(void) {
  smp_guard_in in;
  uint8_t code, act_fault;
  memset(&in, 0, sizeof in);
  fuzz_hal.guard_steps++;
  in.tick = fuzz_hal.tick;
  in.now_us = fuzz_hal.us;
  in.last_edge_us = fuzz_hal.last_tach_us;
  in.needle_max = fuzz_hal.chk_max0;
  in.current_max = fuzz_hal.chk_max2;
  fuzz_hal.chk_max0 = adc_now(HAL_ADC_NEEDLE);
  fuzz_hal.chk_max2 = adc_now(HAL_ADC_CURRENT);
  in.estop = fuzz_hal.estop;
  in.pedal_no = fuzz_hal.pedal_no;
  in.pedal_nc = fuzz_hal.pedal_nc;
  in.cartridge = fuzz_hal.cartridge;
  in.drive_on = fuzz_hal.drive_on;
  code = smp_guard_step(&fuzz_hal.guard_cfg, &fuzz_hal.guard_pedal, &in);
  act_fault = fuzz_hal.guard_cfg.cal ? smp_lim_actuator_track(&fuzz_hal.guard_act, fuzz_hal.guard_cfg.cal,
                                                              adc_now(HAL_ADC_ACTUATOR), fuzz_hal.act_ocr, in.now_us)
                                     : 0u;
  if (!code && act_fault && fuzz_hal.guard_cfg.state != SMP_STATE_ALARM) code = SMP_ALARM_ACTUATOR_FAULT;
  if (code && !fuzz_hal.guard_posted) {
    safe_off();
    post_event(code);
    fuzz_hal.guard_posted = 1;
  }
}

/* The depth forecast on a needle sample of a burst (hal.c: ADC_vect, then EE_READY_vect). */
static void isr_depth(uint16_t count) {
  if (!fuzz_hal.depth_on) return;
  if (smp_depth_over(&fuzz_hal.depth_watch, fuzz_hal.guard_cfg.cal, &fuzz_hal.depth_cam, count, fuzz_hal.us,
                     adc_now(HAL_ADC_ACTUATOR), smp_act_ocr_to_um(fuzz_hal.act_ocr)) &&
      !fuzz_hal.guard_posted) {
    safe_off();
    post_event(SMP_ALARM_OVER_EXTENSION);
    fuzz_hal.guard_posted = 1;
  }
}

/* A scheduled interrupt fires at the entry of the n-th hal_* call: between two statements of the main loop. */
static void irq_point(void) {
  fuzz_hal.hal_calls++;
  if (irq_countdown == 0 || --irq_countdown != 0) return;
  switch (irq_kind) {
    case FUZZ_IRQ_RX_STOP: isr_rx(SMP_PRIO_STOP); break;
    case FUZZ_IRQ_RX_ESTOP: isr_rx(SMP_PRIO_ESTOP); break;
    case FUZZ_IRQ_ESTOP_PIN:
      fuzz_hal.estop = 1;
      isr_int0();
      break;
    case FUZZ_IRQ_GUARD: isr_guard(); break;
    case FUZZ_IRQ_TACH: isr_tach(fuzz_hal.adc[HAL_ADC_NEEDLE]); break;
    default: break;
  }
  irq_kind = FUZZ_IRQ_NONE;
}

/* ---- the harness's controls ---- */

void fuzz_hal_advance_us(uint32_t dt_us) {
  while (dt_us > 0) {
    uint32_t to_tick = SMP_US_PER_TICK - (uint32_t)(fuzz_hal.us % SMP_US_PER_TICK);
    uint32_t step = dt_us < to_tick ? dt_us : to_tick;
    fuzz_hal.us += step;
    dt_us -= step;
    if (fuzz_hal.us % SMP_US_PER_TICK == 0) {
      fuzz_hal.tick++;
      if ((fuzz_hal.tick & 1u) == 0) isr_guard();
    }
  }
}

void fuzz_hal_rx_byte(uint8_t b) { isr_rx(b); }

void fuzz_hal_tach_edge(uint16_t bdc) { isr_tach(bdc); }

void fuzz_hal_set_adc(uint8_t channel, uint16_t count) {
  if (channel > HAL_ADC_CURRENT) return;
  fuzz_hal.adc[channel] = count;
  if (channel == HAL_ADC_NEEDLE) {
    if (count < fuzz_hal.win_min) fuzz_hal.win_min = count;
    if (count > fuzz_hal.win_max) fuzz_hal.win_max = count;
    if (count > fuzz_hal.chk_max0) fuzz_hal.chk_max0 = count;
    isr_depth(count);
  } else if (channel == HAL_ADC_CURRENT) {
    if (count > fuzz_hal.win_peak) fuzz_hal.win_peak = count;
    if (count > fuzz_hal.chk_max2) fuzz_hal.chk_max2 = count;
  } else {
    fuzz_hal.act_follow = 0;
  }
}

void fuzz_hal_set_pins(uint8_t estop, uint8_t pedal_no, uint8_t pedal_nc, uint8_t cartridge) {
  uint8_t rising = estop && !fuzz_hal.estop;
  fuzz_hal.estop = estop;
  fuzz_hal.pedal_no = pedal_no;
  fuzz_hal.pedal_nc = pedal_nc;
  fuzz_hal.cartridge = cartridge;
  if (rising) isr_int0();
}

void fuzz_hal_irq_at(uint8_t kind, uint16_t n) {
  irq_kind = kind;
  irq_countdown = n;
}

/* ---- hal.h ---- */

void hal_init(void) {
  irq_point();
  safe_off();
  fuzz_hal.guard_cfg.state = SMP_STATE_ALARM;
  fuzz_hal.guard_cfg.cal = 0;
  fuzz_hal.guard_act.mismatch = 0;
  fuzz_hal.guard_posted = 0;
}

uint8_t hal_reset_cause(void) {
  irq_point();
  return fuzz_hal.reset_cause;
}

void hal_wdt_feed(void) { fuzz_loop_hook(); }

uint32_t hal_tick(void) {
  irq_point();
  return fuzz_hal.tick;
}

uint32_t hal_now_us(void) {
  irq_point();
  return fuzz_hal.us;
}

uint32_t hal_now_us_tick(uint32_t *tick) {
  irq_point();
  *tick = fuzz_hal.tick; /* the stub's clocks move only between operations: one instant */
  return fuzz_hal.us;
}

uint8_t hal_drive_on(uint8_t pwm_ocr, uint16_t stroke_hz, uint8_t coil, uint32_t *on_us) {
  (void)pwm_ocr;
  (void)stroke_hz;
  (void)coil;
  irq_point();
  if (inhibited()) return 0;
  fuzz_hal.drive_on = 1;
  fuzz_hal.drive_on_us = fuzz_hal.us;
  fuzz_hal.drive_on_count++;
  *on_us = fuzz_hal.us;
  fuzz_hal.last_tach_us = fuzz_hal.us;
  return 1;
}

void hal_drive_off(void) {
  irq_point();
  fuzz_hal.drive_on = 0;
}

uint8_t hal_drive_is_on(void) {
  irq_point();
  return fuzz_hal.drive_on;
}

void hal_actuator_set(uint8_t ocr) {
  irq_point();
  if (ocr != 0 && !inhibited() && fuzz_hal.depth_on)
    smp_depth_set(&fuzz_hal.depth_watch, smp_act_ocr_to_um(fuzz_hal.act_ocr), fuzz_hal.us);
  fuzz_hal.act_ocr = (ocr == 0 || inhibited()) ? 0u : ocr;
  if (fuzz_hal.act_ocr == 0) fuzz_hal.retract_left = 0; /* a park cancels the pending retract, as in hal.c */
  /* the hard cap holds for every setpoint the firmware drives: the compiled-in one, and the configured one */
  if (smp_act_ocr_to_um(fuzz_hal.act_ocr) > (int16_t)SMP_ABS_MAX_EXTENSION_UM) abort();
  if (fuzz_hal.guard_cfg.limits && smp_act_ocr_to_um(fuzz_hal.act_ocr) > (int32_t)fuzz_hal.guard_cfg.limits->extension_um)
    abort();
}

void hal_retract_after(uint16_t punctures, uint16_t floor_count) {
  irq_point();
  fuzz_hal.retract_left = punctures;
  fuzz_hal.retract_floor = floor_count;
}

uint8_t hal_adc_ready(void) {
  irq_point();
  return 1;
}

uint16_t hal_adc_last(uint8_t channel) {
  irq_point();
  if (channel > HAL_ADC_CURRENT) abort(); /* the firmware asks only for its three channels */
  return adc_now(channel);
}

void hal_guard_set(const smp_guard_cfg *cfg) {
  uint8_t on = smp_state_burst(cfg->state) && cfg->burst && cfg->cal;
  irq_point();
  if (cfg->state != fuzz_hal.guard_cfg.state && cfg->state != SMP_STATE_ALARM) fuzz_hal.guard_posted = 0;
  if (on != fuzz_hal.depth_on) smp_depth_idle(&fuzz_hal.depth_watch, fuzz_hal.us);
  fuzz_hal.depth_on = on;
  if (cfg->lease_tick != fuzz_hal.guard_cfg.lease_tick) fuzz_hal.lease_set_tick = fuzz_hal.tick;
  fuzz_hal.guard_cfg = *cfg;
  fuzz_hal.guard_cfg_set = 1;
}

uint8_t hal_pedal_mismatch(void) {
  irq_point();
  return fuzz_hal.guard_pedal.mismatch;
}

uint8_t hal_actuator_mismatch(void) {
  irq_point();
  return fuzz_hal.guard_act.mismatch;
}

void hal_depth_cam(const smp_depth_cam *cam) {
  irq_point();
  fuzz_hal.depth_cam = *cam;
}

uint8_t hal_edge_pop(hal_edge *e) {
  irq_point();
  if (edge_tail == edge_head) return 0;
  *e = edge_q[edge_tail % EDGE_SLOTS];
  edge_tail++;
  return 1;
}

void hal_peak_reset(void) {
  irq_point();
  fuzz_hal.win_peak = 0;
}

uint8_t hal_estop_active(void) {
  irq_point();
  return fuzz_hal.estop;
}

uint8_t hal_pedal_no_closed(void) {
  irq_point();
  return fuzz_hal.pedal_no;
}

uint8_t hal_pedal_side(void) {
  irq_point();
  if (fuzz_hal.pedal_no == fuzz_hal.pedal_nc) return HAL_PEDAL_NEITHER;
  return fuzz_hal.pedal_no ? HAL_PEDAL_PRESSED : HAL_PEDAL_RELEASED;
}

uint8_t hal_cartridge_present(void) {
  irq_point();
  return fuzz_hal.cartridge;
}

void hal_led(uint8_t on) {
  irq_point();
  fuzz_hal.led = on;
}

uint8_t hal_rx_next(uint8_t *byte, hal_event *ev) {
  irq_point();
  if (ev_n != 0 && ev_q[ev_tail].pos == rx_tail) {
    ev->code = ev_q[ev_tail].code;
    ev->tick = ev_q[ev_tail].tick;
    ev->us = ev_q[ev_tail].us;
    ev_tail = (uint8_t)((ev_tail + 1u) % EV_SLOTS);
    ev_n--;
    return 2;
  }
  if (rx_tail != rx_head) {
    *byte = rx_ring[rx_tail++];
    /* the same assembler as the firmware's, so the harness knows which line the board is acting on */
    if (smp_asm_push(&fuzz_hal.rx_mirror, *byte) == SMP_ASM_LINE) {
      memcpy(fuzz_hal.line, fuzz_hal.rx_mirror.buf, fuzz_hal.rx_mirror.len);
      fuzz_hal.line[fuzz_hal.rx_mirror.len] = 0;
      fuzz_hal.line_len = fuzz_hal.rx_mirror.len;
      fuzz_hal.lines_taken++;
      fuzz_on_rx_line(fuzz_hal.line, fuzz_hal.line_len);
    }
    return 1;
  }
  if (ev_lost != 0) {
    ev->code = ev_lost;
    ev->tick = fuzz_hal.tick;
    ev->us = fuzz_hal.us;
    ev_lost = 0;
    return 2;
  }
  return 0;
}

uint16_t hal_tx_begin(void) {
  irq_point();
  return tx_head; /* the stub's line is infinitely fast: the ring is always empty */
}

uint8_t *hal_tx_ring(void) { return tx_ring; }

void hal_tx_end(uint16_t len) {
  uint8_t line[SMP_MAX_FRAME_BYTES];
  uint16_t i;
  irq_point();
  if (len > SMP_MAX_FRAME_BYTES) abort(); /* smp_encode never writes more than a frame */
  for (i = 0; i < len; i++) line[i] = tx_ring[(uint16_t)(tx_head + i) & HAL_TX_MASK];
  tx_head = (uint16_t)((tx_head + len) & HAL_TX_MASK);
  if (len) fuzz_on_tx(line, len);
}

/* The stub's line is infinitely fast, so nothing ever waits in its ring: a priority frame goes out as any other. */
void hal_tx_end_priority(uint16_t len) { hal_tx_end(len); }

void hal_eeprom_read(uint16_t addr, void *dst, uint16_t n) {
  irq_point();
  if ((uint32_t)addr + n > sizeof fuzz_hal.eeprom) abort();
  memcpy(dst, fuzz_hal.eeprom + addr, n);
}

uint32_t hal_boot_count_next(void) {
  irq_point();
  return ++boot_count;
}
