// Session record types (append-only JSON Lines): a header, the alarm the board had latched when the run
// reached it, one record per dot, state changes, faults and an end record that says how and why the run ended.
// Also the pure reader (tolerates a torn last line) and the summary used by the CLI.

export interface HeaderRecord {
  type: "header";
  format: "smp-session/1";
  startedAt: string;
  profile: { name: string; source: string; hash: string };
  machine: { name: string; kind: string; hash: string };
  session: number;
  plannedDots: number;
  transport: string;
  board: { firmware: string; protocol: number; schema: string; bootId: number; clockHz: number };
  hardMaxExtensionUm: number;
  hardMaxStrokeHz: number;
  hardMaxCurrentMa: number;
  hardMaxDwellMs: number;
  envelope: string;
}

/**
 * The alarm the board had latched when this run reached it (its first STATUS after INFO showed ALARM). It
 * completes an earlier run's record that could not know it (a fault record with boardAlarm "unknown": the link
 * was lost): the same bootId as that run's header means the board has not reset since.
 */
export interface LatchedRecord {
  type: "latched";
  tMs: number;
  alarm: string;
  /** The board showed the needle parked (STATUS parked). */
  parked: boolean;
  bootId: number;
}

export interface StateRecord {
  type: "state";
  tMs: number;
  from: string;
  to: string;
  cause?: string;
}

export interface DotRecord {
  type: "dot";
  n: number;
  zone: string;
  session: number;
  tMs: number;
  boardTick: number;
  targetExtensionUm: number;
  commandedExtensionUm: number;
  /** Deepest measured stroke of the dot (from the board's DOTEND; from the strokes seen when DOTEND was lost). */
  maxExtensionUm: number | null;
  meanExtensionUm: number | null;
  /** "partial" when telemetry frames of this dot were lost: counts and depths come from what arrived. */
  telemetry: "complete" | "partial";
  strokeCount: number;
  plannedStrokes: number;
  /** Mean measured stroke rate. */
  strokeHz: number;
  commandedStrokeHz: number;
  dutyPermille: number;
  peakCurrentMa: number;
  onTimeMs: number;
  /** The needle the dot was placed with, as the profile names it: configuration and diameter ("3RL-0.25mm"). */
  needle?: string;
  /** Hand-held: present (true) when the operator released the pedal before the burst's planned strokes. */
  released?: true;
  /**
   * Present (true) when the dot's burst was cut short: it started, or was sent and may have started, and the
   * run ended (a fault, a stop, the link lost) before it ended normally. Written before the fault record;
   * counts, depths and rate come from the strokes that arrived (telemetry "partial", onTimeMs 0), and
   * maxExtensionUm is null when none arrived. Such a dot is not counted in the end record's dotsPlaced.
   */
  partial?: true;
}

export interface FaultRecord {
  type: "fault";
  tMs: number;
  code: string;
  codeNumber: number;
  source: "board" | "host";
  detail: string;
  /**
   * Detection to needle parked; null when it was not confirmed. Measured by the board: from the board's own
   * latch (boardEvent) to parked, by its clock. Measured by the host: from tMs to the board's confirmation.
   */
  parkedAfterMs: number | null;
  /**
   * How parkedAfterMs was measured: by the board's own clock, by the host up to the board's confirmation,
   * not at all (link gone, or the board cannot know), or not needed because the drive was never enabled.
   */
  parkedMeasuredBy: "board" | "host" | "unconfirmed" | "never-armed";
  /** Why the park was measured the way it was, when not the plain way (absent then). */
  parkNote?: string;
  /**
   * The alarm latched on the board now, as the board last said in a STATUS at or after the detection: an
   * alarm name, "none" (it showed none latched), or "unknown" (no word from the board since the detection: the
   * link was lost; the next contact, a later run's `latched` record, tells it). Absent when never armed.
   */
  boardAlarm?: string;
  /**
   * The board's own account of its latch, from its ALARM frame: the alarm, the board tick at its detection,
   * detection to parked (us, the board's clock), and atMs, that tick on the host's clock (estimated).
   */
  boardEvent?: { alarm: string; tick: number; parkedUs: number; atMs: number };
  /** HOST_LATE from a late loop tick: the host was not running from fromMs (the missed deadline) to wokeAtMs. */
  hostAsleep?: { fromMs: number; wokeAtMs: number };
  /** The dot in flight when the fault was detected (host or board fault); absent when none was. */
  dot?: number;
  /** With dot: that dot's deepest measured stroke, as in its dot record (null: no stroke arrived). */
  deepestMeasuredUm?: number | null;
  /** BOARD_RESET: why the board restarted, from its BOOT's resetCause (RESET_CAUSES: WATCHDOG, EXTERNAL, ...). */
  resetCause?: string;
}

/** Something the host did on the operator's behalf, in words: clearing the board's latched alarm at the start. */
export interface NoteRecord {
  type: "note";
  tMs: number;
  text: string;
}

export interface EndRecord {
  type: "end";
  tMs: number;
  outcome: "done" | "fault" | "stopped" | "held";
  /** How the run ended: a RUN_ENDINGS name of src/errors/errors.ts, which decides the exit code. */
  ending: string;
  /** Why, in words: the run's closing message. */
  reason: string;
  exitCode: number;
  dotsPlaced: number;
  link: Record<string, number | undefined>;
  loop: { ticks: number; maxLatenessMs: number; p99LatenessMs: number };
  /** Simulated boards only: the deepest the needle tip really went in the run (um), from the simulated world,
   * not from any measurement the controller saw. Absent on a real board. */
  trueDeepestTipUm?: number;
}

/** Hand-held: the operator selected another zone; `needle` is the zone's. */
export interface ZoneRecord {
  type: "zone";
  tMs: number;
  from: string;
  to: string;
  needle: string;
}

/** Hand-held: the cartridge taken out, a new one put in (the board's switch), and the operator's confirmation. */
export interface CartridgeRecord {
  type: "cartridge";
  tMs: number;
  act: "out" | "in" | "confirmed";
  needle: string;
}

/**
 * Hand-held: the session's segments. A segment is one armed stretch between holds (one header and end record
 * each): "start" opens the session, "hold" says why a segment ended (a stop, a fault, a needle change), "resume"
 * is the operator's re-arm (after a hold, or of a session an earlier process left off: `resumedFrom`), "end" the
 * session's close with the dots per zone.
 */
export interface SegmentRecord {
  type: "segment";
  tMs: number;
  act: "start" | "hold" | "resume" | "end";
  zone: string;
  reason?: string;
  dotsPerZone?: Record<string, number>;
  resumedFrom?: { dots: number; at: string };
}

export type SessionRecord =
  | HeaderRecord
  | LatchedRecord
  | StateRecord
  | NoteRecord
  | DotRecord
  | FaultRecord
  | EndRecord
  | ZoneRecord
  | CartridgeRecord
  | SegmentRecord;

/**
 * How a fault record says the needle parked, the one wording for every place that shows it: "UNCONFIRMED",
 * "throughout (never armed)", or "after N ms" and, withClock, whose clock measured it.
 */
export function parkedText(r: Pick<FaultRecord, "parkedAfterMs" | "parkedMeasuredBy">, withClock = false): string {
  if (r.parkedAfterMs === null) return "UNCONFIRMED";
  if (r.parkedMeasuredBy === "never-armed") return "throughout (never armed)";
  return `after ${r.parkedAfterMs} ms${withClock ? ` (${r.parkedMeasuredBy} clock)` : ""}`;
}

/** A SessionSink that keeps the records in memory (tests, benchmarks); tests/log.test.ts checks it is one. */
export class MemorySink {
  readonly records: SessionRecord[] = [];
  write(record: SessionRecord): void {
    this.records.push(record);
  }
}

export interface ParsedLog {
  records: SessionRecord[];
  /** The last line was cut short (crash mid-write) and was left out. */
  tornTail: boolean;
}

/** Parse a session file's text. A torn final line is tolerated; a bad line anywhere else is an error. */
export function parseSessionLog(text: string): ParsedLog {
  const lines = text.split("\n");
  const endsClean = text.endsWith("\n") || text.length === 0;
  if (endsClean) lines.pop();
  const records: SessionRecord[] = [];
  let tornTail = false;
  lines.forEach((line, i) => {
    const last = i === lines.length - 1;
    try {
      const value = JSON.parse(line) as unknown;
      if (typeof value !== "object" || value === null || typeof (value as { type?: unknown }).type !== "string")
        throw new Error("not a record");
      records.push(value as SessionRecord);
    } catch (e) {
      if (last && !endsClean) tornTail = true;
      else throw new Error(`session log line ${i + 1} is not a record: ${(e as Error).message}`, { cause: e });
    }
  });
  return { records, tornTail };
}

export interface Stats {
  n: number;
  mean: number;
  p99: number;
  max: number;
}

export function stats(values: readonly number[]): Stats {
  if (values.length === 0) return { n: 0, mean: 0, p99: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const p99 = sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)]!;
  return {
    n: values.length,
    mean: values.reduce((a, b) => a + b, 0) / values.length,
    p99,
    max: sorted[sorted.length - 1]!,
  };
}

export interface Summary {
  dotsByZone: Record<string, number>;
  /** |measured deepest stroke - target|, um. */
  depthErrorUm: Stats;
  /** |measured mean rate - setpoint|, Hz. */
  speedErrorHz: Stats;
  deepestStrokeUm: number;
  /** Placed dots whose telemetry was partly lost on the link. */
  partialDots: number;
  /** Dots whose burst a fault or stop cut short (DotRecord.partial): not in dotsByZone nor the error figures. */
  cutShortDots: number;
  faults: FaultRecord[];
  outcome: EndRecord["outcome"] | "incomplete";
  /** From the end record of a run on a simulated board (EndRecord.trueDeepestTipUm); absent otherwise. */
  trueDeepestTipUm?: number;
}

export function summarize(records: readonly SessionRecord[]): Summary {
  const dots = records.filter((r): r is DotRecord => r.type === "dot");
  type Measured = DotRecord & { maxExtensionUm: number };
  const isMeasured = (d: DotRecord): d is Measured => d.maxExtensionUm !== null;
  // placed dots give the accuracy figures; a burst cut short by a fault counts only for the deepest stroke
  const placed = dots.filter((d) => d.partial !== true);
  const dotsByZone: Record<string, number> = {};
  for (const d of placed) dotsByZone[d.zone] = (dotsByZone[d.zone] ?? 0) + 1;
  const end = records.find((r): r is EndRecord => r.type === "end");
  return {
    dotsByZone,
    depthErrorUm: stats(placed.filter(isMeasured).map((d) => Math.abs(d.maxExtensionUm - d.targetExtensionUm))),
    speedErrorHz: stats(placed.filter((d) => d.strokeHz > 0).map((d) => Math.abs(d.strokeHz - d.commandedStrokeHz))),
    deepestStrokeUm: dots.filter(isMeasured).reduce((m, d) => Math.max(m, d.maxExtensionUm), -Infinity),
    cutShortDots: dots.length - placed.length,
    partialDots: placed.filter((d) => d.telemetry !== "complete").length,
    faults: records.filter((r): r is FaultRecord => r.type === "fault"),
    outcome: end?.outcome ?? "incomplete",
    ...(end?.trueDeepestTipUm !== undefined ? { trueDeepestTipUm: end.trueDeepestTipUm } : {}),
  };
}
