/* mkseeds.c - writes the fuzz targets' seed corpus from the golden frames (tests/golden/frames.txt):
 *   mkseeds GOLDEN_FILE CORPUS_DIR      (make fuzz-seeds; the output is committed under fuzz/corpus/)
 * codec/ and limits/: every golden frame as it is on the wire, and all of them in one stream. mainloop/: each
 * golden frame as raw bytes on the line after power-up, and whole sessions in the main-loop target's operation
 * stream (fuzz_main.c): HELLO, UNLOCK, pedal, ARM, a DOT and the tachometer edges and needle readings of its
 * strokes, on the rotary and the coil board, with the clocks near their wrap, stopped by a STOP byte, an e-stop
 * or an expired lease; and pedal sessions: PEDAL, a press, then a release mid-burst, a repeat while held, or a
 * DISARM during the burst. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char buf[8192];
static size_t n;

static void put(unsigned b) { buf[n++] = (unsigned char)b; }
static void put16(unsigned v) {
  put((v >> 8) & 0xFFu);
  put(v & 0xFFu);
}
static void save(const char *dir, const char *sub, const char *name) {
  char path[512];
  FILE *f;
  snprintf(path, sizeof path, "%s/%s/%s", dir, sub, name);
  f = fopen(path, "wb");
  if (!f || fwrite(buf, 1, n, f) != n || fclose(f) != 0) {
    fprintf(stderr, "mkseeds: cannot write %s\n", path);
    exit(1);
  }
  n = 0;
}

/* the main-loop target's operations (fuzz_main.c: operation); host commands by their index in protocol.h */
enum { M_HELLO, M_UNLOCK, M_ARM, M_DOT, M_PEDAL, M_KEEP, M_DISARM, M_STOP, M_ESTOP };
static void quiet(void) { put(8); }                     /* 1 ms */
static void cmd(unsigned m) { put(1); put(m); put(0); } /* next sequence number */
static void advance_100us(unsigned k) { put(128); put(k - 1u); }
static void adc0(unsigned count) { put(4); put(0); put16(count); }
static void edge(unsigned bdc) { put(3); put16(bdc); }
static void raw(const char *s, size_t len) {
  while (len > 0) {
    size_t k = len > 47 ? 47 : len;
    put(0);
    put((unsigned)k);
    while (k--) {
      put((unsigned char)*s++);
      len--;
    }
  }
}

/* power-up (two hooks), HELLO, UNLOCK, pedal down, ARM with a 400 ms lease, one DOT of 3 strokes at 120 Hz */
static void session(unsigned header, unsigned ending) {
  unsigned i;
  put(header);
  quiet();
  quiet();
  cmd(M_HELLO);
  quiet();
  put(7);
  quiet();
  cmd(M_UNLOCK);
  quiet();
  cmd(M_ARM);
  put16(4000);
  quiet();
  put(1); /* DOT: start in 20 ticks, 800 um, 120 Hz, duty 700, 3 strokes, lease 400 ms */
  put(3);
  put(0);
  put(133); /* atTick = now + 133 * 4 - 512 */
  put16(800);
  put(120);
  put16(700);
  put(3);
  put16(4000);
  advance_100us(30);
  for (i = 0; i < 6; i++) {
    if (ending == 1 && i == 3) raw("\x1c", 1); /* STOP priority byte mid-burst */
    if (ending == 2 && i == 3) {               /* e-stop input */
      put(5);
      put(1 | 2);
    }
    /* between bottom dead centres the needle is back in the grip (parked: at the sensor's floor) */
    adc0(i < 2 ? 0 : 20);
    advance_100us(83);
    edge(i < 2 ? 20 : 300); /* spin-up with the actuator parked, then strokes of 752 um */
  }
  for (i = 0; i < 10; i++) quiet();
  if (ending == 3) /* the lease runs out: 500 ms without a word from the host */
    for (i = 0; i < 20; i++) advance_100us(250);
  if (ending == 0) cmd(M_DISARM);
  cmd(M_UNLOCK); /* UNLOCK: refused or accepted, as the state says */
  quiet();
}

/* the strokes of one burst: spin-up (two edges, the actuator parked), then strokes of 752 um, 120 Hz */
static void strokes(unsigned count) {
  unsigned i;
  for (i = 0; i < count; i++) {
    adc0(i < 2 ? 0 : 20);
    advance_100us(83);
    edge(i < 2 ? 20 : 300);
  }
}

/* power-up, HELLO, UNLOCK, PEDAL (armId 7, 800 um, 120 Hz, duty 700, 3 strokes, repeatMs 150 or 0, lease 400 ms),
 * then the pedal pressed: ending 0 released mid-burst, 1 held through a repeat, 2 a DISARM during the burst */
static void pedal_session(unsigned header, unsigned ending) {
  unsigned i;
  put(header);
  quiet();
  quiet();
  cmd(M_HELLO);
  quiet();
  cmd(M_UNLOCK);
  quiet();
  put(1); /* PEDAL */
  put(M_PEDAL);
  put(0);
  put(7);
  put16(800);
  put(120);
  put16(700);
  put(3);
  put(ending == 1 ? 4 : 0); /* repeatMs: 150 (fuzz_main.c's table), or 0 */
  put16(4000);
  quiet();
  put(7); /* pressed */
  advance_100us(15);
  if (ending == 2) cmd(M_DISARM);
  strokes(ending == 0 ? 3 : 6);
  if (ending == 0) put(16); /* released */
  for (i = 0; i < 10; i++) quiet();
  if (ending == 1) { /* held: a KEEP, then the repeat 150 ms after the first burst fired */
    cmd(M_KEEP);
    put16(3000);
    for (i = 0; i < 5; i++) advance_100us(200);
    strokes(6);
    put(16);
    for (i = 0; i < 4; i++) quiet();
  }
  cmd(M_DISARM);
  quiet();
}

int main(int argc, char **argv) {
  char line[512], name[64];
  FILE *f;
  int k = 0;
  static char all[16384];
  size_t all_n = 0;
  if (argc != 3) {
    fprintf(stderr, "usage: mkseeds GOLDEN_FILE CORPUS_DIR\n");
    return 2;
  }
  f = fopen(argv[1], "r");
  if (!f) {
    fprintf(stderr, "mkseeds: cannot read %s\n", argv[1]);
    return 1;
  }
  while (fgets(line, sizeof line, f)) {
    size_t len = strlen(line);
    if (line[0] == '#' || len < 2) continue;
    k++;
    memcpy(all + all_n, line, len);
    all_n += len;
    snprintf(name, sizeof name, "golden-%02d", k);
    memcpy(buf, line, len);
    n = len;
    save(argv[2], "codec", name);
    memcpy(buf, line, len);
    n = len;
    save(argv[2], "limits", name);
    put(0);
    quiet();
    quiet();
    raw(line, len);
    quiet();
    save(argv[2], "mainloop", name);
  }
  fclose(f);
  memcpy(buf, all, all_n);
  n = all_n;
  save(argv[2], "codec", "golden-all");
  session(0x00, 0);
  save(argv[2], "mainloop", "session-rotary");
  session(0x01, 0);
  save(argv[2], "mainloop", "session-coil");
  session(0xF0, 0); /* both clocks a few seconds before their wrap */
  save(argv[2], "mainloop", "session-wrap");
  session(0x00, 1);
  save(argv[2], "mainloop", "session-stop-byte");
  session(0x00, 2);
  save(argv[2], "mainloop", "session-estop");
  session(0x04, 3); /* reset cause: watchdog */
  save(argv[2], "mainloop", "session-lease");
  pedal_session(0x00, 0);
  save(argv[2], "mainloop", "session-pedal-release");
  pedal_session(0x01, 1);
  save(argv[2], "mainloop", "session-pedal-repeat");
  pedal_session(0xF0, 2);
  save(argv[2], "mainloop", "session-pedal-disarm");
  printf("mkseeds: %d golden frames, 9 sessions\n", k);
  return 0;
}
