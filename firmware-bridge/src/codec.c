/* codec.c - the wire protocol's frame codec (docs/protocol.md). Portable: no AVR dependency (see codec.h). */
#include "codec.h"

#include "pgm.h"

/* ---- CRC ---- */

/* Table of the MSB-first CRC with polynomial 0x1021 for every value of the top byte (in flash on the AVR,
 * ~12 cycles per byte there); with init 0xFFFF the result is CRC-16/CCITT-FALSE. The host tests check it
 * against the bit-wise definition for every byte value. */
static const uint16_t CRC_TABLE[256] SMP_PROGMEM = {
  0x0000, 0x1021, 0x2042, 0x3063, 0x4084, 0x50A5, 0x60C6, 0x70E7,
  0x8108, 0x9129, 0xA14A, 0xB16B, 0xC18C, 0xD1AD, 0xE1CE, 0xF1EF,
  0x1231, 0x0210, 0x3273, 0x2252, 0x52B5, 0x4294, 0x72F7, 0x62D6,
  0x9339, 0x8318, 0xB37B, 0xA35A, 0xD3BD, 0xC39C, 0xF3FF, 0xE3DE,
  0x2462, 0x3443, 0x0420, 0x1401, 0x64E6, 0x74C7, 0x44A4, 0x5485,
  0xA56A, 0xB54B, 0x8528, 0x9509, 0xE5EE, 0xF5CF, 0xC5AC, 0xD58D,
  0x3653, 0x2672, 0x1611, 0x0630, 0x76D7, 0x66F6, 0x5695, 0x46B4,
  0xB75B, 0xA77A, 0x9719, 0x8738, 0xF7DF, 0xE7FE, 0xD79D, 0xC7BC,
  0x48C4, 0x58E5, 0x6886, 0x78A7, 0x0840, 0x1861, 0x2802, 0x3823,
  0xC9CC, 0xD9ED, 0xE98E, 0xF9AF, 0x8948, 0x9969, 0xA90A, 0xB92B,
  0x5AF5, 0x4AD4, 0x7AB7, 0x6A96, 0x1A71, 0x0A50, 0x3A33, 0x2A12,
  0xDBFD, 0xCBDC, 0xFBBF, 0xEB9E, 0x9B79, 0x8B58, 0xBB3B, 0xAB1A,
  0x6CA6, 0x7C87, 0x4CE4, 0x5CC5, 0x2C22, 0x3C03, 0x0C60, 0x1C41,
  0xEDAE, 0xFD8F, 0xCDEC, 0xDDCD, 0xAD2A, 0xBD0B, 0x8D68, 0x9D49,
  0x7E97, 0x6EB6, 0x5ED5, 0x4EF4, 0x3E13, 0x2E32, 0x1E51, 0x0E70,
  0xFF9F, 0xEFBE, 0xDFDD, 0xCFFC, 0xBF1B, 0xAF3A, 0x9F59, 0x8F78,
  0x9188, 0x81A9, 0xB1CA, 0xA1EB, 0xD10C, 0xC12D, 0xF14E, 0xE16F,
  0x1080, 0x00A1, 0x30C2, 0x20E3, 0x5004, 0x4025, 0x7046, 0x6067,
  0x83B9, 0x9398, 0xA3FB, 0xB3DA, 0xC33D, 0xD31C, 0xE37F, 0xF35E,
  0x02B1, 0x1290, 0x22F3, 0x32D2, 0x4235, 0x5214, 0x6277, 0x7256,
  0xB5EA, 0xA5CB, 0x95A8, 0x8589, 0xF56E, 0xE54F, 0xD52C, 0xC50D,
  0x34E2, 0x24C3, 0x14A0, 0x0481, 0x7466, 0x6447, 0x5424, 0x4405,
  0xA7DB, 0xB7FA, 0x8799, 0x97B8, 0xE75F, 0xF77E, 0xC71D, 0xD73C,
  0x26D3, 0x36F2, 0x0691, 0x16B0, 0x6657, 0x7676, 0x4615, 0x5634,
  0xD94C, 0xC96D, 0xF90E, 0xE92F, 0x99C8, 0x89E9, 0xB98A, 0xA9AB,
  0x5844, 0x4865, 0x7806, 0x6827, 0x18C0, 0x08E1, 0x3882, 0x28A3,
  0xCB7D, 0xDB5C, 0xEB3F, 0xFB1E, 0x8BF9, 0x9BD8, 0xABBB, 0xBB9A,
  0x4A75, 0x5A54, 0x6A37, 0x7A16, 0x0AF1, 0x1AD0, 0x2AB3, 0x3A92,
  0xFD2E, 0xED0F, 0xDD6C, 0xCD4D, 0xBDAA, 0xAD8B, 0x9DE8, 0x8DC9,
  0x7C26, 0x6C07, 0x5C64, 0x4C45, 0x3CA2, 0x2C83, 0x1CE0, 0x0CC1,
  0xEF1F, 0xFF3E, 0xCF5D, 0xDF7C, 0xAF9B, 0xBFBA, 0x8FD9, 0x9FF8,
  0x6E17, 0x7E36, 0x4E55, 0x5E74, 0x2E93, 0x3EB2, 0x0ED1, 0x1EF0,
};

uint16_t smp_crc16_update(uint16_t crc, uint8_t byte) {
  return (uint16_t)((uint16_t)(crc << 8) ^ smp_pgm_word(&CRC_TABLE[(uint8_t)(crc >> 8) ^ byte]));
}

uint16_t smp_crc16(const void *data, uint16_t n) {
  const uint8_t *p = (const uint8_t *)data;
  uint16_t crc = SMP_CRC_INIT;
  while (n--) crc = (uint16_t)((uint16_t)(crc << 8) ^ smp_pgm_word(&CRC_TABLE[(uint8_t)(crc >> 8) ^ *p++]));
  return crc;
}

/* ---- the message table: SMP_MESSAGE_TABLE, generated from src/protocol/table.ts into protocol.h ---- */

#define SMP_SPEC_STRING_(id, spec, nfields) static const char S_##id[] SMP_PROGMEM = spec;
SMP_MESSAGE_TABLE(SMP_SPEC_STRING_)
#undef SMP_SPEC_STRING_

#define SMP_SPEC_POINTER_(id, spec, nfields) S_##id,
static const char *const SPECS[SMP_M_COUNT] SMP_PROGMEM = {SMP_MESSAGE_TABLE(SMP_SPEC_POINTER_)};
#undef SMP_SPEC_POINTER_

#define SMP_SPEC_NFIELDS_(id, spec, nfields) nfields,
static const uint8_t NFIELDS[SMP_M_COUNT] SMP_PROGMEM = {SMP_MESSAGE_TABLE(SMP_SPEC_NFIELDS_)};
#undef SMP_SPEC_NFIELDS_

const char *smp_msg_spec(uint8_t msg) {
  return msg < SMP_M_COUNT ? smp_pgm_ptr(&SPECS[msg]) : 0;
}

uint8_t smp_msg_nfields(uint8_t msg) {
  return msg < SMP_M_COUNT ? smp_pgm_byte(&NFIELDS[msg]) : 0;
}

uint8_t smp_msg_lookup(const char *id, uint8_t n) {
  uint8_t m;
  for (m = 0; m < SMP_M_COUNT; m++) {
    const char *s = smp_msg_spec(m);
    uint8_t i = 0;
    while (i < n && (char)smp_pgm_byte(s + i) == id[i]) i++;
    if (i == n) {
      char end = (char)smp_pgm_byte(s + n);
      if (end == '\0' || end == ' ') return m;
    }
  }
  return SMP_M_COUNT;
}

/* ---- character classes and numbers ---- */

static uint8_t is_digit(char c) { return c >= '0' && c <= '9'; }

static uint8_t is_token_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '.' || c == '_' || c == '-';
}

static uint8_t is_token(const char *s, uint8_t n) {
  uint8_t i;
  if (n == 0) return 0;
  for (i = 0; i < n; i++)
    if (!is_token_char(s[i])) return 0;
  return 1;
}

/* UINT_RE = ^(0|[1-9][0-9]{0,9})$ and value <= 0xFFFFFFFF. */
static uint8_t parse_u32(const char *s, uint16_t n, uint32_t *out) {
  static const char MAX[] = "4294967295";
  uint32_t v = 0;
  uint16_t i;
  if (n == 0 || n > 10) return 0;
  if (s[0] == '0' && n > 1) return 0;
  for (i = 0; i < n; i++) {
    if (!is_digit(s[i])) return 0;
  }
  if (n == 10) {
    for (i = 0; i < 10; i++) {
      if (s[i] != MAX[i]) {
        if (s[i] > MAX[i]) return 0;
        break;
      }
    }
  }
  for (i = 0; i < n; i++) v = v * 10u + (uint32_t)(s[i] - '0');
  *out = v;
  return 1;
}

/* INT_RE = ^(0|-?[1-9][0-9]{0,9})$ and value in -2^31 .. 2^31-1. */
static uint8_t parse_i32(const char *s, uint16_t n, int32_t *out) {
  uint32_t m;
  if (n > 0 && s[0] == '-') {
    if (n < 2 || s[1] == '0') return 0;
    if (!parse_u32(s + 1, n - 1, &m) || m > 0x80000000UL) return 0;
    *out = (int32_t)(0u - m);
    return 1;
  }
  if (!parse_u32(s, n, &m) || m > 0x7FFFFFFFUL) return 0;
  *out = (int32_t)m;
  return 1;
}

static int8_t hex_value(char c) {
  if (c >= '0' && c <= '9') return (int8_t)(c - '0');
  if (c >= 'A' && c <= 'F') return (int8_t)(c - 'A' + 10);
  return -1; /* lowercase is not accepted */
}

/* ---- decoding ---- */

smp_dec_result smp_decode(const char *line, uint16_t len, smp_frame *out) {
  uint16_t i, star, pos, end, nparts;
  uint16_t crc_wire = 0;
  uint32_t seq;
  uint8_t msg, nf, f;
  const char *spec;

  if (len > 0 && line[len - 1] == '\n') len--; /* a CR before it was dropped by the line assembler */
  if (len + 1u > SMP_MAX_FRAME_BYTES) return SMP_DEC_TOO_LONG;
  for (i = 0; i < len; i++) {
    uint8_t c = (uint8_t)line[i];
    if (c < 0x20 || c > 0x7E) return SMP_DEC_BAD_CHAR;
  }
  if (len < 6) return SMP_DEC_NO_CRC; /* star index must be >= 1 */
  star = (uint16_t)(len - 5);
  if (line[star] != '*') return SMP_DEC_NO_CRC;
  for (i = (uint16_t)(star + 1); i < len; i++) {
    int8_t h = hex_value(line[i]);
    if (h < 0) return SMP_DEC_NO_CRC;
    crc_wire = (uint16_t)((crc_wire << 4) | (uint16_t)h);
  }
  if (smp_crc16(line, star) != crc_wire) return SMP_DEC_CRC_MISMATCH;

  /* body = line[0 .. star), split on ' ' exactly like String.prototype.split(" ") */
  for (end = 0; end < star && line[end] != ' '; end++) {
  }
  if (!parse_u32(line, end, &seq) || seq > 0xFFFFu) return SMP_DEC_BAD_SEQ;
  if (end >= star) return SMP_DEC_UNKNOWN_ID; /* no id part: the id is "" */
  pos = (uint16_t)(end + 1);
  for (end = pos; end < star && line[end] != ' '; end++) {
  }
  if ((uint16_t)(end - pos) > 255u) return SMP_DEC_UNKNOWN_ID;
  msg = smp_msg_lookup(line + pos, (uint8_t)(end - pos));
  if (msg >= SMP_M_COUNT) return SMP_DEC_UNKNOWN_ID;
  nf = smp_msg_nfields(msg);
  nparts = 0;
  for (i = end; i < star; i++)
    if (line[i] == ' ') nparts++;
  if (nparts != nf) return SMP_DEC_BAD_FIELD;

  spec = smp_msg_spec(msg);
  while (smp_pgm_byte(spec) != ' ' && smp_pgm_byte(spec) != '\0') spec++; /* skip the id */
  out->seq = (uint16_t)seq;
  out->msg = msg;
  for (f = 0; f < nf; f++) {
    char kind;
    uint16_t vpos;
    pos = (uint16_t)(end + 1);
    for (end = pos; end < star && line[end] != ' '; end++) {
    }
    spec++; /* the ' ' */
    kind = (char)smp_pgm_byte(spec++);
    /* the name must match up to the first '=' of the part */
    for (i = pos; i < end && line[i] != '='; i++) {
      if ((char)smp_pgm_byte(spec) != line[i]) return SMP_DEC_BAD_FIELD;
      spec++;
    }
    if (i >= end) return SMP_DEC_BAD_FIELD; /* no '=' */
    if (smp_pgm_byte(spec) != ' ' && smp_pgm_byte(spec) != '\0') return SMP_DEC_BAD_FIELD; /* name too short */
    vpos = (uint16_t)(i + 1);
    if (kind == SMP_KIND_TOKEN) {
      if ((uint16_t)(end - vpos) > 255u || !is_token(line + vpos, (uint8_t)(end - vpos))) return SMP_DEC_BAD_FIELD;
      out->v[f].t.p = line + vpos;
      out->v[f].t.n = (uint8_t)(end - vpos);
    } else if (kind == SMP_KIND_I32) {
      if (!parse_i32(line + vpos, (uint16_t)(end - vpos), &out->v[f].i)) return SMP_DEC_BAD_FIELD;
    } else {
      if (!parse_u32(line + vpos, (uint16_t)(end - vpos), &out->v[f].u)) return SMP_DEC_BAD_FIELD;
    }
  }
  return SMP_DEC_OK;
}

/* ---- encoding ---- */

static const uint32_t POW10[9] SMP_PROGMEM = {
  1000000000UL, 100000000UL, 10000000UL, 1000000UL, 100000UL, 10000UL, 1000UL, 100UL, 10UL,
};

/* Encoder state: file-static (the encoder is not re-entrant, and direct addressing is much cheaper than a
 * structure behind a pointer on the AVR). The body is written first and its CRC computed afterwards in one
 * tight pass over the window. */
static uint8_t *enc_buf;
static uint16_t enc_mask, enc_pos, enc_end;

static inline __attribute__((always_inline)) void put(char c) {
  if (enc_pos != enc_end) enc_buf[enc_pos & enc_mask] = (uint8_t)c;
  else enc_end++; /* past SMP_MAX_FRAME_BYTES: counted, not written */
  enc_pos++;
}

/* Decimal without division (the AVR has no divide instruction): subtract powers of ten, starting at the
 * leading digit, in 16-bit arithmetic once the rest fits. */
static const uint16_t P16[4] = {10000u, 1000u, 100u, 10u};

static void put_u16(uint16_t v, uint8_t k, uint8_t started) {
  for (; k < 4; k++) {
    uint16_t p = P16[k];
    char d = '0';
    if (!started && v < p) continue;
    while (v >= p) {
      v = (uint16_t)(v - p);
      d++;
    }
    put(d);
    started = 1;
  }
  put((char)('0' + (uint8_t)v));
}

static void put_u32(uint32_t v) {
  uint8_t k = 0;
  if (v <= 0xFFFFu) {
    put_u16((uint16_t)v, 0, 0);
    return;
  }
  while (v < smp_pgm_dword(&POW10[k])) k++; /* v >= 65536: the leading digit is at 10^4 or above */
  for (; k < 6; k++) {                      /* 10^9 .. 10^4 */
    uint32_t p = smp_pgm_dword(&POW10[k]);
    char d = '0';
    while (v >= p) {
      v -= p;
      d++;
    }
    put(d);
  }
  put_u16((uint16_t)v, 1, 1); /* below 10^4: 1000, 100, 10, 1 */
}

/* Copies flash text up to (not including) a ' ' or the end; returns where it stopped. */
static const char *put_pgm(const char *s) {
  char c;
  while ((c = (char)smp_pgm_byte(s)) != '\0' && c != ' ') {
    put(c);
    s++;
  }
  return s;
}

uint16_t smp_encode(const smp_out *out, uint16_t seq, uint8_t msg, const smp_value *values) {
  static const char HEX[] = "0123456789ABCDEF";
  const char *spec;
  uint8_t f, nf;
  uint16_t star, i, crc, len;
  if (msg >= SMP_M_COUNT) return 0;
  nf = smp_msg_nfields(msg);
  enc_buf = out->buf;
  enc_mask = out->mask;
  enc_pos = out->start;
  enc_end = (uint16_t)(out->start + SMP_MAX_FRAME_BYTES); /* never write more than the longest frame */
  put_u32(seq);
  put(' ');
  spec = put_pgm(smp_msg_spec(msg));
  for (f = 0; f < nf; f++) {
    char kind;
    spec++; /* the ' ' */
    kind = (char)smp_pgm_byte(spec++);
    put(' ');
    spec = put_pgm(spec);
    put('=');
    if (kind == SMP_KIND_TOKEN) {
      uint8_t k;
      if (!is_token(values[f].t.p, values[f].t.n)) return 0; /* nothing was committed */
      for (k = 0; k < values[f].t.n; k++) put(values[f].t.p[k]);
    } else if (kind == SMP_KIND_I32 && values[f].i < 0) {
      put('-');
      put_u32(0u - values[f].u);
    } else {
      put_u32(values[f].u);
    }
  }
  star = enc_pos;
  if ((uint16_t)(star - out->start) > SMP_MAX_FRAME_BYTES - 6u) return 0; /* with "*XXXX\n": too long */
  crc = SMP_CRC_INIT;
  for (i = out->start; i != star; i++)
    crc = (uint16_t)((uint16_t)(crc << 8) ^ smp_pgm_word(&CRC_TABLE[(uint8_t)(crc >> 8) ^ enc_buf[i & enc_mask]]));
  put('*');
  put(HEX[(crc >> 12) & 0xF]);
  put(HEX[(crc >> 8) & 0xF]);
  put(HEX[(crc >> 4) & 0xF]);
  put(HEX[crc & 0xF]);
  put('\n');
  len = (uint16_t)(enc_pos - out->start);
  return len;
}

/* ---- line assembler ---- */

void smp_asm_init(smp_assembler *a) {
  a->len = 0;
  a->overflowed = 0;
  a->done = 0;
}

uint8_t smp_asm_push(smp_assembler *a, uint8_t byte) {
  if (byte == SMP_PRIO_STOP) return SMP_ASM_PRIO_STOP;
  if (byte == SMP_PRIO_ESTOP) return SMP_ASM_PRIO_ESTOP;
  if (a->done) {
    a->done = 0;
    a->len = 0;
  }
  if (byte == '\n') {
    uint8_t r;
    if (a->len > 0 && a->buf[a->len - 1] == '\r') a->len--; /* CRLF is accepted; a CR elsewhere is a bad byte */
    r = (!a->overflowed && a->len > 0) ? SMP_ASM_LINE : SMP_ASM_NONE;
    if (r == SMP_ASM_LINE) a->done = 1;
    else a->len = 0;
    a->overflowed = 0;
    return r;
  }
  if (a->overflowed) return SMP_ASM_NONE;
  if (a->len >= SMP_MAX_FRAME_BYTES) {
    a->overflowed = 1;
    a->len = 0;
    return SMP_ASM_OVERFLOW;
  }
  a->buf[a->len++] = byte;
  return SMP_ASM_NONE;
}
