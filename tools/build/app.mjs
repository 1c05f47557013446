// The `app` command of cdktf.json. Runs main.ts in three steps:
//  1. type-check the stacks with tsc, only when their sources changed since the
//     last successful check (a type error stops synth instead of synthesizing);
//  2. bundle the project's own TypeScript with esbuild (packages stay external
//     and load from node_modules), only when the sources changed;
//  3. run the bundle.
// Both caches are keyed by a hash of the sources (tools/build/build-cache.mjs), so
// synth never runs stale output. AKSKV_SYNTH_CACHE_FROM may name another
// checkout's .build-cache to take both steps over from, where its sources are
// the same. See "How synth and type-checking relate" in the README.
import * as path from "node:path";
import { adoptValidatedConfigs, appSourcesHash, cacheDir, runApp } from "./build-cache.mjs";

adoptValidatedConfigs();
await runApp({ stamp: "", tsconfig: "tsconfig.app.json", outfile: path.join(cacheDir, "main.cjs"), hash: appSourcesHash(), adopt: true });
