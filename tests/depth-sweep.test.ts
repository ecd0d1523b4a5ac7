// The depth guard over a sweep of strike moments (issue 7 part 1): a broken cartridge spring (+600 um, no give)
// striking at 32 moments spread over more than one stroke of a running burst, on the reference board and the
// emulated firmware, rotary and coil machine. The needle's true tip (the plant's, not the sensor's) must stay at
// or below the board's hard maximum whenever the host commands no deeper than its command cap for a machine
// whose overtravelUm covers what the guard cannot take back (BROKEN_SPRING_OVERTRAVEL_UM: the tip's worst
// excursion past the command in this sweep, measured, rounded up). Virtual time; deterministic (seeded plant).

import { describe, expect, it } from "vitest";
import { BOARD_DEFAULTS, PRIORITY_BYTES } from "../src/protocol/table.ts";
import { commandCapUm, type BoardInfo } from "../src/control/handshake.ts";
import { loadMachineFile } from "../src/profiles/files.ts";
import { plantFromMachine } from "../src/sim/rig.ts";
import { tickAdd } from "../src/time/ticks.ts";
import { connectSimRig, WireClient } from "../hardware-tests/harness.ts";

const HARD_MAX_UM = BOARD_DEFAULTS.hardMaxExtensionUm;
const OVERSHOOT_UM = 600;
const MACHINES = {
  rotary: loadMachineFile("profiles/machines/rotary-pmu.json"),
  coil: loadMachineFile("profiles/machines/coil-short.json"),
} as const;
type Machine = keyof typeof MACHINES;
type Board = "reference" | "firmware";
/** How far past the commanded extension a broken spring still takes the true tip before the guard's park wins,
 * per board and machine (this sweep's worst, rounded up): the overtravel a machine file must declare for the
 * host's command cap to keep the tip within the hard maximum under this fault. */
export const BROKEN_SPRING_OVERTRAVEL_UM: Record<Board, Record<Machine, number>> = {
  reference: { rotary: 390, coil: 200 },
  firmware: { rotary: 450, coil: 330 },
};
const MOMENTS = 32;
const STEP_MS = 0.35; // 32 moments over 11.2 ms: more than one stroke at 110 Hz (9.1 ms)

/** One burst at the command cap; the spring breaks atMs after the burst's first puncture. The true deepest tip. */
async function strike(machine: Machine, board: Board, atMs: number) {
  const plant = plantFromMachine(MACHINES[machine].calibration, 11);
  const { conn, rig } = connectSimRig({ plant, seed: 11, firmware: board === "firmware" });
  const c = new WireClient(conn);
  expect((await c.command({ id: "HELLO", fields: {} })).id).toBe("ACK");
  const info: BoardInfo = (await c.next("INFO")).fields;
  const infoAtMs = conn.nowMs();
  const tick = () => tickAdd(info.tick, Math.round(((conn.nowMs() - infoAtMs) * info.clockHz) / 1000));
  const ticks = (ms: number) => Math.round((ms * info.clockHz) / 1000);
  c.sendRaw(Uint8Array.of(PRIORITY_BYTES.STOP));
  await conn.waitMs(30);
  expect((await c.command({ id: "UNLOCK", fields: {} })).id).toBe("ACK");
  expect((await c.command({ id: "ARM", fields: { leaseTick: tickAdd(tick(), ticks(400)) } })).id).toBe("ACK");
  const extensionUm = commandCapUm(info, BROKEN_SPRING_OVERTRAVEL_UM[board][machine]);
  const from = c.received.length;
  const dot = { dot: 1, atTick: tickAdd(tick(), ticks(20)), extensionUm, strokeHz: 110, dutyPermille: 700 };
  expect(
    (await c.command({ id: "DOT", fields: { ...dot, strokes: 12, leaseTick: tickAdd(tick(), ticks(400)) } })).id,
  ).toBe("ACK");
  await c.next("STROKE", 300, from); // the actuator is out, the needle in the skin
  await conn.waitMs(atMs);
  rig.injectDeviceFault({ kind: "overshoot", overshootUm: OVERSHOOT_UM });
  await c.next("ALARM", 300, from);
  const result = { alarm: rig.board.alarm, parked: rig.board.parked, deepestUm: rig.plant.deepestTipUm, extensionUm };
  await conn.close();
  return result;
}

for (const board of ["reference", "firmware"] as const) {
  for (const machine of ["rotary", "coil"] as const) {
    describe(`${board} board, ${machine}: a broken spring at ${MOMENTS} moments of a burst`, () => {
      it("OVER_EXTENSION latches, the needle parks, the true tip stays within the hard maximum", async () => {
        let worstUm = -Infinity;
        let excessUm = -Infinity;
        for (let k = 0; k < MOMENTS; k++) {
          const r = await strike(machine, board, k * STEP_MS);
          expect(r.alarm).toBe("OVER_EXTENSION");
          expect(r.parked).toBe(true);
          worstUm = Math.max(worstUm, r.deepestUm);
          excessUm = Math.max(excessUm, r.deepestUm - r.extensionUm);
        }
        console.log(
          `[${board} ${machine}] worst true tip ${Math.round(worstUm)} um over ${MOMENTS} strike moments, ` +
            `${Math.round(excessUm)} um past the command`,
        );
        expect(worstUm).toBeLessThanOrEqual(HARD_MAX_UM);
      }, 60_000);
    });
  }
}
