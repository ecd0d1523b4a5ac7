/* codec.h - the wire protocol's frame codec (docs/protocol.md): CRC-16/CCITT-FALSE, byte-level line assembly (with
 * the priority bytes pulled out), strict decoding and encoding. Portable C99: no AVR dependency (flash tables go
 * through pgm.h), compiled into the firmware and into the host tests alike.
 *
 * A frame is one line:   <seq> <ID>[ <name>=<value>]...*<CRC>\n
 * seq 0-65535, fields exactly in table order, CRC = 4 uppercase hex digits over every byte before '*'.
 * Behaviour mirrors src/protocol/codec.ts (decodeFrame, encodeFrame, LineAssembler). */
#ifndef SMP_CODEC_H
#define SMP_CODEC_H

#include <stdint.h>
#include "protocol.h"

/* The message and field indices (SMP_M_*, SMP_F_*), SMP_M_HOST_COUNT, SMP_MAX_FIELDS, the wire type letters
 * (SMP_KIND_*) and the message table (SMP_MESSAGE_TABLE) come from the generated protocol.h. */

/* One field value. Tokens are (pointer, length) and are not NUL-terminated; a decoded token points into
 * the decoded line, which must outlive the frame. */
typedef union {
  uint32_t u;
  int32_t i;
  struct {
    const char *p;
    uint8_t n;
  } t;
} smp_value;

typedef struct {
  uint16_t seq;
  uint8_t msg;
  smp_value v[SMP_MAX_FIELDS];
} smp_frame;

/* ---- CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor) ---- */
#define SMP_CRC_INIT 0xFFFFu
uint16_t smp_crc16_update(uint16_t crc, uint8_t byte);
uint16_t smp_crc16(const void *data, uint16_t n);

/* ---- table access ---- */
/* Spec string of a message, in flash on the AVR: "<ID>" then " <kind><name>" per field, wire order. */
const char *smp_msg_spec(uint8_t msg);
uint8_t smp_msg_nfields(uint8_t msg);
/* Look up a message id; returns SMP_M_COUNT when unknown. */
uint8_t smp_msg_lookup(const char *id, uint8_t n);

/* ---- decoding ---- */
typedef enum {
  SMP_DEC_OK = 0,
  SMP_DEC_TOO_LONG,    /* line (without '\n') + 1 > SMP_MAX_FRAME_BYTES */
  SMP_DEC_BAD_CHAR,    /* a byte outside 0x20..0x7E */
  SMP_DEC_NO_CRC,      /* no '*XXXX' (4 uppercase hex digits) at the end */
  SMP_DEC_CRC_MISMATCH,
  SMP_DEC_BAD_SEQ,     /* not a decimal without leading zeros in 0..65535 */
  SMP_DEC_UNKNOWN_ID,
  SMP_DEC_BAD_FIELD    /* missing, extra, misnamed, misordered or malformed field */
} smp_dec_result;

/* Decode one line (with or without its trailing "\n"; a CR left in the line is a bad character, as in
 * decodeFrame: the assembler drops the one CR allowed before the LF). Anything not exactly valid is an error. */
smp_dec_result smp_decode(const char *line, uint16_t len, smp_frame *out);

/* ---- encoding ---- */
/* Output window: bytes go to buf[(start + i) & mask] for i = 0, 1, ... (a linear buffer is mask = size - 1
 * with size a power of two, start = 0; the firmware passes a reserved stretch of its transmit ring). */
typedef struct {
  uint8_t *buf;
  uint16_t mask;
  uint16_t start;
} smp_out;

/* Encode a frame into the window; returns its length (the whole line with '\n'), or 0 when it cannot go on
 * the wire: bad message index, a token outside [A-Za-z0-9._-]+, or longer than SMP_MAX_FRAME_BYTES (same
 * refusals as encodeFrame in codec.ts). At most SMP_MAX_FRAME_BYTES bytes are ever written. */
uint16_t smp_encode(const smp_out *out, uint16_t seq, uint8_t msg, const smp_value *values);

/* ---- byte-level receiver ---- */
/* Splits a byte stream into lines and pulls out the priority bytes wherever they appear (even mid-line,
 * which then continues). A line longer than SMP_MAX_FRAME_BYTES is discarded up to the
 * next '\n' and reported once as an overflow. A '\r' right before the '\n' is dropped; anywhere else it
 * stays in the line (which then fails decoding). Same rules as LineAssembler in codec.ts. */
typedef struct {
  uint8_t buf[SMP_MAX_FRAME_BYTES];
  uint16_t len;
  uint8_t overflowed;
  uint8_t done; /* a line was returned; the buffer is reset on the next byte */
} smp_assembler;

enum { SMP_ASM_NONE, SMP_ASM_LINE, SMP_ASM_OVERFLOW, SMP_ASM_PRIO_STOP, SMP_ASM_PRIO_ESTOP };

void smp_asm_init(smp_assembler *a);
/* Feed one byte. On SMP_ASM_LINE the line is a->buf[0 .. a->len) and stays valid until the next push. */
uint8_t smp_asm_push(smp_assembler *a, uint8_t byte);

#endif /* SMP_CODEC_H */
