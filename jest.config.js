// Transform with swc: no type-check per file (tsc checks once, in `npm test`).
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "<rootDir>/__tests__/environment.js",
  // Jest's default on 2 cores is one worker; most slow tests wait on child
  // processes (synth, git, engines), so two workers nearly halve the run.
  maxWorkers: 2,
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  // Tests that need a terraform binary, checkov, the control plane or the lab, and those that run the
  // project's commands as processes (npm run test:commands), run only with their own npm scripts.
  testPathIgnorePatterns: ["/node_modules/", "\\.commands\\.test\\.ts$", "\\.terraform\\.test\\.ts$", "\\.scan\\.test\\.ts$", "\\.cluster\\.test\\.ts$", "\\.lab\\.test\\.ts$", "\\.azure\\.test\\.ts$"],
  transform: {
    "^.+\\.ts$": [
      "@swc/jest",
      { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "commonjs" } },
    ],
  },
  setupFilesAfterEnv: ["<rootDir>/__tests__/setup.ts"],
  // A full run leaves the system temp folder as it found it (__tests__/temp-check.js).
  globalSetup: "<rootDir>/__tests__/global-setup.js",
  globalTeardown: "<rootDir>/__tests__/global-teardown.js",
  reporters: ["default", "<rootDir>/tools/build/jest-summary-reporter.js"],
};
