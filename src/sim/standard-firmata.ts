// The StandardFirmata build the emulated operator console runs (issue 8; ../shared/brief/firmata.md): another
// project's binary (LGPL firmware), so it is never committed. It is fetched once from the npm registry, inside the
// avrgirl-arduino 5.0.1 tarball (`npm pack`: the package itself is never installed), checked against its sha256
// and cached outside git. `npm run fetch:firmata` (scripts/fetch-firmata.ts, called by `npm test`) does it.

import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";

export const STANDARD_FIRMATA = {
  /** The npm package whose tarball carries the build, and the file inside it. */
  package: "avrgirl-arduino@5.0.1",
  member: "package/junk/hex/uno/StandardFirmata.cpp.hex",
  sha256: "6d57ea7cf30e26c9c2f3a01ee37907d2c951f8bc9c27f84dddad12fa9c8b8f36",
  /** What it reports in its firmware query: "StandardFirmata.ino" 2.4, on an Arduino Uno at 57600 baud. */
  name: "StandardFirmata.ino",
  baud: 57600,
} as const;

/** Where the build is cached: $SMP_CACHE_DIR, else ~/.cache/smp-rig. */
export function standardFirmataPath(): string {
  const dir = process.env["SMP_CACHE_DIR"] ?? join(homedir(), ".cache", "smp-rig");
  return join(dir, "firmata", `StandardFirmata-uno-${STANDARD_FIRMATA.sha256.slice(0, 12)}.hex`);
}

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/** The cached build's path if it is there and intact, else undefined. */
export function cachedStandardFirmata(): string | undefined {
  const path = standardFirmataPath();
  return existsSync(path) && sha256(readFileSync(path)) === STANDARD_FIRMATA.sha256 ? path : undefined;
}

/** The build's path, fetched first if it is not cached (needs the npm registry). Throws naming what failed. */
export function ensureStandardFirmata(log: (line: string) => void = () => {}): string {
  const cached = cachedStandardFirmata();
  if (cached) return cached;
  const path = standardFirmataPath();
  const work = mkdtempSync(join(tmpdir(), "smp-firmata-"));
  try {
    log(`fetching ${STANDARD_FIRMATA.member} from ${STANDARD_FIRMATA.package} (npm pack) ...`);
    const tarball = execFileSync("npm", ["pack", STANDARD_FIRMATA.package, "--silent"], {
      cwd: work,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();
    execFileSync("tar", ["-xzf", join(work, tarball), "-C", work, STANDARD_FIRMATA.member], { stdio: "pipe" });
    const bytes = readFileSync(join(work, STANDARD_FIRMATA.member));
    const got = sha256(bytes);
    if (got !== STANDARD_FIRMATA.sha256)
      throw new Error(`${STANDARD_FIRMATA.member} has sha256 ${got}, expected ${STANDARD_FIRMATA.sha256}`);
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(`${path}.part`, bytes);
    renameSync(`${path}.part`, path); // whole or not at all
    log(`cached ${path}`);
    return path;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
