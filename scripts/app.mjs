// The `app` command of cdktf.json. esbuild bundles the project's own
// TypeScript (packages stay external and load from node_modules) into one
// CommonJS file on every run, in tens of milliseconds, so synth never runs
// stale output and never waits for a type-check. Types are checked by
// `npm test` (tsc --noEmit); see "How synth and type-checking relate" in the README.
import { buildSync } from "esbuild";
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

// Paths from this file, so tests can run the app against a project in a temporary directory.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outfile = path.join(root, "node_modules/.cache/aks-keyvault/main.cjs");
buildSync({
  entryPoints: [path.join(root, "main.ts")],
  outfile,
  bundle: true,
  packages: "external",
  platform: "node",
  target: "node20",
  format: "cjs",
  // Used only when asked for: NODE_OPTIONS=--enable-source-maps npx cdktf synth.
  // Always on, it costs ~200 ms: cdktf captures a stack trace for every token.
  sourcemap: "inline",
  logLevel: "warning",
});
createRequire(import.meta.url)(outfile);
