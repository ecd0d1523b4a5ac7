// The session controller's operator rules, driven against the simulated board in virtual time: a stop
// before the session runs ends the run without arming, a latched alarm other than POWER_UP is cleared only
// with an explicit --unlock, and the depth loop never commands past the board's cap.

import { describe, expect, it } from "vitest";
import { SessionController, planSession } from "../src/control/controller.ts";
import { VirtualScheduler } from "../src/time/scheduler.ts";
import { DepthLoop } from "../src/control/loops.ts";
import { MemorySink } from "../src/log/records.ts";
import { loadDepthProfileFile, loadMachineFile } from "../src/profiles/files.ts";
import { SimRig, plantFromMachine } from "../src/sim/rig.ts";

const profile = loadDepthProfileFile("profiles/demo.json");
const machine = loadMachineFile("profiles/machines/rotary-pmu.json");

function setup() {
  const scheduler = new VirtualScheduler();
  const rig = new SimRig(scheduler, { plant: plantFromMachine(machine.calibration) });
  const controller = (unlockLatched = false) =>
    new SessionController({
      scheduler,
      transport: rig.transport,
      sink: new MemorySink(),
      profile,
      machine,
      session: 1,
      dots: planSession(profile, 1, 4),
      startedAt: "test",
      unlockLatched,
    });
  const runToEnd = (c: SessionController) => {
    void c.run();
    scheduler.runUntilCondition(() => c.outcome !== undefined, scheduler.nowMs() + 30_000);
    return c.outcome!;
  };
  return { scheduler, rig, controller, runToEnd };
}

describe("operator stop before the session runs", () => {
  for (const atMs of [0, 3, 30, 60]) {
    it(`a STOP at ${atMs} ms ends the run without arming and without a dot`, () => {
      const { scheduler, rig, controller, runToEnd } = setup();
      const c = controller();
      scheduler.at(atMs, () => c.operatorStop());
      const outcome = runToEnd(c);
      expect(outcome).toMatchObject({ outcome: "stopped", exitCode: 3, dotsPlaced: 0 });
      scheduler.runUntil(scheduler.nowMs() + 50); // the STOP byte is still on the wire when the run ends
      expect(rig.board.completedDots).toHaveLength(0);
      expect(rig.board.state).toBe("ALARM");
    });
  }

  it("an E-STOP during the handshake ends the run too", () => {
    const { scheduler, rig, controller, runToEnd } = setup();
    const c = controller();
    scheduler.at(1, () => c.operatorEstop());
    expect(runToEnd(c).exitCode).toBe(3);
    expect(rig.board.completedDots).toHaveLength(0);
  });
});

describe("latched alarms at the start of a run", () => {
  it("a latched STOP is not cleared by a new run unless the operator passes --unlock", () => {
    const { rig, controller, runToEnd } = setup();
    const first = controller();
    rig.when({ atDot: 2, afterMs: 40 }, () => first.operatorStop());
    expect(runToEnd(first).outcome).toBe("stopped");
    expect(rig.board.alarm).toBe("STOP");

    const second = runToEnd(controller());
    expect(second).toMatchObject({ outcome: "refused", exitCode: 3 });
    expect(second.message).toMatch(/STOP is latched.*--unlock/);
    expect(rig.board.alarm).toBe("STOP"); // still latched

    expect(runToEnd(controller(true))).toMatchObject({ outcome: "done", exitCode: 0, dotsPlaced: 4 });
  });
});

describe("depth loop cap", () => {
  it("never commands past the cap, whatever the skin asks for", () => {
    const loop = new DepthLoop(1400);
    for (let i = 0; i < 20; i++) {
      expect(loop.commandUm("crown", 1200)).toBeLessThanOrEqual(1400);
      loop.update("crown", 1200, 900); // stiff skin: far too shallow every time
    }
    expect(loop.commandUm("crown", 1200)).toBe(1400);
    loop.update("crown", 1200, 1250); // once it measures deep, it comes back down at once (no wind-up)
    expect(loop.commandUm("crown", 1200)).toBeLessThan(1400);
  });
});
