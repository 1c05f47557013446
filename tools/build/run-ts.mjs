// Runs one of the project's TypeScript command modules: `node tools/build/run-ts.mjs <entry.ts> [args]`.
// Bundles the entry with esbuild (packages stay in node_modules), cached under
// .build-cache by the same source hash as synth, then calls its exported
// main(args) and exits with the code it returns.
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { entryBundle, root } from "./build-cache.mjs";

const [given, ...args] = process.argv.slice(2);
// Relative to the project this script belongs to, whatever the working directory.
const entry = given && path.relative(root, path.resolve(root, given));
if (!entry || !fs.existsSync(path.join(root, entry))) {
  process.stderr.write(`run-ts: no such entry ${JSON.stringify(given ?? "")}\n`);
  process.exit(2);
}
process.env.CHECKPOINT_DISABLE ??= "1";
process.exitCode = await createRequire(import.meta.url)(await entryBundle(entry)).main(args);
