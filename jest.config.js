// The test tiers as jest projects, each with its display name. `npm test` runs `unit`: the product's and
// the fast tools' tests, offline, with no engine. The others need what their name says (the project's
// commands as processes, checkov, an engine and the providers, the Azure stand-ins with an engine, the
// local control plane, the lab's node) and run only through their own npm scripts (`npm run test:<tier>`),
// which `.ci/run` runs in order. A test file's tier is its name's last part before `.test.ts`
// (`review/review.commands.test.ts`); its folder is what it tests.
// cdktn is npm test's suites on the second engine; the others are a test file's own tier.
const OWN_TIERS = ["commands", "scan", "terraform", "azure", "cluster", "lab"];
const TIERS = [...OWN_TIERS, "cdktn"];

// Transform with swc: no type-check per file (tsc checks once, in `npm test`).
const shared = {
  rootDir: __dirname,
  roots: ["<rootDir>/__tests__"],
  testEnvironment: "<rootDir>/__tests__/support/environment.js",
  setupFilesAfterEnv: ["<rootDir>/__tests__/support/setup.ts"],
  transform: {
    "^.+\\.ts$": ["@swc/jest", { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "commonjs" } }],
  },
};

/** @type {import('jest').Config} */
module.exports = {
  // Jest's default on 2 cores is one worker; most slow tests wait on child
  // processes (synth, git, engines), so two workers nearly halve the run.
  maxWorkers: 2,
  // A full run leaves the system temp folder as it found it (__tests__/support/temp-check.js).
  globalSetup: "<rootDir>/__tests__/support/global-setup.js",
  globalTeardown: "<rootDir>/__tests__/support/global-teardown.js",
  reporters: ["default", "<rootDir>/tools/build/jest-summary-reporter.js"],
  projects: [
    {
      ...shared,
      displayName: "unit",
      testMatch: ["**/*.test.ts"],
      testPathIgnorePatterns: ["/node_modules/", ...TIERS.map((tier) => `\\.${tier}\\.test\\.ts$`)],
    },
    ...OWN_TIERS.map((tier) => ({ ...shared, displayName: tier, testMatch: [`**/*.${tier}.test.ts`] })),
    {
      // npm test's suites again, and the engines' equivalence, on CDK Terrain: the same sources, with the
      // engine's packages taken from the second install (cdktn/, npm run tools:cdktn) as the bundle takes
      // them (tools/build/terrain-app.mjs), so no import in the product names the engine it runs on.
      ...shared,
      displayName: "cdktn",
      testMatch: ["**/*.test.ts"],
      testPathIgnorePatterns: ["/node_modules/", ...OWN_TIERS.map((tier) => `\\.${tier}\\.test\\.ts$`)],
      moduleNameMapper: {
        "^cdktf$": "<rootDir>/cdktn/node_modules/cdktn",
        "^cdktf/(.*)$": "<rootDir>/cdktn/node_modules/cdktn/$1",
        "^@cdktf/provider-azurerm/(.*)$": "<rootDir>/cdktn/node_modules/@cdktn/provider-azurerm/$1",
        "^@cdktf/provider-kubernetes/(.*)$": "<rootDir>/cdktn/node_modules/@cdktf/provider-kubernetes/$1",
        "^constructs$": "<rootDir>/cdktn/node_modules/constructs",
      },
    },
  ],
};
