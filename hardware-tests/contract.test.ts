// The board contract (contract.ts) on every board target of targets.ts: the TypeScript simulated board, the
// same behind serial.ts on a mock binding, the emulated firmware, and a real board when HIL_PORT is set; and the
// pedal contract (contract-pedal.ts) on the same targets; the hands-on tests also through the emulated bench fixture.

import { describeContract } from "./contract.ts";
import { describePedalContract } from "./contract-pedal.ts";
import { HANDS_ON_TARGETS, TARGETS } from "./targets.ts";

for (const target of TARGETS) {
  describeContract(target);
  describePedalContract(target);
}

/** The contract's tests that need a hand on the hardware, through the emulated bench fixture. */
export const HANDS_ON_TESTS = ["keeps the e-stop button's alarm", "latches CARTRIDGE_MISSING", "latches PEDAL_FAULT"];
for (const target of HANDS_ON_TARGETS) {
  describeContract(target, HANDS_ON_TESTS);
  describePedalContract(target);
}
