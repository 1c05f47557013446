// Runs one of the project's TypeScript command modules: `node scripts/run-ts.mjs <entry.ts> [args]`.
// Bundles the entry with esbuild (packages stay in node_modules), cached under
// .synth-cache by the same source hash as synth, then calls its exported
// main(args) and exits with the code it returns.
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { appSourcesHash, bundle, cacheDir, root } from "./synth-cache.mjs";

const [given, ...args] = process.argv.slice(2);
// Relative to the project this script belongs to, whatever the working directory.
const entry = given && path.relative(root, path.resolve(root, given));
if (!entry || !fs.existsSync(path.join(root, entry))) {
  process.stderr.write(`run-ts: no such entry ${JSON.stringify(given ?? "")}\n`);
  process.exit(2);
}
process.env.CHECKPOINT_DISABLE ??= "1";
const name = entry.replace(/\.ts$/, "").replace(/[^\w]+/g, "-");
const outfile = path.join(cacheDir, `${name}-${appSourcesHash().slice(0, 16)}.cjs`);
if (!fs.existsSync(outfile)) await bundle(entry, outfile);
process.exitCode = await createRequire(import.meta.url)(outfile).main(args);
