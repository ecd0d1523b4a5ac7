// Fault injection vocabulary shared by tests and `smp run --fault SPEC`. A spec is
//   KIND[,atDot=N][,afterMs=M][,atMs=T][,rate=R][,count=C][,ms=D][,forMs=F][,dir=tx|rx|both]
// Byte level (on the simulated cable): flip, drop, dup, delay, disconnect (for forMs), unplug (the cable stops
//   for good and the host's transport reports close).
// Device level (in the simulated board/plant): stall, slow (the motor turns at 40 % of its speed: punctures
//   keep coming, no stall, but a burst overruns the dwell cap), runaway (the motor 60 % faster than driven),
//   overcurrent, overshoot (broken cartridge spring: no give, and the needle slides up to 600 um ahead of its
//   actuator), give-loss (the cartridge gives no more under load), sensor-stuck, sensor-dropout, sensor-offset (the
//   needle position sensor reads 150 um shallow), sensor-drift (it reads shallower by 1 um every ms), reset (through
//   the reset pin), watchdog (the firmware hangs and its watchdog resets the board), brownout (the supply sags:
//   a brown-out reset), pedal-stuck, pedal-release, estop-button, actuator-feedback-stuck (the actuator's
//   position feedback freezes where it is; the actuator still moves).
// Operator and host: estop (operator presses e-stop on the workstation), stop, hang (host process frozen).
// Triggers: atDot=N fires when the board starts dot N's burst, plus afterMs; atMs=T fires T ms after the
// run starts. Without a trigger a fault fires at dot 3, 75 ms into its burst (needle in the skin).

import { SmpError } from "../errors/errors.ts";
import type { Scheduler } from "../time/scheduler.ts";

export const BYTE_FAULTS = ["flip", "drop", "dup", "delay", "disconnect", "unplug"] as const;
export const DEVICE_FAULTS = [
  "stall",
  "slow",
  "runaway",
  "overcurrent",
  "overshoot",
  "give-loss",
  "sensor-stuck",
  "sensor-dropout",
  "sensor-offset",
  "sensor-drift",
  "reset",
  "watchdog",
  "brownout",
  "pedal-stuck",
  "pedal-release",
  "estop-button",
  "actuator-feedback-stuck",
] as const;
export const HOST_FAULTS = ["estop", "stop", "hang"] as const;
export type FaultKind = (typeof BYTE_FAULTS)[number] | (typeof DEVICE_FAULTS)[number] | (typeof HOST_FAULTS)[number];
const ALL_KINDS: readonly string[] = [...BYTE_FAULTS, ...DEVICE_FAULTS, ...HOST_FAULTS];

export interface FaultSpec {
  readonly kind: FaultKind;
  readonly trigger: { readonly atDot: number; readonly afterMs: number } | { readonly atMs: number };
  readonly rate?: number;
  readonly count?: number;
  readonly ms?: number;
  readonly forMs?: number;
  readonly dir?: "tx" | "rx" | "both";
}

const NUMERIC_KEYS = ["atDot", "afterMs", "atMs", "rate", "count", "ms", "forMs"] as const;

export function parseFaultSpec(text: string): FaultSpec {
  const [kind = "", ...params] = text.split(",");
  const bad = (field: string, value: unknown, limit: string) =>
    new SmpError("INVALID_INPUT", `--fault ${text}: ${field} = ${JSON.stringify(value)}: ${limit}`, [
      { field: `--fault ${field}`, value, limit },
    ]);
  if (!ALL_KINDS.includes(kind)) throw bad("kind", kind, `expected one of ${ALL_KINDS.join(", ")}`);
  const values: Record<string, number> = {};
  let dir: FaultSpec["dir"];
  for (const p of params) {
    const [key = "", value = ""] = p.split("=");
    if (key === "dir") {
      if (value !== "tx" && value !== "rx" && value !== "both") throw bad("dir", value, "expected tx, rx or both");
      dir = value;
      continue;
    }
    if (!(NUMERIC_KEYS as readonly string[]).includes(key))
      throw bad(key, value, `unknown parameter; expected ${[...NUMERIC_KEYS, "dir"].join(", ")}`);
    const n = Number(value);
    if (value === "" || !Number.isFinite(n) || n < 0) throw bad(key, value, "expected a number >= 0");
    if (key === "rate" && n > 1) throw bad(key, value, "a probability must be at most 1");
    if ((key === "atDot" || key === "count") && !Number.isInteger(n)) throw bad(key, value, "expected a whole number");
    values[key] = n;
  }
  if (values.atMs !== undefined && values.atDot !== undefined)
    throw bad("atMs", values.atMs, "give atDot or atMs, not both");
  const trigger =
    values.atMs !== undefined ? { atMs: values.atMs } : { atDot: values.atDot ?? 3, afterMs: values.afterMs ?? 75 };
  const { rate, count, ms, forMs } = values;
  return {
    kind: kind as FaultKind,
    trigger,
    ...(rate !== undefined ? { rate } : {}),
    ...(count !== undefined ? { count } : {}),
    ...(ms !== undefined ? { ms } : {}),
    ...(forMs !== undefined ? { forMs } : {}),
    ...(dir ? { dir } : {}),
  };
}

/** Run fn at a trigger: atMs from now, or afterMs into the burst of dot atDot (bursts reported by `bursts`). */
export function whenTriggered(
  scheduler: Scheduler,
  bursts: ((dot: number) => void)[],
  trigger: FaultSpec["trigger"],
  fn: () => void,
): void {
  if ("atMs" in trigger) {
    scheduler.at(scheduler.nowMs() + trigger.atMs, fn);
    return;
  }
  let armed = true;
  bursts.push((dot) => {
    if (!armed || dot !== trigger.atDot) return;
    armed = false;
    scheduler.at(scheduler.nowMs() + trigger.afterMs, fn);
  });
}

/** Faults acted out by the host (the operator's stop and e-stop, a frozen host process), not by the rig. */
export const isHostFault = (f: FaultSpec): boolean => (HOST_FAULTS as readonly string[]).includes(f.kind);

/**
 * Which of these fault specs can run on a real port, where there is no simulated rig: only the host's faults
 * (HOST_FAULTS), and only at a time (atMs=), there being no dots to count on the rig. Undefined when all of
 * them can; otherwise why the first one cannot, for a usage message.
 */
export function realPortRefusal(faults: readonly FaultSpec[]): string | undefined {
  const refused = faults.find((f) => !isHostFault(f) || !("atMs" in f.trigger));
  if (refused === undefined) return undefined;
  return isHostFault(refused)
    ? `--fault ${refused.kind} needs atMs= on a real port`
    : `--fault ${refused.kind} needs the simulated board (--sim); ` +
        `on a real port only the host's faults (${HOST_FAULTS.join(", ")}), with atMs=`;
}

export const isByteFault = (k: FaultKind): k is (typeof BYTE_FAULTS)[number] =>
  (BYTE_FAULTS as readonly string[]).includes(k);
export const isDeviceFault = (k: FaultKind): k is (typeof DEVICE_FAULTS)[number] =>
  (DEVICE_FAULTS as readonly string[]).includes(k);
