/* pgm.h - keep constant tables in flash on the AVR, in ordinary memory on the host.
 * The only target-dependent lines the portable modules (codec.c, limits.c, eeprom_config.c) see. */
#ifndef SMP_PGM_H
#define SMP_PGM_H

#include <stdint.h>

#if defined(__AVR__)
#include <avr/pgmspace.h>
#define SMP_PROGMEM PROGMEM
#define smp_pgm_byte(p) pgm_read_byte(p)
#define smp_pgm_word(p) pgm_read_word(p)
#define smp_pgm_dword(p) pgm_read_dword(p)
#define smp_pgm_ptr(p) ((const char *)pgm_read_word(p))
#else
#define SMP_PROGMEM
#define smp_pgm_byte(p) (*(const uint8_t *)(p))
#define smp_pgm_word(p) (*(const uint16_t *)(p))
#define smp_pgm_dword(p) (*(const uint32_t *)(p))
#define smp_pgm_ptr(p) (*(const char *const *)(p))
#endif

#endif /* SMP_PGM_H */
