// `npm run fetch:firmata`: fetch and cache the StandardFirmata build the emulated operator console runs
// (src/sim/standard-firmata.ts). Called by `npm test` before the tests; a no-op when the cache is intact.
import { ensureStandardFirmata } from "../src/sim/standard-firmata.ts";

try {
  const path = ensureStandardFirmata((line) => console.log(`fetch:firmata: ${line}`));
  console.log(`fetch:firmata: ${path}`);
} catch (e) {
  console.error(`fetch:firmata: ${(e as Error).message}`);
  console.error("fetch:firmata: the emulated console's tests need it; the npm registry must be reachable once");
  process.exitCode = 1;
}
