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
import * as path from "node:path";
import { appSourcesHash, root, runApp } from "./build-cache.mjs";

const terrain = path.join(root, "cdktn");
const lock = fs.readFileSync(path.join(terrain, "package-lock.json"));
// The stamp ensureTerrainTools (tools/terrain/terrain.ts) writes after npm ci: the lockfile's hash.
const installed = path.join(terrain, "node_modules", ".akskv-lock-sha256");
if (!fs.existsSync(installed) || fs.readFileSync(installed, "utf8") !== createHash("sha256").update(lock).digest("hex")) {
  process.stderr.write("synth on CDK Terrain: cdktn/node_modules is missing or not from cdktn/package-lock.json: run npm run tools:cdktn\n");
  process.exit(1);
}
await runApp({
  stamp: "-cdktn",
  tsconfig: "tsconfig.cdktn.json",
  outfile: path.join(terrain, ".build", "main.cjs"),
  hash: createHash("sha256").update(appSourcesHash()).update(lock).digest("hex"),
  engine: "CDK Terrain",
  bundleOptions: { alias: { cdktf: "cdktn", "@cdktf/provider-azurerm": "@cdktn/provider-azurerm" } },
});
