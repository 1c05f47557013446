// The pipeline's preflight: an environment without shared state, or that a
// GitHub-hosted runner cannot reach, is refused before anything signs in.
import * as fs from "fs";
import * as path from "path";
import { validateEnvironment } from "../../config/validate";
import { preflight } from "../../tools/ci/preflight";
import { baseConfig, hardenedConfig, run, writeProject, type Json } from "../support/helpers";

const repo = path.resolve(__dirname, "..", "..");
const BACKEND = { resourceGroupName: "rg-tfstate", storageAccountName: "sttfstate01", containerName: "tfstate" };

function configOf(env: string, raw: Json) {
  const { config, problems } = validateEnvironment(env, `config/${env}.json`, raw);
  if (!config) throw new Error(problems.join("\n"));
  return config;
}

describe("preflight", () => {
  test("refuses an environment with no backend: its state would leave with the runner", () => {
    expect(preflight(configOf("dev", baseConfig("dev"))).problems).toEqual([
      'config/dev.json: no backend section: a pipeline runner discards local state when the job ends, so the next deploy fails with "already exists" and destroy finds nothing to destroy; bootstrap shared state first (docs/ci.md, "Shared state")',
    ]);
    expect(preflight(configOf("dev", { ...baseConfig("dev"), backend: BACKEND }))).toEqual({ problems: [], runsOn: ["ubuntu-latest"], openForRunner: false });
  });

  test("refuses a closed environment on a GitHub-hosted runner, naming what is closed and what to set", () => {
    const prod = { ...hardenedConfig("prod"), backend: BACKEND };
    expect(preflight(configOf("prod", prod)).problems).toEqual([
      'config/prod.json: the vault firewall denies by default (keyVault.networkDefaultAction "Deny"); Terraform reads and writes secrets through it; ' +
        "the API server admits only aks.apiServerAuthorizedIpRanges; the app stack talks to it: a GitHub-hosted runner cannot reach them; " +
        "set ci.runsOn to the labels of a self-hosted runner inside prod's network (recommended), or ci.hostedRunnerAccess to true " +
        "to admit the runner's address for the length of each job (docs/ci.md, \"Runners\")",
    ]);
    const onRunner = { ...prod, ci: { runsOn: ["self-hosted", "linux", "prod-vnet"] } };
    expect(preflight(configOf("prod", onRunner))).toEqual({ problems: [], runsOn: ["self-hosted", "linux", "prod-vnet"], openForRunner: false });
  });

  test("a runner label is validated like every field", () => {
    const bad = { ...baseConfig("dev"), ci: { runsOn: ["self hosted"] } };
    expect(validateEnvironment("dev", "config/dev.json", bad).problems).toEqual([
      `config/dev.json: ci.runsOn[0] = "self hosted": must be a GitHub runner label: 1-100 letters, digits, '-', '_' and '.'`,
    ]);
  });
});

describe("npm run ci:preflight", () => {
  const cli = (root: string, args: string[]) => run(process.execPath, [path.join(repo, "tools", "build", "run-ts.mjs"), path.join(repo, "tools", "ci", "preflight-cli.ts"), ...args], root);

  test("writes the matrix targets and the runner for the next job; exit 0", () => {
    const prod = { ...hardenedConfig("prod"), backend: BACKEND, ci: { runsOn: ["self-hosted", "prod-vnet"] } };
    const root = writeProject({ dev: { ...baseConfig("dev"), backend: BACKEND }, prod });
    const output = path.join(root, "github-output");
    const result = cli(root, ["--env", "prod", "--github-output", output]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toBe("preflight prod: shared state in sttfstate01; jobs run on self-hosted, prod-vnet\n");
    expect(fs.readFileSync(output, "utf8")).toBe(
      'targets=[{"environment":"prod","runs-on":["self-hosted","prod-vnet"],"open-for-runner":false,"kubelogin-mode":"azurecli"}]\nruns-on=["self-hosted","prod-vnet"]\nopen-for-runner=false\nkubelogin-mode=azurecli\n',
    );
    fs.rmSync(root, { recursive: true, force: true });
  });

  test("an environment without shared state is refused, one line each; nothing is written", () => {
    const root = writeProject({ dev: baseConfig("dev"), qa: baseConfig("qa") });
    const output = path.join(root, "github-output");
    const result = cli(root, ["--env", "dev", "--env", "qa", "--github-output", output]);
    expect(result.status).toBe(1);
    expect(result.stderr.split("\n").filter(Boolean).map((l) => l.split(": no backend section")[0])).toEqual([
      "error: config/dev.json",
      "error: config/qa.json",
    ]);
    expect(fs.existsSync(output)).toBe(false);
    fs.rmSync(root, { recursive: true, force: true });
  });
});
