// The fault campaign (issue 7, docs/safety.md): randomized virtual-time sessions on the board model and the
// emulated firmware, each with one fault or a pair at random moments, judged on the simulated world's truth.
// A run is fully determined by its seed (printed), so any failure replays. Used by tests/fault-campaign.test.ts
// (the CI size, inside `npm test`) and scripts/fault-campaign.ts (`npm run test:faults [-- --runs N]`).
//
// Every run asserts: the true tip never beyond the hard maximum; if the fault must stop the session, the
// needle truly parked (drive off, actuator in park) within the hazard's budget from the moment the fault
// struck, the board latched in ALARM (only an explicit UNLOCK re-arms it), and the first fault record naming
// one of the fault's true causes; if the fault must be ridden out (a byte or two lost, a short delay), the
// session ends done. A pair of faults is held to the larger of their budgets: the second may take away the
// first one's mitigation (a disconnect takes away the host's E-STOP byte), never the board's own limits. A
// fault held to the command cap instead (a slow drift, or any fault the host ends as a target out of reach:
// that hold is the depth loop's verdict after a few dots, not a safety reaction) has no park budget.

import { runSession } from "../../src/app/session.ts";
import { loadDepthProfileFile, loadMachineFile } from "../../src/profiles/files.ts";
import { parseDepthProfile, type LoadedMachine, type LoadedProfile } from "../../src/profiles/load.ts";
import { commandCapUm } from "../../src/control/handshake.ts";
import { ENVELOPES } from "../../src/safety/limits.ts";
import { MemorySink, type FaultRecord } from "../../src/log/records.ts";
import { parseFaultSpec, type FaultKind } from "../../src/sim/faults.ts";
import { Rng } from "../../src/sim/plant.ts";
import { BOARD_DEFAULTS } from "../../src/protocol/table.ts";
import { DEFAULT_TIMING } from "../../src/control/timing.ts";
import { readFileSync } from "node:fs";
import { HAZARD_BUDGETS, type HazardName } from "../../src/safety/hazards.ts";

export const BOARDS = ["model-rotary", "model-coil", "firmware-rotary", "firmware-coil"] as const;
export type CampaignBoard = (typeof BOARDS)[number];

/** What a fault kind must lead to: the hazard it belongs to, the first fault codes that name its true cause,
 * and whether the session must stop (true), must ride it out (false) or may do either ("either"). */
interface Expectation {
  readonly hazard: HazardName;
  readonly causes: readonly string[];
  readonly stops: boolean | "either";
  /** A burst may still start this long after the fault struck and complete: the board keeps the dots it holds
   * under a valid lease (LINK timing leaseMs) when the host or the link goes quiet. */
  readonly graceMs?: number;
  /** A fault that only grows slowly has no moment to count a park time from: it is held to the command cap instead
   * (the true tip never deeper than the deepest command the host may send on that machine). */
  readonly heldToCommandCap?: true;
  /** The fault spec's parameters, drawn per run. */
  readonly params?: (rng: Rng) => string;
}

const LINK_CAUSES = ["LINK_LOST", "TELEMETRY_STALE", "LEASE_EXPIRED"] as const;
const LEASE_MS = DEFAULT_TIMING.leaseMs;
const int = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng.next() * (hi - lo + 1));

/** One row per fault kind in the campaign: every kind of --fault (src/sim/faults.ts). */
export const EXPECTATIONS: Readonly<Record<FaultKind, Expectation>> = {
  flip: { hazard: "link", causes: [], stops: false, params: (r) => `count=${int(r, 1, 3)}` },
  drop: { hazard: "link", causes: [], stops: false, params: (r) => `count=${int(r, 1, 3)}` },
  dup: { hazard: "link", causes: [], stops: false, params: (r) => `count=${int(r, 1, 3)}` },
  delay: { hazard: "link", causes: [], stops: false, params: (r) => `ms=${int(r, 2, 30)},count=1` },
  disconnect: {
    hazard: "link",
    causes: LINK_CAUSES,
    stops: true,
    graceMs: LEASE_MS,
    params: (r) => `forMs=${int(r, 600, 3000)}`,
  },
  unplug: { hazard: "link", causes: LINK_CAUSES, stops: true, graceMs: LEASE_MS },
  // a stalled DC motor draws its locked-rotor current: an over-current is the stall seen first
  stall: { hazard: "stall-heating", causes: ["STALL", "HOST_STALL", "OVER_CURRENT", "HOST_OVER_CURRENT"], stops: true },
  slow: {
    hazard: "stall-heating",
    causes: ["DWELL_EXCEEDED", "HOST_STALL", "STALL", "HOST_OVER_CURRENT", "OVER_CURRENT", "LATE_START"],
    stops: true,
  },
  // a cam that suddenly turns faster than its last period: the board's depth forecast (docs/protocol.md §7.12)
  // takes its rate ceiling from the last periods, so a faster cam makes the tip's speed look like more travel to
  // come and the forecast err deep: OVER_EXTENSION may latch before the next tachometer edge shows the speed
  // (seed 32: true tip 1042 um). That is the forecast staying a lower bound under a fault it cannot tell from a
  // broken spring (both show the tip moving faster than a cam at the ceiling could move it); kept, not weakened
  runaway: { hazard: "over-speed", causes: ["OVER_SPEED", "HOST_OVER_SPEED", "OVER_EXTENSION"], stops: "either" },
  overcurrent: { hazard: "stall-heating", causes: ["OVER_CURRENT", "HOST_OVER_CURRENT"], stops: true },
  overshoot: { hazard: "cartridge", causes: ["OVER_EXTENSION", "DEPTH_DEVIATION"], stops: true },
  "give-loss": { hazard: "over-depth", causes: ["DEPTH_DEVIATION", "OVER_EXTENSION"], stops: "either" },
  // a sensor frozen low as the needle rose reads far short of the command at the next BDC: the host's plausibility
  // check (a stroke below 40 % of its command, recorded as DEPTH_DEVIATION "a sensor fault, not skin give") can see
  // it before the board's window check has a whole stroke to judge (seeds 1260, 1548)
  // a sensor frozen at its floor (the needle parked) never reads the parked needle at the next spin-up: the zero
  // check's SENSOR_OFFSET ("or not at all") sees it before the actuator goes out (seeds 12, 38)
  "sensor-stuck": { hazard: "sensor", causes: ["SENSOR_STUCK", "DEPTH_DEVIATION", "SENSOR_OFFSET"], stops: true },
  "sensor-dropout": { hazard: "sensor", causes: ["SENSOR_DROPOUT"], stops: true },
  // a sensor that reads shallow (150 um) is caught by the next spin-up's zero check, which reads the parked needle
  // that far behind the actuator (SENSOR_OFFSET), or sooner by the host as a depth no give explains
  // (DEPTH_DEVIATION); until then the depth loop may command deeper, never past the command cap
  "sensor-offset": {
    hazard: "sensor",
    causes: ["SENSOR_OFFSET", "DEPTH_DEVIATION", "TARGET_UNREACHABLE"],
    stops: "either",
  },
  // a drift rides until it shows, at the next spin-up's zero check once past 40 um or at whichever stroke its error
  // passes a host check, so it has no moment to count a park time from: what keeps the needle safe meanwhile is the
  // command cap; a reading drifted below the sensor's floor reads as the sensor gone
  "sensor-drift": {
    hazard: "sensor",
    causes: ["SENSOR_OFFSET", "DEPTH_DEVIATION", "TARGET_UNREACHABLE", "SENSOR_DROPOUT"],
    stops: "either",
    heldToCommandCap: true,
  },
  reset: { hazard: "board-reset", causes: ["BOARD_RESET", "EXTERNAL_RESET"], stops: true },
  watchdog: { hazard: "board-reset", causes: ["BOARD_RESET", "WATCHDOG_RESET"], stops: true },
  brownout: { hazard: "board-reset", causes: ["BOARD_RESET", "BROWNOUT_RESET"], stops: true },
  "pedal-stuck": { hazard: "pedal-estop-wiring", causes: ["PEDAL_FAULT"], stops: true },
  "pedal-release": { hazard: "pedal-estop-wiring", causes: ["PEDAL_RELEASED"], stops: true },
  "estop-button": { hazard: "pedal-estop-wiring", causes: ["ESTOP"], stops: true },
  "actuator-feedback-stuck": { hazard: "actuator-stuck", causes: ["ACTUATOR_FAULT"], stops: true },
  estop: { hazard: "operator-stop", causes: ["ESTOP"], stops: true },
  stop: { hazard: "operator-stop", causes: ["STOP"], stops: true },
  // a freeze shorter than the time to the next dot, or before arming, is ridden out; one that outlasts the
  // lease while armed stops the session through the board's lease
  hang: {
    hazard: "host-dead",
    causes: ["LEASE_EXPIRED", "HOST_LATE"],
    stops: "either",
    graceMs: LEASE_MS,
    params: (r) => `forMs=${int(r, 600, 2500)}`,
  },
};
export const CAMPAIGN_KINDS = Object.keys(EXPECTATIONS) as FaultKind[];

export interface CampaignRun {
  readonly seed: number;
  readonly board: CampaignBoard;
  /** Profile file, and whether every target was raised to the deepest the machine accepts (deepTargetUm). */
  readonly profilePath: string;
  readonly deep: boolean;
  readonly dots: number;
  /** The --fault specs, as text. */
  readonly faults: readonly string[];
}

const PROFILES = ["profiles/demo.json", "profiles/crown.json", "profiles/hairline-session1.json"] as const;

/**
 * The run a seed stands for. The seed picks the (first) fault's kind in turn, so consecutive seeds cover every
 * kind; the board, profile, moment and a second fault (every third seed) are drawn from it.
 */
export function planRun(seed: number): CampaignRun {
  const rng = new Rng(seed * 7919 + 13);
  const board = BOARDS[int(rng, 0, BOARDS.length - 1)]!;
  const dots = 5;
  const pick = (kind: FaultKind) => {
    const e = EXPECTATIONS[kind];
    const moment =
      rng.next() < 0.8 ? `atDot=${int(rng, 1, 4)},afterMs=${int(rng, 0, 90)}` : `atMs=${int(rng, 0, 1500)}`;
    const params = e.params?.(rng);
    return [kind, moment, ...(params ? [params] : [])].join(",");
  };
  const first = CAMPAIGN_KINDS[seed % CAMPAIGN_KINDS.length]!;
  const faults = [pick(first)];
  if (seed % 3 === 0) faults.push(pick(CAMPAIGN_KINDS[int(rng, 0, CAMPAIGN_KINDS.length - 1)]!));
  return {
    seed,
    board,
    profilePath: PROFILES[int(rng, 0, PROFILES.length - 1)]!,
    deep: rng.next() < 0.5,
    dots,
    faults,
  };
}

export interface RunVerdict {
  readonly run: CampaignRun;
  readonly exitCode: number;
  readonly ending: string;
  readonly trueDeepestTipUm: number | undefined;
  /** True time from the first fault's strike to the needle parked, ms (undefined: it never struck, or the
   * session did not stop). */
  readonly parkedAfterMs: number | undefined;
  /** The same to the drive off, ms. */
  readonly driveOffAfterMs: number | undefined;
  readonly firstFault: FaultRecord | undefined;
  readonly boardState: string;
  readonly boardAlarm: string | undefined;
  readonly struck: number;
  /** The kind of the fault whose hazard the park time is judged on: of those that must or may stop the session,
   * the first to strike, or of a pair the one with the larger budget. */
  readonly stopperKind: FaultKind | undefined;
  /** The sensor-then-depth pair within one burst, judged on the sensed tip (blindDoubleFault), if this is one. */
  readonly blindDoubleFault: string | undefined;
  /** Its deepest tip as the sensor read it, um. */
  readonly sensedDeepestTipUm: number | undefined;
  /** Judged on the command cap, not on a park time (a drift, a target out of reach: see the header). */
  readonly heldToCommandCap: boolean;
  /** Broken promises, in words; empty when the run holds. */
  readonly violations: readonly string[];
}

/** A deep target for a machine: its command cap (the hard maximum less its overtravelUm) less DEEP_BELOW_CAP_UM
 * for the skin's give, which the depth loop adds on top (the standard envelope's deepest if that is shallower). */
export function deepTargetUm(machine: LoadedMachine): number {
  const capUm = commandCapUm(
    { hardMaxExtensionUm: BOARD_DEFAULTS.hardMaxExtensionUm },
    machine.calibration.overtravelUm,
  );
  return Math.min(ENVELOPES.standard.extensionUm.max, capUm - DEEP_BELOW_CAP_UM);
}
const DEEP_BELOW_CAP_UM = 250;

export function profileFor(run: CampaignRun, machine: LoadedMachine): LoadedProfile {
  if (!run.deep) return loadDepthProfileFile(run.profilePath);
  const deepUm = deepTargetUm(machine);
  const text = readFileSync(run.profilePath, "utf8").replace(
    /"targetExtensionUm": \d+/g,
    `"targetExtensionUm": ${deepUm}`,
  );
  return parseDepthProfile(text, `${run.profilePath} (every target at ${deepUm} um)`);
}

const MACHINES = {
  rotary: "profiles/machines/rotary-pmu.json",
  coil: "profiles/machines/coil-short.json",
} as const;

/** The alarm whose cause each of UNLOCK's refusals names. */
const UNLOCK_REFUSAL_CAUSES: Readonly<Record<string, string>> = {
  ESTOP_PRESSED: "ESTOP",
  CARTRIDGE_OPEN: "CARTRIDGE_MISSING",
  PEDAL_CONTACTS: "PEDAL_FAULT",
  ACTUATOR_MISMATCH: "ACTUATOR_FAULT",
  CONFIG_INVALID: "CONFIG_INVALID",
};

/** Runs one campaign run in virtual time and judges it. */
export async function executeRun(run: CampaignRun): Promise<RunVerdict> {
  const [family, machineKind] = run.board.split("-") as ["model" | "firmware", "rotary" | "coil"];
  const sink = new MemorySink();
  const specs = run.faults.map(parseFaultSpec);
  const machine = loadMachineFile(MACHINES[machineKind]);
  const result = await runSession({
    profile: profileFor(run, machine),
    machine,
    session: 1,
    dots: run.dots,
    target: { kind: "sim", virtualTime: true, seed: run.seed, firmware: family === "firmware" },
    faults: specs,
    sink,
    startedAt: "2026-01-01T00:00:00.000Z",
  });
  const rig = result.rig!;
  // the board runs on after the host has gone (a lease still to expire, a park still under way)
  rig.board.advanceTo(Math.floor((rig.scheduler.nowMs() + 1500) * 1000));
  const firstFault = sink.records.find((r): r is FaultRecord => r.type === "fault");
  // a run refused at its start because the board had an alarm latched (a reset, an e-stop before the session)
  // records it as the `latched` record it starts with, not as a fault: the board was never armed
  const latched = sink.records.find((r) => r.type === "latched");
  // a run refused because the board would not unlock has the cause its NAK names (docs/protocol.md §6.4)
  const unlockNak = /board refused UNLOCK: (\w+)/.exec(result.outcome.message)?.[1];
  const firstCause =
    firstFault?.code ??
    (result.outcome.ending === "alarmLatched" && latched?.type === "latched"
      ? latched.alarm
      : result.outcome.ending === "unlockRefused"
        ? (UNLOCK_REFUSAL_CAUSES[unlockNak ?? ""] ?? "")
        : "");
  const expectations = run.faults.map((f) => EXPECTATIONS[parseFaultSpec(f).kind]);
  const struck = rig.faultsStruck.length;
  // the fault that should stop the session: the first to strike, of a kind that must (or may) stop it, whose
  // expected causes hold the recorded one; else the first to strike of those kinds. (A broken spring that strikes
  // as the motor stalls cannot be seen with the cam at rest: STALL stops the run, on the stall's budget.)
  const stops = rig.faultsStruck.filter((f) => EXPECTATIONS[f.kind as FaultKind]?.stops !== false);
  const stopper = stops.find((f) => EXPECTATIONS[f.kind as FaultKind].causes.includes(firstCause)) ?? stops[0];
  // judged on the hazard of the stopping fault with the larger budget of a pair (see the header)
  const parkBudgetMs = (f: { kind: string }) =>
    HAZARD_BUDGETS[EXPECTATIONS[f.kind as FaultKind].hazard].parkedWithinMs ?? 0;
  const governing = stops.reduce<(typeof stops)[number] | undefined>(
    (a, f) => (a === undefined || parkBudgetMs(f) > parkBudgetMs(a) ? f : a),
    stopper,
  );
  const stopped = result.outcome.exitCode !== 0;
  const violations: string[] = [];
  const tipUm = rig.trueDeepestTipUm;
  const blind = blindDoubleFault(rig.faultsStruck);
  const sensedTipUm = Math.round(rig.plant.deepestSensedTipUm);
  if (blind) {
    // the board held what it could see, and the tip went no further than the sensor's error (its error at the
    // end of the run: a drift's only grows)
    const errorUm = Math.max(0, -rig.plant.sensorErrorUm());
    if (sensedTipUm > BOARD_DEFAULTS.hardMaxExtensionUm)
      violations.push(
        `deepest tip as the sensor read it ${sensedTipUm} um beyond the hard maximum ` +
          `${BOARD_DEFAULTS.hardMaxExtensionUm} um (${blind})`,
      );
    if (tipUm !== undefined && tipUm > BOARD_DEFAULTS.hardMaxExtensionUm + errorUm)
      violations.push(`true tip ${tipUm} um beyond the hard maximum + the sensor's error ${errorUm.toFixed(0)} um`);
  } else if (tipUm !== undefined && tipUm > BOARD_DEFAULTS.hardMaxExtensionUm)
    violations.push(`true tip ${tipUm} um beyond the hard maximum ${BOARD_DEFAULTS.hardMaxExtensionUm} um`);
  const heldOutOfReach = firstCause === "TARGET_UNREACHABLE";
  // (not with a depth fault beside it: a broken spring takes the tip past any command, held by the board instead)
  const depthFaultStruck = rig.faultsStruck.some((f) => DEPTH_FAULTS.includes(f.kind));
  const capped = depthFaultStruck
    ? undefined
    : (rig.faultsStruck.find((f) => EXPECTATIONS[f.kind as FaultKind]?.heldToCommandCap) ??
      (heldOutOfReach ? rig.faultsStruck[0] : undefined));
  const capUm = commandCapUm(
    { hardMaxExtensionUm: BOARD_DEFAULTS.hardMaxExtensionUm },
    machine.calibration.overtravelUm,
  );
  // (not beside a depth fault: a broken spring's park is timed whatever else ended the run)
  const capOnly =
    !depthFaultStruck &&
    (heldOutOfReach || (stopper !== undefined && EXPECTATIONS[stopper.kind as FaultKind].heldToCommandCap === true));
  if (capped && tipUm !== undefined && tipUm > capUm)
    violations.push(`true tip ${tipUm} um beyond the command cap ${capUm} um under ${capped.kind}`);
  let parkedAfterMs: number | undefined;
  let driveOffAfterMs: number | undefined;
  if (struck > 0) {
    const mustRide = expectations.every((e) => e.stops === false);
    // a fault that must stop the session: no burst that started after it struck (and its grace) may complete;
    // one striking after the last dot has nothing left to stop, the burst in flight may end before it shows
    // (a link that came back before the host first heard the board held up only the handshake: nothing was armed,
    // and the session starts late, as it should: seed 7466)
    const heardMs = sink.records.find((r) => r.type !== "header")?.tMs ?? Infinity;
    const outage = (kind: string) => {
      const spec = specs.find((x) => x.kind === kind);
      return spec && "atMs" in spec.trigger && spec.forMs !== undefined ? spec.trigger.atMs + spec.forMs : Infinity;
    };
    // (of a pair, the larger grace: a link down takes away what the host would have seen of the other fault, a
    // slow motor for one, and the board keeps the dots it holds under their lease: seed 7677)
    const graceMs = Math.max(0, ...rig.faultsStruck.map((f) => EXPECTATIONS[f.kind as FaultKind]?.graceMs ?? 0));
    for (const f of rig.faultsStruck) {
      const e = EXPECTATIONS[f.kind as FaultKind];
      if (e?.stops !== true) continue;
      if (f.kind === "disconnect" && outage(f.kind) < heardMs) continue;
      const later = new Set(rig.burstsStarted.filter((b) => b.atMs > f.atMs + graceMs).map((b) => b.dot));
      const completed = sink.records.filter((r) => r.type === "dot" && !r.partial && later.has(r.n)).length;
      if (completed > 0) violations.push(`${completed} dots started and completed after ${f.kind} struck`);
    }
    if (mustRide && stopped)
      violations.push(`a fault to ride out stopped the session: ${firstFault?.code ?? result.outcome.ending}`);
    if (stopped && stopper) {
      // the needle's last time out of park, from the strike or from the moment it went out after it
      const lastOutMs = rig.plant.lastOutOfParkUs / 1000;
      const outAfterStrike = lastOutMs > stopper.atMs;
      const fromMs = Math.max(stopper.atMs, rig.plant.outOfParkSinceUs / 1000);
      parkedAfterMs = outAfterStrike ? lastOutMs - fromMs : 0;
      const lastDriveMs = rig.plant.lastDriveOnUs / 1000;
      driveOffAfterMs = lastDriveMs > stopper.atMs ? lastDriveMs - fromMs : 0;
      const hazard = HAZARD_BUDGETS[EXPECTATIONS[governing!.kind as FaultKind].hazard];
      const budget = (key: "parkedWithinMs" | "driveOffWithinMs") => (capOnly ? Infinity : (hazard[key] ?? 0));
      if (parkedAfterMs > budget("parkedWithinMs"))
        violations.push(
          `needle parked ${parkedAfterMs.toFixed(1)} ms after the fault, budget ${budget("parkedWithinMs")} ms`,
        );
      if (driveOffAfterMs > budget("driveOffWithinMs"))
        violations.push(
          `drive off ${driveOffAfterMs.toFixed(1)} ms after the fault, budget ${budget("driveOffWithinMs")} ms`,
        );
      if (rig.plant.driveOn) violations.push("drive still on at the end");
      // a board that had the needle out after the fault must hold it latched until the operator unlocks; a target
      // out of reach is the host's hold, not a board fault: the board is disarmed, nothing latched (exit 4)
      if (outAfterStrike && rig.board.state !== "ALARM" && result.outcome.ending !== "held")
        violations.push(`board in ${rig.board.state}, not latched in ALARM`);
    }
    // a run that found no board (the link down through the whole handshake) armed nothing and says so in its end
    if (stopped && result.outcome.ending !== "noBoard") {
      const causes = expectations.flatMap((e) => e.causes);
      if (causes.length > 0 && !causes.includes(firstCause))
        violations.push(`first fault record ${firstCause || "(none)"}, expected one of ${causes.join(", ")}`);
    }
  }
  return {
    run,
    exitCode: result.outcome.exitCode,
    ending: result.outcome.ending,
    trueDeepestTipUm: tipUm,
    parkedAfterMs,
    driveOffAfterMs,
    firstFault,
    boardState: rig.board.state,
    boardAlarm: rig.board.alarm,
    struck,
    blindDoubleFault: blind,
    sensedDeepestTipUm: blind ? sensedTipUm : undefined,
    stopperKind: governing?.kind as FaultKind | undefined,
    heldToCommandCap: capped !== undefined && capOnly,
    violations,
  };
}

/** Fault kinds that make the needle sensor read shallow, and those that take the needle deeper than commanded. */
const SENSOR_SHALLOW: readonly string[] = ["sensor-offset", "sensor-drift"];
const DEPTH_FAULTS: readonly string[] = ["overshoot", "give-loss"];

/**
 * The one pair judged on the sensed tip, not the true one: the needle sensor starts reading shallow and a depth
 * fault strikes after it before any zero check could see the sensor (no bottom dead centre passed with the drive on,
 * the actuator parked and the sensor beyond the zero tolerance: docs/protocol.md §7.5). Every depth check on the
 * board is then blind by the sensor's error: two independent faults between two zero checks, beyond the single-fault
 * promise (docs/safety.md, sensor). Their description, or undefined for any other run.
 */
export function blindDoubleFault(
  struck: readonly { kind: string; atMs: number; shallowZeroChecks: number }[],
): string | undefined {
  const sensor = struck.find((f) => SENSOR_SHALLOW.includes(f.kind));
  const depth = struck.find((f) => DEPTH_FAULTS.includes(f.kind));
  if (!sensor || !depth || depth.atMs < sensor.atMs || depth.shallowZeroChecks > sensor.shallowZeroChecks)
    return undefined;
  return `${sensor.kind} then ${depth.kind} before a zero check could see it: a double fault the guard cannot see`;
}

/** How to replay one run from the command line. */
export const replayCommand = (run: CampaignRun) => `npm run test:faults -- --replay ${run.seed}`;
