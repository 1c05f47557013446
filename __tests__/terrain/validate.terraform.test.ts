// The CDK Terrain stacks under the engine: what synth:cdktn writes (azurerm constrained to 4.73.0, the
// binding's pin) validates with OpenTofu and the toolchain's providers, as the CDKTF stacks do. The Go
// module proxy serves neither 4.55.0 nor 4.73.0, so both are checked against the same newer azurerm build
// (tools/engine/newer-provider.ts), which validate names. Needs npm run tools:terraform and tools:cdktn.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { loadToolchain, toolsCacheDir } from "../../tools/engine/toolchain";
import { loadTerrainTools, terrainCacheDir } from "../../tools/terrain/terrain";
import { copyOfProject } from "../support/helpers";

const repo = path.resolve(__dirname, "..", "..");
// A check that cannot run fails, saying what to build.
loadToolchain(repo, toolsCacheDir(process.env));
loadTerrainTools(terrainCacheDir(process.env));

function command(root: string, entry: string, args: string[]) {
  const result = spawnSync(process.execPath, [path.join(root, "tools", "build", "run-ts.mjs"), entry, ...args], { cwd: root, encoding: "utf8", env: { ...process.env, CHECKPOINT_DISABLE: "1" }, timeout: 600_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("the CDK Terrain stacks under the engine", () => {
  const root = copyOfProject("akskv-cdktn-validate-");
  // The second install is the checkout's (a symlink, as node_modules is); its type-check config comes along.
  fs.symlinkSync(path.join(repo, "cdktn"), path.join(root, "cdktn"), "dir");
  fs.copyFileSync(path.join(repo, "tsconfig.cdktn.json"), path.join(root, "tsconfig.cdktn.json"));

  test("npm run synth:cdktn, then npm run validate -- --no-synth: every stack valid on every engine, with azurerm constrained to 4.73.0", () => {
    const synth = command(root, "tools/terrain/synth-cli.ts", []);
    expect(synth.status).toBe(0);
    const stacks = fs.readdirSync(path.join(root, "cdktf.out", "stacks")).sort();
    expect(stacks).toEqual(["aks-dev", "aks-prod", "app-dev", "app-prod", "keyvault-dev", "keyvault-prod"]);
    const aks = JSON.parse(fs.readFileSync(path.join(root, "cdktf.out", "stacks", "aks-dev", "cdk.tf.json"), "utf8"));
    expect(aks.terraform.required_providers.azurerm.version).toBe("4.73.0");

    const result = command(root, "tools/engine/validate-cli.ts", ["--no-synth"]);
    expect(result.stderr).toBe("");
    const engines = /^engines: (.*?)(?: \(|$)/m.exec(result.stdout)![1].split(", ").map((e) => e.split(" ")[0]);
    for (const engine of engines) {
      for (const stack of stacks) expect(result.stdout.split("\n").find((l) => new RegExp(`^${stack}\\s+${engine}\\s`).test(l))).toMatch(/\svalid( \(|$)/);
    }
    // Which azurerm build judged them, said by validate itself.
    expect(result.stdout).toMatch(/^providers: azurerm \S+ \(stand-in for /m);
    expect(result.status).toBe(0);
  }, 600_000);
});
