// The CDK Terrain stacks under the engine: what synth:cdktn writes (azurerm constrained to 4.73.0, the
// binding's pin) validates with OpenTofu and the toolchain's providers, as the CDKTF stacks do; and each
// environment's chain, planned and applied against mock providers, holds the same resources and outputs
// on both engines and no secret value. The Go
// module proxy serves neither 4.55.0 nor 4.73.0, so both are checked against the same newer azurerm build
// (tools/engine/newer-provider.ts), which validate names. Needs npm run tools:terraform and tools:cdktn.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { loadToolchain, toolsCacheDir } from "../../tools/engine/toolchain";
import { loadTerrainTools, terrainCacheDir } from "../../tools/terrain/terrain";
import { baseConfig, copyOfProject, hardenedConfig, removeTempDirs, type Json } from "../support/helpers";
import { deployChain, MARKER, type Chain } from "../engine/mock-chain";

const repo = path.resolve(__dirname, "..", "..");
// A check that cannot run fails, saying what to build.
const toolchain = loadToolchain(repo, toolsCacheDir(process.env));
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

describe.each([
  ["dev", () => baseConfig("dev")],
  ["prod", () => hardenedConfig("prod")],
] as const)("%s on both engines, planned and applied by OpenTofu against mock providers", (env, config) => {
  const secret = JSON.stringify({ password: MARKER });
  const chains: Partial<Record<"cdktf" | "cdktn", Chain>> = {};
  beforeAll(async () => {
    for (const engine of ["cdktf", "cdktn"] as const) chains[engine] = await deployChain(toolchain, env, config(), secret, engine);
  }, 600_000);
  afterAll(() => removeTempDirs());

  const stages = ["aks", "keyVault", "app"] as const;
  /** Each stage's planned changes and applied state, by address: what a reviewer and the state would show. */
  const shape = (chain: Chain) =>
    Object.fromEntries(stages.map((stage) => {
      const run = chain[stage];
      const state = run.states.apply;
      return [stage, {
        planned: Object.values(run.plans).flatMap((plan: Json) => (plan.resource_changes ?? []).map((c: Json) => `${c.address} ${c.change.actions.join("+")}`)).sort(),
        applied: (state?.values?.root_module?.resources ?? []).map((r: Json) => r.address).sort(),
        outputs: Object.keys(state?.values?.outputs ?? {}).sort(),
      }];
    }));

  test("the same planned changes, applied resources and outputs, stack by stack", () => {
    // CDK Terrain's stacks, by their binding's pin.
    expect(chains.cdktn!.project.json(`aks-${env}`).terraform.required_providers.azurerm.version).toBe("4.73.0");
    const cdktf = shape(chains.cdktf!);
    expect(cdktf.keyVault.applied).toContain("azurerm_key_vault.vault");
    expect(shape(chains.cdktn!)).toEqual(cdktf);
  });

  test("the engine warns of nothing in the CDK Terrain stacks' plans and applies (no deprecation)", () => {
    const warnings = stages.flatMap((stage) =>
      chains.cdktn![stage].output.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l)).filter((m) => m.type === "diagnostic" && m.diagnostic.severity === "warning").map((m) => `${stage}: ${m.diagnostic.summary}`),
    );
    expect(warnings).toEqual([]);
  });

  test("the secret's value is in no plan and no state of the CDK Terrain stacks", () => {
    for (const stage of stages) {
      const run = chains.cdktn![stage];
      expect(run.passed).toBe(true);
      expect(JSON.stringify([run.plans, run.states])).not.toContain(MARKER);
    }
  });
});
