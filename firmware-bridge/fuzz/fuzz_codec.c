/* fuzz_codec.c - libFuzzer target: the firmware's frame codec (src/codec.c). The input is a byte stream on
 * the serial line and, read again, the values of a frame to encode. Properties (abort() on a violation):
 *   - the assembler never returns a line longer than the frame limit, and never a priority byte in a line;
 *   - a line that decodes is canonical: re-encoded, it is the same bytes; its message and fields are in range;
 *   - a decoded frame with any one bit flipped, or cut short anywhere, never decodes (corruption is detected);
 *   - smp_encode writes at most one frame into its window and nothing outside it; what it writes decodes to
 *     exactly the values given, and it is byte for byte the reference encoding below (written from
 *     docs/protocol.md, not from codec.c); it refuses (0) only a bad token or a frame over the limit. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

static uint32_t mix; /* picks which bits to flip, from the input */

static void check_line(const uint8_t *line, uint16_t len) {
  smp_frame fr;
  uint8_t ring[512], copy[SMP_MAX_FRAME_BYTES + 1];
  smp_out out;
  uint16_t n, i, k;
  if (len > SMP_MAX_FRAME_BYTES) abort();
  for (i = 0; i < len; i++)
    if (line[i] == SMP_PRIO_STOP || line[i] == SMP_PRIO_ESTOP || line[i] == '\n') abort();
  if (smp_decode((const char *)line, len, &fr) != SMP_DEC_OK) return;
  if (fr.msg >= SMP_M_COUNT) abort();
  /* canonical: the encoder writes back the very same bytes (plus the '\n') */
  out.buf = ring;
  out.mask = sizeof ring - 1u;
  out.start = (uint16_t)(mix & 511u);
  n = smp_encode(&out, fr.seq, fr.msg, fr.v);
  if (n != len + 1u) abort();
  for (i = 0; i < len; i++)
    if (ring[(out.start + i) & out.mask] != line[i]) abort();
  if (ring[(out.start + len) & out.mask] != '\n') abort();
  /* corruption is detected: single bit flips (eight of them, chosen by the input) and every truncation */
  for (k = 0; k < 8u; k++) {
    uint32_t bit = (mix >> (k * 4u)) * 2654435761u % (uint32_t)(len * 8u);
    memcpy(copy, line, len);
    copy[bit / 8u] ^= (uint8_t)(1u << (bit % 8u));
    if (copy[bit / 8u] == '\n') continue; /* a flip into '\n' splits the line: the assembler's business */
    if (smp_decode((const char *)copy, len, &fr) == SMP_DEC_OK) abort();
  }
  for (i = 0; i < len; i++)
    if (smp_decode((const char *)line, i, &fr) == SMP_DEC_OK) abort();
}

/* ---- the reference encoder: "<seq> <ID>[ <name>=<value>]...*<CRC>\n", CRC-16/CCITT-FALSE bit by bit ---- */

static uint16_t ref_crc(const char *s, size_t n) {
  uint16_t reg = 0xFFFFu;
  size_t i;
  int b;
  for (i = 0; i < n; i++)
    for (b = 7; b >= 0; b--) {
      unsigned fb = ((reg >> 15) & 1u) ^ (((unsigned char)s[i] >> b) & 1u);
      reg = (uint16_t)(reg << 1);
      if (fb) reg ^= 0x1021u;
    }
  return reg;
}

static int ref_token_ok(const smp_value *v) {
  uint8_t i;
  if (v->t.n == 0) return 0;
  for (i = 0; i < v->t.n; i++) {
    char c = v->t.p[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
          c == '-'))
      return 0;
  }
  return 1;
}

/* The line for (seq, msg, values), or -1 when a token is not a token; the length may exceed the limit. */
static int ref_encode(char *buf, size_t cap, uint16_t seq, uint8_t msg, const smp_value *v) {
  const char *spec = smp_msg_spec(msg);
  size_t idlen = strcspn(spec, " ");
  int n = snprintf(buf, cap, "%u %.*s", (unsigned)seq, (int)idlen, spec);
  const char *p = spec + idlen;
  uint8_t f = 0;
  uint16_t crc;
  while (*p == ' ') {
    char kind = p[1];
    size_t nlen;
    p += 2;
    nlen = strcspn(p, " ");
    n += snprintf(buf + n, cap - (size_t)n, " %.*s=", (int)nlen, p);
    p += nlen;
    if (kind == SMP_KIND_TOKEN) {
      if (!ref_token_ok(&v[f])) return -1;
      n += snprintf(buf + n, cap - (size_t)n, "%.*s", (int)v[f].t.n, v[f].t.p);
    } else if (kind == SMP_KIND_I32) {
      n += snprintf(buf + n, cap - (size_t)n, "%ld", (long)v[f].i);
    } else {
      n += snprintf(buf + n, cap - (size_t)n, "%lu", (unsigned long)v[f].u);
    }
    f++;
  }
  crc = ref_crc(buf, (size_t)n);
  n += snprintf(buf + n, cap - (size_t)n, "*%04X\n", (unsigned)crc);
  return n;
}

static void check_encode(const uint8_t *data, size_t size) {
  static const uint8_t SENTINEL = 0xA5;
  uint8_t ring[512];
  char ref[2048];
  smp_value v[SMP_MAX_FIELDS];
  uint8_t is_token[SMP_MAX_FIELDS];
  smp_frame fr;
  smp_out out;
  size_t pos = 0;
  uint8_t msg, f, nf;
  uint16_t seq, n, i;
  int rn;
  const char *spec;
#define TAKE() (pos < size ? data[pos++] : 0u)
  msg = (uint8_t)(TAKE() % SMP_M_COUNT);
  seq = TAKE();
  seq = (uint16_t)((unsigned)seq << 8 | TAKE());
  nf = smp_msg_nfields(msg);
  spec = smp_msg_spec(msg);
  memset(v, 0, sizeof v);
  for (f = 0; f < nf; f++) {
    char kind;
    spec = strchr(spec, ' ');
    kind = spec[1];
    spec++;
    is_token[f] = kind == SMP_KIND_TOKEN;
    if (kind == SMP_KIND_TOKEN) { /* a token: up to 80 bytes of the input as they are */
      uint8_t len = (uint8_t)(TAKE() % 81u);
      if (pos + len > size) len = (uint8_t)(size - pos);
      v[f].t.p = (const char *)data + pos;
      v[f].t.n = len;
      pos += len;
    } else {
      uint32_t x = (uint32_t)TAKE() << 24;
      x |= (uint32_t)TAKE() << 16;
      x |= (uint32_t)TAKE() << 8;
      x |= TAKE();
      v[f].u = x;
    }
  }
#undef TAKE
  memset(ring, SENTINEL, sizeof ring);
  out.buf = ring;
  out.mask = sizeof ring - 1u;
  out.start = (uint16_t)(mix & 511u);
  n = smp_encode(&out, seq, msg, v);
  rn = ref_encode(ref, sizeof ref, seq, msg, v);
  if (rn < 0 || rn > (int)SMP_MAX_FRAME_BYTES) { /* refused, exactly when the reference says so */
    if (n != 0) abort();
  } else {
    if (n != (uint16_t)rn) abort();
    for (i = 0; i < n; i++)
      if (ring[(out.start + i) & out.mask] != (uint8_t)ref[i]) abort();
    if (smp_decode(ref, n, &fr) != SMP_DEC_OK || fr.msg != msg || fr.seq != seq) abort();
    for (f = 0; f < nf; f++) {
      if (is_token[f] ? fr.v[f].t.n != v[f].t.n || memcmp(fr.v[f].t.p, v[f].t.p, v[f].t.n) != 0
                      : fr.v[f].u != v[f].u)
        abort();
    }
  }
  /* nothing outside the longest frame's stretch of the window is touched, whatever was refused */
  for (i = SMP_MAX_FRAME_BYTES; i < sizeof ring; i++)
    if (ring[(out.start + i) & out.mask] != SENTINEL) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  smp_assembler a;
  size_t i;
  mix = 0x9E3779B9u;
  for (i = 0; i < size; i++) mix = (mix ^ data[i]) * 16777619u;
  smp_asm_init(&a);
  for (i = 0; i < size; i++) {
    uint8_t r = smp_asm_push(&a, data[i]);
    if (r == SMP_ASM_LINE) check_line(a.buf, a.len);
    if ((data[i] == SMP_PRIO_STOP) != (r == SMP_ASM_PRIO_STOP)) abort();
    if ((data[i] == SMP_PRIO_ESTOP) != (r == SMP_ASM_PRIO_ESTOP)) abort();
  }
  check_encode(data, size);
  return 0;
}
