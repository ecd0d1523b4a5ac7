// Which runs are allowed, pure: the rules about a profile, a machine calibration, the board and the
// operator's approvals taken together, checked once every file is valid on its own and before anything
// moves. A refused run is ONE SmpError naming field, value and limit. runSession (app/session.ts) calls
// checkRunAllowed for every run, whoever starts it; the CLI also calls it first, before it opens anything, with
// its flags' names and its --sim board. The rules live here, not in the CLI.

import { SmpError } from "../errors/errors.ts";
import { ENVELOPES } from "../safety/limits.ts";
import { zonesForSession } from "./dots.ts";
import type { LoadedMachine, LoadedProfile } from "./load.ts";
import type { MachineKind, SessionNumber } from "./schema.ts";

export interface RunRequest {
  readonly profile: LoadedProfile;
  readonly machine: LoadedMachine;
  /** The calibration as the messages name it (the CLI: "--machine FILE"); default its source file. */
  readonly machineName?: string;
  readonly session: SessionNumber;
  /** An engineer has approved running a profile that declares the engineer envelope. */
  readonly engineerApproved: boolean;
  /** The simulated board, when the run uses one: the machine kind it models and its name in messages. */
  readonly simulated?: { readonly machine: MachineKind; readonly name: string };
}

/** How the caller's user gives each approval, for the messages (e.g. the CLI's flag). */
export interface ApprovalHints {
  readonly engineer: string;
}

const DEFAULT_HINTS: ApprovalHints = { engineer: "an engineer must approve the run" };

/**
 * Throws the first rule the run breaks, in this order: an engineer-envelope profile needs an engineer's
 * approval; a simulated board must model the calibrated machine's kind; the session must have zones.
 */
export function checkRunAllowed(r: RunRequest, hints: ApprovalHints = DEFAULT_HINTS): void {
  const envelope = r.profile.profile.envelope;
  if (envelope === "engineer" && !r.engineerApproved) {
    const deepestMm = ENVELOPES.engineer.extensionUm.max / 1000;
    throw new SmpError(
      "LIMIT",
      `${r.profile.source}: envelope = "engineer": allows extension up to ${deepestMm} mm; ${hints.engineer}`,
      [{ field: "envelope", value: envelope, limit: "needs an engineer's approval" }],
    );
  }
  const kind = r.machine.calibration.machine;
  if (r.simulated !== undefined && kind !== r.simulated.machine) {
    const limit = `${r.simulated.name} simulates a ${r.simulated.machine} machine`;
    throw new SmpError("INVALID_INPUT", `${r.machineName ?? r.machine.source} is a ${kind} machine but ${limit}`, [
      { field: "machine", value: kind, limit },
    ]);
  }
  if (zonesForSession(r.profile.profile, r.session).length === 0) {
    throw new SmpError("INVALID_INPUT", `${r.profile.source} has no zone with session ${r.session}`, [
      { field: "session", value: r.session, limit: "no zone has it" },
    ]);
  }
}
