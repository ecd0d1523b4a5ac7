// The boards every contract test runs against, in one list: the board model in process, the board model
// behind the real serial transport on a mock binding, the emulated firmware, and a real board on HIL_PORT
// (reported as skipped, with its reason, when no port is configured).

import { firmwareTarget, realTarget, simTarget, type BoardTarget } from "./harness.ts";
import { serialSimTarget } from "./serial-target.ts";

export const TARGETS: readonly BoardTarget[] = [simTarget, serialSimTarget, firmwareTarget, realTarget];
