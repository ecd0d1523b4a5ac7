// The keyboard console (issue 8): keys to acts through a real stream, the bell as the buzzer.
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { keyboardConsole } from "../src/console/keyboard-console.ts";
import type { ConsoleAct } from "../src/ports/console.ts";

const flush = () => new Promise((r) => setImmediate(r));

describe("keyboard console", () => {
  it("turns keys into acts, arrow sequences included, and ignores every other key", async () => {
    const input = new PassThrough();
    let bells = "";
    const c = keyboardConsole(input, { write: (s: string) => (bells += s) });
    const acts: ConsoleAct[] = [];
    c.onAct((a) => acts.push(a));
    input.write("\x1b[A]x\x1b[B[\ra!z s q");
    await flush();
    expect(acts).toEqual([
      ...["zone-up", "zone-up", "zone-down", "zone-down", "arm", "arm", "estop"],
      ...["stop", "stop", "stop", "end"],
    ]);
    c.show("held");
    expect(c.shown).toBe("held");
    c.buzz(true);
    c.buzz(true); // one bell per fault, not per call
    c.buzz(false);
    c.buzz(true);
    expect(bells).toBe("\x07\x07");
    await c.close();
    input.write("]");
    await flush();
    expect(acts).toHaveLength(11); // closed: no more acts
  });

  it("skips unknown escape sequences whole, joins a split one, raises SIGINT on Ctrl-C (raw mode)", async () => {
    const input = new PassThrough();
    let interrupts = 0;
    const c = keyboardConsole(input, { write: () => true }, () => interrupts++);
    const acts: ConsoleAct[] = [];
    c.onAct((a) => acts.push(a));
    input.write("\x1b[C\x1b[D\x1b[1;5H\x1b[15~"); // Right, Left, Ctrl-Home, F5: no "[" left over for zone-down
    await flush();
    expect(acts).toEqual([]);
    input.write("\x1b[");
    await flush();
    input.write("A\x03");
    await flush();
    expect(acts).toEqual(["zone-up"]);
    expect(interrupts).toBe(1);
    await c.close();
  });
});
