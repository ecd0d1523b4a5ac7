// Control loops and plausibility checks (src/control/loops.ts) on small simulated plants, and the time
// domain helpers (src/time/ticks.ts): wrap-aware tick arithmetic and the board clock estimate, which must
// never run ahead of the real board clock and lag it by no more than the transport delay, across the u32 wrap.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DepthLoop,
  LOOP_GAINS,
  SpeedLoop,
  StallDetector,
  strokeFault,
  type DriveCalibration,
} from "../src/control/loops.ts";
import { BoardClockEstimate, U32, msToTicks, tickAdd, tickBefore, tickDiff, ticksToMs } from "../src/time/ticks.ts";

// ---------------------------------------------------------------------------------------------------------
// DepthLoop

/** Runs `dots` dots in one zone against a plant; returns the commanded and measured extension of each dot. */
function runDepth(
  targetUm: number,
  plant: (commandedUm: number, dot: number) => number,
  dots: number,
  loop = new DepthLoop(),
  zone = "z",
) {
  const commanded: number[] = [];
  const measured: number[] = [];
  for (let i = 0; i < dots; i++) {
    const c = loop.commandUm(zone, targetUm);
    const m = plant(c, i);
    commanded.push(c);
    measured.push(m);
    loop.update(zone, targetUm, m);
  }
  return { commanded, measured };
}

describe("DepthLoop", () => {
  it("the bound used below is 400 um", () => {
    expect(LOOP_GAINS.maxDepthCorrectionUm).toBe(400);
  });

  it("the first dot of a zone is commanded 8 % over target (the initial give allowance)", () => {
    const loop = new DepthLoop();
    expect(loop.commandUm("a", 1000)).toBe(1080);
    expect(loop.commandUm("b", 500)).toBe(540);
  });

  it("converges on the plant measured = commanded / 1.2 within 10 dots, without ever going deeper than target", () => {
    const target = 1000;
    const { commanded, measured } = runDepth(target, (c) => c / 1.2, 12);
    expect(measured[0]).toBeCloseTo(900, 6); // 1080 / 1.2: the first dot is shallow
    for (const m of measured) expect(m).toBeLessThanOrEqual(target + 0.5);
    for (const c of commanded) expect(c).toBeLessThanOrEqual(target + LOOP_GAINS.maxDepthCorrectionUm);
    for (const m of measured.slice(10)) expect(Math.abs(m - target)).toBeLessThanOrEqual(1);
    // the steady command is target * 1.2
    expect(Math.abs(commanded[11]! - 1200)).toBeLessThanOrEqual(1);
    // and the error at least halves from dot to dot until it is down to rounding (100, 20, 4.2, 0.8 um here)
    for (let i = 1; i < 12; i++) {
      const [before, now] = [Math.abs(measured[i - 1]! - target), Math.abs(measured[i]! - target)];
      if (before > 1) expect(now).toBeLessThanOrEqual(before / 2);
      else expect(now).toBeLessThanOrEqual(1);
    }
  });

  it("converges within 10 dots for any skin give that the correction bound can compensate", () => {
    fc.assert(
      fc.property(fc.integer({ min: 200, max: 1500 }), fc.double({ min: 0.5, max: 1, noNaN: true }), (target, gain) => {
        fc.pre(
          target / gain - target <=
            Math.min(LOOP_GAINS.maxDepthCorrectionUm, LOOP_GAINS.maxDepthCorrectionFraction * target) - 5,
        );
        const { commanded, measured } = runDepth(target, (c) => c * gain, 11);
        for (const c of commanded) expect(c).toBeLessThanOrEqual(target + LOOP_GAINS.maxDepthCorrectionUm);
        expect(Math.abs(measured[10]! - target)).toBeLessThanOrEqual(2);
      }),
      { numRuns: 300 },
    );
  });

  it("with a plant that never responds, the command saturates at target + 400 um and stays there", () => {
    const target = 800;
    const { commanded } = runDepth(target, () => 0, 20);
    for (const c of commanded) expect(c).toBeLessThanOrEqual(target + 400);
    expect(commanded.slice(2)).toEqual(Array(18).fill(target + 400));
  });

  it("with a plant that overshoots, the command is bounded at target - 400 um", () => {
    const target = 800;
    const { commanded } = runDepth(target, (c) => c * 3, 20);
    for (const c of commanded) expect(c).toBeGreaterThanOrEqual(target - 400);
    expect(commanded[19]).toBe(target - 400);
  });

  it("the command stays within target +/- 400 um whatever is measured", () => {
    const measurement = fc.oneof(
      fc.integer({ min: -5000, max: 5000 }),
      fc.constantFrom(0, 1, -1, 1e6, -1e6),
      fc.double({ min: -1e5, max: 1e5, noNaN: true }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 2000 }),
        fc.array(measurement, { minLength: 1, maxLength: 40 }),
        (target, ms) => {
          const { commanded } = runDepth(target, (_c, i) => ms[i % ms.length]!, ms.length + 1);
          for (const c of commanded) {
            expect(c).toBeLessThanOrEqual(target + LOOP_GAINS.maxDepthCorrectionUm);
            expect(c).toBeGreaterThanOrEqual(target - LOOP_GAINS.maxDepthCorrectionUm);
            expect(Number.isInteger(c)).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("keeps zones independent", () => {
    const loop = new DepthLoop();
    runDepth(1000, () => 0, 5, loop, "crown");
    expect(loop.commandUm("crown", 1000)).toBe(1400);
    expect(loop.commandUm("hairline", 1000)).toBe(1080);
  });
});

// ---------------------------------------------------------------------------------------------------------
// SpeedLoop

const ROTARY: DriveCalibration = {
  machine: "rotary",
  minDutyPermille: 200,
  maxDutyPermille: 900,
  freeStrokeHzAtFullDuty: 150,
  loadDroopPercent: 20,
};
const COIL: DriveCalibration = { ...ROTARY, machine: "coil" };

describe("SpeedLoop", () => {
  it("starts from the calibration feed-forward", () => {
    // 100 Hz / (150 Hz * (1 - 20 % / 2)) = 0.7407 of full duty
    expect(new SpeedLoop(ROTARY).dutyFor("z", 100)).toBe(741);
    // beyond the calibrated range the feed-forward is clamped
    expect(new SpeedLoop(ROTARY).dutyFor("z", 1000)).toBe(900);
    expect(new SpeedLoop(ROTARY).dutyFor("z", 1)).toBe(200);
  });

  it("raises the duty when the needle is slow and lowers it when fast", () => {
    const slow = new SpeedLoop(ROTARY);
    slow.update("z", 100, 80);
    // 741 + 0.6 * (1000 / 150) * 20 = 821
    expect(slow.dutyFor("z", 100)).toBe(821);
    const fast = new SpeedLoop(ROTARY);
    fast.update("z", 100, 120);
    expect(fast.dutyFor("z", 100)).toBe(661);
    const exact = new SpeedLoop(ROTARY);
    exact.update("z", 100, 100);
    expect(exact.dutyFor("z", 100)).toBe(741);
  });

  it("moves the duty in the direction of the speed error and stays within [min, max]", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 20, max: 200 }), fc.double({ min: 0.1, max: 500, noNaN: true })), {
          maxLength: 40,
        }),
        (steps) => {
          const loop = new SpeedLoop(ROTARY);
          for (const [setpoint, measured] of steps) {
            const before = loop.dutyFor("z", setpoint);
            loop.update("z", setpoint, measured);
            const after = loop.dutyFor("z", setpoint);
            expect(after).toBeGreaterThanOrEqual(ROTARY.minDutyPermille);
            expect(after).toBeLessThanOrEqual(ROTARY.maxDutyPermille);
            if (measured < setpoint) expect(after).toBeGreaterThanOrEqual(before);
            if (measured > setpoint) expect(after).toBeLessThanOrEqual(before);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("brings a loaded motor to its setpoint", () => {
    // the plant runs at 120 Hz at full duty (heavier than calibrated): 100 Hz needs duty 833
    const loop = new SpeedLoop(ROTARY);
    let hz = 0;
    for (let i = 0; i < 20; i++) {
      hz = (loop.dutyFor("z", 100) / 1000) * 120;
      loop.update("z", 100, hz);
    }
    expect(Math.abs(hz - 100)).toBeLessThan(0.5);
  });

  it("ignores a missing measurement (0 or NaN) and never adjusts a coil machine", () => {
    const loop = new SpeedLoop(ROTARY);
    loop.update("z", 100, 0);
    loop.update("z", 100, Number.NaN);
    expect(loop.dutyFor("z", 100)).toBe(741);
    const coil = new SpeedLoop(COIL);
    expect(coil.dutyFor("z", 100)).toBe(550);
    coil.update("z", 100, 10);
    expect(coil.dutyFor("z", 100)).toBe(550);
    expect(coil.dutyFor("z", 150)).toBe(550);
  });
});

// ---------------------------------------------------------------------------------------------------------
// StallDetector

describe("StallDetector", () => {
  // setpoint 120 Hz: slow means below 84 Hz, i.e. a period above ~11905 us
  it("trips only after more than 100 ms of slow strokes", () => {
    const d = new StallDetector();
    const trips = Array.from({ length: 6 }, () => d.stroke(20_000, 120)); // 50 Hz strokes
    expect(trips).toEqual([false, false, false, false, false, true]); // 100 ms exactly is not yet a stall
    expect(d.stroke(20_000, 120)).toBe(true);
  });

  it("resets on a good stroke and on reset()", () => {
    const d = new StallDetector();
    for (let i = 0; i < 4; i++) expect(d.stroke(25_000, 120)).toBe(false); // 100 ms of slow strokes
    expect(d.stroke(8_333, 120)).toBe(false); // a good 120 Hz stroke
    for (let i = 0; i < 4; i++) expect(d.stroke(25_000, 120)).toBe(false); // again only 100 ms
    d.reset();
    for (let i = 0; i < 4; i++) expect(d.stroke(25_000, 120)).toBe(false);
    expect(d.stroke(25_000, 120)).toBe(true);
  });

  it("uses the 70 % threshold: 90 Hz strokes at a 120 Hz setpoint are fine, 80 Hz strokes are slow", () => {
    const ok = new StallDetector();
    for (let i = 0; i < 100; i++) expect(ok.stroke(11_111, 120)).toBe(false); // 90 Hz
    const slow = new StallDetector();
    const trips = Array.from({ length: 10 }, () => slow.stroke(12_500, 120)); // 80 Hz
    expect(trips.indexOf(true)).toBe(8); // 9 x 12.5 ms = 112.5 ms > 100 ms; 8 x = 100 ms is not
  });

  it(
    "matches the spec on random stroke streams: " +
      "stalled iff the slow strokes since the last good one exceed 100 ms",
    () => {
      const slowPeriod = fc.integer({ min: 15_000, max: 60_000 }); // 16.7..66.7 Hz, below 84 Hz
      const goodPeriod = fc.integer({ min: 5_000, max: 11_000 }); // 91..200 Hz
      const stream = fc.array(fc.oneof({ arbitrary: slowPeriod, weight: 4 }, { arbitrary: goodPeriod, weight: 1 }), {
        maxLength: 60,
      });
      fc.assert(
        fc.property(stream, (periods) => {
          const d = new StallDetector();
          let slowSince = 0;
          for (const p of periods) {
            slowSince = p > 11_905 ? slowSince + p : 0;
            expect(d.stroke(p, 120)).toBe(slowSince > 100_000);
          }
        }),
        { numRuns: 300 },
      );
    },
  );
});

// ---------------------------------------------------------------------------------------------------------
// strokeFault

describe("strokeFault", () => {
  /** A command at the zone's target (tolerance 200 um): only the checks against the command speak. */
  const at = (extensionUm: number) => ({
    extensionUm,
    strokeHz: 100,
    targetExtensionUm: extensionUm,
    depthToleranceUm: 200,
  });
  const cmd = at(800);
  const LIMITS = { hardMaxExtensionUm: 1500, maxCurrentMa: 3000, cartridgeGiveUm: 500 };
  const sample = (over: Partial<{ extensionUm: number; currentMa: number; periodUs: number }>) => ({
    extensionUm: 780,
    currentMa: 1200,
    periodUs: 10_000,
    ...over,
  });

  it("accepts a normal stroke, including boundary values", () => {
    expect(strokeFault(sample({}), cmd, LIMITS)).toBeUndefined();
    expect(strokeFault(sample({ extensionUm: 920 }), cmd, LIMITS)).toBeUndefined(); // commanded + 120
    expect(strokeFault(sample({ currentMa: 3000 }), cmd, LIMITS)).toBeUndefined();
    // 40 % of commanded 800: the cartridge's give can do that
    expect(strokeFault(sample({ extensionUm: 320 }), cmd, LIMITS)).toBeUndefined();
    // shallower: the sensor, not the skin
    expect(strokeFault(sample({ extensionUm: 319 }), cmd, LIMITS)?.code).toBe("DEPTH_DEVIATION");
    expect(strokeFault(sample({ extensionUm: 1500 }), at(1450), LIMITS)).toBeUndefined();
  });

  it("flags over-extension: beyond the board hard maximum, or deeper than commanded by more than 120 um", () => {
    expect(strokeFault(sample({ extensionUm: 921 }), cmd, LIMITS)?.code).toBe("DEPTH_DEVIATION");
    expect(strokeFault(sample({ extensionUm: 1501 }), at(1450), LIMITS)?.code).toBe("DEPTH_DEVIATION");
    expect(strokeFault(sample({ extensionUm: 1501 }), at(1500), LIMITS)?.detail).toContain("1500");
  });

  it("flags a stroke deeper than the zone's target by more than the tolerance, whatever was commanded", () => {
    // the loop commands 1000 um for a 600 um target (soft skin, or give that has gone): 750 um is the most allowed
    const deepCommand = { extensionUm: 1000, strokeHz: 100, targetExtensionUm: 600, depthToleranceUm: 150 };
    expect(strokeFault(sample({ extensionUm: 750 }), deepCommand, LIMITS)).toBeUndefined();
    const f = strokeFault(sample({ extensionUm: 751 }), deepCommand, LIMITS);
    expect(f).toEqual({
      code: "DEPTH_DEVIATION",
      detail:
        "measured extension 751 um deeper than zone target 600 um by more than the profile's depthToleranceUm 150 um",
    });
    // the check against the command stays: within the target's tolerance, still too deep for what was commanded
    const shallowCommand = { extensionUm: 500, strokeHz: 100, targetExtensionUm: 600, depthToleranceUm: 150 };
    expect(strokeFault(sample({ extensionUm: 620 }), shallowCommand, LIMITS)).toBeUndefined();
    expect(strokeFault(sample({ extensionUm: 621 }), shallowCommand, LIMITS)?.detail).toContain(
      "exceeds commanded 500 um by more than 120 um",
    );
  });

  it("flags a stroke shallower than its command by more than the cartridge's give can make it: the sensor", () => {
    const stiff = { ...LIMITS, cartridgeGiveUm: 300 };
    const deep = at(1000);
    expect(strokeFault(sample({ extensionUm: 620 }), deep, stiff)).toBeUndefined(); // 300 um give + 80 um slack
    expect(strokeFault(sample({ extensionUm: 619 }), deep, stiff)).toEqual({
      code: "DEPTH_DEVIATION",
      detail:
        "measured extension 619 um shallower than commanded 1000 um by more than machine cartridgeGiveUm 300 um " +
        "+ 80 um: the sensor reads shallow (offset or drift), and would hide a needle gone deep",
    });
    // not on a stroke the caller does not judge shallow (a burst's first, or one made while retracting)
    expect(strokeFault(sample({ extensionUm: 619 }), deep, stiff, false)).toBeUndefined();
  });

  it("flags over-current above the machine limit", () => {
    const f = strokeFault(sample({ currentMa: 3001 }), cmd, LIMITS);
    expect(f?.code).toBe("HOST_OVER_CURRENT");
    expect(f?.detail).toContain("3001");
  });

  it("flags a runaway stroke rate more than 30 % above the setpoint", () => {
    expect(strokeFault(sample({ periodUs: 7_600 }), cmd, LIMITS)?.code).toBe("HOST_OVER_SPEED"); // 131.6 Hz
    expect(strokeFault(sample({ periodUs: 7_700 }), cmd, LIMITS)).toBeUndefined(); // 129.9 Hz
  });

  it("reports depth before current when both are wrong", () => {
    expect(strokeFault(sample({ extensionUm: 2000, currentMa: 9999 }), cmd, LIMITS)?.code).toBe("DEPTH_DEVIATION");
  });
});

// ---------------------------------------------------------------------------------------------------------
// time/ticks.ts

describe("tick arithmetic", () => {
  it("tickDiff and tickBefore work across the u32 wrap", () => {
    expect(tickDiff(5, 0xfffffffb)).toBe(10);
    expect(tickDiff(0xfffffffb, 5)).toBe(-10);
    expect(tickDiff(0, 0xffffffff)).toBe(1);
    expect(tickDiff(7, 7)).toBe(0);
    expect(tickBefore(0xfffffffb, 5)).toBe(true);
    expect(tickBefore(5, 0xfffffffb)).toBe(false);
    expect(tickBefore(7, 7)).toBe(false);
    expect(tickBefore(100, 200)).toBe(true);
    expect(tickAdd(0xfffffffb, 10)).toBe(5);
    expect(tickAdd(5, -10)).toBe(0xfffffffb);
    expect(tickAdd(0, U32)).toBe(0);
  });

  it("tickDiff(tickAdd(a, d), a) === d for every |d| < 2^31, and tickBefore agrees with the sign", () => {
    // (exactly 2^31 apart, each tick is "before" the other: the half-way point is inherently ambiguous)
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: -0x7fffffff, max: 0x7fffffff }),
        (a, d) => {
          const b = tickAdd(a, d);
          expect(Number.isInteger(b) && b >= 0 && b < U32).toBe(true);
          expect(tickDiff(b, a)).toBe(d);
          expect(tickBefore(a, b)).toBe(d > 0);
          expect(tickBefore(b, a)).toBe(d < 0);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("converts between milliseconds and ticks", () => {
    expect(msToTicks(50, 10_000)).toBe(500);
    expect(msToTicks(0.04, 10_000)).toBe(0);
    expect(msToTicks(0.06, 10_000)).toBe(1);
    expect(ticksToMs(500, 10_000)).toBe(50);
  });
});

describe("BoardClockEstimate", () => {
  it("refuses to answer before the first sample", () => {
    const c = new BoardClockEstimate(10_000);
    expect(c.synced).toBe(false);
    expect(() => c.boardTickAt(0)).toThrow();
    c.sample(123, 5);
    expect(c.synced).toBe(true);
    expect(c.boardTickAt(5)).toBe(123);
    expect(c.boardTickAt(6)).toBe(133);
  });

  it(
    "tracks a board clock through random positive delays: never more than 1 tick ahead, " +
      "never more than the max delay behind, across the wrap",
    () => {
      const scenario = fc.record({
        clockHz: fc.constantFrom(1_000, 10_000, 16_000, 1_000_000),
        hostStartMs: fc.double({ min: 0, max: 1e7, noNaN: true }),
        wrapAt: fc.double({ min: 0, max: 1, noNaN: true }), // where in the run the board's u32 wraps
        maxDelayMs: fc.double({ min: 0.5, max: 20, noNaN: true }),
        steps: fc.array(
          fc.record({
            gapMs: fc.double({ min: 0.1, max: 60, noNaN: true }),
            delayFraction: fc.double({ min: 0.001, max: 1, noNaN: true }),
            queryAfterMs: fc.double({ min: 0, max: 100, noNaN: true }),
          }),
          { minLength: 1, maxLength: 80 },
        ),
      });
      let runsThatWrapped = 0;
      fc.assert(
        fc.property(scenario, ({ clockHz, hostStartMs, wrapAt, maxDelayMs, steps }) => {
          const perMs = clockHz / 1000;
          const spanMs = steps.reduce((a, s) => a + s.gapMs, 0);
          const startTick = U32 - Math.floor(wrapAt * spanMs * perMs); // board count at hostStartMs, unwrapped
          /** The board's integer tick reading at host time h (u32, wrapping). */
          const boardAt = (h: number) => Math.floor(startTick + (h - hostStartMs) * perMs) % U32;
          const behindBound = Math.ceil(maxDelayMs * perMs) + 1;
          const est = new BoardClockEstimate(clockHz);
          let stampMs = hostStartMs;
          let wrapped = false;
          for (const { gapMs, delayFraction, queryAfterMs } of steps) {
            stampMs += gapMs;
            const stamped = boardAt(stampMs);
            if (startTick + (stampMs - hostStartMs) * perMs >= U32) wrapped = true;
            const recvMs = stampMs + delayFraction * maxDelayMs; // always after the stamp
            est.sample(stamped, recvMs);
            for (const h of [recvMs, recvMs + queryAfterMs]) {
              const estimate = est.boardTickAt(h);
              expect(Number.isInteger(estimate) && estimate >= 0 && estimate < U32).toBe(true);
              const diff = tickDiff(estimate, boardAt(h));
              expect(diff).toBeLessThanOrEqual(1);
              expect(diff).toBeGreaterThanOrEqual(-behindBound);
            }
          }
          if (wrapped) runsThatWrapped++;
        }),
        { numRuns: 300 },
      );
      expect(runsThatWrapped).toBeGreaterThan(100);
    },
  );

  it("crosses the wrap in a concrete run (1 MHz board, 10 ms frames, 3 ms delay)", () => {
    const est = new BoardClockEstimate(1_000_000);
    const start = U32 - 25_000; // wraps 25 ms in
    for (let i = 0; i <= 10; i++) {
      const stampMs = 100 + i * 10;
      est.sample((start + i * 10_000) % U32, stampMs + 3);
    }
    // true tick at host 203 ms is start + 103 ms = 78000 after the wrap
    const at = est.boardTickAt(203);
    expect(tickDiff(at, 78_000)).toBeLessThanOrEqual(1);
    expect(tickDiff(at, 78_000)).toBeGreaterThanOrEqual(-3001);
    expect(at).toBeLessThan(100_000); // wrapped, not ~2^32
  });

  it("a prompt frame after the wrap tightens the estimate just as before the wrap", () => {
    const est = new BoardClockEstimate(10_000); // 10 ticks per ms
    const start = U32 - 1_000; // board wraps at host 100 ms
    const boardAt = (ms: number) => (start + ms * 10) % U32;
    est.sample(boardAt(50), 70); // 20 ms late: estimate 200 ticks behind
    expect(tickDiff(est.boardTickAt(70), boardAt(70))).toBe(-200);
    est.sample(boardAt(150), 150.1); // after the wrap, 0.1 ms late
    expect(tickDiff(est.boardTickAt(150.1), boardAt(150.1))).toBe(-1);
    expect(tickDiff(est.boardTickAt(300), boardAt(300))).toBe(-1);
  });

  it("ignores a delayed frame: one late sample does not pull the estimate back", () => {
    const est = new BoardClockEstimate(10_000);
    est.sample(1_000, 100); // prompt: offset gives tick 1000 at 100 ms
    est.sample(1_500, 200); // board at 150 ms, received 50 ms late
    expect(est.boardTickAt(200)).toBe(2_000);
  });

  it("hostMsAt inverts boardTickAt, also across the wrap", () => {
    const est = new BoardClockEstimate(10_000);
    est.sample(U32 - 100, 1_000); // 10 ms before the wrap
    const tick = tickAdd(est.boardTickAt(1_000), 500); // 50 ms later, after the wrap
    expect(tick).toBe(400);
    expect(est.hostMsAt(tick, 1_000)).toBeCloseTo(1_050, 6);
    expect(est.hostMsAt(U32 - 200, 1_000)).toBeCloseTo(990, 6);
  });
});

describe("regressions from review", () => {
  it("a zero stroke period is no physical stroke: over-speed, not a slow stroke", () => {
    expect(
      strokeFault(
        { extensionUm: 780, currentMa: 800, periodUs: 0 },
        { extensionUm: 800, strokeHz: 100, targetExtensionUm: 800, depthToleranceUm: 200 },
        { hardMaxExtensionUm: 1500, maxCurrentMa: 2000, cartridgeGiveUm: 400 },
      )?.code,
    ).toBe("HOST_OVER_SPEED");
  });

  it(
    "the speed loop keeps what it learned for a zone as a ratio, " + "so a new setpoint starts from its feed-forward",
    () => {
      const loop = new SpeedLoop({
        machine: "rotary",
        minDutyPermille: 100,
        maxDutyPermille: 1000,
        freeStrokeHzAtFullDuty: 180,
        loadDroopPercent: 12,
      });
      const ff150 = loop.dutyFor("fresh", 150);
      loop.update("z", 100, 100); // on target: nothing to learn
      expect(loop.dutyFor("z", 150)).toBe(ff150);
      loop.update("z", 100, 90); // 10 % slow at 100 Hz: this zone needs more drive
      expect(loop.dutyFor("z", 150)).toBeGreaterThan(ff150);
    },
  );

  it("bounds the depth correction to half the target for shallow targets", () => {
    const loop = new DepthLoop();
    for (let i = 0; i < 10; i++) loop.update("scar", 300, 0); // a plant that never responds
    expect(loop.commandUm("scar", 300)).toBe(450);
  });
});
