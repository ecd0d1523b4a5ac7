// The reference board's depth forecast (docs/protocol.md §7.12): at every main-loop sample, a lower bound of
// the needle tip's depth at the coming bottom dead centre (BDC), from the position sensor, the actuator
// feedback, the tachometer's period and the machine's cam stroke, so that OVER_EXTENSION latches while the tip
// is still on its way down. Part of BoardGuard (src/sim/board-guard.ts); the firmware computes the same in
// integers (firmware-bridge/src/limits.c, smp_depth_floor_um).
//
// Why: the cam drives the tip at up to pi * stroke * rate (1.2 mm/ms for a 3.5 mm cam at 110 Hz) and the
// actuator retracts at only 250 um/ms, so the tip keeps going down until the cam's own speed falls below the
// retract rate, about 0.2 rad before BDC. A tip seen past the limit is too late; at 110 Hz on a 3.5 mm cam
// the board has to act some 1.3 ms (0.9 rad) before BDC to keep a 1.8 mm BDC depth under 1.5 mm.
//
// The bound. Relative to the actuator, the tip is at rel = -camOffset + e, camOffset = A (1 - cos theta) the
// cam's travel still to come (A = stroke / 2, theta = the cam angle to BDC) and e the cartridge's effect: a
// healthy cartridge only gives (e <= 0, more so deeper in the skin), a broken spring puts the tip ahead (e > 0,
// a lead that grows only while the cam descends, never faster than the cam, then stays). So at BDC the tip is at
// actuator + e >= actuator + rel + camOffset. The cam speed relative to the
// actuator, v = A omega sin theta, gives camOffset >= A - sqrt(A^2 - (v / omega)^2) = A (1 - |cos theta|)
// (equal up to theta = pi / 2, short of it beyond, where the cam is still speeding up). omega is a ceiling
// on the cam's rate now (camRateCeilingHz: a motor still speeding up turns faster than its last period
// shows); a faster cam only lowers the bound. With a healthy cartridge the
// bound stays at or below the actuator (rel + bound <= e <= 0), so it never latches on good strokes. While a
// broken spring's lead is still growing, v counts that growth as cam speed and the bound may exceed the true
// depth: the board then latches sooner, on a cartridge that is broken anyway (docs/protocol.md §7.12).

import { BOARD_WIRING } from "../protocol/board-wiring.ts";
import { BOARD_DEFAULTS } from "../protocol/table.ts";

const D = BOARD_DEFAULTS;

export interface CamTiming {
  /** The period the latest tachometer edge closed, us (0: no edge yet). */
  readonly periodUs: number;
  /** The one before it, us (0: none). */
  readonly previousPeriodUs: number;
  /** The running burst's commanded stroke rate, Hz (0: none): a motor still spinning up towards it. */
  readonly burstStrokeHz: number;
}

/** The fastest the cam may be turning now, Hz: the last period's rate, as much faster again as it was faster
 * than the period before (a motor speeding up; not after a standstill, a period longer than the slowest
 * stroke), at least the burst's commanded rate (the first strokes after spin-up, still speeding up towards it,
 * have no trend to go by) and forecastMinStrokeHz, plus camRateMarginPercent. */
export function camRateCeilingHz(cam: CamTiming): number {
  const lastHz = cam.periodUs > 0 ? 1e6 / cam.periodUs : 0;
  const slowestPeriodUs = 1e6 / D.forecastMinStrokeHz; // a longer one is a standstill, not a trend
  const speedingUp = cam.periodUs > 0 && cam.previousPeriodUs > cam.periodUs && cam.previousPeriodUs <= slowestPeriodUs;
  const trend = speedingUp ? cam.previousPeriodUs / cam.periodUs : 1;
  return Math.max(lastHz * trend, cam.burstStrokeHz, D.forecastMinStrokeHz) * (1 + D.camRateMarginPercent / 100);
}

/**
 * Lower bound of the tip's depth at the coming BDC, um. actuatorUm: where the actuator is now; outUm: where it is on
 * its way out to, at BOARD_WIRING.actuatorRateUmPerMs, if it is (undefined: it stands, or its feedback does not
 * follow its model): it goes on out until the BDC, at least theta / omega away, with theta >= s / A (a move that
 * does not arrive before the BDC, as the coil's whole travel at 150 Hz, counts only as far as it gets); relUm:
 * sensed tip minus actuator; relSpeedUmPerMs: its rate of change (positive: towards the skin), undefined when not
 * measured; strokeUm: the cam's stroke.
 */
export function depthFloorUm(
  actuatorUm: number,
  outUm: number | undefined,
  relUm: number,
  relSpeedUmPerMs: number | undefined,
  strokeUm: number,
  cam: CamTiming,
): number {
  let camToGoUm = 0;
  let actuatorAtBdcUm = actuatorUm;
  if (relSpeedUmPerMs !== undefined && relSpeedUmPerMs > 0 && strokeUm > 0) {
    const omegaPerMs = (2 * Math.PI * camRateCeilingHz(cam)) / 1000;
    const aUm = strokeUm / 2;
    const speedUmPerMs = Math.max(0, relSpeedUmPerMs - D.forecastSpeedMarginUmPerMs); // noise and sampling lag
    // A sin(theta), capped: near a quarter stroke from BDC the bound's slope is steepest, so a small speed error
    // would count the cam's whole remaining travel
    const swingUm = Math.min((aUm * D.forecastSwingCapPermille) / 1000, speedUmPerMs / omegaPerMs);
    camToGoUm = aUm - Math.sqrt(aUm * aUm - swingUm * swingUm); // A (1 - |cos theta|) <= A (1 - cos theta)
    if (outUm !== undefined && outUm > actuatorUm) {
      const toBdcMs = swingUm / aUm / omegaPerMs;
      actuatorAtBdcUm = Math.min(outUm, actuatorUm + BOARD_WIRING.actuatorRateUmPerMs * toBdcMs);
    }
  }
  return actuatorAtBdcUm + relUm + camToGoUm;
}

/**
 * The forecast's memory: the previous main-loop sample behind the cam speed, and a model of the actuator (its
 * setpoint followed at BOARD_WIRING.actuatorRateUmPerMs). The tip is taken relative to the larger of the
 * model and the actuator feedback, and the cam speed is the smaller of the two rates: under any single fault
 * (feedback stuck low or high, actuator jammed) one of the two is right and the other errs on the safe side,
 * so the forecast can only err shallow, and a lying feedback is left to the actuator check (ACTUATOR_FAULT)
 * instead of reading as a tip ahead of its actuator.
 */
export class DepthWatch {
  private prev: { tUs: number; fbUm: number; modelUm: number } | undefined;
  private modelUm: number = D.parkUm;
  private modelAtUs = 0;

  /** Power-up: the actuator is commanded to park; the model starts there. */
  powerUp(nowUs: number): void {
    this.prev = undefined;
    this.modelUm = D.parkUm;
    this.modelAtUs = nowUs;
  }

  /** The cam-speed history is dropped (outside ARMED/BURST); the actuator model keeps running. */
  reset(): void {
    this.prev = undefined;
  }

  /** Every main-loop step: the actuator model follows the setpoint the actuator had over the step just run. */
  track(nowUs: number, setpointUm: number): void {
    const maxMoveUm = (BOARD_WIRING.actuatorRateUmPerMs * (nowUs - this.modelAtUs)) / 1000;
    const toGoUm = setpointUm - this.modelUm;
    this.modelUm += Math.abs(toGoUm) <= maxMoveUm ? toGoUm : Math.sign(toGoUm) * maxMoveUm;
    this.modelAtUs = nowUs;
  }

  /** One sample: sensed tip (undefined when the sensor is at its floor or rail), the actuator's feedback and
   * setpoint; returns the bound on the coming BDC depth, um, or undefined without a reading. */
  sample(
    nowUs: number,
    tipUm: number | undefined,
    feedbackUm: number,
    setpointUm: number,
    strokeUm: number,
    cam: CamTiming,
  ): number | undefined {
    if (tipUm === undefined) {
      this.prev = undefined;
      return undefined;
    }
    const now = { tUs: nowUs, fbUm: tipUm - feedbackUm, modelUm: tipUm - this.modelUm };
    const prev = this.prev;
    this.prev = now;
    const rate = (a: number, b: number) => ((a - b) * 1000) / (nowUs - prev!.tUs);
    // against the model while the feedback tracks it; against the slower of the two when they part (a fault)
    const within = (slackUm: number) => (x: { fbUm: number; modelUm: number }) =>
      Math.abs(x.fbUm - x.modelUm) <= D.actuatorTrackingUm + slackUm;
    const both = (ok: (x: { fbUm: number; modelUm: number }) => boolean) => ok(now) && (prev === undefined || ok(prev));
    const tracking = both(within(0));
    // an outgoing move counts as followed by a feedback up to 620 us late (forecastFollowSlackUm)
    const following = both(within(D.forecastFollowSlackUm));
    const speed =
      prev && nowUs > prev.tUs
        ? tracking
          ? rate(now.modelUm, prev.modelUm)
          : Math.min(rate(now.fbUm, prev.fbUm), rate(now.modelUm, prev.modelUm))
        : undefined;
    // the actuator where it is now (the larger of feedback and model), or at its setpoint if it is past it; on its
    // way out while the feedback follows the model (if late), as far as it gets before the BDC
    const relUm = Math.min(now.fbUm, now.modelUm);
    const actuatorUm = Math.min(setpointUm, tipUm - relUm);
    const moving = this.modelUm !== setpointUm;
    return depthFloorUm(actuatorUm, moving && following ? setpointUm : undefined, relUm, speed, strokeUm, cam);
  }
}
