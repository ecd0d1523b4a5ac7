// The board firmware (firmware-bridge/smp-board.hex, the committed image) on the emulated ATmega328P of
// src/sim/firmware.ts, beyond the contract suite: the same sessions and device faults on the firmware and on
// the reference board (src/sim/board.ts), both in the same simulated rig; EEPROM handling (corrupt, blank,
// out of range: CONFIG_INVALID), boot counter, external and watchdog resets, the interrupt-level stops, the
// guard's lease check, the spin-up timeout and a coil machine. Needs no AVR toolchain. Every time here is
// emulated board time (CPU cycles at 16 MHz) or board ticks, never the wall clock.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { WireClient, connectSimRig, rotaryRig, type BoardConnection } from "../hardware-tests/harness.ts";
import type { VirtualScheduler } from "../src/time/scheduler.ts";
import { loadMachineFile } from "../src/profiles/files.ts";
import { crc16 } from "../src/protocol/codec.ts";
import { ALARMS, BOARD_STATES, NAKS, PRIORITY_BYTES, RESET_CAUSES } from "../src/protocol/table.ts";
import type { Frame, FrameOf, ResetCauseName } from "../src/protocol/table.ts";
import { EmulatedBoard, F_CPU, FIRMWARE_EEP, parseIntelHex, type EmulatedBoardOptions } from "../src/sim/firmware.ts";
import { PARK_UM } from "../src/sim/plant.ts";
import type { SimRig } from "../src/sim/rig.ts";
import { plantFromMachine, type DeviceFault, type SimRigOptions } from "../src/sim/rig.ts";
import { tickAdd } from "../src/time/ticks.ts";
import { EEPROM_CONFIG_H, cDefine, eepromLayout, eepromRead, eepromWrite } from "./c-header.ts";

const coil = loadMachineFile("profiles/machines/coil-short.json");
const US = F_CPU / 1e6; // cycles per microsecond

/** A board under test in the simulated rig: the reference board or the firmware, same plant, same seed. */
interface Bench {
  readonly conn: BoardConnection;
  readonly rig: SimRig;
  readonly scheduler: VirtualScheduler;
  readonly c: WireClient;
}

function bench(options: SimRigOptions): Bench {
  const { conn, rig, scheduler } = connectSimRig(options);
  return { conn, rig, scheduler, c: new WireClient(conn) };
}
const simBench = (over: Partial<SimRigOptions> = {}) => bench(rotaryRig(over));
const fwBench = (firmware: EmulatedBoardOptions = {}, over: Partial<SimRigOptions> = {}) =>
  bench(rotaryRig({ ...over, firmware }));
const both = (over: Partial<SimRigOptions> = {}): [string, () => Bench][] => [
  ["reference board", () => simBench(over)],
  ["firmware", () => fwBench({}, over)],
];

function emulated(b: Bench): EmulatedBoard {
  expect(b.rig.board).toBeInstanceOf(EmulatedBoard);
  return b.rig.board as EmulatedBoard;
}

/** Run the emulated board alone, in steps of stepUs, until done() or limitUs; returns the board time taken, in us. */
function runBoardUntil(board: EmulatedBoard, done: () => boolean, limitUs: number, stepUs = 0.25): number {
  const start = board.cycles;
  while (!done() && board.cycles - start < limitUs * US) board.advanceTo(board.nowUs + stepUs);
  return (board.cycles - start) / US;
}

/** After running the board alone, bring the rig's clock up to the board's. */
async function resync(b: Bench): Promise<void> {
  const aheadMs = emulated(b).nowUs / 1000 - b.scheduler.nowMs();
  if (aheadMs > 0) await b.conn.waitMs(Math.ceil(aheadMs));
}

/** The contract suite's session helpers, on any bench. */
class Session {
  info!: FrameOf<"INFO">["fields"];
  infoAtMs = 0;
  constructor(readonly b: Bench) {}
  get c() {
    return this.b.c;
  }
  boardTick(): number {
    return tickAdd(this.info.tick, Math.round(((this.b.conn.nowMs() - this.infoAtMs) * this.info.clockHz) / 1000));
  }
  ticks(ms: number): number {
    return Math.round((ms * this.info.clockHz) / 1000);
  }
  async hello(): Promise<void> {
    const from = this.c.received.length;
    expect((await this.c.command({ id: "HELLO", fields: {} })).id).toBe("ACK");
    this.info = (await this.c.next("INFO", 200, from)).fields;
    this.infoAtMs = this.b.conn.nowMs();
  }
  async armed(leaseMs = 400): Promise<void> {
    await this.hello();
    this.c.sendRaw(Uint8Array.of(PRIORITY_BYTES.STOP));
    await this.b.conn.waitMs(30);
    expect((await this.c.command({ id: "UNLOCK", fields: {} })).id).toBe("ACK");
    expect(
      (await this.c.command({ id: "ARM", fields: { leaseTick: tickAdd(this.boardTick(), this.ticks(leaseMs)) } })).id,
    ).toBe("ACK");
  }
  dot(n: number, over: Partial<FrameOf<"DOT">["fields"]> = {}): FrameOf<"DOT">["fields"] {
    return {
      dot: n,
      atTick: tickAdd(this.boardTick(), this.ticks(30)),
      extensionUm: 800,
      strokeHz: 120,
      dutyPermille: 700,
      strokes: 8,
      leaseTick: tickAdd(this.boardTick(), this.ticks(400)),
      ...over,
    };
  }
  keep(): Promise<unknown> {
    return this.c.command({ id: "KEEP", fields: { leaseTick: tickAdd(this.boardTick(), this.ticks(400)) } });
  }
  /** Keep the lease alive for ms, in 40 ms steps, like the reference host. */
  async run(ms: number): Promise<void> {
    for (let t = 0; t < ms; t += 40) {
      await this.keep();
      await this.b.conn.waitMs(Math.min(40, ms - t));
    }
  }
  async alarm(from: number, timeoutMs = 400): Promise<number> {
    return (await this.c.next("ALARM", timeoutMs, from)).fields.alarm;
  }
}

/** EEPROM images for the tests, from the committed smp-board.eep, edited through eeprom_config.h's layout. */
const EEP = parseIntelHex(readFileSync(FIRMWARE_EEP, "latin1"), 1024);
const LAYOUT = eepromLayout();
const setField = (e: Uint8Array, name: string, v: number) => eepromWrite(e, LAYOUT, name, v);
function eepWith(edit: (e: Uint8Array) => void, reseal: boolean): Uint8Array {
  const e = EEP.slice();
  edit(e);
  if (reseal) setField(e, "CRC", crc16(e.subarray(0, LAYOUT.get("CRC")!.at)));
  return e;
}

describe("firmware in emulation against the reference board", () => {
  /** One scripted session: dots with different settings, a retransmission, refused dots, disarm. */
  async function session(b: Bench) {
    const s = new Session(b);
    await s.armed();
    const from = s.c.received.length;
    const answers: string[] = [];
    const ans = (f: FrameOf<"ACK"> | FrameOf<"NAK">) => answers.push(f.id === "ACK" ? "ACK" : `NAK${f.fields.nak}`);
    ans(await s.c.command({ id: "DOT", fields: s.dot(1, { strokes: 6, strokeHz: 110, extensionUm: 700 }) }));
    await s.run(200);
    ans(
      await s.c.command({
        id: "DOT",
        fields: s.dot(2, { strokes: 10, strokeHz: 140, extensionUm: 1000, dutyPermille: 900 }),
      }),
    );
    const { line, seq } = s.c.encode({ id: "KEEP", fields: { leaseTick: tickAdd(s.boardTick(), s.ticks(400)) } });
    s.c.sendRaw(line);
    ans(await s.c.awaitAnswer(seq));
    s.c.sendRaw(line); // a retransmission: answered again, not executed
    ans(await s.c.awaitAnswer(seq));
    await s.run(200);
    // DOT_ORDER
    ans(await s.c.command({ id: "DOT", fields: s.dot(2, { atTick: tickAdd(s.boardTick(), s.ticks(100)) }) }));
    ans(await s.c.command({ id: "DOT", fields: s.dot(3, { atTick: tickAdd(s.boardTick(), -s.ticks(50)) }) })); // LATE
    ans(
      await s.c.command({
        id: "DOT",
        fields: s.dot(4, { strokes: 12, strokeHz: 100, extensionUm: 600, dutyPermille: 600 }),
      }),
    );
    await s.run(250);
    ans(await s.c.command({ id: "DISARM", fields: {} }));
    await b.conn.waitMs(60);
    const frames = s.c.received.slice(from).map((r) => r.frame);
    return { answers, frames, status: await s.c.status(), rig: b.rig };
  }

  it("runs the same session with the same answers, strokes, dot ends and counters", async () => {
    const sim = await session(simBench());
    const fw = await session(fwBench());
    expect(fw.answers).toEqual(sim.answers);
    expect(fw.answers).toEqual([
      "ACK",
      "ACK",
      "ACK",
      "ACK",
      `NAK${NAKS.DOT_ORDER.code}`,
      `NAK${NAKS.LATE.code}`,
      "ACK",
      "ACK",
    ]);
    // the same telemetry in the same order (how KEEP answers interleave with it depends on timing)
    const ids = (fs: Frame[]) =>
      fs
        .filter((f) => f.id !== "STATUS" && f.id !== "ACK")
        .map((f) => (f.id === "STROKE" ? `S${f.fields.dot}` : f.id))
        .join(" ");
    expect(ids(fw.frames)).toBe(ids(sim.frames));
    expect(fw.frames.filter((f) => f.id === "ACK").length).toBe(sim.frames.filter((f) => f.id === "ACK").length);
    const ends = (fs: Frame[]) => fs.filter((f): f is FrameOf<"DOTEND"> => f.id === "DOTEND").map((f) => f.fields);
    const strokes = (fs: Frame[], dot: number) =>
      fs.filter((f): f is FrameOf<"STROKE"> => f.id === "STROKE" && f.fields.dot === dot).map((f) => f.fields);
    const e = ends(fw.frames);
    const r = ends(sim.frames);
    expect(e.map((x) => [x.dot, x.strokes])).toEqual([
      [1, 6],
      [2, 10],
      [4, 12],
    ]);
    expect(e.map((x) => [x.dot, x.strokes])).toEqual(r.map((x) => [x.dot, x.strokes]));
    const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
    for (let i = 0; i < e.length; i++) {
      // same plant, same skin per dot (the rig's zone model follows the dot each board reports running);
      // the firmware sets the actuator in 8 um steps and samples the sensor on its own ADC schedule
      expect(Math.abs(e[i]!.maxExtensionUm - r[i]!.maxExtensionUm)).toBeLessThanOrEqual(40);
      const se = strokes(fw.frames, e[i]!.dot);
      const sr = strokes(sim.frames, r[i]!.dot);
      // the cam coasts to a stop at a different phase after the previous burst, so the spin-up check (85 %
      // of strokeHz over one tach period) can pass one tach edge later on one board than on the other
      expect(Math.abs(e[i]!.onTimeUs - r[i]!.onTimeUs)).toBeLessThan(1.2 * mean(sr.map((x) => x.periodUs)) + 2000);
      expect(Math.abs(mean(se.map((x) => x.periodUs)) / mean(sr.map((x) => x.periodUs)) - 1)).toBeLessThan(0.03);
      expect(Math.abs(mean(se.map((x) => x.extensionUm)) - mean(sr.map((x) => x.extensionUm)))).toBeLessThan(40);
      expect(Math.abs(mean(se.map((x) => x.currentMa)) - mean(sr.map((x) => x.currentMa)))).toBeLessThan(60);
    }
    for (const k of ["state", "alarm", "credit", "parked", "lastDot", "rxOk", "rxBad", "rxDup"] as const) {
      expect(fw.status[k], k).toBe(sim.status[k]);
    }
    // the firmware read every byte in time: never both places of the USART's receive FIFO full a character long
    expect(fw.rig.board).toBeInstanceOf(EmulatedBoard);
    expect((fw.rig.board as EmulatedBoard).usartOverruns).toBe(0);
    // the rig's view of the firmware: the dots it completed, in order
    expect(fw.rig.board.completedDots).toEqual([1, 2, 4]);
    expect(fw.rig.board.completedDots).toEqual(sim.rig.board.completedDots);
  });

  const faults: [string, DeviceFault, number][] = [
    ["stall", { kind: "stall" }, ALARMS.STALL.code],
    ["over-current", { kind: "overcurrent" }, ALARMS.OVER_CURRENT.code],
    ["sensor dropout", { kind: "sensor-dropout" }, ALARMS.SENSOR_DROPOUT.code],
    ["sensor stuck", { kind: "sensor-stuck" }, ALARMS.SENSOR_STUCK.code],
    ["pedal released", { kind: "pedal-release" }, ALARMS.PEDAL_RELEASED.code],
    ["pedal stuck (contacts agree)", { kind: "pedal-stuck" }, ALARMS.PEDAL_FAULT.code],
    ["e-stop button", { kind: "estop-button" }, ALARMS.ESTOP.code],
    ["slow motor (the burst overruns the dwell cap)", { kind: "slow" }, ALARMS.DWELL_EXCEEDED.code],
    [
      "broken cartridge spring (800 um overshoot on an 800 um dot)",
      { kind: "overshoot", overshootUm: 800 },
      ALARMS.OVER_EXTENSION.code,
    ],
  ];
  it.each(faults)(
    "latches the same alarm as the reference board on a device fault mid-burst: %s",
    async (_name, fault, code) => {
      for (const [name, make] of both()) {
        const b = make();
        const s = new Session(b);
        await s.armed();
        const from = s.c.received.length;
        expect((await s.c.command({ id: "DOT", fields: s.dot(1, { strokes: 30, strokeHz: 100 }) })).id).toBe("ACK");
        await s.c.next("STROKE", 300, from); // needle in the skin
        b.rig.injectDeviceFault(fault);
        await s.keep().catch(() => undefined);
        expect(await s.alarm(from, 400), name).toBe(code);
        expect(s.c.frames("DOTEND", from), name).toHaveLength(0);
        expect(b.conn.world!.parked(), name).toBe(true);
        expect(
          b.rig.board.alarmHistory.map((a) => ALARMS[a.code].code),
          name,
        ).toEqual([code]);
      }
    },
  );

  it("over-speed: a rotary machine driven at full duty runs past the hard maximum on both", async () => {
    for (const [name, make] of both()) {
      const s = new Session(make());
      await s.armed();
      const from = s.c.received.length;
      expect(
        (await s.c.command({ id: "DOT", fields: s.dot(1, { strokes: 30, strokeHz: 150, dutyPermille: 1000 }) })).id,
      ).toBe("ACK");
      await s.keep();
      expect(await s.alarm(from, 400), name).toBe(ALARMS.OVER_SPEED.code);
    }
  });

  const resets: [DeviceFault["kind"], ResetCauseName][] = [
    ["reset", "EXTERNAL"],
    ["brownout", "BROWN_OUT"],
    ["watchdog", "WATCHDOG"],
  ];
  it.each(resets)(
    "a --fault %s mid-burst: drive off, BOOT with a new boot id and resetCause %s, its own alarm on both boards",
    async (kind, cause) => {
      for (const [name, make] of both()) {
        const b = make();
        const s = new Session(b);
        expect((await s.c.next("BOOT", 50)).fields, name).toEqual({ bootId: 1, resetCause: 0 });
        expect(await s.c.status(), name).toMatchObject({ alarm: ALARMS.POWER_UP.code }); // a clean power-on
        await s.armed();
        const from = s.c.received.length;
        await s.c.command({ id: "DOT", fields: s.dot(1, { strokes: 30, strokeHz: 100 }) });
        await s.c.next("STROKE", 300, from);
        b.rig.injectDeviceFault({ kind });
        // the firmware's watchdog needs its 64 ms to fire (the guard's lease parks the needle meanwhile)
        const boot = (await s.c.next("BOOT", 120, from)).fields;
        expect(boot, name).toEqual({ bootId: 2, resetCause: RESET_CAUSES[cause].code });
        await b.conn.waitMs(30);
        expect(b.conn.world!.parked(), name).toBe(true);
        expect(await s.c.status(), name).toMatchObject({
          state: BOARD_STATES.ALARM,
          alarm: ALARMS[RESET_CAUSES[cause].alarm].code,
          lastDot: 0,
          rxOk: 0,
        });
        expect(b.rig.board.alarm, name).toBe(RESET_CAUSES[cause].alarm);
        expect(s.c.frames("DOTEND", from), name).toHaveLength(0);
        await s.hello(); // the operator's unlock clears it like any other latch
        expect((await s.c.command({ id: "UNLOCK", fields: {} })).id, name).toBe("ACK");
      }
    },
  );

  it("a restart with no reset flag (a jump to the reset vector) latches UNEXPLAINED_RESET, not POWER_UP", async () => {
    const b = fwBench();
    const s = new Session(b);
    await s.c.next("BOOT", 50);
    const from = s.c.received.length;
    emulated(b).reset(0, "UNEXPLAINED");
    expect((await s.c.next("BOOT", 50, from)).fields).toEqual({ bootId: 2, resetCause: 4 });
    expect(await s.c.status()).toMatchObject({ state: BOARD_STATES.ALARM, alarm: ALARMS.UNEXPLAINED_RESET.code });
  });

  it(
    "spin-up timeout (the motor never reaches 85 % of strokeHz): " +
      "the unsynchronised extend's cut window is not judged stuck, on both",
    async () => {
      // at 45 % duty the rotary machine spins up to ~81 Hz, short of 85 % of 120: the actuator extends 60 ms
      // after drive-on whatever the phase, and the next bottom dead centre comes within ~1 ms, so its window
      // holds little but the parked needle (the sensor's bottom rail). Both boards skip that one window.
      for (const [name, make] of both()) {
        const s = new Session(make());
        await s.armed();
        const from = s.c.received.length;
        expect(
          (await s.c.command({ id: "DOT", fields: s.dot(1, { strokes: 6, strokeHz: 120, dutyPermille: 450 }) })).id,
        ).toBe("ACK");
        await s.keep();
        const end = (await s.c.next("DOTEND", 400, from)).fields;
        expect(end.strokes, name).toBe(6);
        expect(s.c.frames("ALARM", from), name).toHaveLength(0);
        const periods = s.c.frames("STROKE", from).map((f) => f.fields.periodUs);
        expect(Math.max(...periods), name).toBeGreaterThan(1e6 / (0.85 * 120)); // it really never came up to speed
      }
    },
  );

  it("spin-up timeout: the firmware extends the actuator 60 ms after drive-on", async () => {
    const b = fwBench();
    const s = new Session(b);
    await s.armed();
    await s.c.command({ id: "DOT", fields: s.dot(1, { strokes: 6, strokeHz: 120, dutyPermille: 450 }) });
    const board = emulated(b);
    runBoardUntil(board, () => board.driveOn, 100_000, 5);
    expect(board.driveOn).toBe(true);
    const us = runBoardUntil(board, () => board.actuatorSetpointUm !== PARK_UM || !board.driveOn, 100_000, 5);
    expect(board.actuatorSetpointUm).toBe(800);
    expect(us / 1000).toBeGreaterThanOrEqual(60);
    expect(us / 1000).toBeLessThan(61.5);
  });

  it(
    "drives a coil machine: the PWM gated at strokeHz (smp-board-coil.eep), " +
      "strokes counted at that rate, like the reference board",
    async () => {
      const coilRig = { plant: plantFromMachine(coil.calibration, 3) };
      const results: number[] = [];
      for (const [name, make] of both(coilRig)) {
        const b = make();
        const s = new Session(b);
        await s.armed();
        const from = s.c.received.length;
        expect(
          (await s.c.command({ id: "DOT", fields: s.dot(1, { strokes: 10, strokeHz: 120, dutyPermille: 700 }) })).id,
        ).toBe("ACK");
        await s.keep();
        const end = (await s.c.next("DOTEND", 400, from)).fields;
        expect(end.strokes, name).toBe(10);
        const periods = s.c.frames("STROKE", from).map((f) => f.fields.periodUs);
        const meanHz = 1e6 / (periods.reduce((a, p) => a + p, 0) / periods.length);
        expect(Math.abs(meanHz - 120), name).toBeLessThan(3);
        results.push(end.maxExtensionUm);
        // the coil follows the gate the firmware drives (measured from COM0A1), 120 Hz to the 100 us tick
        if (name === "firmware") expect(Math.abs(b.rig.plant.coilPulseHz - 120)).toBeLessThan(2);
      }
      expect(Math.abs(results[0]! - results[1]!)).toBeLessThanOrEqual(40);
    },
  );
});

describe("firmware-only behaviour", () => {
  const defaults = {
    hardMaxExtensionUm: 1500,
    hardMaxStrokeHz: 160,
    hardMaxCurrentMa: 3000,
    hardMaxDwellMs: 400,
    hardMaxLeaseMs: 500,
  };

  const invalid: [string, Uint8Array][] = [
    [
      "a corrupted record (CRC byte flipped)",
      eepWith((e) => setField(e, "CRC", eepromRead(e, LAYOUT, "CRC") ^ 0x5a00), false),
    ],
    ["a blank EEPROM (never programmed)", new Uint8Array(1024).fill(0xff)],
    [
      "a record with a valid CRC but hardMaxExtensionUm 1600 (above the 1500 cap)",
      eepWith((e) => setField(e, "EXTENSION_UM", 1600), true),
    ],
    [
      "a record of another layout version",
      eepWith((e) => setField(e, "LAYOUT", cDefine(EEPROM_CONFIG_H, "SMP_EE_LAYOUT") + 1), true),
    ],
  ];
  it.each(invalid)(
    "%s: CONFIG_INVALID at boot, compiled-in defaults in INFO, UNLOCK refused",
    async (_name, eeprom) => {
      const b = fwBench({ eeprom });
      const s = new Session(b);
      // the boot counter is outside the record
      expect((await s.c.next("BOOT", 50)).fields).toEqual({ bootId: 1, resetCause: 0 });
      expect(await s.c.status()).toMatchObject({ state: BOARD_STATES.ALARM, alarm: ALARMS.CONFIG_INVALID.code });
      await s.hello();
      expect(s.info).toMatchObject(defaults);
      expect(await s.c.command({ id: "UNLOCK", fields: {} })).toMatchObject({
        id: "NAK",
        fields: { nak: NAKS.CONFIG_INVALID.code },
      });
      s.c.sendRaw(Uint8Array.of(PRIORITY_BYTES.STOP)); // a later alarm does not replace the first
      await b.conn.waitMs(30);
      expect(
        await s.c.command({ id: "ARM", fields: { leaseTick: tickAdd(s.boardTick(), s.ticks(300)) } }),
      ).toMatchObject({ id: "NAK", fields: { nak: NAKS.BAD_STATE.code } });
      expect(await s.c.status()).toMatchObject({ state: BOARD_STATES.ALARM, alarm: ALARMS.CONFIG_INVALID.code });
      expect(b.rig.board.alarm).toBe("CONFIG_INVALID");
      await b.conn.waitMs(300);
      expect(s.c.frames("STROKE")).toHaveLength(0);
    },
  );

  it("a valid record: POWER_UP at boot, not CONFIG_INVALID, and UNLOCK accepted", async () => {
    const s = new Session(fwBench({ eeprom: EEP }));
    expect(await s.c.status()).toMatchObject({ state: BOARD_STATES.ALARM, alarm: ALARMS.POWER_UP.code });
    await s.hello();
    expect((await s.c.command({ id: "UNLOCK", fields: {} })).id).toBe("ACK");
  });

  it("counts boots in EEPROM: every power-up reports a new boot id", async () => {
    const first = fwBench();
    expect((await first.c.next("BOOT", 50)).fields).toEqual({ bootId: 1, resetCause: 0 });
    const second = fwBench({ eeprom: emulated(first).eeprom.slice() });
    expect((await second.c.next("BOOT", 50)).fields).toEqual({ bootId: 2, resetCause: 0 });
  });

  it("a hung main loop is reset by the watchdog: BOOT with resetCause 1, WATCHDOG_RESET, drive off", async () => {
    const b = fwBench();
    const s = new Session(b);
    await s.armed();
    const from = s.c.received.length;
    await s.c.command({ id: "DOT", fields: s.dot(1, { strokes: 30, strokeHz: 100 }) });
    await s.c.next("STROKE", 300, from);
    // hang: the main loop's watchdog feed (hal_wdt_feed: wdr; ret) becomes a NOP, everything else runs on
    const board = emulated(b);
    board.hangMainLoop();
    const hungAt = b.conn.nowMs();
    const boot = (await s.c.next("BOOT", 200, from)).fields;
    expect(boot).toEqual({ bootId: 2, resetCause: 1 });
    expect(b.conn.nowMs() - hungAt).toBeLessThan(64 + 20); // WDTO_60MS is 64 ms nominal; BOOT about 6 ms later
    expect(board.driveOn).toBe(false);
    // the reset ended the hang (the feed is back) and latched the watchdog's own alarm, not POWER_UP
    expect(await s.c.status()).toMatchObject({ state: BOARD_STATES.ALARM, alarm: ALARMS.WATCHDOG_RESET.code });
    // and it works again: every peripheral (the ADC sequencer too) came back with the reset
    await s.armed();
    const again = s.c.received.length;
    expect((await s.c.command({ id: "DOT", fields: s.dot(2) })).id).toBe("ACK");
    await s.keep();
    expect((await s.c.next("DOTEND", 400, again)).fields.strokes).toBe(8);
  });

  for (const which of ["STOP", "ESTOP"] as const) {
    it(`the ${which} priority byte switches the drive off inside the receive interrupt`, async () => {
      const b = fwBench();
      const s = new Session(b);
      await s.armed();
      const from = s.c.received.length;
      await s.c.command({ id: "DOT", fields: s.dot(1, { strokes: 30, strokeHz: 100 }) });
      await s.c.next("STROKE", 300, from);
      const board = emulated(b);
      expect(board.driveOn).toBe(true);
      board.receiveByte(PRIORITY_BYTES[which]); // its stop bit is in now
      const us = runBoardUntil(board, () => !board.driveOn, 10_000);
      console.log(`firmware: ${which} byte: drive off ${us.toFixed(2)} us after its stop bit (board time)`);
      expect(board.driveOn).toBe(false);
      expect(us).toBeLessThan(15);
      runBoardUntil(board, () => false, 10); // the rest of the interrupt
      expect(board.actuatorSetpointUm).toBe(PARK_UM);
      await resync(b);
      expect(await s.alarm(from)).toBe(ALARMS[which].code);
    });
  }

  it("the e-stop input switches the drive off in its interrupt (INT0), before any main-loop step", async () => {
    const b = fwBench();
    const s = new Session(b);
    await s.armed();
    const from = s.c.received.length;
    await s.c.command({ id: "DOT", fields: s.dot(1, { strokes: 30, strokeHz: 100 }) });
    await s.c.next("STROKE", 300, from);
    const board = emulated(b);
    board.inputs.estopButton = true;
    board.applyInputs();
    const us = runBoardUntil(board, () => !board.driveOn, 10_000);
    console.log(`firmware: e-stop input: drive off ${us.toFixed(2)} us after the pin went high (board time)`);
    expect(us).toBeLessThan(15);
    await resync(b);
    expect(await s.alarm(from)).toBe(ALARMS.ESTOP.code);
  });

  it(
    "a dot due while an interrupt-latched alarm waits starts no burst: " +
      "a STOP byte just before the drive would go on",
    async () => {
      // hal_drive_on refuses while an alarm from an interrupt waits for the main loop; the main loop must then
      // not enter BURST (the alarm latches at its next pass). Where the byte lands relative to the main loop is a
      // matter of microseconds, so the STOP byte is sent at a sweep of times before the moment the drive goes
      // on without it (the emulation is deterministic: every run is the same up to the byte). Whatever the
      // moment: STOP is latched, and BURST is reported exactly when the drive really went on.
      async function run(stopAtUs?: number) {
        const b = fwBench();
        const s = new Session(b);
        await s.armed();
        const from = s.c.received.length;
        expect((await s.c.command({ id: "DOT", fields: s.dot(1) })).id).toBe("ACK");
        const board = emulated(b);
        if (stopAtUs === undefined) {
          runBoardUntil(board, () => board.driveOn, 100_000, 1);
          return { onAtUs: board.nowUs };
        }
        board.advanceTo(stopAtUs);
        board.receiveByte(PRIORITY_BYTES.STOP);
        let driveWentOn = false;
        runBoardUntil(
          board,
          () => {
            driveWentOn ||= board.driveOn;
            return false;
          },
          300,
        );
        await resync(b);
        expect(await s.alarm(from, 100)).toBe(ALARMS.STOP.code);
        const burst = s.c.frames("STATUS", from).some((f) => f.fields.state === BOARD_STATES.BURST);
        expect(s.c.frames("STROKE", from)).toHaveLength(0);
        return { driveWentOn, burst };
      }
      const { onAtUs } = await run();
      const seen = new Set<string>();
      for (let dUs = -120; dUs <= 6; dUs += 6) {
        const { driveWentOn, burst } = (await run(onAtUs! + dUs)) as { driveWentOn: boolean; burst: boolean };
        expect(burst, `STOP byte ${dUs} us from drive-on: drive ${driveWentOn ? "went on" : "stayed off"}`).toBe(
          driveWentOn,
        );
        seen.add(driveWentOn ? "on" : "off");
      }
      expect([...seen].sort()).toEqual(["off", "on"]); // the sweep spans the moment the drive goes on
    },
  );

  it("detects an expired lease within 3 board ticks (the guard runs every 200 us) and parks within 25 ms", async () => {
    const s = new Session(fwBench());
    await s.armed();
    const leaseTick = tickAdd(s.boardTick(), s.ticks(120));
    await s.c.command({ id: "KEEP", fields: { leaseTick } });
    const from = s.c.received.length;
    const alarm = (await s.c.next("ALARM", 600, from)).fields;
    expect(alarm.alarm).toBe(ALARMS.LEASE_EXPIRED.code);
    expect(alarm.tick - leaseTick).toBeGreaterThanOrEqual(1);
    // the guard runs half a tick after every second tick; ALARM.tick is the tick of the moment it posts the
    // alarm (the same instant as its microsecond time), which its checks may have carried into the next tick
    expect(alarm.tick - leaseTick).toBeLessThanOrEqual(3);
    expect(alarm.parkedUs).toBeLessThan(25_000);
  });

  it("holds host bytes sent before its receiver is on, so a host may talk from power-up", async () => {
    const b = fwBench();
    b.c.sendRaw(Uint8Array.of(PRIORITY_BYTES.STOP)); // at time 0, while the firmware is still starting
    const { line, seq } = b.c.encode({ id: "HELLO", fields: {} });
    b.c.sendRaw(line);
    expect((await b.c.awaitAnswer(seq)).id).toBe("ACK");
    expect(await b.c.status()).toMatchObject({ state: BOARD_STATES.ALARM, alarm: ALARMS.POWER_UP.code });
  });
});
