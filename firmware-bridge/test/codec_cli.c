/* codec_cli.c - the C codec as a filter, for the cross-check against src/protocol/codec.ts
 * (tests/codec-cross.test.ts). Each input line is hex-encoded bytes.
 *   codec_cli decode : per line, "OK <the frame re-encoded, hex>" or "ERR <smp_dec_result>"
 *   codec_cli asm    : per line (a byte stream), the assembler's items: L<hex line> O (overflow) S E (priority)
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "codec.h"

static size_t unhex(const char *s, uint8_t *out, size_t cap) {
  size_t n = 0;
  unsigned v;
  while (n < cap && sscanf(s + 2 * n, "%2x", &v) == 1) out[n++] = (uint8_t)v;
  return n;
}

static void hex(const uint8_t *p, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) printf("%02X", p[i]);
}

int main(int argc, char **argv) {
  static char in[20000];
  static uint8_t bytes[10000];
  int asm_mode = argc > 1 && strcmp(argv[1], "asm") == 0;
  smp_assembler a;
  smp_asm_init(&a);
  while (fgets(in, sizeof in, stdin)) {
    size_t n = unhex(in, bytes, sizeof bytes);
    if (asm_mode) {
      size_t i;
      for (i = 0; i < n; i++) {
        uint8_t r = smp_asm_push(&a, bytes[i]);
        if (r == SMP_ASM_LINE) {
          printf("L");
          hex(a.buf, a.len);
          printf(" ");
        } else if (r == SMP_ASM_OVERFLOW) {
          printf("O ");
        } else if (r == SMP_ASM_PRIO_STOP) {
          printf("S ");
        } else if (r == SMP_ASM_PRIO_ESTOP) {
          printf("E ");
        }
      }
      printf("\n");
    } else {
      smp_frame f;
      smp_dec_result r = smp_decode((const char *)bytes, (uint16_t)n, &f);
      if (r == SMP_DEC_OK) {
        static uint8_t ring[512];
        smp_out out = {ring, 511u, 0};
        uint16_t len = smp_encode(&out, f.seq, f.msg, f.v);
        printf("OK ");
        hex(ring, len);
        printf("\n");
      } else {
        printf("ERR %d\n", (int)r);
      }
    }
    fflush(stdout);
  }
  return 0;
}
