/* hal_stub.h - the fuzz harnesses' side of the stub hardware layer (hal_stub.c implements hal.h on the host):
 * what a harness sets (inputs, time, received bytes, interrupts) and what it reads back (outputs, the line
 * the board is working on). No AVR: the main loop in src/main.c runs against it unchanged.
 *
 * Time moves only when the harness says so (fuzz_hal_advance_us); the tick and guard interrupts it crosses run
 * in order on the way, as on the board: the tick every 100 us, the guard (smp_guard_step and the actuator
 * tracking of limits.c, exactly as hal.c calls them) every second tick. In a burst every ADC0 sample the harness
 * sets goes through the depth forecast (smp_depth_over), as hal.c's ADC and EEPROM-ready interrupts do. An interrupt can also be scheduled to
 * fire in the middle of a main-loop step, at the n-th hal_* call from now (fuzz_hal_irq_at). */
#ifndef SMP_HAL_STUB_H
#define SMP_HAL_STUB_H

#include <stdint.h>

#include "codec.h"
#include "hal.h"
#include "limits.h"

/* interrupt kinds for fuzz_hal_irq_at */
enum { FUZZ_IRQ_NONE, FUZZ_IRQ_RX_STOP, FUZZ_IRQ_RX_ESTOP, FUZZ_IRQ_ESTOP_PIN, FUZZ_IRQ_GUARD, FUZZ_IRQ_TACH, FUZZ_IRQ_KINDS };

typedef struct {
  /* outputs */
  uint8_t drive_on;
  uint32_t drive_on_us; /* when the drive last went on */
  uint8_t act_ocr;      /* actuator setpoint driven (0 = park, also whenever the stub parked it) */
  uint8_t led;
  /* inputs */
  uint8_t estop, pedal_no, pedal_nc, cartridge;
  uint16_t adc[3];       /* ADC0 needle, ADC1 actuator feedback (unless act_follow), ADC2 current */
  uint8_t act_follow;    /* ADC1 follows the actuator setpoint at once (a healthy actuator) */
  uint8_t reset_cause;   /* HAL_RESET_* */
  uint8_t eeprom[64];
  /* time */
  uint32_t tick, us;
  uint32_t last_tach_us;
  /* the guard's view, as hal.c keeps it */
  smp_guard_cfg guard_cfg;
  uint8_t guard_cfg_set; /* hal_guard_set has been called */
  uint32_t lease_set_tick; /* when the lease in guard_cfg last changed (a lease may be set to a tick already past) */
  smp_pedal guard_pedal;
  smp_actuator_track guard_act;
  uint8_t guard_posted;
  uint16_t chk_max0, chk_max2;        /* ADC0/ADC2 maxima since the previous guard step */
  smp_depth_watch depth_watch;        /* the depth forecast, run on every ADC0 sample of a burst (hal.c EE_READY) */
  smp_depth_cam depth_cam;            /* as the main loop last set it (hal_depth_cam) */
  uint8_t depth_on;                   /* a burst is running: the forecast judges every needle sample */
  uint16_t retract_left, retract_floor; /* hal_retract_after: punctures to go before the tach interrupt parks */
  uint16_t win_min, win_max, win_peak; /* ADC statistics since the previous tachometer edge */
  /* the line the main loop is working on: the latest complete line it has taken from hal_rx_next */
  smp_assembler rx_mirror;
  char line[SMP_MAX_FRAME_BYTES + 1];
  uint16_t line_len;
  uint32_t lines_taken;
  /* counters for the harness */
  uint32_t hal_calls, guard_steps, drive_on_count;
} fuzz_hal_state;

extern fuzz_hal_state fuzz_hal;

/* Everything off and empty; time at (tick, us); ADC1 following the actuator; no guard configuration yet. */
void fuzz_hal_reset(uint32_t tick, uint32_t us);
/* Let dt_us of board time pass, running the tick and guard interrupts it crosses. */
void fuzz_hal_advance_us(uint32_t dt_us);
/* A byte arrives on the serial line (the receive interrupt: STOP and E-STOP act at once). */
void fuzz_hal_rx_byte(uint8_t b);
/* A tachometer edge now; bdc is the ADC0 sample right after it (it also becomes ADC0's latest value). */
void fuzz_hal_tach_edge(uint16_t bdc);
void fuzz_hal_set_adc(uint8_t channel, uint16_t count);
/* e-stop, pedal contacts, cartridge; an e-stop that becomes active runs INT0 (drive off, park, ESTOP event). */
void fuzz_hal_set_pins(uint8_t estop, uint8_t pedal_no, uint8_t pedal_nc, uint8_t cartridge);
/* Fire an interrupt of this kind at the n-th hal_* call from now (1 = the next one); 0 cancels. */
void fuzz_hal_irq_at(uint8_t kind, uint16_t n);

/* Provided by the harness: every frame the board transmits (the whole line, '\n' included), and the hook
 * run at every hal_wdt_feed (the top of each main-loop iteration, and during power-up): it checks invariants,
 * feeds the next input and leaves the firmware (longjmp) when the input is used up. */
void fuzz_on_tx(const uint8_t *line, uint16_t len);
void fuzz_loop_hook(void);
/* ... and each complete line the main loop takes from hal_rx_next, just before the firmware acts on it. */
void fuzz_on_rx_line(const char *line, uint16_t len);

#endif /* SMP_HAL_STUB_H */
