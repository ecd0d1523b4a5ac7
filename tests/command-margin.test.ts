// The machine's overtravel margin (issue 7 part 1, host side): each machine file's overtravelUm covers what its
// simulated plant does (the tip at or behind the actuator, the sensor's reading a little beyond it), the
// dispatcher refuses a command that, plus the overtravel, would reach the hard maximum, and a run whose skin
// asks the depth loop for more than that is capped below it, while a machine whose overtravel leaves a target
// unreachable is refused before arming (exit 2).

import { TEST_BOARD_INFO } from "./fixtures/board-info.ts";
import { describe, expect, it } from "vitest";
import { runSession } from "../src/app/session.ts";
import { loadMachineFile } from "../src/profiles/files.ts";
import { parseDepthProfile, type LoadedMachine } from "../src/profiles/load.ts";
import { readFileSync } from "node:fs";
import { MemorySink, type DotRecord, type EndRecord, type FaultRecord } from "../src/log/records.ts";
import { Plant } from "../src/sim/plant.ts";
import { ZONE_SKIN, plantFromMachine } from "../src/sim/rig.ts";
import { DEFAULT_BOARD } from "../src/sim/board.ts";
import { MIN_COMMAND_MARGIN_UM, commandCapUm } from "../src/control/handshake.ts";
import { DotDispatcher } from "../src/control/dispatch.ts";
import { REACH_SETTLING_DOTS, ReachWatch } from "../src/control/reach.ts";
import { DotAccounting } from "../src/control/accounting.ts";
import { DotPacer } from "../src/control/pacing.ts";
import { DEFAULT_TIMING } from "../src/control/timing.ts";
import { ScriptedDotSource, planSession } from "../src/control/dot-source.ts";

const MACHINES = {
  rotary: loadMachineFile("profiles/machines/rotary-pmu.json"),
  coil: loadMachineFile("profiles/machines/coil-short.json"),
} as const;
const HARD_MAX_UM = DEFAULT_BOARD.hardMaxExtensionUm;

/** The scar-camouflage profile with every target at `targetUm` (stiff scar skin: the loop wants the most). */
function scarProfileAt(targetUm: number) {
  const json = JSON.parse(readFileSync("profiles/scar-camouflage.json", "utf8")) as {
    zones: { sessions: { targetExtensionUm: number }[] }[];
  };
  for (const z of json.zones) for (const s of z.sessions) s.targetExtensionUm = targetUm;
  return parseDepthProfile(JSON.stringify(json), `scar-at-${targetUm}.json`);
}

const withOvertravel = (m: LoadedMachine, overtravelUm: number): LoadedMachine => ({
  ...m,
  calibration: { ...m.calibration, overtravelUm },
});

describe("each machine file's overtravel covers its simulated plant", () => {
  for (const [kind, machine] of Object.entries(MACHINES)) {
    it(`${kind}: at the deepest command the tip stays at the actuator and reads within overtravelUm of it`, () => {
      const m = machine.calibration;
      const capUm = HARD_MAX_UM - m.overtravelUm - 1; // deeper than the host's cap, which keeps 100 um
      let readsAboveUm = -Infinity;
      let edges = 0;
      for (const [zone, skin] of Object.entries({ ...ZONE_SKIN, none: { stiffnessRatio: 0, thicknessUm: 1500 } })) {
        const p = new Plant(plantFromMachine(m, zone.length));
        p.skin = skin; // "none": no skin pushing back at all, so no give either: the tip goes to the actuator
        p.driveOn = true;
        p.dutyPermille = 800;
        p.coilPulseHz = 120;
        p.actuatorSetUm = capUm;
        for (let i = 0; i < 8000; i++) {
          for (const e of p.step(250)) {
            const readUm = (e.bdcCount - m.sensor.extensionZeroCount) * m.sensor.extensionUmPerCount;
            readsAboveUm = Math.max(readsAboveUm, readUm - p.actuatorUm);
            edges++;
          }
        }
        expect(p.deepestTipUm).toBeLessThanOrEqual(capUm + 1e-9); // overtravel of the true tip: none
      }
      expect(edges).toBeGreaterThan(1000);
      expect(readsAboveUm).toBeGreaterThan(0); // the sensor does read beyond the actuator ...
      expect(readsAboveUm).toBeLessThan(m.overtravelUm); // ... but never by the margin
    });
  }
});

describe("the dispatcher's check of every command", () => {
  const info = TEST_BOARD_INFO;
  const profile = scarProfileAt(1150);
  const machine = MACHINES.rotary.calibration;

  function dispatcher(loopCapUm: number, overtravelUm: number) {
    const books = new DotAccounting(machine);
    books.capAt(loopCapUm);
    const pacer = new DotPacer(DEFAULT_TIMING, info.clockHz, profile.profile.dotIntervalMs);
    const source = new ScriptedDotSource(planSession(profile, 1, 2));
    const reach = new ReachWatch(profile.profile.depthToleranceUm);
    return new DotDispatcher(source, books, pacer, info, overtravelUm, reach);
  }

  it("refuses a command that, plus the overtravel, would reach the hard maximum (the loop capped wrongly)", () => {
    // 1150 um plus the 8 % initial correction: 1242 um; plus 300 um overtravel, 1542 um
    const d = dispatcher(2000, 300).next(0, 0, true);
    expect(d).toEqual({
      kind: "tooDeep",
      detail:
        "dot 1: commanded extension 1242 um above the command cap 1199 um: " +
        "plus machine overtravelUm 300 um it would reach board hard maximum 1500 um",
    });
  });

  it("sends the same command when the overtravel leaves room for it", () => {
    const d = dispatcher(2000, 257).next(0, 0, true); // 1242 + 257 = 1499: below
    expect(d?.kind).toBe("dot");
    expect(d?.kind === "dot" && d.command.id === "DOT" ? d.command.fields.extensionUm : 0).toBe(1242);
    expect(commandCapUm(info, 257)).toBe(1242);
  });
});

describe("a run whose skin asks for more than the margin leaves", () => {
  for (const [kind, machine] of Object.entries(MACHINES)) {
    // the emulated firmware drives a rotary machine only (smp run --sim firmware refuses a coil machine file)
    for (const firmware of kind === "rotary" ? [false, true] : [false]) {
      const board = firmware ? "firmware" : "board model";
      it(`${kind} on the ${board}: every command plus overtravelUm stays below the hard maximum`, async () => {
        const capUm = HARD_MAX_UM - Math.max(MIN_COMMAND_MARGIN_UM, machine.calibration.overtravelUm + 1);
        const sink = new MemorySink();
        const result = await runSession({
          profile: scarProfileAt(Math.min(1200, capUm)), // the envelope's deepest, or the machine's cap
          machine,
          session: 1,
          dots: 8,
          target: { kind: "sim", virtualTime: true, seed: 3, firmware },
          sink,
          startedAt: "2026-01-01T00:00:00.000Z",
        });
        const commands = sink.records
          .filter((r): r is DotRecord => r.type === "dot")
          .map((d) => d.commandedExtensionUm);
        // the stiff scar skin needs more than either cap allows: once the first dots stay short of the target by
        // more than the tolerance, the session ends held (TARGET_UNREACHABLE), not "done"
        expect(result.outcome).toMatchObject({ ending: "held", exitCode: 4 });
        expect(sink.records.find((r): r is FaultRecord => r.type === "fault")?.code).toBe("TARGET_UNREACHABLE");
        expect(commands).toHaveLength(REACH_SETTLING_DOTS);
        // 1200 um plus the loop's largest correction (400 um) would be 1600 um: the cap binds, never passed
        expect(Math.max(...commands)).toBe(capUm);
        for (const c of commands) expect(c + machine.calibration.overtravelUm).toBeLessThan(HARD_MAX_UM);
        const end = sink.records.at(-1) as EndRecord;
        expect(end.trueDeepestTipUm).toBeLessThanOrEqual(capUm);
      });
    }
  }

  it("a machine whose overtravel makes the target unreachable is refused before arming, exit 2", async () => {
    const sink = new MemorySink();
    const result = await runSession({
      profile: scarProfileAt(1200),
      machine: withOvertravel(MACHINES.rotary, 300),
      session: 1,
      dots: 4,
      target: { kind: "sim", virtualTime: true, seed: 3 },
      sink,
      startedAt: "2026-01-01T00:00:00.000Z",
    });
    expect(result.outcome).toMatchObject({ outcome: "refused", exitCode: 2, dotsPlaced: 0 });
    const fault = sink.records.find((r): r is FaultRecord => r.type === "fault");
    expect(fault?.code).toBe("HANDSHAKE_MISMATCH");
    expect(fault?.detail).toContain(
      "scar.session1.targetExtensionUm = 1200: above the command cap 1199 um: " +
        "plus machine overtravelUm 300 um it would reach board hard maximum 1500 um",
    );
    expect(result.rig!.board.completedDots).toHaveLength(0);
  });
});
