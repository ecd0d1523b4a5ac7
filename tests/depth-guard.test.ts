// The reference board's depth guard (docs/protocol.md §7.5 extension check, §7.12 depth forecast), judged on
// the simulated world's true needle tip, not on the sensor: a broken cartridge spring (+600 um, no give) on
// the deepest extension the host commands on the machine (its command cap), striking before the actuator goes out
// (the reference board and the emulated firmware) or while the tip is high in its stroke (the reference board;
// tests/overtravel.test.ts sweeps both boards over the strike moment), on the rotary and the coil machine.
// Virtual time throughout.

import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ALARMS, BOARD_DEFAULTS, BOARD_STATES, PRIORITY_BYTES, type FrameOf } from "../src/protocol/table.ts";
import { loadMachineFile } from "../src/profiles/files.ts";
import { plantFromMachine } from "../src/sim/rig.ts";
import { depthFloorUm } from "../src/sim/board-depth.ts";
import { tickAdd } from "../src/time/ticks.ts";
import { MIN_COMMAND_MARGIN_UM, commandCapUm } from "../src/control/handshake.ts";
import { connectSimRig, WireClient } from "../hardware-tests/harness.ts";

const HARD_MAX_UM = BOARD_DEFAULTS.hardMaxExtensionUm;
const MACHINES = {
  rotary: loadMachineFile("profiles/machines/rotary-pmu.json"),
  coil: loadMachineFile("profiles/machines/coil-short.json"),
} as const;
/** The deepest the host ever commands on each machine: its command cap, the hard maximum less overtravelUm. */
const DEEP_COMMAND_UM = {
  rotary: commandCapUm({ hardMaxExtensionUm: HARD_MAX_UM }, MACHINES.rotary.calibration.overtravelUm),
  coil: commandCapUm({ hardMaxExtensionUm: HARD_MAX_UM }, MACHINES.coil.calibration.overtravelUm),
} as const;
const OVERSHOOT_UM = 600;

async function armedRig(machine: keyof typeof MACHINES, firmware = false) {
  const plant = plantFromMachine(MACHINES[machine].calibration, 7);
  const { conn, rig } = connectSimRig({ plant, seed: 7, firmware });
  const c = new WireClient(conn);
  // board time from a fresh STATUS (INFO's tick is stamped before the ACK and INFO go out: behind by their transit)
  await c.hello();
  const tick = () => c.boardTick();
  const ticks = (ms: number) => c.ticks(ms);
  c.sendRaw(Uint8Array.of(PRIORITY_BYTES.STOP));
  await conn.waitMs(30);
  expect((await c.command({ id: "UNLOCK", fields: {} })).id).toBe("ACK");
  expect((await c.command({ id: "ARM", fields: { leaseTick: tickAdd(tick(), ticks(400)) } })).id).toBe("ACK");
  const dot = (over: Partial<FrameOf<"DOT">["fields"]> = {}): FrameOf<"DOT">["fields"] => ({
    dot: 1,
    atTick: tickAdd(tick(), ticks(20)),
    extensionUm: DEEP_COMMAND_UM[machine],
    strokeHz: 110,
    dutyPermille: 700,
    strokes: 20,
    leaseTick: tickAdd(tick(), ticks(400)),
    ...over,
  });
  return { conn, rig, c, dot };
}

/** Cam angle still to go to the coming bottom dead centre, rad (phase 0.5 is BDC). */
const angleToBdc = (phase: number) => (((0.5 - phase + 1) % 1) * 2 * Math.PI) % (2 * Math.PI);

describe("the depth forecast is a lower bound of the coming BDC depth", () => {
  it("never above the true depth of a broken spring, never above the actuator with a healthy one", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 900, max: 2500, noNaN: true }), // A = stroke / 2
        fc.double({ min: 30, max: 160, noNaN: true }), // stroke rate, Hz
        fc.double({ min: 0.001, max: Math.PI - 0.001, noNaN: true }), // angle to BDC
        fc.double({ min: -500, max: 900, noNaN: true }), // e: give (< 0) or overshoot (> 0), um
        fc.double({ min: 0.9, max: 1.2, noNaN: true }), // the true rate / the rate the last period showed
        (a, rateHz, theta, eUm, drift) => {
          const omegaPerMs = (2 * Math.PI * rateHz * drift) / 1000; // the cam now
          const actuatorUm = 1000;
          const relUm = -a * (1 - Math.cos(theta)) + eUm;
          const vUmPerMs = a * omegaPerMs * Math.sin(theta);
          const forecast = depthFloorUm(actuatorUm, undefined, relUm, vUmPerMs, 2 * a, {
            periodUs: 1e6 / rateHz,
            previousPeriodUs: 0,
            burstStrokeHz: 0,
          });
          // the margin (camRateMarginPercent) covers a cam up to 5 % faster than its last period
          if (drift <= 1 + BOARD_DEFAULTS.camRateMarginPercent / 100)
            expect(forecast).toBeLessThanOrEqual(actuatorUm + eUm + 1e-6);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

for (const machine of ["rotary", "coil"] as const) {
  describe(`${machine}: a broken spring on a ${DEEP_COMMAND_UM[machine]} um extension`, () => {
    it.each([
      ["the reference board", false],
      ["the emulated firmware", true],
    ])("present at the burst start: %s latches OVER_EXTENSION, the needle never out of park", async (_, fw) => {
      const { conn, rig, c, dot } = await armedRig(machine, fw);
      rig.injectDeviceFault({ kind: "overshoot", overshootUm: OVERSHOOT_UM });
      const from = c.received.length;
      expect((await c.command({ id: "DOT", fields: dot() })).id).toBe("ACK");
      await c.next("ALARM", 300, from);
      expect(rig.board.alarm).toBe("OVER_EXTENSION");
      expect(rig.board.parked).toBe(true);
      expect(c.frames("STROKE", from)).toHaveLength(0);
      // parked -400 um + 600 um: the tip pokes 200 um out at BDC, never near the limit
      expect(rig.plant.deepestTipUm).toBeLessThan(OVERSHOOT_UM + BOARD_DEFAULTS.parkUm + 50);
      await conn.close();
    });

    // the fault strikes at these cam angles before the coming BDC, after the first punctures of the burst
    for (const theta of [5.5, 4.5, 3.5, 2.5, 1.7]) {
      it(`striking ${theta} rad before BDC mid-burst: latched and parked before the true tip passes`, async () => {
        const { conn, rig, c, dot } = await armedRig(machine);
        const from = c.received.length;
        expect((await c.command({ id: "DOT", fields: dot() })).id).toBe("ACK");
        await c.next("STROKE", 300, from);
        await c.next("STROKE", 300); // two punctures at the full extension
        const angle = () => {
          rig.board.advanceTo(Math.floor(conn.nowMs() * 1000)); // the plant up to now (the rig pumps every 1 ms)
          return angleToBdc(rig.plant.phase);
        };
        for (let i = 0; i < 400 && Math.abs(angle() - theta) > 0.2; i++) await conn.waitMs(0.05);
        expect(Math.abs(angleToBdc(rig.plant.phase) - theta)).toBeLessThanOrEqual(0.2);
        const before = rig.plant.deepestTipUm;
        expect(before).toBeLessThan(HARD_MAX_UM);
        rig.injectDeviceFault({ kind: "overshoot", overshootUm: OVERSHOOT_UM });
        const alarm = (await c.next("ALARM", 300)).fields;
        expect(rig.board.alarm).toBe("OVER_EXTENSION");
        expect(alarm.alarm).toBe(ALARMS.OVER_EXTENSION.code);
        expect(rig.board.parked).toBe(true);
        expect(rig.board.state).toBe("ALARM");
        expect((await c.status()).state).toBe(BOARD_STATES.ALARM);
        expect(rig.plant.deepestTipUm).toBeLessThanOrEqual(HARD_MAX_UM);
        await conn.close();
      });
    }

    it(`healthy strokes at the closest command (${MIN_COMMAND_MARGIN_UM} um short) never trip it`, async () => {
      const { conn, rig, c, dot } = await armedRig(machine);
      const from = c.received.length;
      const extensionUm = HARD_MAX_UM - MIN_COMMAND_MARGIN_UM;
      expect((await c.command({ id: "DOT", fields: dot({ extensionUm, strokes: 15 }) })).id).toBe("ACK");
      const end = (await c.next("DOTEND", 400, from)).fields;
      expect(end.strokes).toBeGreaterThanOrEqual(15);
      expect(rig.board.alarm).toBeUndefined();
      expect(rig.plant.deepestTipUm).toBeLessThanOrEqual(HARD_MAX_UM);
      await conn.close();
    });
  });
}
