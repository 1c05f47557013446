// `cdktf diff` through the real engine: TERRAFORM_BINARY_NAME points cdktf at
// OpenTofu, which initializes from the local mirror and plans until the azurerm
// provider signs in to Azure, and fails there with the provider's own message.
// A stand-in `az` that is not signed in guarantees no call reaches Azure.
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { stripVTControlCharacters } from "util";
import { writeOutputsState } from "../../tools/engine/mock-test";
import { standInOverride } from "../../tools/engine/newer-provider";
import { loadToolchain, toolsCacheDir } from "../../tools/engine/toolchain";
import { copyOfProject } from "../support/helpers";

const repo = path.resolve(__dirname, "..", "..");
const toolchain = loadToolchain(repo, toolsCacheDir(process.env));

describe("TERRAFORM_BINARY_NAME=tofu npx cdktf diff", () => {
  const root = copyOfProject("akskv-cdktf-tofu-");
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  const bin = path.join(root, "test-bin");
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, "az"), "#!/bin/sh\necho \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1\n", { mode: 0o755 });
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(ARM_|AZURE_)/.test(name)));
  Object.assign(env, {
    PATH: `${bin}${path.delimiter}${process.env.PATH}`,
    TERRAFORM_BINARY_NAME: toolchain.tofu,
    TF_CLI_CONFIG_FILE: toolchain.cliConfig,
    TOFU_CLI_CONFIG_FILE: toolchain.cliConfig,
    CDKTF_OUTDIR: path.join(root, "cdktf.out"),
    CHECKPOINT_DISABLE: "1",
    CI: "true",
  });
  const cdktf = (...args: string[]) => {
    const result = spawnSync("npx", ["cdktf", ...args], { cwd: root, env, encoding: "utf8", timeout: 180_000 });
    // cdktf colours the engine's output; the assertions read the text.
    return { status: result.status, output: stripVTControlCharacters(`${result.stdout}${result.stderr}`) };
  };

  beforeAll(() => {
    expect(cdktf("synth").status).toBe(0);
    fs.mkdirSync(path.join(root, "secrets", "dev"), { recursive: true });
    fs.writeFileSync(path.join(root, "secrets", "dev", "configurable-secret.json"), '{"test": true}');
    // Only where the mirror holds stand-ins for the pinned providers: the same override validate uses.
    for (const stack of ["aks-dev", "keyvault-dev"]) {
      const dir = path.join(root, "cdktf.out", "stacks", stack);
      const { text } = standInOverride(JSON.parse(fs.readFileSync(path.join(dir, "cdk.tf.json"), "utf8")), toolchain.providers);
      if (text) fs.writeFileSync(path.join(dir, "stand_in_override.tf.json"), text);
    }
  }, 180_000);

  const reachesAzureSignIn = (output: string) => {
    expect(output).not.toContain("execvp");
    expect(output).not.toMatch(/Could not retrieve providers|Failed to query available provider packages|no available releases/);
    expect(output).toMatch(/Error: unable to build authorizer for Resource Manager API: could not configure AzureCli Authorizer/);
    expect(output).toContain("Please run 'az login'");
  };

  test("a stack with no upstream: init from the mirror, plan, and the provider's Azure sign-in", () => {
    const result = cdktf("diff", "aks-dev", "--skip-provider-lock");
    reachesAzureSignIn(result.output);
    expect(result.status).not.toBe(0);
  }, 180_000);

  test("a downstream stack, its upstream's outputs in state: only Azure's sign-in stops it", () => {
    const reads = fs.readFileSync(path.join(root, "cdktf.out", "stacks", "keyvault-dev", "cdk.tf.json"), "utf8");
    const names = [...reads.matchAll(/cross-stack-reference-input-aks-dev\.outputs\.([\w-]+)/g)].map((m) => m[1]);
    expect(names.length).toBeGreaterThan(0);
    writeOutputsState(root, "aks-dev", Object.fromEntries(names.map((name) => [name, `test-value-of-${name}`])));
    const result = cdktf("diff", "keyvault-dev", "--skip-provider-lock");
    expect(result.output).not.toContain("No stored state was found");
    reachesAzureSignIn(result.output);
    expect(result.status).not.toBe(0);
  }, 180_000);
});
