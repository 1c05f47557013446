// Admitting a GitHub-hosted runner's address to an environment's vault
// firewall and API server for the length of one job (ci.hostedRunnerAccess),
// and taking it out again. Terraform itself keeps the address during the
// job's apply because synth adds it too (AKSKV_RUNNER_IP); this opens the way
// before Terraform's first refresh and closes it after the last step. The Azure
// CLI is injected, so the calls are tested without Azure.
import type { EnvironmentConfig } from "../../config/types";

export interface AzureCli {
  /** Runs `az <args>`; never throws for a non-zero exit. */
  run(args: readonly string[]): Promise<{ status: number; stdout: string; stderr: string }>;
}

/** The first line of what az said, for a one-line report. */
const said = (r: { stdout: string; stderr: string }) => (r.stderr.trim() || r.stdout.trim()).split("\n")[0];

async function vaultExists(config: EnvironmentConfig, az: AzureCli): Promise<boolean> {
  return (await az.run(["keyvault", "show", "--name", config.keyVault.name, "--query", "name", "-o", "tsv"])).status === 0;
}

/** The API server's authorized ranges now, or undefined when the cluster does not exist yet. */
async function clusterRanges(config: EnvironmentConfig, az: AzureCli): Promise<string[] | undefined> {
  const args = ["aks", "show", "--resource-group", config.resourceGroupName, "--name", config.aks.name, "--query", "apiServerAccessProfile.authorizedIpRanges", "-o", "json"];
  const result = await az.run(args);
  if (result.status !== 0) return undefined;
  return JSON.parse(result.stdout.trim() || "null") ?? [];
}

const setRanges = (config: EnvironmentConfig, ranges: readonly string[]) => [
  "aks", "update", "--resource-group", config.resourceGroupName, "--name", config.aks.name,
  "--api-server-authorized-ip-ranges", ranges.join(","), "-o", "none",
];

/** Adds the runner's address where the config restricts access. Returns the problems (empty: done). */
export async function openForRunner(config: EnvironmentConfig, address: string, az: AzureCli, log: (line: string) => void): Promise<string[]> {
  const problems: string[] = [];
  const vault = config.keyVault.name;
  if (config.keyVault.networkDefaultAction === "Deny") {
    if (!(await vaultExists(config, az))) log(`vault ${vault} does not exist yet: the deploy creates it admitting ${address}`);
    else {
      const result = await az.run(["keyvault", "network-rule", "add", "--name", vault, "--ip-address", `${address}/32`, "-o", "none"]);
      if (result.status === 0) log(`vault ${vault}: admits ${address} for this job`);
      else problems.push(`vault ${vault}: could not admit ${address}: ${said(result)}`);
    }
  }
  if (config.aks.apiServerAuthorizedIpRanges.length > 0) {
    const ranges = await clusterRanges(config, az);
    if (ranges === undefined) log(`cluster ${config.aks.name} does not exist yet: the deploy creates it admitting ${address}/32`);
    else if (ranges.includes(`${address}/32`)) log(`cluster ${config.aks.name}: admits ${address} already`);
    else {
      const result = await az.run(setRanges(config, [...ranges, `${address}/32`]));
      if (result.status === 0) log(`cluster ${config.aks.name}: API server admits ${address} for this job`);
      else problems.push(`cluster ${config.aks.name}: could not admit ${address}: ${said(result)}`);
    }
  }
  return problems;
}

/** Takes the runner's address out again: the vault rule removed, the API server back to the configured ranges. */
export async function closeForRunner(config: EnvironmentConfig, address: string, az: AzureCli, log: (line: string) => void): Promise<string[]> {
  const problems: string[] = [];
  const vault = config.keyVault.name;
  if (config.keyVault.networkDefaultAction === "Deny" && (await vaultExists(config, az))) {
    const result = await az.run(["keyvault", "network-rule", "remove", "--name", vault, "--ip-address", `${address}/32`, "-o", "none"]);
    if (result.status === 0) log(`vault ${vault}: no longer admits ${address}`);
    else problems.push(`vault ${vault}: could not remove ${address}, remove it by hand: ${said(result)}`);
  }
  if (config.aks.apiServerAuthorizedIpRanges.length > 0) {
    const ranges = await clusterRanges(config, az);
    if (ranges !== undefined && ranges.includes(`${address}/32`) && !config.aks.apiServerAuthorizedIpRanges.includes(`${address}/32`)) {
      const result = await az.run(setRanges(config, config.aks.apiServerAuthorizedIpRanges));
      if (result.status === 0) log(`cluster ${config.aks.name}: API server back to aks.apiServerAuthorizedIpRanges`);
      else problems.push(`cluster ${config.aks.name}: could not remove ${address}, set the ranges by hand: ${said(result)}`);
    }
  }
  return problems;
}
