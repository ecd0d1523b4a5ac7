// A hand-held session (issue 8): the operator places dot after dot with the foot pedal, zone after zone, and
// the session stays open across holds. It runs as segments: each is one SessionController armed with PEDAL
// (src/control/pedal-dispatch.ts) from its handshake to its end. A STOP, a fault or an e-stop ends a segment
// with the needle parked and the board latched; the session is then held until the operator's explicit resume,
// which unlocks the latch and arms a new segment. A zone whose needle differs from the one fitted ends the
// segment too (the board disarmed, so a press fires nothing) until the board's cartridge switch has opened and
// closed and the operator confirms the new needle (src/control/zone-desk.ts). Every zone change, cartridge
// change, hold and resume goes into the session record with its time; dots carry their zone and needle and are
// numbered through the whole session. Between segments the board's STATUS frames are still read: the cartridge
// switch and the pedal. Pure of I/O: the scheduler, the transport and the sink come in.

import { decodeFrame } from "../protocol/codec.ts";
import type { LinkStats } from "../protocol/hostlink.ts";
import { BOARD_STATES, type FrameOf } from "../protocol/table.ts";
import type { SegmentRecord, SessionRecord } from "../log/records.ts";
import { dotSettings, needleName, zonesForSession, type DotSettings } from "../profiles/dots.ts";
import type { ConsoleAct, ConsoleShows } from "../ports/console.ts";
import { SessionController } from "./controller.ts";
import type { PedalSource } from "./pedal-dispatch.ts";
import { round1 } from "./precision.ts";
import type { ControllerEvent, ControllerOptions, RunOutcome } from "./session-types.ts";
import { ZoneDesk, type DeskEvent } from "./zone-desk.ts";

/** Where a hand-held session stands, for the operator's screen and console light. */
export type HandHeldPhase =
  | "starting" // the first segment hand-shakes and arms
  | "live" // the pedal is armed: each press places a dot
  | "held" // a stop, a fault or an e-stop: parked; the operator's resume re-arms
  | "needle-change" // the zone needs another needle: out, in, confirm
  | "ended";

/** An act of the operator: the console's, or a zone chosen by name. */
export type HandAct = ConsoleAct | { readonly zone: string };

export interface HandHeldResume {
  /** Dots placed before (the session record's), so numbering and the dots per zone go on. */
  readonly dots: number;
  readonly dotsPerZone: Readonly<Record<string, number>>;
  readonly zone: string;
  /** When the record was left off (its last record's time, for the resume record). */
  readonly at: string;
}

export interface HandHeldOptions extends Omit<ControllerOptions, "source" | "unlockLatched" | "observer" | "onEnd"> {
  /** Continue a session an earlier process left off: held until the operator re-arms. */
  readonly resume?: HandHeldResume;
  readonly observer?: (e: HandHeldEvent) => void;
}

export type HandHeldEvent =
  | ControllerEvent
  | { type: "phase"; phase: HandHeldPhase; why: string }
  | { type: "desk"; event: DeskEvent }
  | { type: "status"; status: FrameOf<"STATUS">["fields"] };

export interface HandHeldOutcome {
  /** 0: the operator ended the session from live or a stop; 3: it ended held on a fault. */
  readonly exitCode: 0 | 3;
  readonly message: string;
  readonly dotsPlaced: number;
  readonly dotsPerZone: Readonly<Record<string, number>>;
  readonly segments: number;
}

/** A segment's PedalSource: the zone the desk has selected, until the segment is ended. */
class SegmentSource implements PedalSource {
  readonly kind = "pedal";
  readonly plannedDots = 0;
  exhausted = false;
  constructor(
    private readonly desk: ZoneDesk,
    readonly settings: readonly DotSettings[],
    readonly dotBase: number,
  ) {}
  armed(): DotSettings {
    return this.desk.zone;
  }
}

export class HandHeldSession {
  readonly desk: ZoneDesk;
  private readonly zones: readonly DotSettings[];
  private phaseNow: HandHeldPhase = "starting";
  private segment: { controller: SessionController; source: SegmentSource } | undefined;
  private segments = 0;
  private dots: number;
  /** The operator asked to end: the session ends once the segment running has. */
  private ending = false;
  /** The last segment ended on a fault (not an operator's stop or a needle change). */
  private heldOnFault = false;
  /** The console's secondary e-stop is down: no resume until it is released. */
  private consoleEstop = false;
  /** The operator e-stopped: the session ends once the segment has parked. */
  private estopped = false;
  private lastStatus: FrameOf<"STATUS">["fields"] | undefined;
  private resolve!: (o: HandHeldOutcome) => void;
  private readonly done: Promise<HandHeldOutcome>;
  private result: HandHeldOutcome | undefined;

  constructor(private readonly o: HandHeldOptions) {
    const { profile, session } = o;
    this.zones = zonesForSession(profile.profile, session).map((z) => dotSettings(profile.profile, z, session));
    this.desk = new ZoneDesk(this.zones, o.resume?.zone);
    for (const [zone, n] of Object.entries(o.resume?.dotsPerZone ?? {})) this.desk.dotsPerZone.set(zone, n);
    this.dots = o.resume?.dots ?? 0;
    this.done = new Promise((r) => (this.resolve = r));
  }

  get phase(): HandHeldPhase {
    return this.phaseNow;
  }

  get dotsPlaced(): number {
    return this.dots;
  }

  /** The link's counters of the segment running (undefined between segments). */
  get linkStats(): LinkStats | undefined {
    return this.segment?.controller.linkStats;
  }

  /** The board's latest STATUS (its pedal and cartridge switch: STATUS inputs). */
  get boardStatus(): FrameOf<"STATUS">["fields"] | undefined {
    return this.lastStatus;
  }

  get outcome(): HandHeldOutcome | undefined {
    return this.result;
  }

  /** The console light's state for the phase. */
  get shows(): ConsoleShows {
    const p = this.phaseNow;
    if (p === "live") return "armed";
    if (p === "held") return this.heldOnFault ? "fault" : "held";
    if (p === "ended") return "off";
    return "idle";
  }

  /** Arm the first segment (or, resuming a session, wait held for the operator's re-arm). */
  start(): Promise<HandHeldOutcome> {
    this.o.transport.onLine((line) => this.onLine(line));
    const zone = this.desk.zone.zone;
    const r = this.o.resume;
    if (r) {
      const why = `resumed a session left off at dot ${r.dots}: the operator re-arms`;
      this.write({ type: "segment", tMs: this.now(), act: "resume", zone, resumedFrom: { dots: r.dots, at: r.at } });
      this.setPhase("held", why);
    } else {
      this.write({ type: "segment", tMs: this.now(), act: "start", zone });
      this.startSegment(false);
    }
    return this.done;
  }

  /** An operator act from the console, the keyboard or a taps file. */
  act(a: HandAct): void {
    if (this.phaseNow === "ended") return;
    if (typeof a === "object") return this.select(a.zone);
    switch (a) {
      case "zone-up":
        return this.select(1);
      case "zone-down":
        return this.select(-1);
      case "stop":
        return this.segment?.controller.operatorStop();
      case "estop": // latches as in any run, and ends the session (exit 3); `smp session resume` may continue it
        this.consoleEstop = true;
        this.estopped = true;
        if (!this.segment) return this.finish();
        return this.segment.controller.operatorEstop();
      case "estop-release":
        this.consoleEstop = false;
        return;
      case "arm":
        return this.arm();
      case "end":
        this.ending = true;
        if (!this.segment) return this.finish();
        this.segment.source.exhausted = true; // disarms once the dot in flight has ended
        return;
    }
  }

  private select(to: number | string): void {
    let events: DeskEvent[];
    try {
      events = this.desk.select(to, this.now());
    } catch (e) {
      this.note((e as Error).message); // a zone this session does not have: nothing changes
      return;
    }
    this.deskEvents(events);
    if (this.desk.pedal !== "live" && this.segment) {
      this.segment.source.exhausted = true; // the board disarms: a press fires nothing until the new needle
      this.setPhase("needle-change", this.needlePrompt());
    }
  }

  /** arm: resume a hold, or confirm the new needle (which re-arms). */
  private arm(): void {
    if (this.phaseNow === "needle-change" && !this.segment) {
      this.deskEvents(this.desk.confirm(this.now()));
      if (this.desk.pedal === "live") this.startSegment(false);
      return;
    }
    if (this.phaseNow !== "held") return;
    if (this.consoleEstop) return this.note("the console's e-stop is down: release it, then resume");
    if (this.desk.pedal !== "live") return this.setPhase("needle-change", this.needlePrompt());
    this.write({ type: "segment", tMs: this.now(), act: "resume", zone: this.desk.zone.zone });
    this.startSegment(true);
  }

  private startSegment(unlockLatched: boolean): void {
    const source = new SegmentSource(this.desk, this.zones, this.dots);
    const controller = new SessionController({
      ...this.o,
      source,
      unlockLatched,
      observer: (e) => this.onControllerEvent(e),
      onEnd: (outcome) => this.segmentEnded(outcome),
    });
    this.segment = { controller, source };
    this.segments++;
    this.heldOnFault = false;
    this.setPhase("starting", unlockLatched ? "the operator re-armed" : "arming the pedal");
    void controller.run();
  }

  private onControllerEvent(e: ControllerEvent): void {
    if (e.type === "dot" && e.record.partial !== true) {
      this.dots = Math.max(this.dots, e.record.n);
      this.desk.countDot(e.record.zone);
    }
    if (e.type === "state" && e.to === "running" && this.phaseNow === "starting")
      this.setPhase("live", `pedal armed: ${this.desk.zone.zone}, ${needleName(this.desk.needle)}`);
    this.o.observer?.(e);
  }

  private segmentEnded(outcome: RunOutcome): void {
    this.segment = undefined;
    const zone = this.desk.zone.zone;
    if (this.ending && outcome.ending === "done") return this.finish();
    if (outcome.ending === "done" && this.desk.pedal !== "live") {
      this.write({ type: "segment", tMs: this.now(), act: "hold", zone, reason: "needle change" });
      if (this.phaseNow !== "needle-change") this.setPhase("needle-change", this.needlePrompt());
      return;
    }
    this.heldOnFault = outcome.ending !== "stopped" && outcome.ending !== "done";
    const reason = outcome.message || outcome.ending;
    this.write({ type: "segment", tMs: this.now(), act: "hold", zone, reason });
    if (this.ending || this.estopped) return this.finish();
    this.setPhase("held", `${reason}; resume to re-arm`);
  }

  private onLine(line: string): void {
    const d = decodeFrame(line);
    if (!d.ok || d.frame.id !== "STATUS") return;
    const s = d.frame.fields;
    this.lastStatus = s;
    this.o.observer?.({ type: "status", status: s });
    if (this.phaseNow !== "needle-change" || this.segment) return;
    const idleParked = s.state === BOARD_STATES.IDLE && s.parked === 1;
    const events = this.desk.cartridgeSwitch((s.inputs & 2) !== 0, idleParked, this.now());
    this.deskEvents(events);
    if (events.length > 0) this.setPhase("needle-change", this.needlePrompt()); // the next step, once
  }

  private deskEvents(events: readonly DeskEvent[]): void {
    for (const e of events) {
      const tMs = round1(e.atMs);
      if (e.type === "zone") this.write({ type: "zone", tMs, from: e.from, to: e.to, needle: needleName(e.needle) });
      else this.write({ type: "cartridge", tMs, act: e.act, needle: needleName(e.needle) });
      this.o.observer?.({ type: "desk", event: e });
    }
  }

  private needlePrompt(): string {
    const want = needleName(this.desk.zone.needle);
    switch (this.desk.pedal) {
      case "cartridge-out":
        return `zone ${this.desk.zone.zone} needs ${want}: take the ${needleName(this.desk.needle)} cartridge out`;
      case "cartridge-in":
        return `put the ${want} cartridge in`;
      case "confirm":
        return `confirm the ${want} needle is fitted (arm)`;
      case "live":
        return "needle confirmed";
    }
  }

  /** The session's end: by the operator ("end" closes its record), or by an e-stop (exit 3; the record stays open,
   * so `smp session resume` may continue it once the cause is found). */
  private finish(): void {
    if (this.result) return;
    const dotsPerZone = Object.fromEntries(this.desk.dotsPerZone);
    const zone = this.desk.zone.zone;
    const tMs = this.now();
    const record: SegmentRecord = this.estopped
      ? { type: "segment", tMs, act: "hold", zone, reason: "e-stop: the session ended", dotsPerZone }
      : { type: "segment", tMs, act: "end", zone, dotsPerZone };
    this.write(record);
    const exitCode = this.heldOnFault || this.estopped ? 3 : 0;
    const how = this.estopped ? "e-stopped" : "ended by the operator";
    const message = `session ${how}: ${this.dots} dots over ${this.segments} armed segments`;
    this.result = { exitCode, message, dotsPlaced: this.dots, dotsPerZone, segments: this.segments };
    this.setPhase("ended", message);
    this.resolve(this.result);
  }

  private setPhase(phase: HandHeldPhase, why: string): void {
    this.phaseNow = phase;
    this.o.observer?.({ type: "phase", phase, why });
  }

  private note(text: string): void {
    this.write({ type: "note", tMs: this.now(), text });
    this.o.observer?.({ type: "info", message: text });
  }

  private write(record: SessionRecord): void {
    this.o.sink.write(record);
  }

  private now(): number {
    return round1(this.o.scheduler.nowMs());
  }
}

/**
 * Where a session record left off, for `smp session resume`: the dots placed (numbering goes on after the
 * highest), the dots per zone, the zone last selected. Refused (undefined and why) when it is not a hand-held
 * session or it was ended by the operator.
 */
export function resumePoint(
  records: readonly SessionRecord[],
): { readonly resume: HandHeldResume; readonly header: SessionRecord & { type: "header" } } | { readonly why: string } {
  const header = records.find((r): r is SessionRecord & { type: "header" } => r.type === "header");
  const segments = records.filter((r): r is SegmentRecord => r.type === "segment");
  if (!header || segments.length === 0) return { why: "it is not the record of a hand-held session" };
  if (segments.at(-1)!.act === "end") return { why: "the operator ended that session: start a new one" };
  const dotsPerZone: Record<string, number> = {};
  let dots = 0;
  let zone = segments[0]!.zone;
  for (const r of records) {
    if (r.type === "dot") {
      dots = Math.max(dots, r.n);
      if (r.partial !== true) dotsPerZone[r.zone] = (dotsPerZone[r.zone] ?? 0) + 1;
    }
    if (r.type === "zone") zone = r.to;
    if (r.type === "segment") zone = r.zone;
  }
  const last = records.at(-1) as { tMs?: number } | undefined;
  const at = `${header.startedAt} + ${round1(last?.tMs ?? 0)} ms`;
  return { resume: { dots, dotsPerZone, zone, at }, header };
}
