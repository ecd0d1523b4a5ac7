// The session controller, the thin edge around the pure parts: it owns the fixed-rate loop on absolute
// deadlines (the Scheduler), the HostLink, the transport and the sink. It turns what arrives (frames, link
// events, loop ticks, the operator) into inputs of the supervisor state machine (src/safety/fsm.ts), which
// owns every phase of the run, and carries out the effects it returns (DOT and KEEP only while the drive is
// enabled). The pure modules beside it: the handshake check, the dot source and pacing, dot accounting, fault
// recording, the loop's bounds and the operator script.

import { HostLink, type BoardFrame, type HostCommand, type LinkEvent } from "../protocol/hostlink.ts";
import { PRIORITY_BYTES, type AlarmName, type FrameOf, type ResetCauseName } from "../protocol/table.ts";
import { driveEnabled, initialState, transition } from "../safety/fsm.ts";
import type { Effect, Input, SupervisorState } from "../safety/fsm.ts";
import type { RunEnding } from "../errors/errors.ts";
import type { DotRecord } from "../log/records.ts";
import { DotAccounting, type DotEndFrame } from "./accounting.ts";
import { FaultRecorder } from "./fault-recorder.ts";
import { bootCause, bootInput, nakInput, readStatus, unseenLatch } from "./frames.ts";
import { closeRun, stateChange } from "./outcome.ts";
import { round1 } from "./precision.ts";
import * as handshake from "./handshake.ts";
import { LatenessHistogram } from "./lateness.ts";
import { OPERATOR_TURN } from "./operator.ts";
import { DEFAULT_TIMING, lateTick, nextDeadlineMs, timeouts, type LoopTiming } from "./timing.ts";
import { connectBoard, driveGuard, type ConnectedBoard } from "./dispatch.ts";
import type { ControllerEvent, ControllerOptions, RunOutcome } from "./session-types.ts";

export class SessionController {
  private state: SupervisorState = initialState;
  private readonly link = new HostLink();
  /** The link's counters, live. */
  readonly linkStats = this.link.stats;
  private readonly timing: LoopTiming;
  private readonly books: DotAccounting;
  private readonly faults = new FaultRecorder();
  readonly lateness = new LatenessHistogram();
  /** Known once the board has answered HELLO. */
  private board: ConnectedBoard | undefined;
  private t0Ms = 0;
  private tickCount = 0;
  private cancelTick: (() => void) | undefined;
  /** Host time of the last valid frame from the board (any frame proves the link and board alive). */
  private lastRxMs: number | undefined;
  private lastHelloMs = 0;
  private lastBoardAlarm: AlarmName | undefined;
  /** The reset cause of the last BOOT the board sent since the host connected. */
  private bootCause: ResetCauseName | undefined;
  private result: RunOutcome | undefined;
  private resolve!: (o: RunOutcome) => void;
  private readonly done: Promise<RunOutcome>;

  constructor(private readonly o: ControllerOptions) {
    this.timing = o.timing ?? DEFAULT_TIMING;
    this.books = new DotAccounting(o.machine.calibration, o.source.kind === "pedal");
    this.done = new Promise((r) => {
      this.resolve = r;
    });
  }

  /** Connect, hand-shake, unlock, arm, run every dot of the source, disarm. Resolves with the outcome. */
  run(): Promise<RunOutcome> {
    const { transport, scheduler } = this.o;
    transport.onLine((line) => this.onLine(line));
    transport.onClose((reason) => this.input({ type: "linkLost", detail: `transport closed: ${reason}` }));
    this.t0Ms = scheduler.nowMs();
    this.hello(this.t0Ms);
    this.scheduleTick(this.t0Ms);
    return this.done;
  }

  /** Operator STOP (Ctrl-C): park and hold; before the session runs, end it without arming. */
  operatorStop(): void {
    this.input({ type: "stop" });
  }

  /** Operator E-STOP. */
  operatorEstop(): void {
    this.input({ type: "estop" });
  }

  /** Set once the run has ended; readable synchronously (virtual-time drivers poll it). */
  get outcome(): RunOutcome | undefined {
    return this.result;
  }

  get supervisorState(): SupervisorState {
    return this.state;
  }

  private get over(): boolean {
    return this.state.name === "done";
  }

  // ---- the loop ---------------------------------------------------------------------------------------------

  private scheduleTick(deadlineMs: number): void {
    this.cancelTick = this.o.scheduler.at(deadlineMs, () => this.tick(deadlineMs));
  }

  private tick(deadlineMs: number): void {
    if (this.over) return;
    const nowMs = this.o.scheduler.nowMs();
    this.lateness.add(nowMs - deadlineMs);
    this.tickCount++;
    this.input(lateTick(nowMs, nowMs - deadlineMs, this.timing)); // the state machine refuses it unless running
    this.checkTimeouts(nowMs, deadlineMs);
    if (driveEnabled(this.state)) this.planDots(nowMs);
    this.pump(nowMs);
    if (!this.over) this.scheduleTick(nextDeadlineMs(this.t0Ms, deadlineMs, nowMs, this.timing.periodMs));
  }

  private checkTimeouts(nowMs: number, tickDeadlineMs: number): void {
    const { t0Ms, lastRxMs, lastHelloMs } = this;
    const connected = this.board !== undefined;
    const watch = { t0Ms, lastRxMs, lastHelloMs, tickDeadlineMs, connected, linkIdle: this.link.idle };
    const parking = { parking: this.state.name === "parking", parkingSinceMs: this.faults.pendingSinceMs };
    const due = timeouts(nowMs, { ...watch, ...parking, transport: this.o.transport.description }, this.timing);
    if (due.helloAgain) this.hello(nowMs);
    this.input(due.input);
  }

  private hello(nowMs: number): void {
    this.lastHelloMs = nowMs;
    this.send({ id: "HELLO", fields: {} });
  }

  /** Send what the link has for us now. */
  private pump(nowMs: number): void {
    const { lines, events } = this.link.poll(nowMs);
    for (const line of lines) this.o.transport.write(Buffer.from(line, "latin1"));
    for (const e of events) this.onLinkEvent(e, nowMs);
  }

  /** Running: the next dot when it is due, else a keep-alive. */
  private planDots(nowMs: number): void {
    const { clock, dispatch } = this.board!;
    // a hand-held segment ends when the operator ends it, not with a dot: then its last dot has ended already
    if (this.o.source.kind === "pedal" && dispatch.complete)
      return this.input({ type: "sessionDone", ...dispatch.held });
    const d = dispatch.next(nowMs, clock.boardTickAt(nowMs), this.link.idle);
    if (d?.kind === "tooDeep") return this.input({ type: "fault", code: "DEPTH_DEVIATION", detail: d.detail });
    if (d?.kind === "dot") this.o.onDotSent?.(d.planned.n, d.planned.settings.zone);
    if (d) this.send(d.command);
  }

  /** Every command goes out here; DOT and KEEP only while the drive is enabled (driveGuard: else an E-STOP). */
  private send(command: HostCommand): void {
    const broken = driveGuard(this.state, command);
    if (!broken) return this.link.send(command);
    this.observe({ type: "info", message: broken.detail });
    this.input(broken);
  }

  // ---- receive --------------------------------------------------------------------------------------------

  private onLine(line: string): void {
    if (this.over) return;
    const nowMs = this.o.scheduler.nowMs();
    for (const e of this.link.receive(line, nowMs)) this.onLinkEvent(e, nowMs);
    this.pump(nowMs);
  }

  private onLinkEvent(e: LinkEvent, nowMs: number): void {
    switch (e.type) {
      case "frame":
        return this.onFrame(e.frame, nowMs);
      case "corrupt":
        return; // counted in link stats; a command is retransmitted, telemetry is a gap
      case "lost": {
        const detail = `${e.command.id} not acknowledged after ${e.attempts} attempts`;
        return this.input({ type: "linkLost", detail });
      }
      case "acked":
        if (e.command.id === "ARM" || e.command.id === "PEDAL") this.input({ type: "armAcked" });
        if (e.command.id !== "DISARM") return;
        // a hold's park: its dots have ended, and the board disarms with the needle parked
        if (this.state.name === "disarming" && this.state.held) this.faults.parkedSeen(nowMs);
        this.input({ type: "disarmAcked" });
        return;
      case "naked":
        return this.onNaked(e.command, e.nak);
    }
  }

  private onNaked(command: HostCommand, nak: number): void {
    const input = nakInput(command, nak, this.state.name === "running", this.lastBoardAlarm);
    if (input?.type !== "lateDot") return this.input(input);
    // a dot reached the board after its start tick (a retransmission took too long) and nothing fired: it
    // goes out again with a fresh start tick, a bounded number of times in a row
    const late = this.board!.dispatch.late(input.dot);
    if (late.kind === "unknown") return;
    this.link.dropPending();
    if (late.kind === "tooLate") this.input({ type: "late", detail: late.detail });
  }

  private onFrame(frame: BoardFrame, nowMs: number): void {
    this.lastRxMs = nowMs;
    switch (frame.id) {
      case "INFO":
        return this.onInfo(frame.fields, nowMs);
      case "BOOT":
        this.bootCause = bootCause(frame.fields);
        return this.input(bootInput(this.board?.info.bootId, frame.fields));
      case "STATUS":
        return this.onStatus(frame.fields, nowMs);
      case "FIRE": // a hand-held session's press: the dot goes on the books with the settings it fired
        return this.board?.dispatch.fired?.(frame.fields);
      case "STROKE": {
        const stroke = { ...frame.fields, dot: this.sessionDot(frame.fields.dot) };
        const bad = this.board && this.books.stroke(stroke, this.board.info.hardMaxExtensionUm);
        return this.input(bad && { type: "fault", ...bad });
      }
      case "DOTEND": {
        const n = this.sessionDot(frame.fields.dot);
        return this.endDot(n, nowMs, { ...frame.fields, dot: n });
      }
      case "ALARM": // sent once the needle is parked, with the board's own latch and timing
        if (!this.board) return;
        if (this.faults.pendingSinceMs === undefined) this.input(unseenLatch(frame.fields, this.state.name));
        if (!this.faults.alarmFrame(frame.fields, this.board.clock, nowMs)) return;
        return this.input({ type: "parked", via: "alarm" });
    }
  }

  private onInfo(info: handshake.BoardInfo, nowMs: number): void {
    if (this.board) return; // a repeated reply to a retransmitted HELLO
    const { overtravelUm } = this.o.machine.calibration;
    this.board = connectBoard(info, nowMs, { ...this.o, books: this.books, timing: this.timing, overtravelUm });
    this.books.capAt(handshake.commandCapUm(info, overtravelUm));
    const { leaseMs } = this.timing;
    const { settings, plannedDots } = this.o.source;
    const needs = { ...this.o, transport: this.o.transport.description, leaseMs, settings, plannedDots };
    const { header, input } = handshake.meet(info, needs);
    this.o.sink.write(header);
    this.input(input);
    if (input.type === "info") this.observe({ type: "info", message: handshake.boardSummary(info) });
  }

  private onStatus(s: FrameOf<"STATUS">["fields"], nowMs: number): void {
    if (!this.board) return;
    this.board.clock.sample(s.tick, nowMs);
    const { board, alarm, parkedInAlarm } = readStatus(s);
    if (alarm) this.lastBoardAlarm = alarm;
    const found = this.state.name === "handshaking" ? handshake.foundLatched(s, this.board.info, nowMs) : undefined;
    if (found) this.o.sink.write(found);
    this.input({ type: "status", board, alarm });
    this.faults.boardStatus(alarm); // what the board has latched now, for a pending fault's record
    for (const n of this.books.through(this.sessionDot(s.lastDot))) this.endDot(n, nowMs, undefined);
    if (this.faults.pendingSinceMs !== undefined && parkedInAlarm) {
      const again = this.faults.parkedSeen(nowMs);
      this.input({ type: "parked", via: "status", again, ...(alarm ? { alarm } : {}) });
    }
    // what `smp run` does on the operator's behalf (control/operator.ts)
    const { lastBoardAlarm, bootCause: cause } = this;
    const view = { ...this.o, board, lastBoardAlarm, linkIdle: this.link.idle, bootCause: cause };
    for (const step of OPERATOR_TURN) this.input(step(this.state, view));
  }

  /** The session's number of the board's dot d: board numbers start again at every HELLO (a hand-held session's
   * later segments continue from the dots placed before them). */
  private sessionDot(d: number): number {
    return this.o.source.kind === "pedal" ? this.o.source.dotBase + d : d;
  }

  /** A dot ended: its record, then the session's end once the source has run out and nothing is in flight. */
  private endDot(n: number, nowMs: number, end: DotEndFrame | undefined): void {
    const record = this.books.end(n, nowMs, () => this.board!.clock.boardTickAt(nowMs), end);
    if (!record) return;
    this.writeDot(record);
    const dispatch = this.board!.dispatch;
    const short = dispatch.ended(record); // a zone's target out of reach: no more dots, the session ends held
    if (short) this.observe({ type: "info", message: `${short.code}: ${short.detail}` });
    if (dispatch.complete) this.input({ type: "sessionDone", ...dispatch.held });
  }

  private writeDot(record: DotRecord): void {
    this.o.sink.write(record);
    this.observe({ type: "dot", record, total: this.o.source.plannedDots });
  }

  // ---- the state machine's edge ----------------------------------------------------------------------------

  private input(input: Input | undefined): void {
    if (!input) return;
    const before = this.state;
    const result = transition(before, input);
    if (result.rejected) return;
    this.state = result.next;
    const change = stateChange(before, result.next, this.o.scheduler.nowMs());
    if (change) {
      this.o.sink.write(change.record);
      this.observe(change.event);
    }
    for (const effect of result.effects) this.apply(effect);
  }

  private apply(effect: Effect): void {
    const nowMs = this.o.scheduler.nowMs();
    switch (effect.type) {
      case "send":
        if (effect.command === "ARM")
          return this.send(this.board!.dispatch.arm(nowMs, this.board!.clock.boardTickAt(nowMs)));
        return this.send({ id: effect.command, fields: {} });
      case "priority":
        // the priority byte acts on arrival; the frame behind it is the acknowledged confirmation
        this.o.transport.write(Uint8Array.of(PRIORITY_BYTES[effect.which]));
        if (!this.board) return;
        this.link.dropPending();
        return this.send({ id: effect.which, fields: {} });
      case "fault":
        if (effect.neverArmed) return this.o.sink.write(this.faults.neverArmed(effect, nowMs));
        return this.faults.detected(effect, nowMs, this.books.currentDot);
      case "info": // what the host did on the operator's behalf: shown, and kept in the record
        this.o.sink.write({ type: "note", tMs: round1(nowMs), text: effect.message });
        return this.observe({ type: "info", message: effect.message });
      case "finish":
        return this.finish(effect.outcome.ending, effect.outcome.detail);
    }
  }

  /** End the run: the records of dots cut short, a parked fault's record, then the end record and the outcome. */
  private finish(ending: RunEnding, detail: string): void {
    this.cancelTick?.();
    const nowMs = this.o.scheduler.nowMs();
    for (const record of this.books.cutShort(nowMs, this.board?.clock.boardTickAt(nowMs) ?? 0)) this.writeDot(record);
    const parked = this.faults.complete((n) => this.books.deepestMeasuredUm(n));
    if (parked) {
      this.o.sink.write(parked);
      this.observe({ type: "fault", record: parked });
    }
    const { end, outcome } = closeRun({
      ...{ ending, detail, parked, faults: this.faults.records, dotsPlaced: this.books.dotsPlaced },
      ...{ tMs: this.o.scheduler.nowMs(), link: this.link.stats, ticks: this.tickCount, lateness: this.lateness },
    });
    this.o.sink.write(end);
    this.result = outcome;
    this.o.onEnd?.(outcome);
    this.resolve(outcome);
  }

  private observe(e: ControllerEvent): void {
    this.o.observer?.(e);
  }
}
