// `npm run test:faults [-- --runs N] [--from SEED] [--replay SEED]`: the fault campaign of docs/safety.md
// (tests/faults/campaign.ts) from the command line. The default size is the one `npm test` runs; --runs N for
// a nightly run. Prints every run with its seed, the worst true tip and time to needle parked per hazard
// against its budget, and exits 1 if any run broke a promise.

import { planRun, executeRun, replayCommand, EXPECTATIONS, type RunVerdict } from "../tests/faults/campaign.ts";
import { HAZARDS, type HazardBudget, type HazardName } from "../src/safety/hazards.ts";
import { parseFaultSpec } from "../src/sim/faults.ts";
import { CI_CAMPAIGN_RUNS } from "../tests/faults/sizes.ts";

function arg(name: string): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} expects a whole number, got ${process.argv[i + 1]}`);
  return n;
}

const replay = arg("replay");
const from = arg("from") ?? 1;
const runs = replay !== undefined ? 1 : (arg("runs") ?? CI_CAMPAIGN_RUNS);
const seeds = replay !== undefined ? [replay] : Array.from({ length: runs }, (_, i) => from + i);
const verdicts: RunVerdict[] = [];
for (const seed of seeds) {
  const v = await executeRun(planRun(seed));
  verdicts.push(v);
  const f = v.firstFault;
  process.stdout.write(
    `seed ${String(seed).padStart(5)} ${v.run.board.padEnd(15)} ${v.run.faults.join(" + ").padEnd(60)} ` +
      `exit ${v.exitCode} ${(f?.code ?? "-").padEnd(16)} tip ${v.trueDeepestTipUm ?? "-"} um` +
      (v.parkedAfterMs !== undefined ? ` parked ${v.parkedAfterMs.toFixed(1)} ms` : "") +
      (v.violations.length ? `  FAIL: ${v.violations.join("; ")}  (${replayCommand(v.run)})` : "") +
      "\n",
  );
}
const byHazard = new Map<HazardName, RunVerdict[]>();
for (const v of verdicts) {
  const h = EXPECTATIONS[v.stopperKind ?? parseFaultSpec(v.run.faults[0]!).kind].hazard;
  byHazard.set(h, [...(byHazard.get(h) ?? []), v]);
}
process.stdout.write(
  "\nhazard                runs  worst tip (um)  worst drive off (ms) / budget  worst parked (ms) / budget\n",
);
const worst = (vs: RunVerdict[], f: (v: RunVerdict) => number | undefined) => {
  const xs = vs.flatMap((v) => (f(v) !== undefined ? [f(v)!] : []));
  return xs.length ? Math.max(...xs).toFixed(1) : "-";
};
for (const [h, vs] of byHazard) {
  const tip = Math.max(...vs.map((v) => v.trueDeepestTipUm ?? -Infinity));
  const b = HAZARDS[h] as HazardBudget;
  const timed = vs.filter((v) => !v.heldToCommandCap); // a run held to the command cap has no park budget
  process.stdout.write(
    `${h.padEnd(20)} ${String(vs.length).padStart(5)}  ${String(tip).padStart(14)}  ` +
      `${worst(timed, (v) => v.driveOffAfterMs).padStart(20)} / ${String(b.driveOffWithinMs ?? "-").padEnd(6)}  ` +
      `${worst(timed, (v) => v.parkedAfterMs).padStart(17)} / ${String(b.parkedWithinMs ?? "-")}\n`,
  );
}
const blind = verdicts.filter((v) => v.blindDoubleFault !== undefined);
if (blind.length > 0)
  process.stdout.write(
    `\n${blind.length} runs with a sensor reading shallow, then a depth fault before a zero check (a double fault ` +
      `judged on the tip as the sensor read it): worst true tip ` +
      `${Math.max(...blind.map((v) => v.trueDeepestTipUm ?? -Infinity))} um, as read ` +
      `${Math.max(...blind.map((v) => v.sensedDeepestTipUm ?? -Infinity))} um\n`,
  );
const capped = verdicts.filter((v) => v.heldToCommandCap);
if (capped.length > 0)
  process.stdout.write(
    `\n${capped.length} runs held to the command cap (a drift, a target out of reach), no park budget: ` +
      `worst true tip ${Math.max(...capped.map((v) => v.trueDeepestTipUm ?? -Infinity))} um\n`,
  );
const failed = verdicts.filter((v) => v.violations.length > 0);
const kinds = new Set(verdicts.flatMap((v) => v.run.faults.map((f) => parseFaultSpec(f).kind)));
process.stdout.write(`\n${verdicts.length} runs, ${kinds.size} fault kinds, ${failed.length} failed\n`);
process.exitCode = failed.length > 0 ? 1 : 0;
