// `npm run synth:cdktn [-- --output <dir>]`
//
// Synthesizes the product's own sources with CDK Terrain: the cdktn CLI, on Node 22, runs
// tools/build/terrain-app.mjs, which bundles main.ts onto the second install. Same cdktf.json,
// same stacks; only the engine differs (docs/cdk-terrain.md).
import { spawnSync } from "child_process";
import * as path from "path";
import { reportFailure } from "../command";
import { parseFlags, wantsHelp } from "../flags";
import { loadTerrainTools, terrainCacheDir, TerrainToolsError } from "./terrain";

const USAGE = "usage: npm run synth:cdktn [-- --output <dir>]";
/** The CLI's synth of six stacks takes about 4 s; a hung one is ended and said so. */
const TIMEOUT_SECONDS = 180;

export async function main(args: readonly string[] = []): Promise<number> {
  if (wantsHelp(args)) {
    process.stdout.write(
      `${USAGE}\n\nSynthesizes every stack with CDK Terrain (cdktn synth, on Node 22) into --output (default cdktf.out, as cdktf synth).\n` +
        "The sources are this project's own: tools/build/terrain-app.mjs type-checks them against CDK Terrain's types\n" +
        "(tsconfig.cdktn.json) and bundles them with cdktf aliased to cdktn. Needs npm run tools:cdktn first.\n" +
        `Ends the CLI after ${TIMEOUT_SECONDS} s.\n`,
    );
    return 0;
  }
  try {
    const flags = parseFlags(args, { values: ["--output"] }, USAGE);
    const tools = loadTerrainTools(terrainCacheDir(process.env));
    const result = spawnSync(tools.node, [tools.cli, "synth", "--app", `node ${path.join("tools", "build", "terrain-app.mjs")}`, "--output", flags.get("--output") ?? "cdktf.out"], {
      stdio: "inherit",
      // The CLI checks the Node on PATH (node --version), and the app runs on it: Node 22 for both.
      env: { CHECKPOINT_DISABLE: "1", ...process.env, PATH: `${path.dirname(tools.node)}${path.delimiter}${process.env.PATH}` },
      timeout: TIMEOUT_SECONDS * 1000,
      killSignal: "SIGKILL",
    });
    if (result.error || result.signal) throw new TerrainToolsError(`cdktn synth did not finish within ${TIMEOUT_SECONDS} s (${result.error?.message ?? result.signal}); nothing it wrote is complete`);
    return result.status ?? 1;
  } catch (error) {
    return reportFailure("synth:cdktn", error, [TerrainToolsError]);
  }
}
