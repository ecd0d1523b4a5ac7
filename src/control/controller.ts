// The session controller: a fixed-rate loop on absolute deadlines that talks to the board through the
// HostLink, drives the supervisor state machine, plans dots ahead of the board, closes the depth and speed
// loops, checks plausibility and its own lateness, and writes the session record. Time comes only from the
// injected Scheduler and I/O only through the LineTransport and SessionSink, so the same code runs a real
// port in real time and the simulated board in virtual time.

import { HostLink, type BoardFrame, type HostCommand, type LinkEvent } from "../protocol/hostlink.ts";
import {
  ALARMS,
  PRIORITY_BYTES,
  PROTOCOL_VERSION,
  alarmName,
  boardStateName,
  nakName,
  schemaHash,
  type AlarmName,
  type FrameOf,
} from "../protocol/table.ts";
import { ENVELOPES, envelopeFitsBoard, type HardLimits } from "../safety/limits.ts";
import { transition, type Effect, type Input, type SupervisorState } from "../safety/fsm.ts";
import {
  dotSettings,
  profileFitsBoard,
  zonesForSession,
  type DotSettings,
  type LoadedMachine,
  type LoadedProfile,
} from "../profiles/load.ts";
import type { SessionNumber } from "../profiles/schema.ts";
import type { DotRecord, FaultRecord } from "../log/records.ts";
import type { SessionSink } from "../ports/session-sink.ts";
import type { LineTransport } from "../ports/line-transport.ts";
import { BoardClockEstimate, msToTicks, tickAdd } from "../time/ticks.ts";
import {
  RUN_ENDINGS,
  formatLimit,
  runExitCode,
  type ExitCode,
  type LimitDetail,
  type RunEnding,
  type RunOutcomeName,
} from "../errors/errors.ts";
import type { Scheduler } from "../time/scheduler.ts";
import { DepthLoop, SpeedLoop, StallDetector, strokeFault } from "./loops.ts";
import { LatenessHistogram } from "./lateness.ts";

export interface LoopTiming {
  /** Control loop period (200 Hz). */
  readonly periodMs: number;
  /** A tick later than this holds the session (STOP, HOST_LATE). */
  readonly latenessBudgetMs: number;
  /** How far ahead of its start a dot is sent to the board. */
  readonly leadMs: number;
  /** Lease granted with every dot and keep-alive; the board parks when it runs out. */
  readonly leaseMs: number;
  /** A keep-alive goes out when no lease-renewing command was sent for this long. */
  readonly keepEveryMs: number;
  /** No STATUS for this long is a fault. */
  readonly staleMs: number;
  readonly handshakeTimeoutMs: number;
  /** How long to wait for the board to confirm the needle is parked after a fault. */
  readonly parkConfirmTimeoutMs: number;
}

export const DEFAULT_TIMING: LoopTiming = {
  periodMs: 5,
  latenessBudgetMs: 50,
  leadMs: 80,
  leaseMs: 250,
  keepEveryMs: 40,
  staleMs: 200,
  handshakeTimeoutMs: 1500,
  parkConfirmTimeoutMs: 2000,
};

const MAX_LATE_DOTS_IN_A_ROW = 3;
/** A commanded extension (target plus depth correction) stays this far below the board's hard maximum. */
const COMMAND_MARGIN_UM = 100;
const HELLO_RETRY_MS = 100;

export interface PlannedDot {
  readonly n: number;
  readonly settings: DotSettings;
}

/** Spread `count` dots over the zones of a session, zone by zone, in file order. */
export function planSession(profile: LoadedProfile, session: SessionNumber, count: number): PlannedDot[] {
  const zones = zonesForSession(profile.profile, session);
  const dots: PlannedDot[] = [];
  for (let i = 0; i < count; i++) {
    const zone = zones[Math.floor((i * zones.length) / count)]!;
    dots.push({ n: i + 1, settings: dotSettings(profile.profile, zone, session) });
  }
  return dots;
}

export type ControllerEvent =
  | { type: "state"; from: string; to: string; cause?: string }
  | { type: "dot"; record: DotRecord; total: number }
  | { type: "fault"; record: FaultRecord }
  | { type: "info"; message: string };

export interface RunOutcome {
  /** How the run ended; outcome and exitCode follow from it (RUN_ENDINGS). */
  readonly ending: RunEnding;
  readonly outcome: RunOutcomeName;
  readonly exitCode: ExitCode;
  readonly message: string;
  readonly dotsPlaced: number;
  readonly faults: readonly FaultRecord[];
}

export interface ControllerOptions {
  readonly scheduler: Scheduler;
  readonly transport: LineTransport;
  readonly sink: SessionSink;
  readonly profile: LoadedProfile;
  readonly machine: LoadedMachine;
  readonly session: SessionNumber;
  readonly dots: readonly PlannedDot[];
  readonly startedAt: string;
  readonly timing?: LoopTiming;
  readonly observer?: (event: ControllerEvent) => void;
  /** Clear a latched board alarm other than POWER_UP at the start (the operator's explicit --unlock). */
  readonly unlockLatched?: boolean;
  /** Called when a dot is sent: the simulated world uses it to know which zone the handpiece is on. */
  readonly onDotSent?: (n: number, zone: string) => void;
}

interface DotInFlight {
  planned: PlannedDot;
  commandedExtensionUm: number;
  dutyPermille: number;
  atTick: number;
  extensionsUm: number[];
  periodsUs: number[];
  peakCurrentMa: number;
}

interface PendingFault {
  code: AlarmName;
  source: "board" | "host";
  detail: string;
  detectedAtMs: number;
  dot: number | undefined;
  parkedSeenAtMs: number | undefined;
}

export class SessionController {
  private state: SupervisorState = { name: "disconnected" };
  private readonly link = new HostLink();
  private readonly timing: LoopTiming;
  /** Replaced at the handshake by one capped below the board's hard maximum. */
  private depth = new DepthLoop();
  private readonly speed: SpeedLoop;
  private readonly stall = new StallDetector();
  readonly lateness = new LatenessHistogram();
  private clock: BoardClockEstimate | undefined;
  private info: FrameOf<"INFO">["fields"] | undefined;
  private hard: HardLimits | undefined;
  private t0Ms = 0;
  private tickCount = 0;
  private cancelTick: (() => void) | undefined;
  /** Host time of the last valid frame from the board (any frame proves the link and board alive). */
  private lastRxMs: number | undefined;
  private lastBoardAlarm: AlarmName | undefined;
  private lastLeaseMs = -Infinity;
  private armAcked = false;
  private nextDot = 0;
  private nextAtTick: number | undefined;
  private readonly inFlight = new Map<number, DotInFlight>();
  private dotsPlaced = 0;
  private lateDotsInARow = 0;
  private lastHelloMs = 0;
  /** smp run unlocks once, at the start; an alarm after that ends the run. */
  private unlockSent = false;
  /** The operator asked to stop: nothing arms after this. */
  private stopRequested = false;
  private pendingFault: PendingFault | undefined;
  private readonly faults: FaultRecord[] = [];
  private finished = false;
  private result: RunOutcome | undefined;
  private resolve!: (o: RunOutcome) => void;
  private readonly done: Promise<RunOutcome>;

  constructor(private readonly o: ControllerOptions) {
    this.timing = o.timing ?? DEFAULT_TIMING;
    const d = o.machine.calibration.drive;
    this.speed = new SpeedLoop({ machine: o.machine.calibration.machine, ...d });
    this.done = new Promise((r) => {
      this.resolve = r;
    });
  }

  /** Connect, hand-shake, unlock, arm, run every planned dot, disarm. Resolves with the outcome. */
  run(): Promise<RunOutcome> {
    const { transport, scheduler } = this.o;
    transport.onLine((line) => this.onLine(line));
    transport.onClose((reason) => this.onLinkLost(`transport closed: ${reason}`));
    this.t0Ms = scheduler.nowMs();
    this.link.send({ id: "HELLO", fields: {} });
    this.lastHelloMs = this.t0Ms;
    this.scheduleTick(this.t0Ms);
    return this.done;
  }

  /** Operator STOP (Ctrl-C): park and hold. */
  operatorStop(): void {
    this.stopRequested = true;
    if (this.state.name === "running") return this.input({ type: "stop" }, "operator stop");
    this.stopBeforeRunning("STOP");
  }

  /** Operator E-STOP. */
  operatorEstop(): void {
    this.stopRequested = true;
    if (this.state.name === "disconnected") return this.stopBeforeRunning("ESTOP");
    this.input({ type: "estop" }, "operator e-stop");
  }

  /**
   * A stop before the session runs: the drive was never enabled, but the board is told anyway (it may
   * have been armed by someone else) and the run ends without arming.
   */
  private stopBeforeRunning(which: "STOP" | "ESTOP"): void {
    if (this.finished || this.pendingFault) return;
    this.o.transport.write(Uint8Array.of(PRIORITY_BYTES[which]));
    if (this.info) {
      this.link.dropPending();
      this.link.send({ id: which, fields: {} });
    }
    this.finish({
      ending: "stopped",
      message:
        `${which === "STOP" ? "stopped" : "e-stopped"} by the operator ` +
        `before the session started (in ${this.state.name})`,
    });
  }

  /** Set once the run has ended; readable synchronously (virtual-time drivers poll it). */
  get outcome(): RunOutcome | undefined {
    return this.result;
  }

  get supervisorState(): SupervisorState {
    return this.state;
  }

  get linkStats() {
    return this.link.stats;
  }

  // ---- the loop ---------------------------------------------------------------------------------------------

  private scheduleTick(deadlineMs: number): void {
    this.cancelTick = this.o.scheduler.at(deadlineMs, () => this.tick(deadlineMs));
  }

  private tick(deadlineMs: number): void {
    if (this.finished) return;
    const now = this.o.scheduler.nowMs();
    const latenessMs = now - deadlineMs;
    this.lateness.add(latenessMs);
    this.tickCount++;
    if (latenessMs > this.timing.latenessBudgetMs && this.state.name === "running") {
      this.input(
        { type: "stop", cause: "HOST_LATE" },
        `loop tick ${latenessMs.toFixed(1)} ms late, budget ${this.timing.latenessBudgetMs} ms`,
      );
    }
    this.checkTimeouts(now);
    if (this.state.name === "running" && this.armAcked) this.planDots(now);
    this.pump(now);
    // next deadline on the absolute grid, skipping any we already missed (no catch-up burst)
    const period = this.timing.periodMs;
    const k = Math.max(Math.floor((now - this.t0Ms) / period) + 1, Math.round((deadlineMs - this.t0Ms) / period) + 1);
    if (!this.finished) this.scheduleTick(this.t0Ms + k * period);
  }

  private checkTimeouts(now: number): void {
    const t = this.timing;
    if (!this.info && now - this.t0Ms > t.handshakeTimeoutMs) {
      return this.finish({
        ending: "noBoard",
        message: `no HELLO reply from ${this.o.transport.description} within ${t.handshakeTimeoutMs} ms`,
      });
    }
    if (!this.info && this.link.idle && now - this.lastHelloMs > HELLO_RETRY_MS) {
      // HELLO was acknowledged but its INFO was lost on the way back: ask again
      this.lastHelloMs = now;
      this.link.send({ id: "HELLO", fields: {} });
    }
    const watching = this.state.name !== "fault" && this.state.name !== "hold";
    if (watching && this.info && this.lastRxMs !== undefined && now - this.lastRxMs > t.staleMs) {
      this.input(
        { type: "fault", code: "TELEMETRY_STALE" },
        `no valid frame from the board for ${(now - this.lastRxMs).toFixed(0)} ms, bound ${t.staleMs} ms`,
      );
    }
    const pf = this.pendingFault;
    if (pf && now - pf.detectedAtMs > t.parkConfirmTimeoutMs) this.completeFault(undefined);
  }

  /** Send what the link has for us now. */
  private pump(now: number): void {
    const { lines, events } = this.link.poll(now);
    for (const line of lines) this.o.transport.write(Buffer.from(line, "latin1"));
    for (const e of events) this.onLinkEvent(e, now);
  }

  private planDots(now: number): void {
    const clock = this.clock!;
    const info = this.info!;
    const boardNow = clock.boardTickAt(now);
    const lead = msToTicks(this.timing.leadMs, info.clockHz);
    const unfinished = this.inFlight.size;
    // a dot goes out only on an idle link: one queued behind a retransmission would carry a stale start tick
    if (this.nextDot < this.o.dots.length && unfinished < Math.max(1, info.queueSlots - 1) && this.link.idle) {
      const planned = this.o.dots[this.nextDot]!;
      const minLead = msToTicks(this.timing.leadMs / 3, info.clockHz);
      if (this.nextAtTick === undefined || ((this.nextAtTick - boardNow) | 0) < minLead)
        this.nextAtTick = tickAdd(boardNow, lead);
      if (((this.nextAtTick - boardNow) | 0) <= lead) {
        if (!this.sendDot(planned, this.nextAtTick, boardNow)) return;
        this.nextDot++;
        this.nextAtTick = tickAdd(this.nextAtTick, msToTicks(this.o.profile.profile.dotIntervalMs, info.clockHz));
        return;
      }
    }
    if (now - this.lastLeaseMs >= this.timing.keepEveryMs && this.link.idle) {
      this.sendLeased({ id: "KEEP", fields: { leaseTick: this.leaseTick(boardNow) } }, now);
    }
  }

  private leaseTick(boardNow: number): number {
    return tickAdd(boardNow, msToTicks(this.timing.leaseMs, this.info!.clockHz));
  }

  private sendLeased(command: HostCommand, now: number): void {
    this.lastLeaseMs = now;
    this.link.send(command);
  }

  /** Send one dot; false when the planning-time limit check refused it (the session is faulting then). */
  private sendDot(planned: PlannedDot, atTick: number, boardNow: number): boolean {
    const s = planned.settings;
    const commandedExtensionUm = this.depth.commandUm(s.zone, s.targetExtensionUm);
    const dutyPermille = this.speed.dutyFor(s.zone, s.strokeHz);
    const hard = this.hard!;
    // second check of the limits at planning time: the correction may never take a dot past the board's cap
    if (commandedExtensionUm > hard.hardMaxExtensionUm - COMMAND_MARGIN_UM) {
      this.input(
        { type: "fault", code: "DEPTH_DEVIATION" },
        `dot ${planned.n}: commanded extension ${commandedExtensionUm} um would pass ` +
          `board hard maximum ${hard.hardMaxExtensionUm} um less ${COMMAND_MARGIN_UM} um margin`,
      );
      return false;
    }
    const strokeHz = Math.round(s.strokeHz);
    this.inFlight.set(planned.n, {
      planned,
      commandedExtensionUm,
      dutyPermille,
      atTick,
      extensionsUm: [],
      periodsUs: [],
      peakCurrentMa: 0,
    });
    this.o.onDotSent?.(planned.n, s.zone);
    this.sendLeased(
      {
        id: "DOT",
        fields: {
          dot: planned.n,
          atTick,
          extensionUm: commandedExtensionUm,
          strokeHz,
          dutyPermille,
          strokes: s.strokes,
          leaseTick: this.leaseTick(boardNow),
        },
      },
      this.o.scheduler.nowMs(),
    );
    return true;
  }

  // ---- receive --------------------------------------------------------------------------------------------

  private onLine(line: string): void {
    if (this.finished) return;
    const now = this.o.scheduler.nowMs();
    for (const e of this.link.receive(line, now)) this.onLinkEvent(e, now);
    this.pump(now);
  }

  private onLinkEvent(e: LinkEvent, now: number): void {
    switch (e.type) {
      case "frame":
        return this.onFrame(e.frame, now);
      case "corrupt":
        return; // counted in link stats; a command is retransmitted, telemetry is a gap
      case "lost":
        return this.onLinkLost(`${e.command.id} not acknowledged after ${e.attempts} attempts`);
      case "acked":
        return this.onAcked(e.command);
      case "naked":
        return this.onNaked(e.command, e.nak);
    }
  }

  private onAcked(command: HostCommand): void {
    if (command.id === "ARM") this.armAcked = true;
    if (command.id === "DISARM" && this.state.name === "idle")
      this.finish({ ending: "done", message: `session complete: ${this.dotsPlaced} dots` });
  }

  private onNaked(command: HostCommand, nak: number): void {
    const why = `board refused ${command.id}: ${nakName(nak)}`;
    if (command.id === "UNLOCK") {
      return this.finish({
        ending: "unlockRefused",
        message:
          `${why}: board alarm ${this.lastBoardAlarm ?? "?"} still has its cause ` +
          "(e-stop button, pedal contacts, cartridge, or an invalid board configuration)",
      });
    }
    if (command.id === "STOP" || command.id === "ESTOP") return;
    if (command.id === "DOT" && nakName(nak) === "LATE" && this.state.name === "running")
      return this.replanLateDot(command.fields.dot);
    this.input({ type: "fault", code: "UNEXPECTED_NAK" }, why);
  }

  /**
   * The board refused a dot that reached it after its start tick (a retransmission took too long); nothing
   * fired. Send the same dot again with a fresh start tick, a bounded number of times in a row.
   */
  private replanLateDot(n: number): void {
    const dot = this.inFlight.get(n);
    if (!dot) return;
    for (const later of [...this.inFlight.keys()]) if (later >= n) this.inFlight.delete(later);
    this.link.dropPending();
    this.lateDotsInARow++;
    if (this.lateDotsInARow > MAX_LATE_DOTS_IN_A_ROW) {
      this.input(
        { type: "stop", cause: "HOST_LATE" },
        `${this.lateDotsInARow} dots in a row reached the board after their start tick`,
      );
      return;
    }
    this.nextDot = this.o.dots.indexOf(dot.planned);
    this.nextAtTick = undefined;
  }

  private onFrame(frame: BoardFrame, now: number): void {
    this.lastRxMs = now;
    switch (frame.id) {
      case "INFO":
        return this.onInfo(frame.fields, now);
      case "BOOT":
        if (this.info && frame.fields.bootId !== this.info.bootId) {
          this.input(
            { type: "fault", code: "BOARD_RESET" },
            `board rebooted (boot id ${this.info.bootId} -> ${frame.fields.bootId}, cause ${frame.fields.resetCause})`,
          );
        }
        return;
      case "STATUS":
        return this.onStatus(frame.fields, now);
      case "STROKE":
        return this.onStroke(frame.fields);
      case "DOTEND":
        return this.onDotEnd(frame.fields, now);
      case "ALARM":
        return this.onAlarmFrame(frame.fields, now);
    }
  }

  private onInfo(info: FrameOf<"INFO">["fields"], now: number): void {
    if (this.info) return; // a repeated reply to a retransmitted HELLO
    this.info = info;
    this.hard = info;
    this.clock = new BoardClockEstimate(info.clockHz);
    this.clock.sample(info.tick, now);
    const problems: LimitDetail[] = [];
    if (info.protocol !== PROTOCOL_VERSION)
      problems.push({
        field: "board.protocol",
        value: info.protocol,
        limit: `host speaks protocol ${PROTOCOL_VERSION}`,
      });
    if (info.schema !== schemaHash())
      problems.push({ field: "board.schema", value: info.schema, limit: `host schema is ${schemaHash()}` });
    const envelope = ENVELOPES[this.o.profile.profile.envelope];
    problems.push(...envelopeFitsBoard(envelope, info), ...profileFitsBoard(this.o.profile.profile, info));
    const m = this.o.machine.calibration;
    const t = this.timing;
    if (m.drive.maxCurrentMa > info.hardMaxCurrentMa)
      problems.push({
        field: "machine.drive.maxCurrentMa",
        value: m.drive.maxCurrentMa,
        limit: `above board hard maximum ${info.hardMaxCurrentMa} mA`,
      });
    if (t.leaseMs > info.hardMaxLeaseMs)
      problems.push({
        field: "board.hardMaxLeaseMs",
        value: info.hardMaxLeaseMs,
        limit: `below the host's lease ${t.leaseMs} ms`,
      });
    if (info.queueSlots < 1) problems.push({ field: "board.queueSlots", value: info.queueSlots, limit: "at least 1" });
    if (info.clockHz < 1000) problems.push({ field: "board.clockHz", value: info.clockHz, limit: "at least 1000 Hz" });
    // a target must leave the command margin under the board's cap (the depth loop never commands past it)
    const capUm = info.hardMaxExtensionUm - COMMAND_MARGIN_UM;
    for (const d of this.o.dots) {
      const s = d.settings;
      if (s.targetExtensionUm > capUm && !problems.some((p) => p.field.startsWith(`${s.zone}.`))) {
        problems.push({
          field: `${s.zone}.session${s.session}.targetExtensionUm`,
          value: s.targetExtensionUm,
          limit: `above board hard maximum ${info.hardMaxExtensionUm} um less ${COMMAND_MARGIN_UM} um command margin`,
        });
      }
    }
    this.depth = new DepthLoop(capUm);
    this.o.sink.write({
      type: "header",
      format: "smp-session/1",
      startedAt: this.o.startedAt,
      profile: { name: this.o.profile.profile.name, source: this.o.profile.source, hash: this.o.profile.hash },
      machine: { name: m.name, kind: m.machine, hash: this.o.machine.hash },
      session: this.o.session,
      plannedDots: this.o.dots.length,
      transport: this.o.transport.description,
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
      envelope: envelope.name,
    });
    if (problems.length > 0) {
      const message =
        "refusing to arm: the board does not match:\n" + `${problems.map((p) => `  ${formatLimit(p)}`).join("\n")}`;
      this.input({ type: "handshakeMismatch" }, message);
      const record: FaultRecord = {
        type: "fault",
        tMs: round1(now),
        code: "HANDSHAKE_MISMATCH",
        codeNumber: ALARMS.HANDSHAKE_MISMATCH.code,
        source: "host",
        detail: message,
        parkedAfterMs: 0,
        parkedMeasuredBy: "never-armed",
      };
      this.o.sink.write(record);
      this.faults.push(record);
      const onlyLimits = problems.every((p) => !p.field.startsWith("board."));
      return this.finish({ ending: onlyLimits ? "limitsRefused" : "boardMismatch", message });
    }
    this.observe({
      type: "info",
      message:
        `board ${info.firmware}, protocol ${info.protocol}, schema ${info.schema}, ` +
        `hard max ${info.hardMaxExtensionUm} um / ${info.hardMaxStrokeHz} Hz`,
    });
  }

  private onStatus(s: FrameOf<"STATUS">["fields"], now: number): void {
    if (!this.info || !this.clock) return;
    this.clock.sample(s.tick, now);
    const boardState = boardStateName(s.state);
    const alarm = s.alarm !== 0 ? alarmName(s.alarm) : undefined;
    if (alarm && alarm in ALARMS) this.lastBoardAlarm = alarm as AlarmName;
    if (this.state.name === "disconnected") {
      this.input({ type: "handshakeOk", boardInAlarm: boardState === "ALARM" });
    }
    if (boardState === "ALARM" && alarm && alarm in ALARMS) {
      this.input(
        { type: "boardAlarm", code: alarm as AlarmName },
        `board latched ${alarm}: ${ALARMS[alarm as AlarmName].doc}`,
        "board",
      );
    }
    for (const n of [...this.inFlight.keys()]) if (n <= s.lastDot) this.finishDot(n, now, undefined);
    const pf = this.pendingFault;
    if (pf && boardState === "ALARM" && s.parked === 1) {
      pf.parkedSeenAtMs ??= now;
      if (pf.source === "host") this.completeFault(undefined);
    }
    this.operatorScript(boardState);
  }

  /** What `smp run` does on the operator's behalf: the command itself is the deliberate unlock, arm and start. */
  private operatorScript(boardState: string): void {
    if (this.pendingFault || this.finished || this.stopRequested) return;
    const name = this.state.name;
    if (name === "alarm" && boardState === "ALARM" && this.link.idle && !this.unlockSent) {
      const alarm = this.lastBoardAlarm ?? "POWER_UP";
      if (alarm !== "POWER_UP" && !(this.o.unlockLatched ?? false)) {
        return this.finish({
          ending: "alarmLatched",
          message:
            `board alarm ${alarm} is latched (${ALARMS[alarm].doc}); ` +
            "find its cause, then run again with --unlock to clear it deliberately",
        });
      }
      this.unlockSent = true;
      this.observe({
        type: "info",
        message:
          `board alarm ${alarm} latched; unlocking because the operator started this run` +
          `${alarm === "POWER_UP" ? "" : " with --unlock"}`,
      });
      this.input({ type: "unlock" });
    } else if (name === "alarm" && boardState === "IDLE") this.input({ type: "boardIdle" });
    else if (name === "idle" && this.nextDot === 0 && this.inFlight.size === 0) {
      this.input({ type: "arm" });
      this.input({ type: "start" });
    }
  }

  private onStroke(s: FrameOf<"STROKE">["fields"]): void {
    const dot = this.inFlight.get(s.dot);
    if (!dot || !this.hard) return;
    dot.extensionsUm.push(s.extensionUm);
    dot.periodsUs.push(s.periodUs);
    dot.peakCurrentMa = Math.max(dot.peakCurrentMa, s.currentMa);
    const commanded = { extensionUm: dot.commandedExtensionUm, strokeHz: dot.planned.settings.strokeHz };
    // a puncture made while the needle retracts (past the planned count) may be shallow by design
    const retracting = s.stroke > dot.planned.settings.strokes;
    const bad = strokeFault(
      s,
      commanded,
      this.hard.hardMaxExtensionUm,
      this.o.machine.calibration.drive.maxCurrentMa,
      !retracting,
    );
    if (bad)
      return this.input(
        { type: "fault", code: bad.code },
        `dot ${s.dot} stroke ${s.stroke}: ${bad.detail}`,
        "host",
        s.dot,
      );
    if (this.stall.stroke(s.periodUs, dot.planned.settings.strokeHz)) {
      this.input(
        { type: "fault", code: "HOST_STALL" },
        `dot ${s.dot}: stroke rate below 70 % of ${dot.planned.settings.strokeHz} Hz for more than 100 ms`,
        "host",
        s.dot,
      );
    }
  }

  private onDotEnd(e: FrameOf<"DOTEND">["fields"], now: number): void {
    this.finishDot(e.dot, now, e);
  }

  /**
   * Write a dot's record. With the board's DOTEND the counts and the deepest stroke are the board's own;
   * when DOTEND was lost on the link (STATUS.lastDot shows the burst completed) the record is built from the
   * strokes that did arrive, marked partial, and the loops are not fed from it.
   */
  private finishDot(n: number, now: number, end: FrameOf<"DOTEND">["fields"] | undefined): void {
    const dot = this.inFlight.get(n);
    if (!dot) return;
    this.inFlight.delete(n);
    this.lateDotsInARow = 0;
    this.stall.reset();
    const s = dot.planned.settings;
    const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined);
    const meanExtensionUm = mean(dot.extensionsUm);
    const meanPeriodUs = mean(dot.periodsUs);
    const strokeHz = meanPeriodUs ? 1e6 / meanPeriodUs : 0;
    const complete = end !== undefined && dot.extensionsUm.length === end.strokes;
    if (complete && meanExtensionUm !== undefined) {
      this.depth.update(s.zone, s.targetExtensionUm, meanExtensionUm);
      this.speed.update(s.zone, s.strokeHz, strokeHz);
    }
    const seenMax = dot.extensionsUm.length ? Math.max(...dot.extensionsUm) : null;
    const record: DotRecord = {
      type: "dot",
      n,
      zone: s.zone,
      session: s.session,
      tMs: round1(now),
      boardTick: end?.tick ?? this.clock!.boardTickAt(now),
      targetExtensionUm: s.targetExtensionUm,
      commandedExtensionUm: dot.commandedExtensionUm,
      maxExtensionUm: end ? end.maxExtensionUm : seenMax,
      meanExtensionUm: meanExtensionUm === undefined ? null : round1(meanExtensionUm),
      telemetry: complete ? "complete" : "partial",
      strokeCount: end ? end.strokes : dot.extensionsUm.length,
      plannedStrokes: s.strokes,
      strokeHz: round1(strokeHz),
      commandedStrokeHz: s.strokeHz,
      dutyPermille: dot.dutyPermille,
      peakCurrentMa: dot.peakCurrentMa,
      onTimeMs: end ? round1(end.onTimeUs / 1000) : 0,
    };
    this.o.sink.write(record);
    this.dotsPlaced++;
    this.observe({ type: "dot", record, total: this.o.dots.length });
    if (this.dotsPlaced === this.o.dots.length && this.state.name === "running") this.input({ type: "sessionDone" });
  }

  private onAlarmFrame(a: FrameOf<"ALARM">["fields"], now: number): void {
    const pf = this.pendingFault;
    if (!pf) return;
    pf.parkedSeenAtMs ??= now; // the board sends ALARM only once the needle is parked
    this.completeFault(pf.source === "board" ? a.parkedUs / 1000 : undefined);
  }

  /** The link is gone. A pending fault still waits (bounded) for the board to confirm the needle parked. */
  private onLinkLost(reason: string): void {
    if (this.finished) return;
    if (!this.info) return this.finish({ ending: "noBoard", message: `no board: ${reason}` });
    this.input({ type: "linkLost" }, reason);
    if (this.state.name === "disconnected") this.finish({ ending: "stopped", message: reason });
  }

  // ---- the state machine's edge ----------------------------------------------------------------------------

  private input(input: Input, detail = "", source: "board" | "host" = "host", dot?: number): void {
    if (this.finished) return;
    const before = this.state;
    const result = transition(before, input);
    if (result.rejected) return;
    this.state = result.next;
    if (before.name !== result.next.name) {
      const cause = result.next.cause;
      this.o.sink.write({
        type: "state",
        tMs: round1(this.o.scheduler.nowMs()),
        from: before.name,
        to: result.next.name,
        ...(cause ? { cause } : {}),
      });
      this.observe({ type: "state", from: before.name, to: result.next.name, ...(cause ? { cause } : {}) });
    }
    for (const effect of result.effects) this.apply(effect, detail, source, dot);
  }

  private apply(effect: Effect, detail: string, source: "board" | "host", dot: number | undefined): void {
    const now = this.o.scheduler.nowMs();
    switch (effect) {
      case "sendUnlock":
        return this.link.send({ id: "UNLOCK", fields: {} });
      case "sendArm": {
        const boardNow = this.clock!.boardTickAt(now);
        return this.sendLeased({ id: "ARM", fields: { leaseTick: this.leaseTick(boardNow) } }, now);
      }
      case "sendDisarm":
        return this.link.send({ id: "DISARM", fields: {} });
      case "sendStop":
      case "sendEstop": {
        // the priority byte acts on arrival; the frame behind it is the acknowledged confirmation
        const which = effect === "sendStop" ? "STOP" : "ESTOP";
        this.o.transport.write(Uint8Array.of(PRIORITY_BYTES[which]));
        this.link.dropPending();
        this.link.send({ id: which, fields: {} });
        return;
      }
      case "recordFault": {
        const code = this.state.cause ?? "ESTOP";
        this.pendingFault ??= { code, source, detail, detectedAtMs: now, dot, parkedSeenAtMs: undefined };
        return;
      }
    }
  }

  /** Write the fault record once the needle is known parked (or the wait ran out), then end the run. */
  private completeFault(boardParkedMs: number | undefined): void {
    const pf = this.pendingFault;
    if (!pf || this.finished) return;
    const hostMs = pf.parkedSeenAtMs !== undefined ? pf.parkedSeenAtMs - pf.detectedAtMs : undefined;
    const parkedAfterMs = boardParkedMs ?? hostMs;
    const record: FaultRecord = {
      type: "fault",
      tMs: round1(pf.detectedAtMs),
      code: pf.code,
      codeNumber: ALARMS[pf.code].code,
      source: pf.source,
      detail: pf.detail || ALARMS[pf.code].doc,
      parkedAfterMs: parkedAfterMs === undefined ? null : round1(Math.max(0, parkedAfterMs)),
      parkedMeasuredBy: boardParkedMs !== undefined ? "board" : hostMs !== undefined ? "host" : "unconfirmed",
      ...(this.lastBoardAlarm ? { boardAlarm: this.lastBoardAlarm } : {}),
      ...(pf.dot !== undefined ? { dot: pf.dot } : {}),
    };
    this.o.sink.write(record);
    this.faults.push(record);
    this.observe({ type: "fault", record });
    const stopped = pf.code === "STOP";
    this.finish({
      ending: stopped ? "stopped" : "fault",
      message:
        `${stopped ? "stopped" : "safety fault"} ${pf.code}: ${record.detail}; ` +
        `needle parked ${record.parkedAfterMs === null ? "UNCONFIRMED" : `after ${record.parkedAfterMs} ms`}`,
    });
  }

  private finish(o: { ending: RunEnding; message: string }): void {
    if (this.finished) return;
    this.finished = true;
    this.cancelTick?.();
    const { outcome } = RUN_ENDINGS[o.ending];
    const s = this.link.stats;
    this.o.sink.write({
      type: "end",
      tMs: round1(this.o.scheduler.nowMs()),
      outcome: outcome === "refused" ? "fault" : outcome,
      dotsPlaced: this.dotsPlaced,
      link: { ...s },
      loop: {
        ticks: this.tickCount,
        maxLatenessMs: round1(this.lateness.max),
        p99LatenessMs: round1(this.lateness.quantile(0.99)),
      },
    });
    this.result = {
      ending: o.ending,
      outcome,
      exitCode: runExitCode(o.ending),
      message: o.message,
      dotsPlaced: this.dotsPlaced,
      faults: this.faults,
    };
    this.resolve(this.result);
  }

  private observe(e: ControllerEvent): void {
    this.o.observer?.(e);
  }
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
