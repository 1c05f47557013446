// `npm run policy` (and a step of `npm test`): bundles policy/cli.ts with
// esbuild, cached by the same source hash as synth, and runs it.
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { appSourcesHash, bundle, cacheDir } from "./synth-cache.mjs";

process.env.CHECKPOINT_DISABLE ??= "1";
const outfile = path.join(cacheDir, `policy-${appSourcesHash().slice(0, 16)}.cjs`);
if (!fs.existsSync(outfile)) await bundle(path.join("policy", "cli.ts"), outfile);
createRequire(import.meta.url)(outfile);
