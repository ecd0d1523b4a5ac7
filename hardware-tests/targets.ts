// The boards every contract test runs against, in one list: the board model in process, the board model behind the
// real serial transport on a mock binding, the emulated firmware, and a real board on HIL_PORT (reported as skipped,
// with its reason, when no port is configured; its inputs worked by the bench fixture with HIL_FIXTURE). The tests
// that need a hand on the hardware also run on the emulated firmware through the emulated fixture
// (HANDS_ON_TARGETS).

import { emulatedFixtureTarget, withBenchFixture } from "./fixture.ts";
import { firmwareTarget, realTarget, simTarget, type BoardTarget } from "./harness.ts";
import { serialSimTarget } from "./serial-target.ts";

export const TARGETS: readonly BoardTarget[] = [
  simTarget,
  serialSimTarget,
  firmwareTarget,
  withBenchFixture(realTarget),
];

/** Where the hands-on tests also run: the emulated firmware with its inputs worked by the emulated fixture. */
export const HANDS_ON_TARGETS: readonly BoardTarget[] = [emulatedFixtureTarget];
