// The protocol table (v2): every message id, field (with its unit in the name), priority byte, board
// state, alarm code and NAK code. Everything else (codec, simulated board, host link, docs, the firmware
// header) is derived from this file. Change it and the schema hash changes, so mismatched ends refuse to arm.

export const PROTOCOL_VERSION = 2;

/** The board's behaviour constants (defaults, thresholds), shared by the simulated board and the firmware. */
export { BOARD_DEFAULTS, type BoardDefaultName } from "./board-defaults.ts";

/** Field kinds on the wire. All numbers are decimal integers; a token is [A-Za-z0-9._-]+. */
export type FieldKind = "u32" | "i32" | "token";

export interface FieldSpec {
  readonly name: string;
  readonly kind: FieldKind;
  readonly doc: string;
}

export interface MessageSpec {
  readonly id: string;
  readonly dir: "host" | "board"; // who sends it
  readonly fields: readonly FieldSpec[];
  readonly doc: string;
}

const u32 = <N extends string>(name: N, doc: string) => ({ name, kind: "u32" as const, doc });
const i32 = <N extends string>(name: N, doc: string) => ({ name, kind: "i32" as const, doc });
const token = <N extends string>(name: N, doc: string) => ({ name, kind: "token" as const, doc });

/** Host-to-board commands. Each is acknowledged (ACK/NAK) and retransmitted by the host on timeout. */
export const HOST_MESSAGES = [
  {
    id: "HELLO",
    dir: "host",
    fields: [],
    doc: "Handshake. Board replies ACK then INFO. Accepted with any sequence number; resets de-duplication.",
  },
  {
    id: "UNLOCK",
    dir: "host",
    fields: [],
    doc:
      "Clear a latched alarm (IDLE afterwards). Refused while a cause persists, with the NAK that names it " +
      "(ESTOP_PRESSED, CARTRIDGE_OPEN, PEDAL_CONTACTS, ACTUATOR_MISMATCH, CONFIG_INVALID, checked in that " +
      "order), or with ALARM_ACTIVE while the needle is not parked yet.",
  },
  {
    id: "ARM",
    dir: "host",
    fields: [u32("leaseTick", "board tick at which the lease expires")],
    doc: "IDLE -> ARMED: dots accepted, lease running.",
  },
  {
    id: "DOT",
    dir: "host",
    fields: [
      u32("dot", "dot number, unique within the session"),
      u32("atTick", "board tick at which the burst may start"),
      u32("extensionUm", "needle extension setpoint for the burst"),
      u32("strokeHz", "stroke-rate setpoint"),
      u32("dutyPermille", "drive duty cycle, 0-1000"),
      u32("strokes", "punctures in the burst"),
      u32("leaseTick", "board tick at which the lease expires"),
    ],
    doc:
      "Queue one dot burst. Checked against every hard limit " +
      "(the burst's on-time is strokes/strokeHz plus LINK.burstOverheadMs); " +
      "a dot beyond one is refused (NAK LIMIT) and latches LIMIT_REQUEST. Dot numbers must rise.",
  },
  {
    id: "PEDAL",
    dir: "host",
    fields: [
      u32("armId", "the host's id for these burst settings, echoed in FIRE"),
      u32("extensionUm", "needle extension setpoint for each pedal burst"),
      u32("strokeHz", "stroke-rate setpoint"),
      u32("dutyPermille", "drive duty cycle, 0-1000"),
      u32("strokes", "punctures in each burst"),
      u32("repeatMs", "0: one burst per press; else while held, a burst every repeatMs from the previous one"),
      u32("leaseTick", "board tick at which the lease expires"),
    ],
    doc:
      "Arm the pedal (IDLE -> PEDAL) or replace the armed burst settings (in PEDAL or PEDAL_BURST: from the next " +
      "press on). Each debounced press then fires one burst with these settings (§7.13). Checked like DOT " +
      "(NAK LIMIT latches LIMIT_REQUEST), and repeatMs is 0 or within LINK.pedalRepeatMinMs..pedalRepeatMaxMs.",
  },
  {
    id: "KEEP",
    dir: "host",
    fields: [u32("leaseTick", "board tick at which the lease expires")],
    doc: "Extend the lease from the control path when no dot is due.",
  },
  {
    id: "DISARM",
    dir: "host",
    fields: [],
    doc: "ARMED or PEDAL -> IDLE once the queue is empty and no burst runs; drive off.",
  },
  { id: "STOP", dir: "host", fields: [], doc: "Same as the STOP priority byte: park, drive off, latch STOP." },
  { id: "ESTOP", dir: "host", fields: [], doc: "Same as the E-STOP priority byte: park, drive off, latch ESTOP." },
] as const satisfies readonly MessageSpec[];

/** Board-to-host frames. Never acknowledged; the host counts gaps in their sequence numbers. */
export const BOARD_MESSAGES = [
  {
    id: "ACK",
    dir: "board",
    fields: [u32("ackSeq", "sequence number of the command accepted")],
    doc: "Command accepted (or a duplicate of one already accepted).",
  },
  {
    id: "NAK",
    dir: "board",
    fields: [u32("ackSeq", "sequence number of the command refused"), u32("nak", "NAK code")],
    doc: "Command refused; nothing was executed.",
  },
  {
    id: "INFO",
    dir: "board",
    fields: [
      u32("protocol", "protocol version"),
      token("firmware", "firmware id and build, at most 32 characters"),
      token("schema", "schema hash, 8 hex digits"),
      u32("clockHz", "board tick rate"),
      u32("bootId", "changes on every power-up or reset"),
      u32("tick", "board tick when sent"),
      u32("hardMaxExtensionUm", "hard extension cap"),
      u32("hardMaxStrokeHz", "hard stroke-rate cap"),
      u32("hardMaxCurrentMa", "hard drive-current cap"),
      u32("hardMaxDwellMs", "hard cap on a burst's drive on-time, spin-up to drive off"),
      u32("hardMaxLeaseMs", "longest lease the board grants"),
      u32("queueSlots", "dot queue depth"),
    ],
    doc: "Reply to HELLO.",
  },
  {
    id: "BOOT",
    dir: "board",
    fields: [
      u32("bootId", "new boot id"),
      u32("resetCause", "why the board restarted: 0 power-on, 1 watchdog, 2 external, 3 brown-out, 4 unexplained"),
    ],
    doc:
      "Sent once after every power-up or reset; the board is in ALARM with the reset cause's alarm " +
      "(RESET_CAUSES: POWER_UP only after a clean power-on), or CONFIG_INVALID if its configuration record is " +
      "invalid (§7.1).",
  },
  {
    id: "STATUS",
    dir: "board",
    fields: [
      u32("tick", "board tick when sent"),
      u32("state", "board state code"),
      u32("alarm", "latched alarm code, 0 if none"),
      u32("credit", "free dot-queue slots"),
      u32("parked", "1 when the needle is parked up and the drive is off"),
      u32(
        "lastDot",
        "last dot whose burst completed since HELLO or power-up, 0 if none (lets the host account for a lost DOTEND)",
      ),
      u32("rxOk", "valid frames received"),
      u32("rxBad", "frames dropped for framing or CRC errors"),
      u32("rxDup", "duplicate commands re-acknowledged"),
      u32("inputs", "debounced inputs: 1 pedal pressed, 2 cartridge present, 4 e-stop input active"),
      u32("unfiredPresses", "pedal presses that fired nothing (not in PEDAL), since HELLO or power-up"),
    ],
    doc: "Every 50 ms, on every state change and on every change of inputs.",
  },
  {
    id: "FIRE",
    dir: "board",
    fields: [
      u32("dot", "dot number the board gave this burst: one above the last dot accepted since HELLO"),
      u32("armId", "the PEDAL command whose settings the burst uses"),
      u32("tick", "board tick at which the press was recognised (debounced) or the repeat came due"),
      u32("repeat", "0 for a press, 1 for a repeat while the pedal is held"),
    ],
    doc: "A pedal burst started (its STATUS PEDAL_BURST just before); its STROKE and DOTEND frames follow.",
  },
  {
    id: "STROKE",
    dir: "board",
    fields: [
      u32("dot", "dot being placed"),
      u32("stroke", "stroke index in the burst, from 1"),
      i32("extensionUm", "needle extension sampled at this stroke's bottom dead centre (its deepest point)"),
      u32("periodUs", "tachometer period of this stroke"),
      u32("currentMa", "peak drive current in this stroke"),
    ],
    doc: "One per puncture: every bottom dead centre in a burst at which the needle is out of the grip.",
  },
  {
    id: "DOTEND",
    dir: "board",
    fields: [
      u32("dot", "dot placed"),
      u32("strokes", "punctures counted"),
      i32("maxExtensionUm", "deepest measured stroke of the burst"),
      u32("onTimeUs", "drive on-time of the burst"),
      u32("tick", "board tick at the end of the burst"),
    ],
    doc: "The burst completed and the needle is parked.",
  },
  {
    id: "ALARM",
    dir: "board",
    fields: [
      u32("alarm", "alarm code"),
      u32("tick", "board tick at detection"),
      u32("parkedUs", "detection to needle parked"),
    ],
    doc: "An alarm latched; sent once the needle is parked.",
  },
] as const satisfies readonly MessageSpec[];

export const MESSAGES: readonly MessageSpec[] = [...HOST_MESSAGES, ...BOARD_MESSAGES];
export type HostMessageId = (typeof HOST_MESSAGES)[number]["id"];
export type BoardMessageId = (typeof BOARD_MESSAGES)[number]["id"];
export type MessageId = HostMessageId | BoardMessageId;

type AnySpec = (typeof HOST_MESSAGES)[number] | (typeof BOARD_MESSAGES)[number];
type FieldValue<K extends FieldKind> = K extends "token" ? string : number;
type FieldsOf<S> = S extends { fields: readonly (infer F)[] }
  ? { [E in F & { name: string; kind: FieldKind } as E["name"]]: FieldValue<E["kind"]> }
  : never;
/** A decoded or to-be-encoded frame: id, sequence number and typed fields, derived from the table. */
export type Frame = { [S in AnySpec as S["id"]]: { id: S["id"]; seq: number; fields: FieldsOf<S> } }[MessageId];
export type FrameOf<I extends MessageId> = Extract<Frame, { id: I }>;
export type FieldsFor<I extends MessageId> = FrameOf<I>["fields"];

/** Single bytes outside the frame alphabet, acted on by the board the moment they arrive. */
export const PRIORITY_BYTES = {
  STOP: 0x1c, // Ctrl-\ in a raw terminal
  ESTOP: 0x18, // Ctrl-X
} as const;

export const BOARD_STATES = {
  ALARM: 0, // latched alarm, drive off, needle parked; only HELLO and UNLOCK do anything
  IDLE: 1, // drive off, needle parked, waiting for ARM
  ARMED: 2, // lease running, dots accepted; drive on only during a burst
  BURST: 3, // a dot burst is running
  PEDAL: 4, // pedal armed: lease running, each debounced press fires one burst; drive off between bursts
  PEDAL_BURST: 5, // a burst fired by the pedal is running
} as const;
export type BoardStateName = keyof typeof BOARD_STATES;

interface CodeSpec {
  readonly code: number;
  readonly doc: string;
}

interface AlarmSpec extends CodeSpec {
  /** `smp run` clears this latch by itself when the operator starts a run; every other board alarm needs the
   * operator's explicit --unlock (host alarms are never latched on the board). Only POWER_UP. */
  readonly hostUnlocks?: true;
}

/**
 * Alarm and fault codes share one numbering. 1-49 are latched by the board; 50-99 are raised by the host
 * supervisor, which then makes the board latch too (STOP for HOST_LATE, E-STOP for the others) unless the
 * board was never armed (HANDSHAKE_MISMATCH).
 */
export const ALARMS = {
  POWER_UP: {
    code: 1,
    doc: "the board came up from a clean power-on (its supply was off); smp run unlocks it by itself",
    hostUnlocks: true,
  },
  ESTOP: { code: 2, doc: "emergency stop (priority byte, frame or input)" },
  STOP: { code: 3, doc: "stop requested (priority byte or frame)" },
  LEASE_EXPIRED: { code: 4, doc: "no valid frame from the control path before the lease expired" },
  OVER_EXTENSION: {
    code: 5,
    doc:
      "needle extension beyond the hard maximum, forecast to pass it before bottom dead centre, " +
      "or a stroke deeper than its command (a broken cartridge spring)",
  },
  OVER_SPEED: { code: 6, doc: "measured stroke rate beyond the hard maximum" },
  OVER_CURRENT: { code: 7, doc: "drive current beyond the hard maximum" },
  STALL: { code: 8, doc: "no tachometer edge for longer than the stall window while driving" },
  SENSOR_STUCK: { code: 9, doc: "needle position sensor does not move while strokes are counted" },
  SENSOR_DROPOUT: {
    code: 10,
    doc:
      "needle position sensor at the top rail (open wire), " +
      "or reading the needle inside the grip at bottom dead centre with the actuator extended",
  },
  PEDAL_RELEASED: { code: 11, doc: "foot pedal released while ARMED or in a scheduled BURST" },
  PEDAL_FAULT: { code: 12, doc: "pedal contacts disagree (stuck pedal or broken wire)" },
  LIMIT_REQUEST: { code: 13, doc: "a command asked for a value beyond a hard limit" },
  LATE_START: {
    code: 14,
    doc: "a queued dot could not start within LINK.lateStartMs of its start tick (bursts overran the dot interval)",
  },
  DWELL_EXCEEDED: { code: 15, doc: "burst drive on-time reached the hard maximum before its punctures were done" },
  CARTRIDGE_MISSING: { code: 16, doc: "cartridge switch open" },
  WATCHDOG_RESET: {
    code: 17,
    doc: "the board's watchdog reset it: its firmware stopped running its main loop (a hang or a crash)",
  },
  HOST_RESTART: { code: 18, doc: "HELLO while armed: the host restarted mid-session" },
  CONFIG_INVALID: {
    code: 19,
    doc: "EEPROM configuration record missing or failing its CRC; compiled-in defaults in force; UNLOCK refused",
  },
  ACTUATOR_FAULT: {
    code: 20,
    doc: "actuator position feedback does not follow its setpoint (stuck or broken feedback, jammed actuator)",
  },
  BROWNOUT_RESET: {
    code: 21,
    doc: "the board was reset by its brown-out detector: its supply voltage dropped below the safe level",
  },
  EXTERNAL_RESET: {
    code: 22,
    doc: "the board was reset through its reset pin (a reset button, a programmer, or noise on the reset line)",
  },
  UNEXPLAINED_RESET: {
    code: 23,
    doc:
      "the board restarted with no reset flag set: its firmware jumped to the reset vector " +
      "(a crash), or a bootloader cleared the flags",
  },
  SENSOR_OFFSET: {
    code: 24,
    doc:
      "needle position sensor reads the parked needle's bottom dead centre further behind park than the zero " +
      "tolerance, or at its floor (an offset or drift that would hide a needle gone deep)",
  },

  HOST_LATE: { code: 50, doc: "host control loop late beyond its budget" },
  LINK_LOST: { code: 51, doc: "command not acknowledged after all retries, or port closed" },
  TELEMETRY_STALE: { code: 52, doc: "no valid frame from the board within the staleness bound" },
  HOST_STALL: { code: 53, doc: "measured speed below 70 % of setpoint for longer than 100 ms" },
  HOST_OVER_CURRENT: { code: 54, doc: "measured current above the machine calibration limit" },
  DEPTH_DEVIATION: {
    code: 55,
    doc:
      "measured extension deeper than commanded beyond the plausibility bound or below 40 % of commanded " +
      "(a sensor fault), or a planned dot whose correction would reach the board's hard maximum",
  },
  BOARD_RESET: { code: 56, doc: "board reset or rebooted during the session" },
  HANDSHAKE_MISMATCH: { code: 57, doc: "protocol version, schema hash or limits do not match" },
  UNEXPECTED_NAK: { code: 58, doc: "board refused a command the host considered valid" },
  HOST_OVER_SPEED: { code: 59, doc: "measured stroke rate far above the setpoint" },
  TARGET_UNREACHABLE: {
    code: 60,
    doc: "a zone's target depth out of reach: its deepest strokes stay short of target less the tolerance",
  },
} as const satisfies Record<string, AlarmSpec>;
export type AlarmName = keyof typeof ALARMS;

/** Whether `smp run` may clear this latched board alarm by itself (only POWER_UP); else only with --unlock. */
export const hostUnlocks = (alarm: AlarmName): boolean => (ALARMS[alarm] as AlarmSpec).hostUnlocks === true;

/**
 * BOOT.resetCause: why the board restarted, and the alarm it latches for it (§7.1). Only a clean power-on is
 * POWER_UP; every other cause latches its own alarm, which the operator must clear with --unlock.
 */
export const RESET_CAUSES = {
  POWER_ON: { code: 0, alarm: "POWER_UP" },
  WATCHDOG: { code: 1, alarm: "WATCHDOG_RESET" },
  EXTERNAL: { code: 2, alarm: "EXTERNAL_RESET" },
  BROWN_OUT: { code: 3, alarm: "BROWNOUT_RESET" },
  UNEXPLAINED: { code: 4, alarm: "UNEXPLAINED_RESET" },
} as const satisfies Record<string, { readonly code: number; readonly alarm: AlarmName }>;
export type ResetCauseName = keyof typeof RESET_CAUSES;

export const NAKS = {
  BAD_STATE: { code: 1, doc: "command not allowed in the current board state" },
  LIMIT: { code: 2, doc: "a field is beyond a hard limit (the board also latches LIMIT_REQUEST)" },
  LATE: { code: 3, doc: "dot start tick already passed; nothing was queued (the host may re-plan it)" },
  QUEUE_FULL: { code: 4, doc: "no free dot slot" },
  SEQUENCE: { code: 5, doc: "sequence number is neither the next nor the last one accepted" },
  ALARM_ACTIVE: { code: 8, doc: "UNLOCK: the needle is not parked yet" },
  DOT_ORDER: { code: 9, doc: "dot number not above the last one accepted since HELLO: a dot never fires twice" },
  // UNLOCK refused while an alarm's cause persists, one code per cause: the operator is told what to put right
  ESTOP_PRESSED: { code: 10, doc: "UNLOCK: the e-stop input is active (button pressed, or its wire broken)" },
  CARTRIDGE_OPEN: { code: 11, doc: "UNLOCK: the cartridge switch is open" },
  PEDAL_CONTACTS: { code: 12, doc: "UNLOCK: the pedal's two contacts agree (a stuck pedal or a broken wire)" },
  ACTUATOR_MISMATCH: { code: 13, doc: "UNLOCK: the actuator's feedback is away from its setpoint" },
  CONFIG_INVALID: { code: 14, doc: "UNLOCK: the board's configuration record is invalid (CONFIG_INVALID at boot)" },
} as const satisfies Record<string, CodeSpec>;
export type NakName = keyof typeof NAKS;

/** Name of a code in one of the tables, or UNKNOWN_<code> (a board may be newer than this table). */
function codeName<K extends string>(
  table: Record<K, number | { readonly code: number }>,
  code: number,
): K | `UNKNOWN_${number}` {
  for (const [name, entry] of Object.entries(table) as [K, number | { readonly code: number }][]) {
    if ((typeof entry === "number" ? entry : entry.code) === code) return name;
  }
  return `UNKNOWN_${code}`;
}

export const alarmName = (code: number) => codeName<AlarmName>(ALARMS, code);
export const nakName = (code: number) => codeName<NakName>(NAKS, code);
export const boardStateName = (code: number) => codeName<BoardStateName>(BOARD_STATES, code);
export const resetCauseName = (code: number) => codeName<ResetCauseName>(RESET_CAUSES, code);

export function isHostMessageId(id: string): id is HostMessageId {
  return HOST_MESSAGES.some((m) => m.id === id);
}

export function messageSpec(id: string): MessageSpec | undefined {
  return MESSAGES.find((m) => m.id === id);
}

/** Canonical text of the table, hashed into the schema id that HELLO reports. */
export function canonicalSchemaText(): string {
  const lines = [`protocol ${PROTOCOL_VERSION}`];
  for (const m of MESSAGES) lines.push(`msg ${m.dir} ${m.id} ${m.fields.map((f) => `${f.name}:${f.kind}`).join(",")}`);
  for (const [n, b] of Object.entries(PRIORITY_BYTES)) lines.push(`prio ${n} ${b}`);
  for (const [n, v] of Object.entries(BOARD_STATES)) lines.push(`state ${n} ${v}`);
  for (const [n, s] of Object.entries(ALARMS)) lines.push(`alarm ${n} ${s.code}`);
  for (const [n, s] of Object.entries(NAKS)) lines.push(`nak ${n} ${s.code}`);
  for (const [n, s] of Object.entries(RESET_CAUSES)) lines.push(`reset ${n} ${s.code}`);
  for (const [n, v] of Object.entries(LINK)) lines.push(`link ${n} ${v}`);
  return lines.join("\n");
}

/** FNV-1a 32-bit over the canonical text, as 8 lowercase hex digits. */
export function schemaHash(): string {
  let h = 0x811c9dc5;
  for (const ch of canonicalSchemaText()) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

/** Serial line settings and link-level bounds of the protocol. */
export const LINK = {
  baud: 250_000, // exact on a 16 MHz AVR (UBRR 3); 115200 would be 78 % busy with stroke telemetry at 120 Hz
  maxFrameBytes: 256,
  statusPeriodMs: 50,
  /** Allowance on top of strokes/strokeHz for a burst's spin-up (at most 60 ms) and actuator travel out and back. */
  burstOverheadMs: 80,
  /** A queued dot must start within this of its start tick, or the board latches LATE_START. */
  lateStartMs: 10,
  /** A PEDAL's repeatMs, when not 0, lies within these (a repeat faster than 10 dots/s is not hand work). */
  pedalRepeatMinMs: 100,
  pedalRepeatMaxMs: 10_000,
} as const;
