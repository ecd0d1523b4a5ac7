// The folder matrix: which part of src/ may import which, written down once and enforced by
// dependency-cruiser (`npm run lint:deps`, run by .ci/run; tests/architecture.test.ts also proves that a
// wrong import fails it). Clock and process access in the pure core is ESLint's (eslint.config.js).
//
// Layers, bottom up: errors, protocol, time, ports (types only), log records, safety, profiles = the pure
// core; control on top of it; the edges that implement its ports (transport, console, wallclock, sim,
// log/file.ts, profiles/files.ts); the composition roots (app, cli, index.ts). Nothing imports upwards.

/** Each unit of the matrix and the files it covers. */
const UNITS = {
  errors: "^src/errors/",
  protocol: "^src/protocol/",
  time: "^src/time/",
  ports: "^src/ports/",
  log: "^src/log/(?!file\\.ts$)",
  logFile: "^src/log/file\\.ts$",
  safety: "^src/safety/",
  profiles: "^src/profiles/(?!files\\.ts$)",
  profileFiles: "^src/profiles/files\\.ts$",
  control: "^src/control/",
  transport: "^src/transport/",
  console: "^src/console/",
  wallclock: "^src/wallclock/",
  sim: "^src/sim/(?!faults\\.ts$)",
  simFaults: "^src/sim/faults\\.ts$",
  app: "^src/app/",
  cli: "^src/cli/",
  index: "^src/index\\.ts$",
};

/**
 * unit -> the units it may import. "lazy:sim" = only `import type` or a dynamic `import()` of the simulator,
 * so that a session on a real port never loads it. src/sim/faults.ts (simFaults), the fault-spec vocabulary,
 * is the one part of sim that app and cli import statically (the CLI parses host faults for real ports too),
 * so it may itself import nothing of the simulator. Every file in src/ belongs to exactly one unit.
 */
const MATRIX = {
  errors: [],
  protocol: ["errors"],
  time: [],
  ports: ["log", "time", "protocol"],
  log: ["protocol", "errors"],
  logFile: ["log", "ports", "errors"],
  safety: ["protocol", "errors", "time"],
  profiles: ["safety", "protocol", "errors"],
  profileFiles: ["profiles", "errors"],
  control: ["protocol", "safety", "profiles", "time", "errors", "log", "ports"],
  transport: ["protocol", "errors", "ports"],
  console: ["ports", "profiles", "errors"],
  wallclock: ["time"],
  sim: ["simFaults", "protocol", "time", "errors", "profiles", "ports", "wallclock", "log", "safety"],
  simFaults: ["errors", "time"],
  app: [
    "control",
    "protocol",
    "safety",
    "profiles",
    "time",
    "errors",
    "log",
    "ports",
    "wallclock",
    "simFaults",
    "lazy:sim",
  ],
  cli: [
    "app",
    "control",
    "protocol",
    "safety",
    "profiles",
    "profileFiles",
    "time",
    "errors",
    "log",
    "logFile",
    "ports",
    "transport",
    "console",
    "wallclock",
    "simFaults",
    "lazy:sim",
  ],
  index: ["app", "profiles", "profileFiles", "protocol", "log", "errors"],
};

/** The pure core and control: no I/O, no third-party code but zod (crypto only for content hashes). */
const PURE = ["errors", "protocol", "time", "ports", "log", "safety", "profiles", "control"];

const alt = (units) => `(${units.map((u) => UNITS[u].replace(/^\^/, "")).join("|")})`;

const matrixRules = Object.entries(MATRIX).map(([unit, allowed]) => {
  const plain = allowed.filter((a) => !a.startsWith("lazy:"));
  const lazy = allowed.filter((a) => a.startsWith("lazy:")).map((a) => a.slice(5));
  return {
    name: `matrix-${unit}`,
    comment: `${unit} may import only: ${allowed.join(", ") || "nothing in src"}`,
    severity: "error",
    from: { path: UNITS[unit] },
    to: { path: "^src/", pathNot: `^${alt([unit, ...plain, ...lazy])}` },
  };
});

const lazyRules = Object.entries(MATRIX).flatMap(([unit, allowed]) =>
  allowed
    .filter((a) => a.startsWith("lazy:"))
    .map((a) => a.slice(5))
    .map((target) => ({
      name: `lazy-${unit}-${target}`,
      comment: `${unit} reaches ${target} only by import type or a dynamic import()`,
      severity: "error",
      from: { path: UNITS[unit] },
      to: {
        path: UNITS[target],
        dependencyTypesNot: ["type-only", "dynamic-import"],
      },
    })),
);

module.exports = {
  forbidden: [
    {
      name: "every-file-in-a-unit",
      comment: "a file in src/ outside every unit of the matrix would escape it: add its unit to UNITS and MATRIX",
      severity: "error",
      from: { path: "^src/", pathNot: `^${alt(Object.keys(UNITS))}` },
      to: {},
    },
    ...matrixRules,
    ...lazyRules,
    {
      name: "pure-no-node-io",
      comment: "the pure core and control never reach Node's I/O modules (crypto only, for content hashes)",
      severity: "error",
      from: { path: `^${alt(PURE)}` },
      to: { dependencyTypes: ["core"], pathNot: "^(node:)?crypto$" },
    },
    {
      name: "pure-no-packages",
      comment: "the pure core and control use no third-party package but zod",
      severity: "error",
      from: { path: `^${alt(PURE)}` },
      to: { path: "node_modules/", pathNot: "node_modules/zod/" },
    },
    {
      name: "avr8js-only-in-the-emulator",
      comment: "the AVR emulator is loaded by src/sim/firmware-mcu.ts alone (the emulated MCU of src/sim/firmware.ts)",
      severity: "error",
      from: { pathNot: "^src/sim/firmware-mcu\\.ts$" },
      to: { path: "node_modules/avr8js/" },
    },
    {
      name: "serialport-only-at-the-port-edges",
      comment: "serialport is used by the serial transport, the operator console and the pseudo-terminal board only",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/(transport/|console/|sim/pty\\.ts$)" },
      to: { path: "node_modules/(serialport|@serialport)/" },
    },
    {
      name: "no-circular",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true, viaOnly: { dependencyTypesNot: ["type-only"] } },
    },
    { name: "not-to-unresolvable", severity: "error", from: {}, to: { couldNotResolve: true } },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"] },
    exclude: { path: "^(firmware-bridge|sessions)/" },
  },
};
