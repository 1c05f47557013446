// `npm run tools:cdktn [-- --help]`
//
// Installs CDK Terrain beside the product's own install (tools/terrain/terrain.ts):
// Node 22 for its CLI into the tools cache, and cdktn/node_modules from cdktn/package-lock.json.
import { toolsCommand } from "../command";
import { ensureTerrainTools, NODE_22, terrainCacheDir, TerrainToolsError } from "./terrain";

export const main = toolsCommand(
  "tools:cdktn",
  "Installs CDK Terrain, the second engine (docs/cdk-terrain.md), for npm run synth:cdktn and npm run test:cdktn:\n" +
    `  Node ${NODE_22.version} (the cdktn CLI needs 22.19 or later) from the npm registry's ${NODE_22.package}, integrity-checked, into\n` +
    "    $AKSKV_CDKTN_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/aks-keyvault-cdktf/cdktn\n" +
    "  cdktn/node_modules: npm ci from cdktn/package-lock.json (no install scripts)\n" +
    "A second run with everything in place only checks.\n",
  [TerrainToolsError],
  async (log) => {
    const started = Date.now();
    const v = (await ensureTerrainTools(terrainCacheDir(process.env), log)).versions;
    return `CDK Terrain ready in ${((Date.now() - started) / 1000).toFixed(1)} s: cdktn ${v.cdktn}, cdktn-cli ${v.cli}, @cdktn/provider-azurerm ${v.azurermBinding}, @cdktf/provider-kubernetes ${v.kubernetesBinding}, Node ${NODE_22.version}`;
  },
);
