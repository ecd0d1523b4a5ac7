// The board contract (contract.ts) on every board target of targets.ts: the TypeScript simulated board, the
// same behind serial.ts on a mock binding, the emulated firmware, and a real board when HIL_PORT is set; and the
// pedal contract (contract-pedal.ts) on the same targets.

import { describeContract } from "./contract.ts";
import { describePedalContract } from "./contract-pedal.ts";
import { TARGETS } from "./targets.ts";

for (const target of TARGETS) {
  describeContract(target);
  describePedalContract(target);
}
