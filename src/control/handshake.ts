// The handshake, pure: the board's INFO checked against what the host speaks and needs (protocol, schema,
// envelope and profile against the hard limits, machine current, lease, queue slots, clock rate, and every dot
// setting's target plus the machine's overtravel below the hard maximum), what the supervisor makes of it
// (fits, or refuse to arm), the session record's header built from it, and the record of the alarm the board
// had latched when the run reached it.

import {
  BOARD_DEFAULTS,
  PROTOCOL_VERSION,
  alarmName,
  boardStateName,
  schemaHash,
  type FrameOf,
} from "../protocol/table.ts";
import { ENVELOPES, envelopeFitsBoard } from "../safety/limits.ts";
import { profileFitsBoard, type DotSettings, type LoadedMachine, type LoadedProfile } from "../profiles/load.ts";
import type { SessionNumber } from "../profiles/schema.ts";
import type { HeaderRecord, LatchedRecord } from "../log/records.ts";
import { formatLimit, type LimitDetail } from "../errors/errors.ts";
import type { Input } from "../safety/fsm.ts";
import { round1 } from "./precision.ts";

export type BoardInfo = FrameOf<"INFO">["fields"];

export interface HandshakeNeeds {
  readonly profile: LoadedProfile;
  readonly machine: LoadedMachine;
  /** The lease the host grants with every dot and keep-alive. */
  readonly leaseMs: number;
  /** Every dot setting the session can send. */
  readonly settings: readonly DotSettings[];
}

/**
 * The host never commands closer than this to the board's hard maximum, whatever a machine file says: the board's
 * depth forecast latches BOARD_DEFAULTS.forecastMarginUm short of the hard maximum, and a healthy stroke reads up
 * to tipAheadToleranceUm (sensor noise) past its command, so a command this close could stop a healthy stroke. A
 * machine's overtravel can only make the margin larger.
 */
export const MIN_COMMAND_MARGIN_UM = BOARD_DEFAULTS.forecastMarginUm + BOARD_DEFAULTS.tipAheadToleranceUm;

/** The margin below the hard maximum: the host's minimum, or the machine's overtravel if that is larger. */
const marginUm = (overtravelUm: number): number => Math.max(MIN_COMMAND_MARGIN_UM, overtravelUm + 1);

/**
 * The deepest extension the host may command on this board with this machine: a command plus the machine's
 * worst-case overtravel stays below the board's hard maximum (whole um, so one under it at most), and a command
 * stays at least MIN_COMMAND_MARGIN_UM under it.
 */
export const commandCapUm = (info: Pick<BoardInfo, "hardMaxExtensionUm">, overtravelUm: number): number =>
  info.hardMaxExtensionUm - marginUm(overtravelUm);

/** Why a command past commandCapUm is refused, in the words of a limit. */
export const commandLimit = (info: BoardInfo, overtravelUm: number): string =>
  overtravelUm + 1 >= MIN_COMMAND_MARGIN_UM
    ? `above the command cap ${commandCapUm(info, overtravelUm)} um: plus machine overtravelUm ${overtravelUm} um ` +
      `it would reach board hard maximum ${info.hardMaxExtensionUm} um`
    : `above the command cap ${commandCapUm(info, overtravelUm)} um: board hard maximum ` +
      `${info.hardMaxExtensionUm} um less the host's ${MIN_COMMAND_MARGIN_UM} um margin`;

/** Every way the board does not fit the session; empty when it does. */
export function checkBoard(info: BoardInfo, needs: HandshakeNeeds): LimitDetail[] {
  const problems: LimitDetail[] = [];
  if (info.protocol !== PROTOCOL_VERSION)
    problems.push({ field: "board.protocol", value: info.protocol, limit: `host speaks protocol ${PROTOCOL_VERSION}` });
  if (info.schema !== schemaHash())
    problems.push({ field: "board.schema", value: info.schema, limit: `host schema is ${schemaHash()}` });
  const profile = needs.profile.profile;
  problems.push(...envelopeFitsBoard(ENVELOPES[profile.envelope], info), ...profileFitsBoard(profile, info));
  const maxCurrentMa = needs.machine.calibration.drive.maxCurrentMa;
  if (maxCurrentMa > info.hardMaxCurrentMa)
    problems.push({
      field: "machine.drive.maxCurrentMa",
      value: maxCurrentMa,
      limit: `above board hard maximum ${info.hardMaxCurrentMa} mA`,
    });
  if (needs.leaseMs > info.hardMaxLeaseMs)
    problems.push({
      field: "board.hardMaxLeaseMs",
      value: info.hardMaxLeaseMs,
      limit: `below the host's lease ${needs.leaseMs} ms`,
    });
  if (info.queueSlots < 1) problems.push({ field: "board.queueSlots", value: info.queueSlots, limit: "at least 1" });
  if (info.clockHz < 1000) problems.push({ field: "board.clockHz", value: info.clockHz, limit: "at least 1000 Hz" });
  // a target plus the machine's overtravel must stay below the hard maximum (the depth loop never commands past
  // commandCapUm); otherwise the machine makes that target unreachable on this board
  const { overtravelUm } = needs.machine.calibration;
  const capUm = commandCapUm(info, overtravelUm);
  for (const s of needs.settings) {
    if (s.targetExtensionUm > capUm && !problems.some((p) => p.field.startsWith(`${s.zone}.`))) {
      problems.push({
        field: `${s.zone}.session${s.session}.targetExtensionUm`,
        value: s.targetExtensionUm,
        limit: commandLimit(info, overtravelUm),
      });
    }
  }
  return problems;
}

/** Problems only with the profile or machine against the limits (exit 2), none with the board itself (exit 3). */
export const limitsOnly = (problems: readonly LimitDetail[]): boolean =>
  problems.every((p) => !p.field.startsWith("board."));

export const mismatchMessage = (problems: readonly LimitDetail[]): string =>
  "refusing to arm: the board does not match:\n" + problems.map((p) => `  ${formatLimit(p)}`).join("\n");

export const boardSummary = (info: BoardInfo): string =>
  `board ${info.firmware}, protocol ${info.protocol}, schema ${info.schema}, ` +
  `hard max ${info.hardMaxExtensionUm} um / ${info.hardMaxStrokeHz} Hz`;

export interface HeaderContext {
  readonly startedAt: string;
  readonly profile: LoadedProfile;
  readonly machine: LoadedMachine;
  readonly session: SessionNumber;
  readonly plannedDots: number;
  readonly transport: string;
}

export function headerRecord(info: BoardInfo, c: HeaderContext): HeaderRecord {
  const m = c.machine.calibration;
  return {
    type: "header",
    format: "smp-session/1",
    startedAt: c.startedAt,
    profile: { name: c.profile.profile.name, source: c.profile.source, hash: c.profile.hash },
    machine: { name: m.name, kind: m.machine, hash: c.machine.hash },
    session: c.session,
    plannedDots: c.plannedDots,
    transport: c.transport,
    board: {
      firmware: info.firmware,
      protocol: info.protocol,
      schema: info.schema,
      bootId: info.bootId,
      clockHz: info.clockHz,
    },
    hardMaxExtensionUm: info.hardMaxExtensionUm,
    hardMaxStrokeHz: info.hardMaxStrokeHz,
    hardMaxCurrentMa: info.hardMaxCurrentMa,
    hardMaxDwellMs: info.hardMaxDwellMs,
    envelope: ENVELOPES[c.profile.profile.envelope].name,
  };
}

/** Meet the board: the header for the record, and the input for the supervisor (INFO fits, or refuse). */
export function meet(info: BoardInfo, c: HandshakeNeeds & HeaderContext): { header: HeaderRecord; input: Input } {
  const header = headerRecord(info, c);
  const problems = checkBoard(info, c);
  if (problems.length === 0) return { header, input: { type: "info" } };
  return { header, input: { type: "mismatch", limitsOnly: limitsOnly(problems), detail: mismatchMessage(problems) } };
}

/**
 * The handshake's first STATUS, when it shows the board in ALARM: the alarm latched before this run (POWER_UP
 * after a power-up; after an earlier run lost its link, what that run could not know), for the record.
 */
export function foundLatched(s: FrameOf<"STATUS">["fields"], info: BoardInfo, tMs: number): LatchedRecord | undefined {
  if (boardStateName(s.state) !== "ALARM") return undefined;
  return { type: "latched", tMs: round1(tMs), alarm: alarmName(s.alarm), parked: s.parked === 1, bootId: info.bootId };
}
