// Lint rules for the whole repository (ESLint flat config, type-aware typescript-eslint). Run by `npm run lint`
// with zero warnings allowed, and by .ci/run before the tests. Formatting is Prettier's (.prettierrc.json); the
// import direction between folders is dependency-cruiser's (.dependency-cruiser.cjs). What this file adds to
// them: no clock and no process access in the pure core and the control loop, where time arrives as an argument.

import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** Folders whose code never reads a clock or the process: time reaches them only through the Scheduler port. */
const CLOCK_FREE = ["protocol", "safety", "profiles", "time", "errors", "log", "ports", "control"].map(
  (d) => `src/${d}/**/*.ts`,
);
const CLOCK_MESSAGE = "the pure core and control get time as an argument or through the Scheduler port";
/** Every global through which code could read a clock, wait, or reach the process. */
const CLOCK_GLOBALS = [
  "Date",
  "performance",
  "setTimeout",
  "setInterval",
  "setImmediate",
  "clearTimeout",
  "clearInterval",
  "clearImmediate",
  "process",
  "globalThis",
  "global",
];

export default tseslint.config(
  { ignores: ["node_modules/", "sessions/", "firmware-bridge/", "**/*.d.ts"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ["*.js", "*.cjs", "bin/*.js", "src/sim/*.mjs", "tests/fixtures/*.mjs"] },
      },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/switch-exhaustiveness-check": ["error", { considerDefaultExhaustiveForUnions: true }],
      eqeqeq: ["error", "always"],
      "max-len": ["error", { code: 120, ignoreUrls: true, ignoreRegExpLiterals: true }],
    },
  },
  {
    files: CLOCK_FREE,
    ignores: ["src/profiles/files.ts", "src/log/file.ts"],
    rules: {
      // the globals themselves, so that no alias (const D = Date) and no detour (globalThis.performance) is left
      "no-restricted-globals": ["error", ...CLOCK_GLOBALS.map((name) => ({ name, message: CLOCK_MESSAGE }))],
    },
  },
  {
    // ports are interfaces only: the code that implements them lives at the edges
    files: ["src/ports/**/*.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector:
            "Program > :not(:matches(ImportDeclaration, TSInterfaceDeclaration, TSTypeAliasDeclaration, " +
            "ExportNamedDeclaration[exportKind='type'], " +
            "ExportNamedDeclaration[declaration.type=/^TS(Interface|TypeAlias)Declaration$/]))",
          message: "src/ports holds types only",
        },
      ],
    },
  },
  {
    // tests read JSON output and records back as untyped data on purpose
    files: ["tests/**/*.ts", "hardware-tests/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
    },
  },
  {
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly", module: "readonly" } },
  },
);
