// The simulated boards `--sim` can build, one per machine kind of the profile schema plus the real firmware in
// emulation. The declaration (commands.ts) takes the --sim choices from here; the --machine default of each
// machine kind is the profile schema's DEFAULT_MACHINE_FILES.

import type { MachineKind } from "../profiles/schema.ts";

export interface SimBoardChoice {
  readonly machine: MachineKind;
  /** The real board firmware on an emulated ATmega328P instead of the TypeScript board model. */
  readonly firmware: boolean;
  /** The board as the summary's "board:" line and the --sim help name it. */
  readonly description: string;
}

/** The TypeScript board model with a simulated machine of this kind. */
const model = (machine: MachineKind): SimBoardChoice => ({
  machine,
  firmware: false,
  description: `simulated ${machine} machine`,
});

export const SIM_BOARDS = {
  rotary: model("rotary"),
  coil: model("coil"),
  firmware: {
    machine: "rotary",
    firmware: true,
    description: "board firmware on an emulated ATmega328P, simulated rotary machine",
  },
} as const satisfies Record<MachineKind | "firmware", SimBoardChoice>;
export type SimBoardName = keyof typeof SIM_BOARDS;
