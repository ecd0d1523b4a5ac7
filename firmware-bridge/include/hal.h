/* hal.h - the AVR-specific parts of the board: pins, timers, ADC sequencer, USART rings, watchdog, EEPROM.
 * Everything the main loop needs from the hardware goes through here; see README.md for the pin map.
 *
 * Time bases: Timer1 in CTC mode (prescaler 8, OCR1A 199) interrupts at 10 kHz = one board tick; a u32
 * microsecond clock is the tick count x 100 plus TCNT1 / 2 (0.5 us resolution). Both wrap. */
#ifndef SMP_HAL_H
#define SMP_HAL_H

#include <stdint.h>

#include "limits.h"

/* ADC channels */
#define HAL_ADC_NEEDLE 0u   /* ADC0: needle tip position sensor */
#define HAL_ADC_ACTUATOR 1u /* ADC1: actuator position feedback */
#define HAL_ADC_CURRENT 2u  /* ADC2: drive current sense */

/* Alarms the interrupts act on at once (drive off, actuator parked) and report to the main loop, in order
 * with the received bytes around them: the STOP and E-STOP priority bytes (receive interrupt), the e-stop
 * input (INT0), and the guard's continuous checks (tick interrupt, smp_guard_step in limits.c). */
typedef struct {
  uint8_t code;       /* SMP_ALARM_* to latch */
  uint16_t act_count; /* actuator feedback (ADC1) when it happened, with the drive already off: parked then? */
  uint32_t tick;      /* board tick when it happened */
  uint32_t us;        /* microsecond clock when it happened */
} hal_event;

/* One tachometer edge (bottom dead centre) with the needle position sampled right after it and the
 * ADC statistics of the window since the previous edge. */
typedef struct {
  uint32_t t_us;     /* edge time, microsecond clock */
  uint16_t bdc;      /* ADC0 count of the first conversion started after the edge */
  uint16_t win_min;  /* ADC0 min since the previous edge (0xFFFF: no sample) */
  uint16_t win_max;  /* ADC0 max since the previous edge */
  uint16_t win_peak; /* ADC2 max since the previous edge */
} hal_edge;

void hal_init(void); /* everything; leaves the drive off, the actuator parked, interrupts on, watchdog on */
uint8_t hal_reset_cause(void); /* BOOT.resetCause, SMP_RESET_* of protocol.h (generated from RESET_CAUSES) */
void hal_wdt_feed(void);

uint32_t hal_tick(void);
uint32_t hal_now_us(void);
uint32_t hal_now_us_tick(uint32_t *tick); /* the microsecond clock and the tick of the same instant */

/* Drive. hal_drive_on refuses (returns 0, drive stays off, *on_us untouched) while an interrupt-latched event
 * is pending or the e-stop input is active; coil machines get the PWM gated at stroke_hz (50 % gate). On
 * success *on_us is the moment the drive went on, and the tach edge time the guard sees (its stall
 * reference) is moved to that moment, in the same interrupt-free section. */
uint8_t hal_drive_on(uint8_t pwm_ocr, uint16_t stroke_hz, uint8_t coil, uint32_t *on_us);
void hal_drive_off(void);
uint8_t hal_drive_is_on(void);

/* Actuator setpoint as an OCR2A value (limits.h: 8 um per step, 0 = park). Refused like the drive:
 * while inhibited the actuator is parked instead. */
void hal_actuator_set(uint8_t ocr);
/* The burst's last puncture retracts in the interrupt that takes its bottom-dead-centre sample, not when the main
 * loop gets to the edge (it may be milliseconds behind while the depth forecast and the guard run): the actuator
 * parks at the punctures-th bottom-dead-centre sample from now that is a puncture (a count above floor_count and
 * below the rail; floor_count: the count of 0 um), as main.c counts them. 0: none (a park cancels it). */
void hal_retract_after(uint16_t punctures, uint16_t floor_count);

/* ADC */
uint8_t hal_adc_ready(void);            /* every channel converted at least once since init */
uint16_t hal_adc_last(uint8_t channel);
/* The guard (see limits.h): its configuration from the main loop, and the pedal contact state it keeps. */
void hal_guard_set(const smp_guard_cfg *cfg);
uint8_t hal_pedal_mismatch(void); /* the two pedal contacts agree right now */
uint8_t hal_actuator_mismatch(void); /* the actuator feedback (ADC1) is away from its setpoint right now */

/* The depth forecast (limits.h smp_depth_over), run by the ADC interrupt on every needle sample of a burst: the
 * cam as the main loop saw it at the latest tachometer edge (smp_depth_cam_set). */
void hal_depth_cam(const smp_depth_cam *cam);

uint8_t hal_edge_pop(hal_edge *e);
void hal_peak_reset(void); /* restart the current peak of the window in progress */

/* Inputs, already decoded to their meaning (see README for wiring and levels). */
uint8_t hal_estop_active(void);     /* PD2 high: e-stop pressed or its wire broken */
uint8_t hal_pedal_no_closed(void);  /* PD3 low: normally-open contact closed (pedal pressed) */
/* Which side the two pedal contacts read now (docs/protocol.md §7.13), from one read of the port:
 * HAL_PEDAL_PRESSED (NO closed, NC open), HAL_PEDAL_RELEASED (NO open, NC closed) or HAL_PEDAL_NEITHER (they agree). */
enum { HAL_PEDAL_NEITHER, HAL_PEDAL_PRESSED, HAL_PEDAL_RELEASED };
uint8_t hal_pedal_side(void);
uint8_t hal_cartridge_present(void); /* PD5 low: cartridge switch closed */
void hal_led(uint8_t on);

/* Serial. hal_rx_next returns 0 (nothing), 1 (*byte set) or 2 (*ev set); an event comes exactly after the
 * bytes that arrived before it. */
uint8_t hal_rx_next(uint8_t *byte, hal_event *ev);
/* Transmit one frame: hal_tx_begin waits until the ring has room for SMP_MAX_FRAME_BYTES (it blocks only
 * when more than 255 bytes are still queued) and returns the index to write from; the frame is written
 * into hal_tx_ring() at (index + i) & HAL_TX_MASK; hal_tx_end(length) hands it to the transmitter. */
#define HAL_TX_MASK 511u
uint16_t hal_tx_begin(void);
uint8_t *hal_tx_ring(void);
void hal_tx_end(uint16_t len);
/* The same for a frame that must not wait behind telemetry (the STATUS of a latch): it goes out right after
 * the frame on the wire and the priority frames already queued, ahead of every other frame queued. */
void hal_tx_end_priority(uint16_t len);

/* EEPROM */
void hal_eeprom_read(uint16_t addr, void *dst, uint16_t n);
/* Increments the boot counter (erased = 0) and returns the new value. */
uint32_t hal_boot_count_next(void);

#endif /* SMP_HAL_H */
