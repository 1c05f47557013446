// The `app` command on CDK Terrain: what npm run synth:cdktn gives `cdktn synth --app`. It runs main.ts
// as tools/build/app.mjs does (type-check when the sources changed, bundle, run), on the second install
// (cdktn/, npm run tools:cdktn). The product imports cdktf and @cdktf/provider-azurerm; the bundle
// aliases them to cdktn and @cdktn/provider-azurerm, and tsconfig.cdktn.json maps them the same way for
// the type-check, so no source names the engine it runs on and none is duplicated. Aliasing here, not in
// the sources, keeps CDKTF the default and the switch one command. The bundle lives in cdktn/.build, so
// the packages it leaves external load from cdktn/node_modules: the Kubernetes binding's own
// require("cdktf") there finds the npm alias of cdktf to cdktn.
import * as fs from "node:fs";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import * as path from "node:path";
import { appSourcesHash, bundle, readStamp, root, typecheck, writeStamp } from "./build-cache.mjs";

const terrain = path.join(root, "cdktn");
const outfile = path.join(terrain, ".build", "main.cjs");
const lock = path.join(terrain, "package-lock.json");
if (!fs.existsSync(path.join(terrain, "node_modules", ".akskv-lock-sha256"))) {
  process.stderr.write("synth on CDK Terrain: cdktn/node_modules is not installed: run npm run tools:cdktn\n");
  process.exit(1);
}
const hash = createHash("sha256").update(appSourcesHash()).update(fs.readFileSync(lock)).digest("hex");

if (readStamp("typecheck-cdktn") !== hash) {
  process.stdout.write("Type-checking the stacks against CDK Terrain (their sources changed since the last check)...\n");
  if (typecheck("tsconfig.cdktn.json") !== 0) {
    process.stderr.write("synth on CDK Terrain stopped: fix the type errors above; nothing was synthesized\n");
    process.exit(1);
  }
  writeStamp("typecheck-cdktn", hash);
}
if (readStamp("bundle-cdktn") !== hash || !fs.existsSync(outfile)) {
  await bundle("main.ts", outfile, { alias: { cdktf: "cdktn", "@cdktf/provider-azurerm": "@cdktn/provider-azurerm" } });
  writeStamp("bundle-cdktn", hash);
}
process.env.AKSKV_SOURCES_HASH = hash;
createRequire(import.meta.url)(outfile);
