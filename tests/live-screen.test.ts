// The hand-held session's live screen (src/cli/live.ts): every line fits the terminal's width at any width (no
// wrapped trail in an 80-column terminal, nor in a narrow one), colour only on a terminal, a depth off its target
// by more than the tolerance highlighted, the sparkline follows the depths, and without a terminal plain lines.

import { describe, expect, it } from "vitest";
import { LiveScreen, sparkline, statusBlock, type LiveView } from "../src/cli/live.ts";
import type { DotRecord } from "../src/log/records.ts";

const view: LiveView = {
  phase: "live",
  session: 2,
  zone: "mid-scalp",
  needle: "3RL-0.25mm",
  dots: 1234,
  dotsPerZone: new Map([
    ["hairline", 400],
    ["temples", 300],
    ["mid-scalp", 534],
    ["crown", 0],
  ]),
  pedalDown: true,
  link: { txFrames: 10, retransmits: 1, rxFrames: 20, rxCorrupt: 0, rxMissing: 0, naks: 0, srttMs: 2.5, rtoMs: 30 },
  toleranceUm: 80,
};
const dot = (n: number, maxUm: number): DotRecord =>
  ({ type: "dot", n, zone: "mid-scalp", maxExtensionUm: maxUm, targetExtensionUm: 800, strokeHz: 118.6 }) as DotRecord;
// eslint-disable-next-line no-control-regex -- the SGR colour sequences the screen writes
const visible = (s: string) => s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");

describe("live screen", () => {
  it("cuts every line to the width, at any width, and colours only when asked", () => {
    const recent = [dot(1, 790), dot(2, 805), dot(3, 950)];
    for (const columns of [20, 40, 79, 200]) {
      for (const line of statusBlock(view, recent, columns, true))
        expect(visible(line).length).toBeLessThanOrEqual(columns);
    }
    const plain = statusBlock(view, recent, 200, false);
    expect(plain.join("\n")).not.toMatch(/\x1b/); // eslint-disable-line no-control-regex
    expect(plain[0]).toMatch(/LIVE .*mid-scalp +3RL-0.25mm +session 2 +PEDAL DOWN/);
    expect(plain[1]).toMatch(/dots 1234 .*hairline 400 +temples 300 +mid-scalp 534 +crown 0/);
    expect(plain[2]).toMatch(/depth 950 um \/ target 800 \(\+150 um\)/);
    expect(plain[2]).toMatch(/119\/s +link rtt 2.5 ms, 1 resent, 0 corrupt/);
    // beyond the tolerance: bold red; within it: no colour on the depth
    expect(statusBlock(view, recent, 200, true)[2]).toMatch(/^\x1b\[1;31mdepth 950/); // eslint-disable-line no-control-regex
    expect(statusBlock(view, [dot(1, 810)], 200, true)[2]).toMatch(/^depth 810/);
  });

  it("draws a sparkline of the recent depths against their targets", () => {
    expect(sparkline([dot(1, 700), dot(2, 800), dot(3, 900)])).toBe("▁▅█");
    expect(sparkline([])).toBe("");
  });

  it("on a terminal redraws the block in place; without one prints plain lines", () => {
    let tty = "";
    const screen = new LiveScreen({ write: (s: string) => (tty += s), isTTY: true, columns: 80 }, false);
    screen.event({ type: "phase", phase: "live", why: "pedal armed" }, view);
    screen.event({ type: "info", message: "x".repeat(300) }, view);
    screen.close();
    // the block's lines fit; an event line is printed whole, once (the terminal wraps it; nothing redraws it)
    const lines = visible(tty).split(/\n|\r/);
    expect(lines.filter((l) => l.length > 80)).toEqual(["x".repeat(300)]);
    expect(tty).toMatch(/\x1b\[3A\x1b\[J/); // eslint-disable-line no-control-regex -- back up over the 4-line block
    let plain = "";
    const pipe = new LiveScreen({ write: (s: string) => (plain += s) }, false);
    pipe.event({ type: "phase", phase: "held", why: "operator stop" }, view);
    expect(plain).toBe("HELD: operator stop\n");
  });
});
