// Firmware-only checks in avr8js emulation (make -C firmware-bridge emu-test), beyond the contract suite:
// the firmware against the reference board (src/sim/board.ts) in the same sessions and faults, EEPROM
// handling, boot counter and watchdog, the interrupt-level stops and the guard's continuous checks.

import { describe, expect, it } from "vitest";
import { execSync } from "node:child_process";
import { join } from "node:path";
import { WireClient, type BoardConnection } from "../../../hardware-tests/harness.ts";
import { VirtualScheduler } from "../../../src/control/scheduler.ts";
import { loadMachineFile } from "../../../src/profiles/files.ts";
import { ALARMS, BOARD_STATES, NAKS, PRIORITY_BYTES, type Frame, type FrameOf } from "../../../src/protocol/table.ts";
import { SimRig, plantFromMachine, type DeviceFault } from "../../../src/sim/rig.ts";
import { tickAdd } from "../../../src/units/time.ts";
import { FIRMWARE_DIR, connectEmulated, type EmulatedConnection } from "./emu-target.ts";
import { F_CPU, parseIntelHex } from "./emulated-board.ts";

const MACHINES = join(FIRMWARE_DIR, "..", "profiles", "machines");
const rotary = loadMachineFile(join(MACHINES, "rotary-pmu.json"));
const ELF = join(FIRMWARE_DIR, "build", "smp-board.elf");

/** A board under test, either target, with the device faults both can inject. */
interface Bench {
  conn: BoardConnection;
  c: WireClient;
  fault(f: DeviceFault): void;
}

function simBench(): Bench {
  const scheduler = new VirtualScheduler();
  const rig = new SimRig(scheduler, { plant: plantFromMachine(rotary.calibration, 3), seed: 3 });
  const conn: BoardConnection = {
    transport: rig.transport,
    nowMs: () => scheduler.nowMs(),
    waitMs: async (ms) => scheduler.runUntil(scheduler.nowMs() + ms),
    world: {
      setPedal: (p) => { rig.board.inputs.pedalPressed = p; },
      setEstopButton: (p) => { rig.board.inputs.estopButton = p; },
      parked: () => rig.board.parked,
    },
    close: () => rig.transport.close(),
  };
  return { conn, c: new WireClient(conn), fault: (f) => rig.injectDeviceFault(f) };
}

function emuBench(conn: EmulatedConnection = connectEmulated()): Bench & { conn: EmulatedConnection } {
  const b = conn.board;
  return {
    conn,
    c: new WireClient(conn),
    fault: (f) => {
      const faults = b.plant.faults;
      switch (f.kind) {
        case "stall": faults.stall = true; break;
        case "overcurrent": faults.overCurrentMa = f.currentMa ?? 3500; break;
        case "sensor-stuck": faults.sensor = "stuck"; break;
        case "sensor-dropout": faults.sensor = "dropout"; break;
        case "pedal-stuck": b.inputs.pedalStuck = true; b.inputs.pedalPressed = false; break;
        case "pedal-release": b.inputs.pedalPressed = false; break;
        case "estop-button": b.inputs.estopButton = true; break;
        case "reset": throw new Error("reset is not emulated here");
      }
      b.applyInputs();
    },
  };
}

/** The contract suite's session helpers, on any bench. */
class Session {
  info!: FrameOf<"INFO">["fields"];
  infoAtMs = 0;
  constructor(readonly b: Bench) {}
  get c() { return this.b.c; }
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
    expect((await this.c.command({ id: "ARM", fields: { leaseTick: tickAdd(this.boardTick(), this.ticks(leaseMs)) } })).id).toBe("ACK");
  }
  dot(n: number, over: Partial<FrameOf<"DOT">["fields"]> = {}): FrameOf<"DOT">["fields"] {
    return {
      dot: n, atTick: tickAdd(this.boardTick(), this.ticks(30)), extensionUm: 800, strokeHz: 120, dutyPermille: 700,
      strokes: 8, leaseTick: tickAdd(this.boardTick(), this.ticks(400)), ...over,
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
  /** The alarm latched since `from` (from its ALARM frame, or a STATUS in ALARM if the needle has not parked). */
  async alarm(from: number, timeoutMs = 400): Promise<number> {
    const f = await this.c.waitFor((fr) => fr.id === "ALARM", timeoutMs, from);
    return (f as FrameOf<"ALARM">).fields.alarm;
  }
}

const symbol = (name: string): number =>
  parseInt(execSync(`avr-nm ${ELF}`).toString().split("\n").find((l) => l.endsWith(` ${name}`))!.split(" ")[0]!, 16);

describe("firmware in emulation against the reference board", () => {
  /** One scripted session: three dots with different settings, a refused one, a duplicate, disarm. */
  async function session(b: Bench) {
    const s = new Session(b);
    await s.armed();
    const from = s.c.received.length;
    const answers: string[] = [];
    const ans = (f: FrameOf<"ACK"> | FrameOf<"NAK">) => answers.push(f.id === "ACK" ? "ACK" : `NAK${f.fields.nak}`);
    ans(await s.c.command({ id: "DOT", fields: s.dot(1, { strokes: 6, strokeHz: 110, extensionUm: 700 }) }));
    await s.run(200);
    ans(await s.c.command({ id: "DOT", fields: s.dot(2, { strokes: 10, strokeHz: 140, extensionUm: 1000, dutyPermille: 900 }) }));
    const { line, seq } = s.c.encode({ id: "KEEP", fields: { leaseTick: tickAdd(s.boardTick(), s.ticks(400)) } });
    s.c.sendRaw(line);
    ans(await s.c.awaitAnswer(seq));
    s.c.sendRaw(line); // a retransmission: answered again, not executed
    ans(await s.c.awaitAnswer(seq));
    await s.run(200);
    ans(await s.c.command({ id: "DOT", fields: s.dot(2, { atTick: tickAdd(s.boardTick(), s.ticks(100)) }) })); // DOT_ORDER
    ans(await s.c.command({ id: "DOT", fields: s.dot(3, { atTick: tickAdd(s.boardTick(), -s.ticks(50)) }) })); // LATE
    ans(await s.c.command({ id: "DOT", fields: s.dot(4, { strokes: 12, strokeHz: 100, extensionUm: 600, dutyPermille: 600 }) }));
    await s.run(250);
    ans(await s.c.command({ id: "DISARM", fields: {} }));
    await b.conn.waitMs(60);
    const frames = s.c.received.slice(from).map((r) => r.frame);
    return { answers, frames, status: await s.c.status() };
  }

  it("runs the same session with the same answers, strokes and dot ends", async () => {
    const sim = await session(simBench());
    const emu = await session(emuBench());
    expect(emu.answers).toEqual(sim.answers);
    expect(emu.answers).toEqual(["ACK", "ACK", "ACK", "ACK", `NAK${NAKS.DOT_ORDER.code}`, `NAK${NAKS.LATE.code}`, "ACK", "ACK"]);
    // the same telemetry in the same order (how KEEP answers interleave with it depends on host timing)
    const ids = (fs: Frame[]) => fs.filter((f) => f.id !== "STATUS" && f.id !== "ACK").map((f) => (f.id === "STROKE" ? `S${f.fields.dot}` : f.id)).join(" ");
    expect(ids(emu.frames)).toBe(ids(sim.frames));
    expect(emu.frames.filter((f) => f.id === "ACK").length).toBe(sim.frames.filter((f) => f.id === "ACK").length);
    const ends = (fs: Frame[]) => fs.filter((f): f is FrameOf<"DOTEND"> => f.id === "DOTEND").map((f) => f.fields);
    const strokes = (fs: Frame[], dot: number) => fs.filter((f): f is FrameOf<"STROKE"> => f.id === "STROKE" && f.fields.dot === dot).map((f) => f.fields);
    const e = ends(emu.frames);
    const r = ends(sim.frames);
    expect(e.map((x) => [x.dot, x.strokes])).toEqual(r.map((x) => [x.dot, x.strokes]));
    for (let i = 0; i < e.length; i++) {
      // SimRig varies the skin stiffness of every dot by ~10 % (rig.ts updateSkin); the emulated plant keeps
      // the default skin, so depths agree only to within the cartridge give that variation moves (~40 um)
      expect(Math.abs(e[i]!.maxExtensionUm - r[i]!.maxExtensionUm)).toBeLessThanOrEqual(80);
      expect(Math.abs(e[i]!.onTimeUs - r[i]!.onTimeUs) / r[i]!.onTimeUs).toBeLessThan(0.1);
      const se = strokes(emu.frames, e[i]!.dot);
      const sr = strokes(sim.frames, r[i]!.dot);
      const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
      expect(Math.abs(mean(se.map((x) => x.periodUs)) / mean(sr.map((x) => x.periodUs)) - 1)).toBeLessThan(0.03);
      expect(Math.abs(mean(se.map((x) => x.extensionUm)) - mean(sr.map((x) => x.extensionUm)))).toBeLessThan(80);
      expect(Math.abs(mean(se.map((x) => x.currentMa)) - mean(sr.map((x) => x.currentMa)))).toBeLessThan(100); // the current follows the skin load too
    }
    for (const k of ["state", "alarm", "credit", "parked", "lastDot", "rxOk", "rxBad", "rxDup"] as const) {
      expect(emu.status[k], k).toBe(sim.status[k]);
    }
  });

  const faults: [string, DeviceFault, number][] = [
    ["stall", { kind: "stall" }, ALARMS.STALL.code],
    ["over-current", { kind: "overcurrent" }, ALARMS.OVER_CURRENT.code],
    ["sensor dropout", { kind: "sensor-dropout" }, ALARMS.SENSOR_DROPOUT.code],
    ["sensor stuck", { kind: "sensor-stuck" }, ALARMS.SENSOR_STUCK.code],
    ["pedal released", { kind: "pedal-release" }, ALARMS.PEDAL_RELEASED.code],
    ["pedal stuck (contacts agree)", { kind: "pedal-stuck" }, ALARMS.PEDAL_FAULT.code],
    ["e-stop button", { kind: "estop-button" }, ALARMS.ESTOP.code],
  ];
  it.each(faults)("latches the same alarm as the reference board on a device fault mid-burst: %s", async (_name, fault, code) => {
    for (const b of [simBench(), emuBench()]) {
      const s = new Session(b);
      await s.armed();
      const from = s.c.received.length;
      expect((await s.c.command({ id: "DOT", fields: s.dot(1, { strokes: 30, strokeHz: 100 }) })).id).toBe("ACK");
      await s.c.next("STROKE", 300, from); // needle in the skin
      b.fault(fault);
      await s.keep().catch(() => undefined);
      expect(await s.alarm(from, 400)).toBe(code);
      expect(s.c.frames("DOTEND", from)).toHaveLength(0);
      expect(b.conn.world!.parked()).toBe(true);
    }
  });
});

describe("firmware in emulation against the reference board: drive edge cases", () => {
  it("over-speed: a rotary machine driven at full duty runs past the hard maximum on both", async () => {
    for (const b of [simBench(), emuBench()]) {
      const s = new Session(b);
      await s.armed();
      const from = s.c.received.length;
      expect((await s.c.command({ id: "DOT", fields: s.dot(1, { strokes: 30, strokeHz: 150, dutyPermille: 1000 }) })).id).toBe("ACK");
      await s.keep();
      expect(await s.alarm(from, 400)).toBe(ALARMS.OVER_SPEED.code);
    }
  });

  it("spin-up that never reaches 85 % of strokeHz extends the actuator 60 ms after drive-on", async () => {
    // (What happens next can differ run to run on both boards: if a tach edge follows the unsynchronised
    // extension within ~1 ms, the stroke window holds mostly parked readings, which the position sensor
    // clamps at count 0, and both latch SENSOR_STUCK - a known gap of board.ts, reported.)
    const b = emuBench();
    const s = new Session(b);
    await s.armed();
    await s.c.command({ id: "DOT", fields: s.dot(1, { strokes: 6, strokeHz: 120, dutyPermille: 450 }) });
    const board = b.conn.board;
    while (!board.driveOn) board.runUntilCycle(board.cycles + 160);
    const on = board.cycles;
    while (board.actuatorSetpointUm() === -400 && board.driveOn) board.runUntilCycle(board.cycles + 160);
    const ms = ((board.cycles - on) / F_CPU) * 1000;
    expect(board.actuatorSetpointUm()).toBe(800);
    expect(ms).toBeGreaterThanOrEqual(60);
    expect(ms).toBeLessThan(61.5);
  });
});

describe("firmware-only behaviour", () => {
  it("a corrupted EEPROM record: compiled-in defaults in INFO, stuck in ALARM (UNLOCK refused)", async () => {
    const eep = parseIntelHex(execSync(`${join(FIRMWARE_DIR, "build", "mkeep")} corrupt`).toString(), 1024);
    const b = emuBench(connectEmulated({ eeprom: eep }));
    const s = new Session(b);
    await s.hello();
    expect(s.info).toMatchObject({ hardMaxExtensionUm: 1500, hardMaxStrokeHz: 160, hardMaxCurrentMa: 3000, hardMaxDwellMs: 400, hardMaxLeaseMs: 500 });
    expect(await s.c.command({ id: "UNLOCK", fields: {} })).toMatchObject({ id: "NAK", fields: { nak: NAKS.ALARM_ACTIVE.code } });
    expect(await s.c.status()).toMatchObject({ state: BOARD_STATES.ALARM, alarm: ALARMS.POWER_UP.code });
  });

  it("a blank EEPROM behaves the same, and the boot id still counts from 1", async () => {
    const b = emuBench(connectEmulated({ eeprom: new Uint8Array(1024).fill(0xff) }));
    const boot = (await b.c.next("BOOT", 50)).fields;
    expect(boot).toEqual({ bootId: 1, resetCause: 0 });
    expect(await b.c.command({ id: "HELLO", fields: {} })).toMatchObject({ id: "ACK" });
    expect(await b.c.command({ id: "UNLOCK", fields: {} })).toMatchObject({ id: "NAK", fields: { nak: NAKS.ALARM_ACTIVE.code } });
  });

  it("counts boots in EEPROM: every power-up reports a new boot id", async () => {
    const first = emuBench();
    expect((await first.c.next("BOOT", 50)).fields).toEqual({ bootId: 1, resetCause: 0 });
    const second = emuBench(connectEmulated({ eeprom: first.conn.board.eeprom.memory.slice() }));
    expect((await second.c.next("BOOT", 50)).fields).toEqual({ bootId: 2, resetCause: 0 });
  });

  it("a hung main loop is reset by the watchdog: BOOT with resetCause 1, drive off, a new boot id", async () => {
    const b = emuBench();
    const s = new Session(b);
    await s.armed();
    const from = s.c.received.length;
    await s.c.command({ id: "DOT", fields: s.dot(1, { strokes: 30, strokeHz: 100 }) });
    await s.c.next("STROKE", 300, from);
    // hang: the main loop's watchdog feed (WDR) becomes a NOP, everything else keeps running
    const feed = symbol("hal_wdt_feed") / 2;
    const program = b.conn.board.cpu.progMem;
    expect(program[feed]).toBe(0x95a8); // wdr
    program[feed] = 0x0000;
    const hungAt = b.conn.nowMs();
    const boot = (await b.c.next("BOOT", 200, from)).fields;
    expect(boot.resetCause).toBe(1);
    expect(boot.bootId).toBe(2);
    expect(b.conn.nowMs() - hungAt).toBeLessThan(64 + 20); // WDTO_60MS is 64 ms nominal
    expect(b.conn.board.driveOn).toBe(false);
    program[feed] = 0x95a8;
    expect(await s.c.status()).toMatchObject({ state: BOARD_STATES.ALARM, alarm: ALARMS.POWER_UP.code });
  });

  it("a priority byte switches the drive off inside the receive interrupt", async () => {
    const b = emuBench();
    const s = new Session(b);
    await s.armed();
    const from = s.c.received.length;
    await s.c.command({ id: "DOT", fields: s.dot(1, { strokes: 30, strokeHz: 100 }) });
    await s.c.next("STROKE", 300, from);
    const board = b.conn.board;
    expect(board.driveOn).toBe(true);
    board.write([PRIORITY_BYTES.ESTOP]);
    const sent = board.cycles;
    while (board.driveOn && board.cycles - sent < F_CPU / 100) board.runUntilCycle(board.cycles + 16);
    const us = ((board.cycles - sent) / F_CPU) * 1e6;
    console.log(`priority byte: drive off ${us.toFixed(1)} us after the byte was put on the wire`);
    expect(us).toBeLessThan(40 + 15); // one byte on the wire (40 us) plus the interrupt
    board.runUntilCycle(board.cycles + 160); // the rest of the interrupt (10 us)
    expect(board.actuatorSetpointUm()).toBe(-400);
  });

  it("the e-stop input switches the drive off in its interrupt (INT0), before any main-loop step", async () => {
    const b = emuBench();
    const s = new Session(b);
    await s.armed();
    const from = s.c.received.length;
    await s.c.command({ id: "DOT", fields: s.dot(1, { strokes: 30, strokeHz: 100 }) });
    await s.c.next("STROKE", 300, from);
    const board = b.conn.board;
    board.inputs.estopButton = true;
    board.applyInputs();
    const at = board.cycles;
    while (board.driveOn && board.cycles - at < F_CPU / 100) board.runUntilCycle(board.cycles + 16);
    const us = ((board.cycles - at) / F_CPU) * 1e6;
    console.log(`e-stop input: drive off ${us.toFixed(1)} us after the pin went high`);
    expect(us).toBeLessThan(15);
    expect(await s.alarm(from)).toBe(ALARMS.ESTOP.code);
  });

  it("detects an expired lease within 200 us of board time and parks within 25 ms", async () => {
    const s = new Session(emuBench());
    await s.armed();
    const leaseTick = tickAdd(s.boardTick(), s.ticks(120));
    await s.c.command({ id: "KEEP", fields: { leaseTick } });
    const from = s.c.received.length;
    const alarm = (await s.c.next("ALARM", 600, from)).fields;
    expect(alarm.alarm).toBe(ALARMS.LEASE_EXPIRED.code);
    expect(alarm.tick - leaseTick).toBeGreaterThanOrEqual(1);
    expect(alarm.tick - leaseTick).toBeLessThanOrEqual(2); // the guard runs every 2 ticks
    expect(alarm.parkedUs).toBeLessThan(25_000);
  });

  it("drives a coil machine: PWM gated at strokeHz, strokes counted at that rate", async () => {
    const coil = loadMachineFile(join(MACHINES, "coil-short.json"));
    const conn = connectEmulated({ eepPath: join(FIRMWARE_DIR, "smp-board-coil.eep"), machineFile: join(MACHINES, "coil-short.json") });
    expect(coil.calibration.machine).toBe("coil");
    const s = new Session(emuBench(conn));
    await s.armed();
    const from = s.c.received.length;
    expect((await s.c.command({ id: "DOT", fields: s.dot(1, { strokes: 10, strokeHz: 120, dutyPermille: 700 }) })).id).toBe("ACK");
    await s.keep();
    const end = (await s.c.next("DOTEND", 400, from)).fields;
    expect(end.strokes).toBe(10);
    const periods = s.c.frames("STROKE", from).map((f) => f.fields.periodUs);
    const meanHz = 1e6 / (periods.reduce((a, p) => a + p, 0) / periods.length);
    expect(Math.abs(meanHz - 120)).toBeLessThan(3);
  });
});
