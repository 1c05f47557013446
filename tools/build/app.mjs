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
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { adoptStep, adoptValidatedConfigs, appSourcesHash, bundle, cacheDir, readStamp, typecheck, writeStamp } from "./build-cache.mjs";

const outfile = path.join(cacheDir, "main.cjs");
const hash = appSourcesHash();

if (readStamp("typecheck") !== hash && !adoptStep("typecheck", hash)) {
  process.stdout.write("Type-checking the stacks (their sources changed since the last check)...\n");
  if (typecheck("tsconfig.app.json") !== 0) {
    // Same promise as for a bad config: nothing stale is left to deploy by mistake.
    const outdir = process.env.CDKTF_OUTDIR ?? "cdktf.out";
    fs.rmSync(path.join(outdir, "stacks"), { recursive: true, force: true });
    fs.rmSync(path.join(outdir, "manifest.json"), { force: true });
    process.stderr.write("synth stopped: fix the type errors above; nothing was synthesized\n");
    process.exit(1);
  }
  writeStamp("typecheck", hash);
}

if ((readStamp("bundle") !== hash || !fs.existsSync(outfile)) && !adoptStep("bundle", hash, ["main.cjs"])) {
  await bundle("main.ts", outfile);
  writeStamp("bundle", hash);
}

adoptValidatedConfigs();
process.env.AKSKV_SOURCES_HASH = hash;
createRequire(import.meta.url)(outfile);
