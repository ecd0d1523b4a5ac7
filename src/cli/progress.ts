// Live progress of `smp run` on stdout: one rewritten line on a terminal, a line per zone change otherwise,
// the state changes, faults and info messages as they come; one JSON event per line with --json.

import type { ControllerEvent } from "../control/session-types.ts";
import { parkedText } from "../log/records.ts";

export class Progress {
  private zone = "";
  private readonly tty = process.stdout.isTTY === true;
  constructor(
    private readonly json: boolean,
    private readonly total: number,
  ) {}

  event(e: ControllerEvent): void {
    if (this.json) return void console.log(JSON.stringify(e));
    if (e.type === "dot" && e.record.partial) {
      const r = e.record;
      this.newline();
      const deepest = r.maxExtensionUm === null ? "no stroke measured" : `deepest measured ${r.maxExtensionUm} um`;
      console.log(`dot ${r.n} cut short after ${r.strokeCount} of ${r.plannedStrokes} strokes: ${deepest}`);
    } else if (e.type === "dot") {
      const r = e.record;
      const line =
        `state running  zone ${r.zone.padEnd(9)}  ` +
        `dot ${String(r.n).padStart(String(this.total).length)}/${this.total}  ` +
        `depth ${r.maxExtensionUm ?? "?"} um (target ${r.targetExtensionUm})  ` +
        `speed ${r.strokeHz.toFixed(1)}/s (set ${r.commandedStrokeHz})  strokes ${r.strokeCount}`;
      if (this.tty) process.stdout.write(`\r\x1b[2K${line}`);
      else if (r.zone !== this.zone || r.n === this.total) console.log(line);
      this.zone = r.zone;
    } else if (e.type === "state") {
      this.newline();
      console.log(`state ${e.from} -> ${e.to}${e.cause ? ` (${e.cause})` : ""}`);
    } else if (e.type === "fault") {
      this.newline();
      const r = e.record;
      const what = r.code === "TARGET_UNREACHABLE" ? "HELD" : "FAULT"; // a hold: nothing latched on the board
      console.log(`${what} ${r.code} (${r.source}): ${r.detail}; needle parked ${parkedText(r)}`);
    } else {
      this.newline();
      console.log(e.message);
    }
  }

  private newline(): void {
    if (this.tty && this.zone) process.stdout.write("\n");
    this.zone = this.tty ? "" : this.zone;
  }

  done(): void {
    if (this.tty && this.zone) process.stdout.write("\n");
  }
}
