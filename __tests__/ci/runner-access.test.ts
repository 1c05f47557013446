// ci.hostedRunnerAccess: the runner's address admitted by synth and by the
// Azure CLI for one job, and taken out again; with an injected `az`.
import * as fs from "fs";
import * as path from "path";
import { validateEnvironment } from "../../config/validate";
import { withRunnerAddress } from "../../stacks/synthesize";
import { closeForRunner, openForRunner, type AzureCli } from "../../tools/ci/runner-access";
import { preflight } from "../../tools/ci/preflight";
import { baseConfig, hardenedConfig, run, writeProject, type Json } from "../support/helpers";

const repo = path.resolve(__dirname, "..", "..");

const BACKEND = { resourceGroupName: "rg-tfstate", storageAccountName: "sttfstate01", containerName: "tfstate" };
const RUNNER = "198.51.100.77";

function configOf(raw: Json) {
  const { config, problems } = validateEnvironment("prod", "config/prod.json", raw);
  if (!config) throw new Error(problems.join("\n"));
  return config;
}
const hostedProd = () => ({ ...hardenedConfig("prod"), backend: BACKEND, ci: { hostedRunnerAccess: true } });

/** An `az` that answers from a table of "args prefix" -> result and records every call. */
function fakeAz(answers: Record<string, { status: number; stdout?: string; stderr?: string }>): AzureCli & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async run(args) {
      const line = args.join(" ");
      calls.push(line);
      const key = Object.keys(answers).find((k) => line.startsWith(k));
      const answer = key ? answers[key] : { status: 0 };
      return { status: answer.status, stdout: answer.stdout ?? "", stderr: answer.stderr ?? "" };
    },
  };
}

describe("ci.hostedRunnerAccess", () => {
  test("the preflight lets a hosted runner through and says each job opens for it", () => {
    expect(preflight(configOf(hostedProd()))).toEqual({ problems: [], runsOn: ["ubuntu-latest"], openForRunner: true });
  });

  test("is refused with ci.runsOn, and for a private API server", () => {
    const both = { ...hostedProd(), ci: { runsOn: ["self-hosted"], hostedRunnerAccess: true } };
    expect(validateEnvironment("prod", "config/prod.json", both).problems).toEqual([
      "config/prod.json: ci.hostedRunnerAccess = true: is for GitHub-hosted runners; leave it out when ci.runsOn names the runner",
    ]);
    const privateCluster = hostedProd();
    Object.assign(privateCluster.aks, { privateCluster: true, apiServerAuthorizedIpRanges: [] });
    expect(validateEnvironment("prod", "config/prod.json", privateCluster).problems).toEqual([
      "config/prod.json: ci.hostedRunnerAccess = true: a private API server cannot be opened to a runner's address; run the jobs inside the network (ci.runsOn)",
    ]);
  });

  test("synth admits the runner's address where the config restricts access, and only there", () => {
    const config = configOf(hostedProd());
    const admitted = withRunnerAddress(config, RUNNER);
    expect(admitted.keyVault.allowedCidrs).toEqual(["198.18.0.7", RUNNER]);
    expect(admitted.aks.apiServerAuthorizedIpRanges).toEqual(["198.18.0.0/24", `${RUNNER}/32`]);
    // An empty list means open to all: one address would close it to everyone else.
    const open = configOf({ ...baseConfig("dev"), backend: BACKEND, ci: { hostedRunnerAccess: true } });
    expect(withRunnerAddress(open, RUNNER).aks.apiServerAuthorizedIpRanges).toEqual([]);
    expect(withRunnerAddress(open, RUNNER).keyVault.allowedCidrs).toEqual([]);
    expect(withRunnerAddress(configOf({ ...hardenedConfig("prod"), backend: BACKEND }), RUNNER).keyVault.allowedCidrs).toEqual(["198.18.0.7"]);
  });

  /** The app command (what cdktf synth runs) with AKSKV_RUNNER_IP set. */
  function synthWithRunner(address: string) {
    const root = writeProject({ prod: hostedProd() }, { "secrets/prod/configurable-secret.json": "{}" });
    process.env.AKSKV_RUNNER_IP = address;
    try {
      return { root, ...run(process.execPath, [path.join(repo, "tools", "build", "app.mjs")], root) };
    } finally {
      delete process.env.AKSKV_RUNNER_IP;
    }
  }

  test("cdktf synth with AKSKV_RUNNER_IP: the vault and the cluster admit it, so the job's apply keeps the opening", () => {
    const { root, status } = synthWithRunner(RUNNER);
    expect(status).toBe(0);
    const stack = (name: string) => JSON.parse(fs.readFileSync(path.join(root, "cdktf.out", "stacks", name, "cdk.tf.json"), "utf8"));
    expect(stack("keyvault-prod").resource.azurerm_key_vault.vault.network_acls.ip_rules).toEqual(["198.18.0.7", RUNNER]);
    expect(stack("aks-prod").resource.azurerm_kubernetes_cluster.cluster.api_server_access_profile.authorized_ip_ranges).toEqual(["198.18.0.0/24", `${RUNNER}/32`]);
    fs.rmSync(root, { recursive: true, force: true });
  });

  test("a malformed AKSKV_RUNNER_IP stops synth with one line and leaves no stack", () => {
    const { root, status, stderr } = synthWithRunner("198.51.100.0/24");
    expect(status).toBe(2);
    expect(stderr).toContain('error: AKSKV_RUNNER_IP = "198.51.100.0/24": must be one IPv4 address such as "203.0.113.7" (the runner\'s public address)\n');
    expect(fs.existsSync(path.join(root, "cdktf.out", "stacks"))).toBe(false);
    fs.rmSync(root, { recursive: true, force: true });
  });

  test("open: a vault rule and the API server's ranges plus the runner; close: both back", async () => {
    const config = configOf(hostedProd());
    const az = fakeAz({ "aks show": { status: 0, stdout: '["198.18.0.0/24"]' } });
    const lines: string[] = [];
    expect(await openForRunner(config, RUNNER, az, (l) => lines.push(l))).toEqual([]);
    expect(az.calls).toEqual([
      "keyvault show --name kv-test-prod-01 --query name -o tsv",
      `keyvault network-rule add --name kv-test-prod-01 --ip-address ${RUNNER}/32 -o none`,
      "aks show --resource-group rg-test-prod --name aks-test-prod --query apiServerAccessProfile.authorizedIpRanges -o json",
      `aks update --resource-group rg-test-prod --name aks-test-prod --api-server-authorized-ip-ranges 198.18.0.0/24,${RUNNER}/32 -o none`,
    ]);
    expect(lines).toEqual([`vault kv-test-prod-01: admits ${RUNNER} for this job`, `cluster aks-test-prod: API server admits ${RUNNER} for this job`]);

    const after = fakeAz({ "aks show": { status: 0, stdout: `["198.18.0.0/24","${RUNNER}/32"]` } });
    expect(await closeForRunner(config, RUNNER, after, () => undefined)).toEqual([]);
    expect(after.calls.filter((c) => !c.includes(" show "))).toEqual([
      `keyvault network-rule remove --name kv-test-prod-01 --ip-address ${RUNNER}/32 -o none`,
      "aks update --resource-group rg-test-prod --name aks-test-prod --api-server-authorized-ip-ranges 198.18.0.0/24 -o none",
    ]);
  });

  test("on a first deploy nothing exists yet: nothing to open, and it says so", async () => {
    const az = fakeAz({ "keyvault show": { status: 3, stderr: "(VaultNotFound)" }, "aks show": { status: 3, stderr: "(ResourceNotFound)" } });
    const lines: string[] = [];
    expect(await openForRunner(configOf(hostedProd()), RUNNER, az, (l) => lines.push(l))).toEqual([]);
    expect(az.calls.every((c) => c.includes(" show "))).toBe(true);
    expect(lines).toEqual([
      `vault kv-test-prod-01 does not exist yet: the deploy creates it admitting ${RUNNER}`,
      `cluster aks-test-prod does not exist yet: the deploy creates it admitting ${RUNNER}/32`,
    ]);
  });

  test("a failed close is reported, so a firewall left open fails the job", async () => {
    const az = fakeAz({ "keyvault network-rule remove": { status: 1, stderr: "ERROR: (Forbidden) not allowed\nmore" }, "aks show": { status: 0, stdout: '["198.18.0.0/24"]' } });
    expect(await closeForRunner(configOf(hostedProd()), RUNNER, az, () => undefined)).toEqual([
      `vault kv-test-prod-01: could not remove ${RUNNER}, remove it by hand: ERROR: (Forbidden) not allowed`,
    ]);
  });
});
