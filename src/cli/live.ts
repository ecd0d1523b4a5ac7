// The live screen of a hand-held session in the terminal: a status line the operator reads across the chair
// (phase, zone and needle, dots in the session and the zone, the last dot's depth against its target, the
// pedal), rewritten in place on a terminal and cut to its width (read again at every draw, so a resize never
// wraps it), with the events (holds, zone and cartridge changes, faults, prompts) printed above it. Without a
// terminal, one line per event and a line every 10 dots; with --json, one JSON event per line.

import type { HandHeldEvent, HandHeldPhase } from "../control/hand-held.ts";
import { parkedText, type DotRecord } from "../log/records.ts";

export interface LiveView {
  readonly phase: HandHeldPhase;
  readonly zone: string;
  readonly needle: string;
  readonly dots: number;
  readonly zoneDots: number;
  readonly last: DotRecord | undefined;
  readonly pedalDown: boolean;
}

const PHASE_WORD: Record<HandHeldPhase, string> = {
  starting: "ARMING",
  live: "LIVE",
  held: "HELD",
  "needle-change": "NEEDLE",
  ended: "ENDED",
};

/** The status line, at most `columns` characters (a narrow terminal loses the end, never wraps). */
export function statusLine(v: LiveView, columns: number): string {
  const depth = v.last ? `${v.last.maxExtensionUm ?? "?"}/${v.last.targetExtensionUm} um` : "-";
  const parts = [
    PHASE_WORD[v.phase].padEnd(6),
    `${v.zone} ${v.needle}`,
    `dot ${v.dots}`,
    `zone ${v.zoneDots}`,
    `depth ${depth}`,
    v.pedalDown ? "pedal DOWN" : "pedal up",
  ];
  const line = parts.join("  ");
  return line.length <= columns ? line : line.slice(0, Math.max(0, columns - 1)) + "…";
}

export class LiveScreen {
  private view: LiveView;
  private drawn = false;

  constructor(
    private readonly out: { write(s: string): unknown; readonly isTTY?: boolean; readonly columns?: number },
    private readonly json: boolean,
    start: Omit<LiveView, "phase" | "last" | "pedalDown" | "dots"> & { dots: number },
  ) {
    this.view = { ...start, phase: "starting", last: undefined, pedalDown: false };
  }

  /** What the session says, with the view as it stands after it. */
  event(e: HandHeldEvent, view: Omit<LiveView, "last">): void {
    if (this.json) {
      if (e.type !== "status") this.out.write(`${JSON.stringify(e)}\n`);
      return;
    }
    const last = e.type === "dot" && e.record.partial !== true ? e.record : this.view.last;
    this.view = { ...view, last };
    const line = this.eventLine(e);
    if (line !== undefined) this.print(line);
    else if (e.type === "dot" && !this.out.isTTY && view.dots % 10 === 0) this.print(statusLine(this.view, 120));
    this.draw();
  }

  /** Leave the status line standing, the cursor below it. */
  close(): void {
    if (this.out.isTTY && this.drawn) this.out.write("\n");
    this.drawn = false;
  }

  private eventLine(e: HandHeldEvent): string | undefined {
    switch (e.type) {
      case "phase":
        return `${PHASE_WORD[e.phase]}: ${e.why}`;
      case "desk":
        return e.event.type === "zone"
          ? `zone ${e.event.from} -> ${e.event.to}`
          : `cartridge ${e.event.act}: ${e.event.needle.configuration} ${e.event.needle.diameterMm} mm`;
      case "fault": {
        const r = e.record;
        const what = r.code === "STOP" || r.code === "TARGET_UNREACHABLE" ? "HOLD" : "FAULT"; // nothing wrong
        return `${what} ${r.code} (${r.source}): ${r.detail}; needle parked ${parkedText(r)}`;
      }
      case "info":
        return e.message;
      case "dot":
        return e.record.partial ? `dot ${e.record.n} cut short after ${e.record.strokeCount} strokes` : undefined;
      case "state":
      case "status":
        return undefined;
    }
  }

  private print(line: string): void {
    if (this.out.isTTY) this.out.write(`\r\x1b[2K${line}\n`);
    else this.out.write(`${line}\n`);
    this.drawn = false;
  }

  private draw(): void {
    if (!this.out.isTTY) return;
    this.out.write(`\r\x1b[2K${statusLine(this.view, (this.out.columns ?? 80) - 1)}`);
    this.drawn = true;
  }
}
