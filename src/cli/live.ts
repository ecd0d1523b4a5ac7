// The live screen of a hand-held session in the terminal, for an operator glancing across the chair: a block of
// four lines redrawn in place (the state large and coloured; zone, session and needle; dots in the session and per
// zone; the last dot's depth against its target with a deviation beyond tolerance highlighted, a sparkline of the
// recent depths, the stroke rate; link health; the pedal; the keys), with the events (holds, zone and cartridge
// changes, faults, prompts) printed above it. Every line is cut to the terminal's width, read again at every draw
// and on a resize, so nothing wraps. Without a terminal: one plain line per event and a status line every 10 dots;
// with --json, one JSON event per line.

import type { HandHeldEvent, HandHeldPhase } from "../control/hand-held.ts";
import type { LinkStats } from "../protocol/hostlink.ts";
import { parkedText, type DotRecord } from "../log/records.ts";

export interface LiveView {
  readonly phase: HandHeldPhase;
  readonly session: number;
  readonly zone: string;
  readonly needle: string;
  readonly dots: number;
  readonly dotsPerZone: ReadonlyMap<string, number>;
  readonly pedalDown: boolean;
  readonly link: LinkStats | undefined;
  /** The profile's depthToleranceUm: a deeper or shallower dot than this is highlighted. */
  readonly toleranceUm: number;
}

const PHASE: Record<HandHeldPhase, { word: string; sgr: string }> = {
  starting: { word: "ARMING", sgr: "30;43" }, // black on yellow
  live: { word: "LIVE", sgr: "30;42" }, // black on green
  held: { word: "HELD", sgr: "30;46" }, // black on cyan
  "needle-change": { word: "NEEDLE", sgr: "30;45" }, // black on magenta
  ended: { word: "ENDED", sgr: "37;40" },
};

const KEYS = "keys: Up/Down zone  Enter arm/confirm  Space stop  q end  ! e-stop  (sim: p pedal, P hold, c cartridge)";
const SPARK = "▁▂▃▄▅▆▇█";
/** How many recent dots the sparkline shows. */
const SPARK_DOTS = 24;

/** The visible text of a line, cut to `columns` characters (ANSI colours do not count). */
function fit(parts: readonly { text: string; sgr?: string }[], columns: number, colour: boolean): string {
  let left = columns;
  let out = "";
  for (const p of parts) {
    if (left <= 0) break;
    const text = p.text.length <= left ? p.text : p.text.slice(0, Math.max(0, left - 1)) + "…";
    left -= text.length;
    out += colour && p.sgr ? `\x1b[${p.sgr}m${text}\x1b[0m` : text;
  }
  return out;
}

/** The block's lines, each at most `columns` visible characters. */
export function statusBlock(v: LiveView, recent: readonly DotRecord[], columns: number, colour: boolean): string[] {
  const phase = PHASE[v.phase];
  const last = recent.at(-1);
  const perZone = [...v.dotsPerZone].map(([z, n]) => `${z} ${n}`).join("  ");
  const deviationUm = last && last.maxExtensionUm !== null ? last.maxExtensionUm - last.targetExtensionUm : undefined;
  const off = deviationUm !== undefined && Math.abs(deviationUm) > v.toleranceUm;
  const depth = last
    ? `depth ${last.maxExtensionUm ?? "?"} um / target ${last.targetExtensionUm} (${signed(deviationUm)})`
    : "depth -";
  const link = v.link;
  const linkText = link
    ? `link rtt ${link.srttMs?.toFixed(1) ?? "-"} ms, ${link.retransmits} resent, ${link.rxCorrupt} corrupt`
    : "link -";
  return [
    fit(
      [
        { text: ` ${phase.word} `, sgr: `1;${phase.sgr}` },
        { text: `  ${v.zone}  ${v.needle}  session ${v.session}  ` },
        { text: v.pedalDown ? "PEDAL DOWN" : "pedal up", ...(v.pedalDown ? { sgr: "1" } : {}) },
      ],
      columns,
      colour,
    ),
    fit([{ text: `dots ${v.dots}  |  ${perZone}` }], columns, colour),
    fit(
      [
        { text: depth, ...(off ? { sgr: "1;31" } : {}) },
        { text: `  ${sparkline(recent)}  ` },
        { text: last ? `${last.strokeHz.toFixed(0)}/s  ` : "" },
        { text: linkText },
      ],
      columns,
      colour,
    ),
    fit([{ text: KEYS, sgr: "2" }], columns, colour),
  ];
}

function signed(um: number | undefined): string {
  if (um === undefined) return "?";
  return `${um >= 0 ? "+" : ""}${um} um`;
}

/** The recent dots' deepest strokes against their targets, low to high. */
export function sparkline(recent: readonly DotRecord[]): string {
  const dev = recent
    .slice(-SPARK_DOTS)
    .map((d) => (d.maxExtensionUm === null ? undefined : d.maxExtensionUm - d.targetExtensionUm));
  const known = dev.filter((x): x is number => x !== undefined);
  if (known.length === 0) return "";
  const lo = Math.min(...known);
  const span = Math.max(...known) - lo || 1;
  return dev.map((x) => (x === undefined ? " " : SPARK[Math.round(((x - lo) / span) * (SPARK.length - 1))])).join("");
}

type Out = { write(s: string): unknown; readonly isTTY?: boolean; readonly columns?: number };

export class LiveScreen {
  /** The visible length of each line of the block on screen (none drawn: empty). */
  private drawn: number[] = [];
  private recent: DotRecord[] = [];
  private view: LiveView | undefined;

  constructor(
    private readonly out: Out,
    private readonly json: boolean,
  ) {}

  /** What the session says, with the view as it stands after it. */
  event(e: HandHeldEvent, view: LiveView): void {
    if (this.json) {
      if (e.type !== "status") this.out.write(`${JSON.stringify(e)}\n`);
      return;
    }
    this.view = view;
    if (e.type === "dot" && e.record.partial !== true) this.recent = [...this.recent.slice(-SPARK_DOTS + 1), e.record];
    const line = eventLine(e);
    if (line !== undefined) this.print(line);
    else if (e.type === "dot" && !this.out.isTTY && view.dots % 10 === 0) this.print(this.plainStatus(view));
    this.draw();
  }

  /** Redraw at the new width (stdout's "resize"). */
  resized(): void {
    this.draw();
  }

  /** Leave the block standing, the cursor below it. */
  close(): void {
    if (this.out.isTTY && this.drawn.length > 0) this.out.write("\n");
    this.drawn = [];
  }

  private plainStatus(v: LiveView): string {
    return statusBlock(v, this.recent, 200, false).slice(0, 3).join("  |  ");
  }

  private print(line: string): void {
    if (this.out.isTTY) {
      this.erase();
      this.out.write(`${line}\n`); // printed once, above the block: the terminal may wrap it, nothing redraws it
    } else this.out.write(`${line}\n`);
  }

  /** Back to the block's first line, and clear to the end of the screen. The rows it takes are counted at the
   * width now: a terminal that reflows on a resize (tmux does) wraps lines drawn wider onto more rows. */
  private erase(): void {
    if (this.drawn.length === 0) return;
    const columns = this.out.columns ?? 80;
    const rows = this.drawn.reduce((n, len) => n + Math.max(1, Math.ceil(len / columns)), 0);
    const up = rows - 1;
    this.out.write(`\r${up > 0 ? `\x1b[${up}A` : ""}\x1b[J`);
    this.drawn = [];
  }

  private draw(): void {
    if (!this.out.isTTY || !this.view) return;
    this.erase();
    const lines = statusBlock(this.view, this.recent, (this.out.columns ?? 80) - 1, true);
    this.out.write(lines.join("\n"));
    this.drawn = lines.map((l) => visibleLength(l));
  }
}

// eslint-disable-next-line no-control-regex -- the SGR colour sequences the block is drawn with
const visibleLength = (line: string): number => line.replace(/\x1b\[[0-9;]*m/g, "").length;

function eventLine(e: HandHeldEvent): string | undefined {
  switch (e.type) {
    case "phase":
      return `${PHASE[e.phase].word}: ${e.why}`;
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
