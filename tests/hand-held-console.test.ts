// The hand-held session end to end, as issue 8 asks it to be shown: a taps file played on each simulated board (the
// rotary and coil board model, and the real firmware on an emulated ATmega328P), its console acts made by pressing
// the buttons of the operator console, johnny-five on the real StandardFirmata build on an emulated Uno. The pedal
// and the cartridge switch are the driver board's inputs; STOP and the end are the keyboard's (the Uno console has
// no such button). The session runs in virtual time; each console act is made at its virtual moment: virtual time
// waits while the Uno (on its own clock) sees the button and johnny-five reports the act. N presses give N dots, a
// held pedal does not repeat, a release mid-burst cuts the burst, zone and cartridge changes are recorded, the
// needle change blocks the pedal until confirmed, a stop holds until resumed, the console's e-stop ends the
// session with exit 3 and a fault record.

import { afterEach, describe, expect, it } from "vitest";
import { openFirmataConsole } from "../src/console/firmata-console.ts";
import { HandHeldSession } from "../src/control/hand-held.ts";
import { MemorySink, type SessionRecord } from "../src/log/records.ts";
import type { ConsoleAct, OperatorConsole } from "../src/ports/console.ts";
import { loadConsoleFile, loadDepthProfileFile, loadMachineFile } from "../src/profiles/files.ts";
import { parseTapsFile, type Tap } from "../src/profiles/taps.ts";
import { DEFAULT_BOARD } from "../src/sim/board.ts";
import { EmulatedUno } from "../src/sim/firmata-uno.ts";
import { SimRig, plantFromMachine } from "../src/sim/rig.ts";
import { ensureStandardFirmata } from "../src/sim/standard-firmata.ts";
import { VirtualScheduler } from "../src/time/scheduler.ts";

const profile = loadDepthProfileFile("profiles/demo.json");
const PINS = loadConsoleFile("profiles/consoles/uno-console.json").console.pins;
const WAIT_MS = 30_000;

const BOARDS = [
  { name: "rotary board model", machine: "profiles/machines/rotary-pmu.json", firmware: false },
  { name: "coil board model", machine: "profiles/machines/coil-short.json", firmware: false },
  { name: "firmware on an emulated ATmega328P", machine: "profiles/machines/rotary-pmu.json", firmware: true },
] as const;

const dots = (n: number, holdMs = 200) =>
  Array.from({ length: n }, () => [
    { afterMs: 300, act: "press" },
    { afterMs: holdMs, act: "release" },
  ]).flat();

const SCRIPT = [
  ...dots(3), // hairline
  { afterMs: 300, act: "press" }, // held 1.5 s: one dot, no repeat (the zone sets none)
  { afterMs: 1500, act: "release" },
  { afterMs: 300, act: "press" }, // up after 40 ms: the burst is cut short
  { afterMs: 40, act: "release" },
  { afterMs: 300, act: "zone-up" }, // temples, the same needle
  ...dots(2),
  { afterMs: 300, act: "stop" }, // keyboard: hold
  { afterMs: 300, act: "press" }, // held: fires nothing
  { afterMs: 200, act: "release" },
  { afterMs: 300, act: "resume" }, // console arm
  ...dots(1),
  { afterMs: 300, act: "zone-up" }, // mid-scalp: 3RL, the pedal blocked
  { afterMs: 300, act: "press" }, // blocked: fires nothing
  { afterMs: 200, act: "release" },
  { afterMs: 300, act: "cartridge-out" },
  { afterMs: 1000, act: "cartridge-in" },
  { afterMs: 500, act: "confirm" }, // console arm
  ...dots(2),
  { afterMs: 300, act: "estop" }, // the console's e-stop: the session ends, exit 3
];
const PRESSES_THAT_FIRE = 3 + 1 + 1 + 2 + 1 + 2;

const BUTTON: Partial<Record<Tap["act"], number>> = {
  "zone-up": PINS.zoneUp,
  "zone-down": PINS.zoneDown,
  resume: PINS.arm,
  confirm: PINS.arm,
};

let uno: EmulatedUno | undefined;
let opened: OperatorConsole | undefined;
afterEach(async () => {
  await opened?.close();
  uno?.stop();
  opened = undefined;
  uno = undefined;
});

async function until(what: string, ok: () => boolean): Promise<void> {
  const t0 = performance.now();
  while (!ok()) {
    if (performance.now() - t0 > WAIT_MS) throw new Error(`still waiting for ${what} after ${WAIT_MS} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function unoFor(u: EmulatedUno, ms: number): Promise<void> {
  const end = u.nowMs() + ms;
  await until(`${ms} ms of Uno time`, () => u.nowMs() >= end);
}

describe.each(BOARDS)("a hand-held session through the Firmata console: $name", (board) => {
  it("places a dot per press, holds, changes the needle, and ends on the console's e-stop", async () => {
    const machine = loadMachineFile(board.machine);
    uno = new EmulatedUno({ hexPath: ensureStandardFirmata() });
    for (const pin of [PINS.zoneUp, PINS.zoneDown, PINS.arm]) uno.setInput(pin, true);
    uno.setInput(PINS.estop, false); // normally closed: closed is the healthy state
    uno.start();
    opened = await openFirmataConsole({ port: uno.transport, pins: PINS, description: "emulated console" });
    const u = uno;

    const scheduler = new VirtualScheduler();
    const rig = new SimRig(scheduler, {
      plant: plantFromMachine(machine.calibration),
      board: DEFAULT_BOARD,
      firmware: board.firmware,
      pumpMs: 1,
    });
    rig.board.inputs.pedalPressed = false;
    const sink = new MemorySink();
    const session = new HandHeldSession({
      ...{ scheduler, transport: rig.transport, sink, profile, machine, session: 1, startedAt: "test" },
    });
    const acts: ConsoleAct[] = [];
    opened.onAct((a) => {
      acts.push(a);
      session.act(a);
    });
    void session.start();
    scheduler.runUntilCondition(() => session.phase === "live", 10_000);
    expect(session.phase).toBe("live");

    const t0 = scheduler.nowMs();
    for (const { atMs, tap } of parseTapsFile(JSON.stringify(SCRIPT), "script")) {
      scheduler.runUntil(t0 + atMs);
      const i = rig.board.inputs;
      if (tap.act === "press") i.pedalPressed = true;
      else if (tap.act === "release") i.pedalPressed = false;
      else if (tap.act === "cartridge-out") i.cartridgePresent = false;
      else if (tap.act === "cartridge-in") i.cartridgePresent = true;
      else if (tap.act === "stop") session.act("stop");
      else if (tap.act === "estop") {
        // the normally-closed e-stop opens
        u.setInput(PINS.estop, undefined);
        await until("the console's e-stop", () => acts.includes("estop"));
      } else {
        const pin = BUTTON[tap.act];
        if (pin === undefined) throw new Error(`no console button for ${tap.act}`);
        const before = acts.length;
        u.setInput(pin, false);
        await unoFor(u, 80);
        await until(`${tap.act} from the console`, () => acts.length > before);
        u.setInput(pin, true);
        await unoFor(u, 80);
      }
    }
    scheduler.runUntilCondition(() => session.outcome !== undefined, scheduler.nowMs() + 10_000);

    expect(session.outcome).toMatchObject({ exitCode: 3, dotsPlaced: PRESSES_THAT_FIRE });
    const of = <T extends SessionRecord["type"]>(t: T) =>
      sink.records.filter((r): r is Extract<SessionRecord, { type: T }> => r.type === t);
    const placed = of("dot").filter((d) => d.partial !== true);
    expect(placed.map((d) => d.n)).toEqual(placed.map((_, k) => k + 1));
    expect(rig.board.completedDots).toHaveLength(PRESSES_THAT_FIRE); // nothing while held, blocked or repeated
    // the held press: one dot of the planned strokes; the short press: cut, fewer strokes, marked released
    const [held, cut] = [placed[3]!, placed[4]!];
    expect(held.strokeCount).toBeGreaterThanOrEqual(held.plannedStrokes);
    expect(cut.released).toBe(true);
    expect(cut.strokeCount).toBeLessThan(cut.plannedStrokes);
    expect(placed.map((d) => d.zone)).toEqual([
      ...Array(5).fill("hairline"),
      ...Array(3).fill("temples"),
      ...Array(2).fill("mid-scalp"),
    ]);
    expect(placed.slice(-2).every((d) => d.needle === "3RL-0.25mm")).toBe(true);
    expect(of("zone").map((z) => z.to)).toEqual(["temples", "mid-scalp"]);
    expect(of("cartridge").map((c) => c.act)).toEqual(["out", "in", "confirmed"]);
    expect(of("segment").map((s) => s.act)).toEqual(["start", "hold", "resume", "hold", "hold", "hold"]);
    expect(of("fault").map((f) => f.code)).toEqual(["STOP", "ESTOP"]);
    expect(rig.board.alarm).toBe("ESTOP");
    expect(rig.board.parked).toBe(true);
  }, 240_000);
});
