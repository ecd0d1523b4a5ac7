/* hal.c - ATmega328P at 16 MHz: pins, timers, ADC sequencer, USART rings, watchdog, EEPROM (see hal.h and
 * README.md for the pin map). The only file besides main.c that touches AVR registers.
 *
 * Peripherals in use (all supported by avr8js 0.21, which the contract suite emulates):
 *   Timer1  CTC, /8, OCR1A 199: 10 kHz tick interrupt; TCNT1 gives 0.5 us resolution. Compare B (armed
 *           every second tick) runs the guard, the continuous checks of limits.c, every 200 us.
 *   Timer0  phase-correct PWM, /8 (3.9 kHz) on OC0A/PD6: drive; stopped and disconnected when off.
 *   Timer2  phase-correct PWM, /8 (3.9 kHz) on OC2A/PB3: actuator setpoint; disconnected (pin low) = park.
 *   ADC     single conversions chained from its interrupt, /128 (104 us each), sequence 0,1,0,2; a tach
 *           edge makes the next conversion an ADC0 "bottom dead centre" sample. In a burst every ADC0 sample
 *           goes to the depth forecast (§7.12), which runs right after it in the EEPROM-ready interrupt.
 *   EE_READY used as a software interrupt (it fires while its enable bit is set and no EEPROM write is under
 *           way; the EEPROM is written only at power-up): the depth forecast, with interrupts on, so the ADC
 *           interrupt stays short and free of calls.
 *   PCINT0  tachometer on PB0 (the ICP1 pin). avr8js 0.21 has no input capture, so the edge is time-stamped
 *           in the pin-change interrupt from the tick counter and TCNT1 (build with -DSMP_TACH_ICP=1 for a
 *           real board to use the input-capture unit instead; not verifiable in emulation).
 *   INT0    e-stop input on PD2 (rising edge = pressed or wire broken): drive off and park in the ISR.
 *   USART0  250000 Bd 8N1 (UBRR 3, exact); RX interrupt acts on the priority bytes itself; TX driven by the
 *           TX-complete interrupt from a 512-byte ring.
 *   WDT     60 ms, system reset; fed only from the main loop. */
#include "hal.h"

#include <avr/eeprom.h>
#include <avr/interrupt.h>
#include <avr/io.h>
#include <avr/wdt.h>
#include <util/atomic.h>

#include "limits.h"
#include "protocol.h"

#ifndef SMP_TACH_ICP
#define SMP_TACH_ICP 0
#endif

#if F_CPU != 16000000UL
#error "timing constants assume a 16 MHz clock"
#endif

#define TICK_TOP 199u /* 2 MHz / 200 = 10 kHz, the board tick */
#define US_PER_TICK SMP_US_PER_TICK
#if F_CPU / 8 / (TICK_TOP + 1) != SMP_DEFAULT_CLOCK_HZ || 1000000 / SMP_DEFAULT_CLOCK_HZ != US_PER_TICK
#error "Timer1 (prescaler 8, TICK_TOP) must tick at BOARD_DEFAULTS.clockHz"
#endif
#define RX_SIZE 256u  /* uint8_t indices wrap by themselves */
#define TX_SIZE 512u  /* power of two; a frame (<= 256 bytes) is reserved whole */
#define TX_MASK (TX_SIZE - 1u)
typedef char hal_tx_mask_matches[(TX_MASK == HAL_TX_MASK) ? 1 : -1];
#define EV_SLOTS 4u
#define EDGE_SLOTS 4u

/* ---- reset cause, captured before anything else runs ---- */

uint8_t hal_mcusr __attribute__((section(".noinit")));

void hal_early_init(void) __attribute__((naked, used, section(".init3")));
void hal_early_init(void) {
  hal_mcusr = MCUSR;
  MCUSR = 0; /* clears WDRF, or the watchdog would stay forced on */
  wdt_disable();
}

/* Only a clean power-on is POWER_ON. A power-on sets BORF too as the supply ramps up, so PORF counts first;
 * no flag at all (a jump to the reset vector, or a bootloader that cleared them) is not a power-on. */
uint8_t hal_reset_cause(void) {
  if (hal_mcusr & _BV(PORF)) return SMP_RESET_POWER_ON;
  if (hal_mcusr & _BV(BORF)) return SMP_RESET_BROWN_OUT;
  if (hal_mcusr & _BV(WDRF)) return SMP_RESET_WATCHDOG;
  if (hal_mcusr & _BV(EXTRF)) return SMP_RESET_EXTERNAL;
  return SMP_RESET_UNEXPLAINED;
}

void hal_wdt_feed(void) { wdt_reset(); }

/* ---- time ---- */

static volatile uint32_t g_tick;
static volatile uint32_t g_us_base; /* microsecond clock at the last tick interrupt */
static volatile uint8_t g_tick_early; /* the last tick interrupt ran before TCNT1 left TOP (avr8js) */

/* Microsecond clock and the tick of the same instant; interrupts must be off. The compare flag is set when
 * TCNT1 wraps (real part) or when it reaches TOP (avr8js): both are handled, so the clock never jumps. */
static uint32_t now_us_tick_locked(uint32_t *tick) {
  uint16_t c = TCNT1;
  uint8_t pending = TIFR1 & _BV(OCF1A);
  uint32_t base = g_us_base;
  uint32_t t = g_tick;
  if (pending) {
    if (c < (TICK_TOP + 1u) / 2u) {
      base += US_PER_TICK;
      t++;
    }
  } else if (c == TICK_TOP && g_tick_early) {
    base -= US_PER_TICK;
    t--;
  }
  *tick = t;
  return base + (c >> 1);
}

static uint32_t now_us_locked(void) {
  uint32_t t;
  return now_us_tick_locked(&t);
}

/* The low 16 bits of the microsecond clock, the same corrections; interrupts must be off. Always inlined and
 * 16-bit only (the low half of g_us_base, no tick): the ADC interrupt stamps every conversion with it, and a call
 * or 32-bit arithmetic there would cost every other interrupt that waits behind it (docs/protocol.md §7.1). */
static inline __attribute__((always_inline)) uint16_t now_us16_locked(void) {
  uint16_t c = TCNT1;
  uint8_t pending = TIFR1 & _BV(OCF1A);
  volatile const uint8_t *lo = (volatile const uint8_t *)&g_us_base; /* little-endian: the low half first */
  uint16_t base = (uint16_t)(lo[0] | (uint16_t)lo[1] << 8);
  if (pending) {
    if (c < (TICK_TOP + 1u) / 2u) base += US_PER_TICK;
  } else if (c == TICK_TOP && g_tick_early) {
    base -= US_PER_TICK;
  }
  return (uint16_t)(base + (c >> 1));
}

uint32_t hal_tick(void) {
  uint32_t t;
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) { t = g_tick; }
  return t;
}

uint32_t hal_now_us(void) {
  uint32_t t;
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) { t = now_us_locked(); }
  return t;
}

uint32_t hal_now_us_tick(uint32_t *tick) {
  uint32_t us, t;
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) { us = now_us_tick_locked(&t); }
  *tick = t;
  return us;
}

/* ---- drive, actuator and the inhibit ---- */

static volatile uint8_t rx_ring[RX_SIZE];
static volatile uint8_t rx_head, rx_tail;

static volatile uint8_t g_drive_on;
static volatile uint8_t g_coil;
static volatile uint16_t g_coil_acc;
static volatile uint16_t g_coil_inc;
static volatile uint8_t g_coil_gate;

static volatile uint8_t ev_n, ev_tail, ev_lost;
static volatile uint32_t last_tach_us; /* latest tachometer edge, or the last drive-on: the guard's stall reference */
static volatile struct {
  uint8_t code;
  uint8_t pos; /* rx ring head when it happened */
  uint16_t act_count;
  uint32_t tick;
  uint32_t us;
} ev_q[EV_SLOTS];

#define ESTOP_ACTIVE() ((PIND & _BV(PD2)) != 0)

static void drive_off_locked(void) {
  TCCR0A = _BV(WGM00);               /* COM0A = 0: OC0A disconnected, PD6 follows PORTD6 = 0 */
  PORTD &= (uint8_t)~(_BV(PD6) | _BV(PD7)); /* PWM pin low, drive enable low */
  TCCR0B = 0;                        /* timer stopped */
  g_drive_on = 0;
  g_coil = 0;
}

/* The depth forecast's (see EE_READY_vect): a burst is running; its memory, restarted by hal_guard_set between
 * bursts, and its actuator model, told of every setpoint by hal_actuator_set. */
static uint8_t depth_on;
static smp_depth_watch depth_watch;
static uint16_t retract_left; /* punctures to go before the ADC interrupt parks the actuator (0: none) */
static uint16_t retract_floor;

static void actuator_park_locked(void) {
  retract_left = 0;
  TCCR2A = _BV(WGM20); /* COM2A = 0: OC2A disconnected, PB3 = 0 V = park setpoint at once */
  PORTB &= (uint8_t)~_BV(PB3);
  TCCR2B = 0;
  OCR2A = 0;
}

/* Called in interrupts (priority byte, e-stop input, guard): everything off, then report. */
static void safe_off_locked(void) {
  drive_off_locked();
  actuator_park_locked();
}

static uint8_t inhibited_locked(void) { return ev_n != 0 || ev_lost != 0 || ESTOP_ACTIVE(); }

void hal_retract_after(uint16_t punctures, uint16_t floor_count) {
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) {
    retract_left = punctures;
    retract_floor = floor_count;
  }
}

uint8_t hal_drive_on(uint8_t pwm_ocr, uint16_t stroke_hz, uint8_t coil, uint32_t *on_us) {
  uint8_t ok = 0;
  /* The coil gate's phase increment, divided out before interrupts go off: left to itself, avr-gcc moves the
   * 32-bit division (~37 us) into the interrupt-free section below, for rotary machines too, and a priority
   * byte or the e-stop edge would wait that long. The empty asm makes the value an input before cli. */
  uint16_t coil_inc = coil ? (uint16_t)(((uint32_t)stroke_hz << 16) / SMP_U(SMP_DEFAULT_CLOCK_HZ)) : 0u;
  __asm__ __volatile__("" : "+r"(coil_inc));
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) {
    if (!inhibited_locked()) {
      OCR0A = pwm_ocr;
      TCNT0 = 0;
      TCCR0A = _BV(COM0A1) | _BV(WGM00); /* phase-correct PWM, non-inverting */
      TCCR0B = _BV(CS01);                /* /8: 3.92 kHz */
      PORTD |= _BV(PD7);                 /* drive enable */
      g_drive_on = 1;
      if (coil) {
        g_coil_inc = coil_inc;
        g_coil_acc = 0;
        g_coil_gate = 1;
        g_coil = 1;
      }
      /* the moment the drive went on; until the burst's first edge it is also the guard's stall reference,
       * so an edge from before the burst (the motor may have stood still for hours: the us clock wraps every
       * 71.6 min) is never compared with this burst's times */
      *on_us = now_us_locked();
      last_tach_us = *on_us;
      ok = 1;
    }
  }
  return ok;
}

void hal_drive_off(void) {
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) { drive_off_locked(); }
}

uint8_t hal_drive_is_on(void) { return g_drive_on; }

void hal_actuator_set(uint8_t ocr) {
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) {
    if (ocr == 0 || inhibited_locked()) {
      actuator_park_locked();
    } else {
      /* the depth forecast's actuator model: the setpoint before this one, up to now (the forecast's interrupt cannot
       * be running: the main loop runs only between interrupts) */
      if (depth_on)
        smp_depth_set(&depth_watch, smp_act_ocr_to_um((TCCR2A & _BV(COM2A1)) ? OCR2A : 0u), now_us_locked());
      OCR2A = ocr;
      if (!(TCCR2A & _BV(COM2A1))) {
        TCNT2 = 0;
        TCCR2A = _BV(COM2A1) | _BV(WGM20); /* phase-correct PWM, non-inverting */
        TCCR2B = _BV(CS21);                /* /8: 3.92 kHz */
      }
    }
  }
}

/* ---- ADC sequencer and tachometer edges ---- */

static const uint8_t ADC_SEQ[4] = {HAL_ADC_NEEDLE, HAL_ADC_ACTUATOR, HAL_ADC_NEEDLE, HAL_ADC_CURRENT};
/* ADC clock /128: 125 kHz, a conversion every 104 us */
#define ADCSRA_RUN (_BV(ADEN) | _BV(ADSC) | _BV(ADIE) | _BV(ADPS2) | _BV(ADPS1) | _BV(ADPS0))
#define ADC_BDC 0x80u /* flag in adc_ch: this conversion is a bottom-dead-centre sample */

/* Owned by the ADC interrupt; the main loop reads them only inside ATOMIC_BLOCK (a compiler barrier), so
 * they need not be volatile. */
static uint16_t adc_last[3];
static uint8_t adc_seen;
static uint8_t adc_ch, adc_seq_i;
static volatile uint8_t adc_bdc_req; /* set by the tach interrupt */
static uint16_t win_min = 0xFFFFu, win_max, win_peak;
static uint16_t chk_max0, chk_max2;
static uint16_t adc_start_us16; /* when the conversion in progress started (its sample-and-hold), clock's low 16 bits */
/* The latest ADC0 sample of a burst, for the depth forecast (EE_READY_vect): its count, when it was taken (the
 * clock's low 16 bits), whether the actuator was out then. */
static uint16_t depth_count;
static uint16_t depth_sampled_us16;
static uint8_t depth_out;
static volatile uint8_t depth_busy; /* the forecast is running */

static hal_edge edge_q[EDGE_SLOTS];
static uint8_t edge_head, edge_ready, edge_tail; /* [tail, ready) complete, [ready, head) await BDC */

/* Kept short (it runs every 104 us, and every interrupt that comes while it runs waits for it): no call, no 32-bit
 * arithmetic; the depth forecast's work, spin-up and retract included, is in EE_READY_vect. */
ISR(ADC_vect) {
  uint16_t v = ADC;
  uint8_t ch = adc_ch;
  uint16_t sampled_us16 = adc_start_us16;
  uint8_t next;
  /* start the next conversion first: a pending bottom-dead-centre request goes ahead of the sequence */
  if (adc_bdc_req) {
    adc_bdc_req = 0;
    next = HAL_ADC_NEEDLE | ADC_BDC;
  } else {
    next = ADC_SEQ[adc_seq_i++ & 3u];
  }
  adc_ch = next;
  ADMUX = _BV(REFS0) | (next & 0x0Fu); /* AVCC reference */
  ADCSRA = ADCSRA_RUN;
  adc_start_us16 = now_us16_locked();

  if ((ch & 0x0Fu) == HAL_ADC_NEEDLE) {
    adc_last[HAL_ADC_NEEDLE] = v;
    adc_seen |= 1u << HAL_ADC_NEEDLE;
    if (v < win_min) win_min = v;
    if (v > win_max) win_max = v;
    if (v > chk_max0) chk_max0 = v;
    if (depth_on) { /* the depth forecast next, in its own interrupt */
      depth_count = v;
      depth_sampled_us16 = sampled_us16;
      depth_out = TCCR2A & _BV(COM2A1); /* the actuator out; else spin-up or retract: parked */
      EECR |= _BV(EERIE);
    }
    if (ch & ADC_BDC) {
      uint8_t r = edge_ready;
      /* the burst's last puncture: park now (main.c's on_edge counts the same punctures, and parks too) */
      if (retract_left && v > retract_floor && v < SMP_ADC_RAIL && --retract_left == 0) actuator_park_locked();
      while (r != edge_head) {
        hal_edge *e = &edge_q[r % EDGE_SLOTS];
        e->bdc = v;
        e->win_min = win_min;
        e->win_max = win_max;
        e->win_peak = win_peak;
        r++;
      }
      edge_ready = r;
      win_min = 0xFFFFu;
      win_max = 0;
      win_peak = 0;
    }
  } else if (ch == HAL_ADC_CURRENT) {
    adc_last[HAL_ADC_CURRENT] = v;
    adc_seen |= 1u << HAL_ADC_CURRENT;
    if (v > win_peak) win_peak = v;
    if (v > chk_max2) chk_max2 = v;
  } else {
    adc_last[HAL_ADC_ACTUATOR] = v;
    adc_seen |= 1u << HAL_ADC_ACTUATOR;
  }
}

static void tach_edge_locked(uint32_t t) {
  last_tach_us = t;
  if ((uint8_t)(edge_head - edge_tail) < EDGE_SLOTS) {
    edge_q[edge_head % EDGE_SLOTS].t_us = t;
    edge_head++;
    adc_bdc_req = 1;
  } /* else: the main loop is far behind; the edge is dropped (the next period spans it) */
}

#if SMP_TACH_ICP
ISR(TIMER1_CAPT_vect) {
  /* ICR1 holds TCNT1 at the edge; the tick interrupt may be pending (the capture came first) */
  uint16_t c = ICR1;
  uint32_t base = g_us_base;
  if ((TIFR1 & _BV(OCF1A)) && c < (TICK_TOP + 1u) / 2u) base += US_PER_TICK;
  tach_edge_locked(base + (c >> 1));
}
#else
ISR(PCINT0_vect) {
  if (PINB & _BV(PB0)) tach_edge_locked(now_us_locked()); /* rising edge = bottom dead centre */
}
#endif

uint8_t hal_edge_pop(hal_edge *e) {
  uint8_t ok = 0;
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) {
    if (edge_tail != edge_ready) {
      const hal_edge *s = &edge_q[edge_tail % EDGE_SLOTS];
      e->t_us = s->t_us;
      e->bdc = s->bdc;
      e->win_min = s->win_min;
      e->win_max = s->win_max;
      e->win_peak = s->win_peak;
      edge_tail++;
      ok = 1;
    }
  }
  return ok;
}

void hal_peak_reset(void) {
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) { win_peak = 0; }
}

uint8_t hal_adc_ready(void) {
  uint8_t seen;
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) { seen = adc_seen; }
  return seen == 0x07u;
}

uint16_t hal_adc_last(uint8_t channel) {
  uint16_t v;
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) { v = adc_last[channel]; }
  return v;
}

/* ---- tick interrupt and the guard ---- */

static smp_guard_cfg guard_cfg; /* written by the main loop inside ATOMIC_BLOCK */
static smp_pedal guard_pedal;
static smp_actuator_track guard_act; /* actuator feedback vs setpoint (ACTUATOR_FAULT) */
static volatile uint8_t guard_posted; /* a guard alarm is on its way to the main loop */

static void post_event_locked(uint8_t code);
static void guard_post_locked(uint8_t code);
static void guard_step_locked(void) __attribute__((noinline));

/* The guard (every 200 us) and the depth forecast (every needle sample of a burst) are the two interrupts that run
 * with interrupts on; they never nest into each other (each would put its whole frame on the other's, and 2 KB of
 * RAM has no room for both over the main loop's deepest call): one that comes while the other runs waits for it
 * to end (some 40 us at most), and is run at its end. */
static volatile uint8_t guard_busy;    /* the guard step is running */
static volatile uint8_t guard_due;     /* the guard's turn came while the forecast ran: run it at the forecast's end */
static volatile uint8_t depth_pending; /* a needle sample came while one of them ran: the forecast is raised after */

/* The tick: kept free of function calls, so its prologue stays short (it runs 10 000 times a second). Every
 * second tick it arms the compare-B interrupt, which runs the guard 50 us later. */
ISR(TIMER1_COMPA_vect) {
  g_tick++;
  g_us_base += US_PER_TICK;
  g_tick_early = (TCNT1 == TICK_TOP);
  if (g_coil) { /* coil machine: 50 % gate at strokeHz on the drive PWM */
    uint8_t on;
    g_coil_acc += g_coil_inc;
    on = g_coil_acc < 0x8000u;
    if (on != g_coil_gate) {
      g_coil_gate = on;
      TCCR0A = on ? (uint8_t)(_BV(COM0A1) | _BV(WGM00)) : (uint8_t)_BV(WGM00);
    }
  }
  if (!((uint8_t)g_tick & 1u) && !guard_busy) { /* a guard step still running: this one is skipped */
    TIFR1 = _BV(OCF1B);
    TIMSK1 |= _BV(OCIE1B);
  }
}

ISR(TIMER1_COMPB_vect) {
  TIMSK1 &= (uint8_t)~_BV(OCIE1B);
  /* a step that comes while one runs is skipped (a step deferred behind the forecast, then armed again by the tick
   * before it ran, comes due during it): the guard is never re-entered */
  if (guard_busy) return;
  if (depth_busy) guard_due = 1; /* the forecast runs it when it ends */
  else guard_step_locked();
}

/* The guard, every 200 us (the reference board checks every 250 us; one that waits for the forecast, up to 40 us
 * later): a snapshot with interrupts off, then the checks (about 20 us) with interrupts on, so a priority byte or
 * an e-stop edge is never held up by them. Never re-entered (guard_busy). Called with interrupts off. */
static void guard_step_locked(void) {
  static smp_guard_in in; /* static: never re-entered, and off the stack */
  uint8_t code, act_fault;
  uint16_t act_count;
  uint8_t act_ocr;
  guard_busy = 1;
  in.tick = g_tick;
  in.now_us = now_us_locked();
  in.last_edge_us = last_tach_us;
  in.needle_max = chk_max0;
  in.current_max = chk_max2;
  chk_max0 = adc_last[HAL_ADC_NEEDLE];
  chk_max2 = adc_last[HAL_ADC_CURRENT];
  in.estop = ESTOP_ACTIVE();
  in.pedal_no = (PIND & _BV(PD3)) == 0;
  in.pedal_nc = (PIND & _BV(PD4)) == 0;
  in.cartridge = (PIND & _BV(PD5)) == 0;
  in.drive_on = g_drive_on;
  act_count = adc_last[HAL_ADC_ACTUATOR];
  act_ocr = (TCCR2A & _BV(COM2A1)) ? OCR2A : 0u; /* PWM disconnected: the park setpoint */
  sei();
  code = smp_guard_step(&guard_cfg, &guard_pedal, &in); /* the main loop cannot run meanwhile */
  /* in every state, so the mismatch flag (UNLOCK) stays current; latching only outside ALARM */
  act_fault = guard_cfg.cal ? smp_lim_actuator_track(&guard_act, guard_cfg.cal, act_count, act_ocr, in.now_us) : 0u;
  if (!code && act_fault && guard_cfg.state != SMP_STATE_ALARM) code = SMP_ALARM_ACTUATOR_FAULT;
  cli();
  if (code) guard_post_locked(code);
  guard_busy = 0;
  if (depth_pending) { /* right after this interrupt returns */
    depth_pending = 0;
    EECR |= _BV(EERIE);
  }
}

/* A guard or depth-forecast alarm: drive off and park now; the main loop latches the alarm next (one per latch). */
static void guard_post_locked(uint8_t code) {
  if (guard_posted) return;
  safe_off_locked();
  post_event_locked(code);
  guard_posted = 1;
}

/* ---- the depth forecast (limits.h smp_depth_over, docs/protocol.md §7.12) ----
 * Every ADC0 sample of a burst, right after the ADC interrupt that took it (which raises this one), so the tip is
 * judged one conversion (104 us) after it was sampled plus the forecast's own time, not up to a guard period
 * later. With interrupts on: priority bytes, the e-stop edge, the tick and the ADC go first; a sample that comes
 * while the guard or the forecast runs is taken at its end (the newest one; one in between is skipped). */
static smp_depth_cam depth_cam;     /* written by the main loop at each tachometer edge (hal_depth_cam) */

static void depth_step_locked(void) __attribute__((noinline));

ISR(EE_READY_vect) { /* thin, so its prologue saves only what a call may clobber */
  EECR &= (uint8_t)~_BV(EERIE); /* raised again by the next sample */
  if (guard_busy || depth_busy) depth_pending = 1;
  else if (depth_on) depth_step_locked();
}

static void depth_step_locked(void) {
  uint8_t act_ocr, over = 0, out;
  uint16_t count, act_count, sampled_us16;
  uint32_t base_us, sampled_us;
  depth_busy = 1;
  count = depth_count;
  sampled_us16 = depth_sampled_us16;
  out = depth_out;
  base_us = g_us_base;
  act_count = adc_last[HAL_ADC_ACTUATOR];
  act_ocr = (TCCR2A & _BV(COM2A1)) ? OCR2A : 0u; /* PWM disconnected: the park setpoint */
  sei(); /* depth_cam is read in place: only the main loop writes it, and the main loop cannot run meanwhile */
  /* the sample's 32-bit time: within 32 ms of the latest tick interrupt's */
  sampled_us = base_us + (uint32_t)(int32_t)(int16_t)(uint16_t)(sampled_us16 - (uint16_t)base_us);
  if (out) {
    over = smp_depth_over(&depth_watch, guard_cfg.cal, &depth_cam, count, sampled_us, act_count,
                          smp_act_ocr_to_um(act_ocr));
  } else { /* spin-up or retract: parked, the tip cannot reach the limit; the model's clock runs */
    depth_watch.at_us = sampled_us;
    depth_watch.have_prev = 0;
  }
  cli();
  if (over) guard_post_locked(SMP_ALARM_OVER_EXTENSION);
  depth_busy = 0;
  if (guard_due) {
    guard_due = 0;
    /* let a waiting interrupt (a priority byte, the e-stop edge) in first: the guard's snapshot keeps interrupts
     * off for some 10 us, and this interrupt may itself have waited behind another one */
    sei();
    __asm__ __volatile__("nop" ::: "memory");
    cli();
    guard_step_locked(); /* raises this interrupt again if a sample is pending */
  } else if (depth_pending) {
    depth_pending = 0;
    EECR |= _BV(EERIE);
  }
}

void hal_depth_cam(const smp_depth_cam *cam) {
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) { depth_cam = *cam; }
}

void hal_guard_set(const smp_guard_cfg *cfg) {
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) {
    uint8_t on = smp_state_burst(cfg->state) && cfg->burst && cfg->cal; /* BURST or PEDAL_BURST */
    if (cfg->state != guard_cfg.state && cfg->state != SMP_STATE_ALARM) guard_posted = 0;
    /* between bursts the forecast forgets its samples (the main loop never runs while it does: it is an interrupt) */
    if (on != depth_on) smp_depth_idle(&depth_watch, now_us_locked());
    depth_on = on;
    guard_cfg = *cfg;
  }
}

uint8_t hal_actuator_mismatch(void) {
  uint8_t m;
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) { m = guard_act.mismatch; }
  return m;
}

uint8_t hal_pedal_mismatch(void) {
  uint8_t m;
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) { m = guard_pedal.mismatch; }
  return m;
}

/* ---- inputs ---- */

uint8_t hal_estop_active(void) { return ESTOP_ACTIVE(); }
uint8_t hal_pedal_no_closed(void) { return (PIND & _BV(PD3)) == 0; }
uint8_t hal_pedal_side(void) {
  uint8_t pins = PIND & (_BV(PD3) | _BV(PD4)); /* both contacts at the same instant; low = closed */
  if (pins == _BV(PD4)) return HAL_PEDAL_PRESSED;  /* NO closed, NC open */
  if (pins == _BV(PD3)) return HAL_PEDAL_RELEASED; /* NO open, NC closed */
  return HAL_PEDAL_NEITHER;
}
uint8_t hal_cartridge_present(void) { return (PIND & _BV(PD5)) == 0; }

void hal_led(uint8_t on) {
  if (on) PORTB |= _BV(PB5);
  else PORTB &= (uint8_t)~_BV(PB5);
}

static void post_event_locked(uint8_t code) { /* code: the alarm to latch */
  uint8_t pos = rx_head;
  if (ev_n > 0) {
    uint8_t last = (uint8_t)((ev_tail + ev_n - 1u) % EV_SLOTS);
    if (ev_q[last].code == code && ev_q[last].pos == pos) return; /* same event again (bouncing contact) */
  }
  if (ev_n < EV_SLOTS) {
    uint8_t slot = (uint8_t)((ev_tail + ev_n) % EV_SLOTS);
    uint32_t tick;
    ev_q[slot].code = code;
    ev_q[slot].pos = pos;
    ev_q[slot].act_count = adc_last[HAL_ADC_ACTUATOR];
    ev_q[slot].us = now_us_tick_locked(&tick);
    ev_q[slot].tick = tick;
    ev_n++;
  } else if (!ev_lost) {
    ev_lost = code; /* reported after the queued ones; the hardware is off either way */
  }
}

ISR(INT0_vect) {
  if (ESTOP_ACTIVE()) {
    safe_off_locked();
    post_event_locked(SMP_ALARM_ESTOP);
  }
}

/* ---- serial ---- */

static volatile uint8_t tx_ring[TX_SIZE];
static volatile uint16_t tx_head, tx_tail; /* [tail, head) waits for the wire */

ISR(USART_RX_vect) {
  uint8_t b = UDR0;
  if (b == SMP_PRIO_STOP || b == SMP_PRIO_ESTOP) {
    safe_off_locked(); /* acted on here, never queued behind other bytes */
    post_event_locked(b == SMP_PRIO_STOP ? SMP_ALARM_STOP : SMP_ALARM_ESTOP);
    return;
  }
  {
    uint8_t head = rx_head;
    uint8_t next = (uint8_t)(head + 1u);
    if (next != rx_tail) {
      rx_ring[head] = b;
      rx_head = next;
    } /* else: ring full, the byte is lost and the frame fails its CRC */
  }
}

uint8_t hal_rx_next(uint8_t *byte, hal_event *ev) {
  uint8_t r = 0;
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) {
    if (ev_n != 0 && ev_q[ev_tail].pos == rx_tail) {
      ev->code = ev_q[ev_tail].code;
      ev->act_count = ev_q[ev_tail].act_count;
      ev->tick = ev_q[ev_tail].tick;
      ev->us = ev_q[ev_tail].us;
      ev_tail = (uint8_t)((ev_tail + 1u) % EV_SLOTS);
      ev_n--;
      r = 2;
    } else if (rx_tail != rx_head) {
      *byte = rx_ring[rx_tail];
      rx_tail++;
      r = 1;
    } else if (ev_lost != 0) {
      ev->code = ev_lost;
      ev->act_count = adc_last[HAL_ADC_ACTUATOR];
      ev->us = now_us_tick_locked(&ev->tick);
      ev_lost = 0;
      r = 2;
    }
  }
  return r;
}

/* Transmit: frames are written whole into a 512-byte ring (hal_tx_begin / hal_tx_ring / hal_tx_end);
 * the TX-complete interrupt sends the next byte, and a frame committed while the transmitter is idle
 * starts it. UCSR0B is written once, at init, and never again: avr8js 0.21 drops a pending receive
 * interrupt on every UCSR0B write while the receiver is on (so toggling UDRIE per frame loses received
 * bytes), and it clears UDRE when it services the UDRE interrupt (the real USART does not). Costs ~2 us
 * of line time per byte against UDRE double buffering.
 *
 * Priority frames (hal_tx_end_priority: the STATUS of a latch) go ahead of every frame queued and not yet
 * started, behind the frame on the wire and the priority frames before them: the ring segment from there
 * to the new frame is rotated in place (no second ring: RAM is short), while the interrupt holds at the end
 * of the frame on the wire. Frames are never interleaved, so every frame still arrives whole. */
static volatile uint8_t tx_busy;
static volatile uint8_t tx_hold;      /* stop after the frame on the wire: the ring is being rearranged */
static volatile uint8_t tx_last = '\n'; /* the last byte handed to the USART ('\n': between frames) */
static volatile uint8_t tx_prio_queued; /* priority frames wait ahead of the rest, ending at tx_prio_end */
static volatile uint16_t tx_prio_end;

/* The next byte to the USART, unless the ring is empty or held between frames; interrupts off. */
static void tx_next_locked(void) {
  uint16_t t = tx_tail;
  if (t == tx_head || (tx_hold && tx_last == '\n')) {
    tx_busy = 0;
    return;
  }
  tx_busy = 1;
  tx_last = tx_ring[t];
  UDR0 = tx_last;
  t = (uint16_t)((t + 1u) & TX_MASK);
  tx_tail = t;
  if (t == tx_prio_end) tx_prio_queued = 0; /* the last priority frame has gone out */
}

ISR(USART_TX_vect) { tx_next_locked(); }

uint16_t hal_tx_begin(void) {
  uint16_t used, head;
  do { /* wait for room for the longest frame: only when more than TX_SIZE - 256 bytes are queued */
    ATOMIC_BLOCK(ATOMIC_RESTORESTATE) {
      head = tx_head;
      used = (uint16_t)((head - tx_tail) & TX_MASK);
    }
  } while (used > TX_SIZE - 1u - SMP_MAX_FRAME_BYTES);
  return head;
}

uint8_t *hal_tx_ring(void) { return (uint8_t *)tx_ring; }

void hal_tx_end(uint16_t len) {
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) {
    tx_head = (uint16_t)((tx_head + len) & TX_MASK);
    if (!tx_busy) tx_next_locked(); /* transmitter idle: start it */
  }
}

static void tx_reverse(uint16_t from, uint16_t n) { /* ring bytes [from, from + n), in place */
  uint16_t a = from, b = (uint16_t)(from + n - 1u);
  for (n /= 2u; n; n--) {
    uint8_t x = tx_ring[a & TX_MASK];
    tx_ring[a & TX_MASK] = tx_ring[b & TX_MASK];
    tx_ring[b & TX_MASK] = x;
    a++;
    b--;
  }
}

void hal_tx_end_priority(uint16_t len) {
  uint16_t frame, from, queued, i;
  uint8_t skip;
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) {
    tx_hold = 1;
    frame = tx_head; /* the new frame is written at the head, not yet committed */
    if (tx_prio_queued) { /* behind the priority frames already ahead (a frame boundary) */
      from = tx_prio_end;
      skip = 0;
    } else { /* a frame half sent goes on to its end, then the interrupt holds */
      from = tx_tail;
      skip = tx_busy && tx_last != '\n';
    }
  }
  if (skip) { /* past the rest of the frame on the wire: those bytes stay where they are */
    while (tx_ring[from & TX_MASK] != '\n') from++;
    from++;
  }
  from &= TX_MASK;
  queued = (uint16_t)((frame - from) & TX_MASK);
  if (queued) { /* [from, frame) then [frame, frame + len) becomes the new frame, then the rest */
    tx_reverse(from, (uint16_t)(queued + len));
    tx_reverse(from, len);
    tx_reverse((uint16_t)(from + len), queued);
  }
  i = (uint16_t)((from + len) & TX_MASK);
  ATOMIC_BLOCK(ATOMIC_RESTORESTATE) {
    tx_prio_end = i;
    tx_prio_queued = 1;
    tx_head = (uint16_t)((frame + len) & TX_MASK);
    tx_hold = 0;
    if (!tx_busy) tx_next_locked();
  }
}

/* ---- EEPROM ---- */

void hal_eeprom_read(uint16_t addr, void *dst, uint16_t n) {
  eeprom_read_block(dst, (const void *)(uintptr_t)addr, n);
}

uint32_t hal_boot_count_next(void) {
  uint32_t *const addr = (uint32_t *)(uintptr_t)0x20u;
  uint32_t n = eeprom_read_dword(addr);
  if (n == 0xFFFFFFFFUL) n = 0; /* erased */
  n++;
  if (n == 0xFFFFFFFFUL) n = 1;
  eeprom_update_dword(addr, n);
  return n;
}

/* ---- init ---- */

void hal_init(void) {
  cli();
  /* outputs low first: drive enable, drive PWM, actuator setpoint (park), LED */
  PORTD = _BV(PD0) | _BV(PD2) | _BV(PD3) | _BV(PD4) | _BV(PD5); /* pull-ups on RX and the contacts */
  DDRD = _BV(PD1) | _BV(PD6) | _BV(PD7);
  PORTB = _BV(PB0) | _BV(PB1) | _BV(PB2) | _BV(PB4); /* pull-ups: tach (open collector) and unused */
  DDRB = _BV(PB3) | _BV(PB5);
  PORTC = _BV(PC3) | _BV(PC4) | _BV(PC5); /* unused; ADC0..2 have no internal pull-up (see README) */
  DDRC = 0;

  /* every register written in full: an emulator reset (avr8js) does not reset the peripherals */
  TIMSK0 = 0;
  TCCR0B = 0;
  TCCR0A = _BV(WGM00);
  OCR0A = 0;
  TIMSK2 = 0;
  TCCR2B = 0;
  TCCR2A = _BV(WGM20);
  OCR2A = 0;
  ASSR = 0;
  g_drive_on = 0;
  g_coil = 0;
  guard_cfg.state = SMP_STATE_ALARM; /* no guard alarms until the main loop sets the configuration */
  guard_cfg.cal = 0;                 /* no actuator check until then either */
  guard_act.mismatch = 0;
  guard_posted = 0;
  depth_on = 0;
  depth_busy = 0;
  depth_pending = 0;
  guard_busy = 0;
  guard_due = 0;
  retract_left = 0;
  depth_cam.a_um = 0; /* no forecast before the first tachometer edge */
  smp_depth_idle(&depth_watch, 0);
  EECR = 0;           /* EERIE off: the forecast interrupt is raised by a burst's needle samples only */

  TCCR1B = 0;
  TCCR1A = 0;
  TCNT1 = 0;
  OCR1A = TICK_TOP;
  OCR1B = TICK_TOP / 2u; /* the guard runs half a tick after the tick */
  ICR1 = 0;
  TIFR1 = _BV(ICF1) | _BV(OCF1B) | _BV(OCF1A) | _BV(TOV1);
#if SMP_TACH_ICP
  TIMSK1 = _BV(OCIE1A) | _BV(ICIE1);
  TCCR1B = _BV(ICNC1) | _BV(ICES1) | _BV(WGM12) | _BV(CS11); /* noise canceller, rising edge */
#else
  TIMSK1 = _BV(OCIE1A);
  TCCR1B = _BV(WGM12) | _BV(CS11); /* CTC, /8 */
  PCMSK0 = _BV(PCINT0);
  PCIFR = _BV(PCIF0);
  PCICR = _BV(PCIE0);
#endif

  EICRA = _BV(ISC01) | _BV(ISC00); /* INT0 on the rising edge: e-stop opened */
  EIFR = _BV(INTF0);
  EIMSK = _BV(INT0);

  DIDR0 = _BV(ADC0D) | _BV(ADC1D) | _BV(ADC2D);
  ADCSRB = 0;
  adc_ch = HAL_ADC_NEEDLE;
  ADMUX = _BV(REFS0) | HAL_ADC_NEEDLE;
  ADCSRA = ADCSRA_RUN;

  UCSR0B = 0;
  UCSR0A = _BV(TXC0); /* clears a stale TX-complete flag; U2X0 = 0 */
  UBRR0H = 0;
  UBRR0L = (uint8_t)(F_CPU / 16u / SMP_BAUD - 1u); /* 3: exact 250000 Bd */
  UCSR0C = _BV(UCSZ01) | _BV(UCSZ00);
  tx_busy = 0;
  tx_hold = 0;
  tx_last = '\n';
  tx_prio_queued = 0;
  UCSR0B = _BV(RXCIE0) | _BV(TXCIE0) | _BV(RXEN0) | _BV(TXEN0); /* written once: see the TX section */

  wdt_enable(WDTO_60MS);
  sei();
}
