/* test_codec.c - host tests of src/codec.c.
 *   test_codec <golden frames file> <protocol.h>
 * 1. CRC-16/CCITT-FALSE check values.
 * 2. Every golden frame (tests/golden/frames.txt, written by the TypeScript encoder) decodes and re-encodes
 *    byte for byte.
 * 3. Every single-byte corruption of every golden frame is rejected.
 * 4. The strict decoding rules of codec.ts (one case per rule).
 * 5. The line assembler (priority bytes mid-line, CRLF, overflow and resynchronisation).
 * 6. The codec's message table equals the generated header (names, order, kinds, counts).
 * 7. Random frames round-trip; random garbage never decodes as valid without a correct CRC. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "codec.h"

/* Encodes into a 512-byte window that starts near its end, so every frame wraps around (as in the
 * firmware's transmit ring), then copies it out linearly. */
static uint16_t encode_to(char *buf, uint16_t cap, uint16_t seq, uint8_t msg, const smp_value *v) {
  static uint8_t ring[512];
  smp_out out;
  uint16_t n, i;
  out.buf = ring;
  out.mask = 511u;
  out.start = (uint16_t)(400u + seq % 100u);
  n = smp_encode(&out, seq, msg, v);
  for (i = 0; i < n && i < cap; i++) buf[i] = (char)ring[(out.start + i) & out.mask];
  if (n < cap) buf[n] = '\0';
  return n;
}

static uint16_t slen(const char *s) { return (uint16_t)strlen(s); }

/* Builds "<body>*CRC" (no LF) with a correct CRC, so a test isolates one decoding rule. */
static const char *with_crc(const char *body) {
  static char out[600];
  uint16_t crc = smp_crc16(body, slen(body));
  snprintf(out, sizeof out, "%s*%04X", body, (unsigned)crc);
  return out;
}

static smp_dec_result dec(const char *line) {
  smp_frame f;
  return smp_decode(line, slen(line), &f);
}

static uint16_t crc_bitwise(uint16_t crc, uint8_t b) {
  unsigned k;
  crc = (uint16_t)(crc ^ (uint16_t)(b << 8));
  for (k = 0; k < 8; k++) crc = (uint16_t)((crc & 0x8000u) ? ((unsigned)crc << 1) ^ 0x1021u : (unsigned)crc << 1);
  return crc;
}

static void test_crc(void) {
  unsigned crc, b;
  for (crc = 0; crc <= 0xFFFFu; crc += 0x0101u)
    for (b = 0; b < 256u; b++) CHECK(smp_crc16_update((uint16_t)crc, (uint8_t)b) == crc_bitwise((uint16_t)crc, (uint8_t)b));
  CHECK(smp_crc16("123456789", 9) == 0x29B1u);
  CHECK(smp_crc16("0 HELLO", 7) == 0xC591u);
  CHECK(smp_crc16("", 0) == 0xFFFFu);
}

static unsigned golden_count;
static unsigned deletions_accepted;

static void test_golden(const char *path) {
  FILE *fp = fopen(path, "rb");
  char line[1024];
  CHECK_MSG(fp != NULL, "cannot open %s", path);
  if (!fp) return;
  while (fgets(line, sizeof line, fp)) {
    uint16_t n = slen(line);
    smp_frame f;
    char again[600];
    smp_dec_result r;
    uint16_t i;
    if (n > 0 && line[n - 1] == '\n') line[--n] = '\0';
    if (n == 0 || line[0] == '#') continue;
    golden_count++;
    r = smp_decode(line, n, &f);
    CHECK_MSG(r == SMP_DEC_OK, "golden line does not decode (%d): %s", (int)r, line);
    if (r != SMP_DEC_OK) continue;
    {
      uint16_t m = encode_to(again, sizeof again, f.seq, f.msg, f.v);
      CHECK_MSG(m == n + 1u && memcmp(again, line, n) == 0 && again[n] == '\n', "re-encoding differs:\n  %s\n  %.*s",
                line, (int)m, again);
      CHECK_MSG(m <= SMP_MAX_FRAME_BYTES, "encoded frame longer than the limit: %u", (unsigned)m);
    }
    /* the same line with its LF decodes too; with CRLF it does not (the assembler drops that CR) */
    {
      char withlf[1100];
      snprintf(withlf, sizeof withlf, "%s\n", line);
      CHECK(smp_decode(withlf, slen(withlf), &f) == SMP_DEC_OK);
      snprintf(withlf, sizeof withlf, "%s\r\n", line);
      CHECK(smp_decode(withlf, slen(withlf), &f) != SMP_DEC_OK); /* bad char, or too long for the 255-byte one */
    }
    /* every single-byte corruption is rejected (CRC-16 catches every error burst up to 16 bits) */
    for (i = 0; i < n; i++) {
      static const uint8_t flips[] = {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x21, 0xFF};
      unsigned k;
      for (k = 0; k < sizeof flips; k++) {
        char bad[600];
        memcpy(bad, line, n);
        bad[i] = (char)(bad[i] ^ flips[k]);
        CHECK_MSG(smp_decode(bad, n, &f) != SMP_DEC_OK, "corrupted line accepted (byte %u ^ 0x%02X): %s", i,
                  flips[k], line);
      }
    }
    /* dropping one byte changes the length, which CRC-16 does not guarantee to catch (1 in 65536 by
     * chance). Known collision in the golden set: "extensionUm=-35" -> "extensionUm=35" keeps CRC 941C. */
    for (i = 0; i < n; i++) {
      char bad[600];
      memcpy(bad, line, i);
      memcpy(bad + i, line + i + 1, (size_t)(n - i - 1u));
      if (smp_decode(bad, (uint16_t)(n - 1u), &f) == SMP_DEC_OK) {
        deletions_accepted++;
        printf("test_codec: note: dropping byte %u of \"%s\" leaves a valid frame (CRC collision)\n", i, line);
      }
    }
  }
  fclose(fp);
  CHECK_MSG(golden_count >= SMP_M_COUNT, "only %u golden frames", golden_count);
  CHECK_MSG(deletions_accepted <= 1u, "%u single-byte deletions accepted", deletions_accepted);
}

static void test_rules(void) {
  smp_frame f;
  char buf[600];
  /* the documented examples */
  CHECK(dec("0 HELLO*C591") == SMP_DEC_OK);
  CHECK(dec("0 HELLO*C591\n") == SMP_DEC_OK);
  CHECK(dec("0 HELLO*C591\r\n") == SMP_DEC_BAD_CHAR); /* decodeFrame keeps a CR: only the assembler drops it */
  CHECK(dec("0 HELLO*C591\r") == SMP_DEC_BAD_CHAR);
  CHECK(dec("2 ARM leaseTick=12345*C3F6") == SMP_DEC_OK);
  CHECK(dec("7 DOT dot=1 atTick=4800 extensionUm=702 strokeHz=110 dutyPermille=647 strokes=6 leaseTick=6500*7635") ==
        SMP_DEC_OK);
  CHECK(dec("41 NAK ackSeq=9 nak=3*7938") == SMP_DEC_OK);
  CHECK(dec("51 ALARM alarm=8 tick=6001 parkedUs=4250*4600") == SMP_DEC_OK);
  CHECK(dec("0 BOOT bootId=1 resetCause=0*3C8F") == SMP_DEC_OK);
  /* CRC: lowercase hex, wrong value, missing, nothing before '*' */
  CHECK(dec("0 HELLO*c591") == SMP_DEC_NO_CRC);
  CHECK(dec("0 HELLO*C592") == SMP_DEC_CRC_MISMATCH);
  CHECK(dec("0 HELLO") == SMP_DEC_NO_CRC);
  CHECK(dec("*FFFF") == SMP_DEC_NO_CRC);
  CHECK(dec(with_crc("0")) == SMP_DEC_UNKNOWN_ID);
  /* sequence numbers */
  CHECK(dec(with_crc("65535 HELLO")) == SMP_DEC_OK);
  CHECK(dec(with_crc("65536 HELLO")) == SMP_DEC_BAD_SEQ);
  CHECK(dec(with_crc("01 HELLO")) == SMP_DEC_BAD_SEQ);
  CHECK(dec(with_crc("-1 HELLO")) == SMP_DEC_BAD_SEQ);
  CHECK(dec(with_crc(" 0 HELLO")) == SMP_DEC_BAD_SEQ);
  CHECK(dec(with_crc("99999999999 HELLO")) == SMP_DEC_BAD_SEQ);
  /* ids */
  CHECK(dec(with_crc("0 hello")) == SMP_DEC_UNKNOWN_ID);
  CHECK(dec(with_crc("0 HELL")) == SMP_DEC_UNKNOWN_ID);
  CHECK(dec(with_crc("0 HELLOO")) == SMP_DEC_UNKNOWN_ID);
  CHECK(dec(with_crc("0  HELLO")) == SMP_DEC_UNKNOWN_ID);
  /* fields: count, names, order, spaces */
  CHECK(dec(with_crc("0 HELLO ")) == SMP_DEC_BAD_FIELD);
  CHECK(dec(with_crc("0 ARM")) == SMP_DEC_BAD_FIELD);
  CHECK(dec(with_crc("0 ARM leaseTick=1 x=2")) == SMP_DEC_BAD_FIELD);
  CHECK(dec(with_crc("0 ARM leasetick=1")) == SMP_DEC_BAD_FIELD);
  CHECK(dec(with_crc("0 ARM leaseTic=1")) == SMP_DEC_BAD_FIELD);
  CHECK(dec(with_crc("0 ARM leaseTickk=1")) == SMP_DEC_BAD_FIELD);
  CHECK(dec(with_crc("0 ARM leaseTick")) == SMP_DEC_BAD_FIELD);
  CHECK(dec(with_crc("0 ARM leaseTick=")) == SMP_DEC_BAD_FIELD);
  CHECK(dec(with_crc("0 ARM leaseTick=1=2")) == SMP_DEC_BAD_FIELD);
  CHECK(dec(with_crc("0 NAK nak=1 ackSeq=2")) == SMP_DEC_BAD_FIELD);
  CHECK(dec(with_crc("0 NAK ackSeq=2  nak=1")) == SMP_DEC_BAD_FIELD);
  /* u32 */
  CHECK(dec(with_crc("0 ARM leaseTick=4294967295")) == SMP_DEC_OK);
  CHECK(dec(with_crc("0 ARM leaseTick=4294967296")) == SMP_DEC_BAD_FIELD);
  CHECK(dec(with_crc("0 ARM leaseTick=9999999999")) == SMP_DEC_BAD_FIELD);
  CHECK(dec(with_crc("0 ARM leaseTick=00")) == SMP_DEC_BAD_FIELD);
  CHECK(dec(with_crc("0 ARM leaseTick=-1")) == SMP_DEC_BAD_FIELD);
  CHECK(dec(with_crc("0 ARM leaseTick=+1")) == SMP_DEC_BAD_FIELD);
  CHECK(dec(with_crc("0 ARM leaseTick=1.0")) == SMP_DEC_BAD_FIELD);
  CHECK(dec(with_crc("0 ARM leaseTick=0x10")) == SMP_DEC_BAD_FIELD);
  /* i32 */
  CHECK(dec(with_crc("0 STROKE dot=1 stroke=1 extensionUm=-2147483648 periodUs=0 currentMa=0")) == SMP_DEC_OK);
  CHECK(dec(with_crc("0 STROKE dot=1 stroke=1 extensionUm=-2147483649 periodUs=0 currentMa=0")) == SMP_DEC_BAD_FIELD);
  CHECK(dec(with_crc("0 STROKE dot=1 stroke=1 extensionUm=2147483647 periodUs=0 currentMa=0")) == SMP_DEC_OK);
  CHECK(dec(with_crc("0 STROKE dot=1 stroke=1 extensionUm=2147483648 periodUs=0 currentMa=0")) == SMP_DEC_BAD_FIELD);
  CHECK(dec(with_crc("0 STROKE dot=1 stroke=1 extensionUm=-0 periodUs=0 currentMa=0")) == SMP_DEC_BAD_FIELD);
  CHECK(dec(with_crc("0 STROKE dot=1 stroke=1 extensionUm=- periodUs=0 currentMa=0")) == SMP_DEC_BAD_FIELD);
  CHECK(dec(with_crc("0 STROKE dot=1 stroke=1 extensionUm=-01 periodUs=0 currentMa=0")) == SMP_DEC_BAD_FIELD);
  /* tokens */
  CHECK(dec(with_crc("0 INFO protocol=1 firmware=a.b_c-D9 schema=eb1284de clockHz=1 bootId=1 tick=1 "
                     "hardMaxExtensionUm=1 hardMaxStrokeHz=1 hardMaxCurrentMa=1 hardMaxDwellMs=1 hardMaxLeaseMs=1 "
                     "queueSlots=1")) == SMP_DEC_OK);
  CHECK(dec(with_crc("0 INFO protocol=1 firmware=a+b schema=eb1284de clockHz=1 bootId=1 tick=1 "
                     "hardMaxExtensionUm=1 hardMaxStrokeHz=1 hardMaxCurrentMa=1 hardMaxDwellMs=1 hardMaxLeaseMs=1 "
                     "queueSlots=1")) == SMP_DEC_BAD_FIELD);
  CHECK(dec(with_crc("0 INFO protocol=1 firmware= schema=eb1284de clockHz=1 bootId=1 tick=1 "
                     "hardMaxExtensionUm=1 hardMaxStrokeHz=1 hardMaxCurrentMa=1 hardMaxDwellMs=1 hardMaxLeaseMs=1 "
                     "queueSlots=1")) == SMP_DEC_BAD_FIELD);
  /* characters: a CR or a control byte inside the line, a byte above 0x7E */
  {
    const char *ok = with_crc("0 HELLO");
    memcpy(buf, ok, slen(ok) + 1u);
    buf[1] = '\r';
    CHECK(smp_decode(buf, slen(buf), &f) == SMP_DEC_BAD_CHAR);
    buf[1] = (char)0x7F;
    CHECK(smp_decode(buf, slen(buf), &f) == SMP_DEC_BAD_CHAR);
    buf[1] = '\t';
    CHECK(smp_decode(buf, slen(buf), &f) == SMP_DEC_BAD_CHAR);
  }
  /* length: 255 characters + LF is the longest frame; 256 + LF is too long */
  {
    char body[400];
    size_t pad;
    const char *head = "0 INFO protocol=1 firmware=";
    const char *tail = " schema=eb1284de clockHz=10000 bootId=1 tick=1 hardMaxExtensionUm=1500 hardMaxStrokeHz=160 "
                       "hardMaxCurrentMa=3000 hardMaxDwellMs=400 hardMaxLeaseMs=500 queueSlots=4";
    pad = 255u - 5u - strlen(head) - strlen(tail);
    snprintf(body, sizeof body, "%s%.*s%s", head, (int)pad,
             "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", tail);
    CHECK(strlen(with_crc(body)) == 255u);
    CHECK(dec(with_crc(body)) == SMP_DEC_OK);
    snprintf(body, sizeof body, "%s%.*s%s", head, (int)(pad + 1u),
             "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", tail);
    CHECK(dec(with_crc(body)) == SMP_DEC_TOO_LONG);
  }
  /* values come out right */
  {
    const char *l = "7 DOT dot=1 atTick=4800 extensionUm=702 strokeHz=110 dutyPermille=647 strokes=6 leaseTick=6500*7635";
    CHECK(smp_decode(l, slen(l), &f) == SMP_DEC_OK);
    CHECK(f.seq == 7 && f.msg == SMP_M_DOT);
    CHECK(f.v[SMP_F_DOT_DOT].u == 1 && f.v[SMP_F_DOT_AT_TICK].u == 4800 && f.v[SMP_F_DOT_EXTENSION_UM].u == 702);
    CHECK(f.v[SMP_F_DOT_STROKE_HZ].u == 110 && f.v[SMP_F_DOT_DUTY_PERMILLE].u == 647);
    CHECK(f.v[SMP_F_DOT_STROKES].u == 6 && f.v[SMP_F_DOT_LEASE_TICK].u == 6500);
  }
  /* the encoder refuses a value the wire cannot carry */
  {
    smp_value v[SMP_MAX_FIELDS];
    memset(v, 0, sizeof v);
    v[SMP_F_INFO_FIRMWARE].t.p = "bad token";
    v[SMP_F_INFO_FIRMWARE].t.n = 9;
    v[SMP_F_INFO_SCHEMA].t.p = "x";
    v[SMP_F_INFO_SCHEMA].t.n = 1;
    CHECK(encode_to(buf, sizeof buf, 0, SMP_M_INFO, v) == 0);
    CHECK(encode_to(buf, sizeof buf, 0, SMP_M_COUNT, v) == 0);
  }
}

typedef struct {
  uint8_t kinds[16];
  unsigned lines;
  unsigned prio;
  unsigned overflow;
  char last[300];
} asm_log;

static void feed(smp_assembler *a, asm_log *log, const char *bytes, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    uint8_t r = smp_asm_push(a, (uint8_t)bytes[i]);
    if (r == SMP_ASM_LINE) {
      log->lines++;
      memcpy(log->last, a->buf, a->len);
      log->last[a->len] = '\0';
    } else if (r == SMP_ASM_OVERFLOW) {
      log->overflow++;
    } else if (r == SMP_ASM_PRIO_STOP || r == SMP_ASM_PRIO_ESTOP) {
      log->prio++;
    }
  }
}

static void test_assembler(void) {
  smp_assembler a;
  asm_log log;
  char big[700];
  smp_asm_init(&a);
  memset(&log, 0, sizeof log);
  /* priority bytes in the middle of a line: acted on, and the line continues intact */
  feed(&a, &log, "0 HEL\x18LO*C5\x1c" "91\n", 15);
  CHECK(log.prio == 2 && log.lines == 1 && strcmp(log.last, "0 HELLO*C591") == 0);
  CHECK(dec(log.last) == SMP_DEC_OK);
  /* empty lines are ignored; CRLF is accepted; a CR elsewhere stays in the line */
  memset(&log, 0, sizeof log);
  feed(&a, &log, "\n\n0 HELLO*C591\r\n", 16);
  CHECK(log.lines == 1 && strcmp(log.last, "0 HELLO*C591") == 0);
  feed(&a, &log, "0 HEL\rLO*C591\n", 14);
  CHECK(log.lines == 2 && dec(log.last) == SMP_DEC_BAD_CHAR);
  feed(&a, &log, "\r\n", 2);
  CHECK(log.lines == 2);
  feed(&a, &log, "0 HELLO*C591\r\r\n", 15); /* CR CR LF: one CR stays, the line is refused */
  CHECK(log.lines == 3 && dec(log.last) == SMP_DEC_BAD_CHAR);
  /* 256 bytes fit (and then fail decoding as too long); the 257th overflows once, then resynchronises */
  memset(&log, 0, sizeof log);
  memset(big, 'A', sizeof big);
  big[256] = '\n';
  feed(&a, &log, big, 257);
  CHECK(log.lines == 1 && log.overflow == 0 && strlen(log.last) == 256u);
  CHECK(dec(log.last) == SMP_DEC_TOO_LONG);
  memset(&log, 0, sizeof log);
  big[256] = 'A';
  big[600] = '\n';
  feed(&a, &log, big, 601);
  CHECK(log.lines == 0 && log.overflow == 1);
  feed(&a, &log, "0 HELLO*C591\n", 13);
  CHECK(log.lines == 1 && strcmp(log.last, "0 HELLO*C591") == 0);
  /* priority bytes are still acted on while an overflowed line is discarded */
  memset(&log, 0, sizeof log);
  big[600] = '\x1c';
  big[650] = '\n';
  feed(&a, &log, big, 651);
  CHECK(log.overflow == 1 && log.prio == 1 && log.lines == 0);
  /* a 255-byte line followed by CRLF is a line of 255 (the CR is the 256th byte and is dropped) */
  memset(&log, 0, sizeof log);
  memset(big, 'B', 255);
  big[255] = '\r';
  big[256] = '\n';
  feed(&a, &log, big, 257);
  CHECK(log.lines == 1 && strlen(log.last) == 255u && log.overflow == 0);
}

/* Rebuild each message's spec from the generated header and compare with the codec's table. */
static void test_header(const char *path) {
  FILE *fp = fopen(path, "rb");
  char line[512];
  char expect[SMP_M_COUNT][400];
  int nfields[SMP_M_COUNT];
  int m = -1;
  unsigned i;
  CHECK_MSG(fp != NULL, "cannot open %s", path);
  if (!fp) return;
  memset(expect, 0, sizeof expect);
  while (fgets(line, sizeof line, fp)) {
    char macro[128], name[128], kind[16];
    int idx, n;
    if (sscanf(line, "#define SMP_MSG_%127s \"%127[^\"]\"", macro, name) == 2 && strchr(macro, '_') == NULL) {
      m++;
      if (m >= (int)SMP_M_COUNT) break;
      snprintf(expect[m], sizeof expect[m], "%s", name);
      nfields[m] = 0;
    } else if (m >= 0 && sscanf(line, "#define SMP_MSG_%127s %du", macro, &n) == 2 && strstr(macro, "_NFIELDS")) {
      CHECK_MSG(n == nfields[m] || nfields[m] == 0, "%s", macro);
      CHECK_MSG(smp_msg_nfields((uint8_t)m) == n, "field count of %s", expect[m]);
    } else if (m >= 0 && sscanf(line, "#define SMP_FIELD_%127s \"%127[^\"]\" /* #%d %15[a-z0-9]", macro, name, &idx,
                                kind) == 4) {
      char k = strcmp(kind, "u32") == 0 ? 'u' : strcmp(kind, "i32") == 0 ? 'i' : strcmp(kind, "token") == 0 ? 't' : '?';
      size_t len = strlen(expect[m]);
      CHECK_MSG(idx == nfields[m], "field order in %s", macro);
      CHECK_MSG(k != '?', "unknown kind %s", kind);
      snprintf(expect[m] + len, sizeof expect[m] - len, " %c%s", k, name);
      nfields[m]++;
    }
  }
  fclose(fp);
  CHECK_MSG(m + 1 == (int)SMP_M_COUNT, "header lists %d messages", m + 1);
  for (i = 0; i < SMP_M_COUNT && (int)i <= m; i++) {
    CHECK_MSG(strcmp(expect[i], smp_msg_spec((uint8_t)i)) == 0, "message %u: header '%s' codec '%s'", i, expect[i],
              smp_msg_spec((uint8_t)i));
    CHECK(nfields[i] == smp_msg_nfields((uint8_t)i));
  }
}

static uint32_t rng_state = 12345u;
static uint32_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return rng_state;
}

static uint32_t rnd_value(void) {
  switch (rnd() % 5u) {
    case 0: return 0;
    case 1: return 0xFFFFFFFFu;
    case 2: return 0x80000000u;
    case 3: return rnd() % 1000u;
    default: return rnd();
  }
}

static void test_random(void) {
  static const char alphabet[] = "ABCXYZabcxyz0123456789._-";
  unsigned iter, refused = 0;
  for (iter = 0; iter < 20000u; iter++) {
    smp_value v[SMP_MAX_FIELDS], w[SMP_MAX_FIELDS];
    char tokens[SMP_MAX_FIELDS][64];
    char buf[600], again[600];
    uint8_t msg = (uint8_t)(rnd() % SMP_M_COUNT);
    uint16_t seq = (uint16_t)rnd();
    uint8_t nf = smp_msg_nfields(msg);
    const char *spec = smp_msg_spec(msg);
    uint8_t f = 0;
    uint16_t n;
    smp_frame fr;
    const char *p;
    for (p = spec; *p; p++) {
      if (*p != ' ') continue;
      if (p[1] == 't') {
        uint8_t len = (uint8_t)(1u + rnd() % 45u), k;
        for (k = 0; k < len; k++) tokens[f][k] = alphabet[rnd() % (sizeof alphabet - 1u)];
        v[f].t.p = tokens[f];
        v[f].t.n = len;
      } else {
        v[f].u = rnd_value();
      }
      f++;
    }
    CHECK(f == nf);
    n = encode_to(buf, sizeof buf, seq, msg, v);
    if (n == 0) { /* only INFO can be too long; the encoder refuses it, as encodeFrame throws */
      CHECK(msg == SMP_M_INFO);
      refused++;
      continue;
    }
    CHECK(n <= SMP_MAX_FRAME_BYTES && buf[n - 1] == '\n');
    CHECK(smp_decode(buf, n, &fr) == SMP_DEC_OK);
    CHECK(fr.msg == msg && fr.seq == seq);
    memcpy(w, fr.v, sizeof w);
    for (f = 0, p = spec; *p; p++) {
      if (*p != ' ') continue;
      if (p[1] == 't') CHECK(w[f].t.n == v[f].t.n && memcmp(w[f].t.p, v[f].t.p, v[f].t.n) == 0);
      else CHECK(w[f].u == v[f].u);
      f++;
    }
    CHECK(encode_to(again, sizeof again, fr.seq, fr.msg, fr.v) == n && memcmp(again, buf, n) == 0);
    /* garbage: random bytes never decode (their CRC would have to match), and never crash */
    {
      uint16_t len = (uint16_t)(rnd() % 300u), k;
      for (k = 0; k < len; k++) buf[k] = (char)(rnd() & 0xFFu);
      (void)smp_decode(buf, len, &fr);
    }
  }
  CHECK(refused > 0 && refused < 2000u); /* some long INFO frames were refused, most were not */
}

int main(int argc, char **argv) {
  test_crc();
  test_golden(argc > 1 ? argv[1] : "../tests/golden/frames.txt");
  test_rules();
  test_assembler();
  test_header(argc > 2 ? argv[2] : "include/protocol.h");
  test_random();
  printf("test_codec: %u golden frames decoded and re-encoded byte for byte\n", golden_count);
  return check_report("test_codec");
}
