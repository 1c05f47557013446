// `npm run ci:wait-for-vault-access -- --env <name> [--timeout <seconds>] [--poll <seconds>] [--vault-url <url>]`
//
// Run by the Key Vault stack itself in rbac mode (terraform_data.deployer-role-ready), between the
// deployer's role assignment and the first secret write; by hand after assigning a role.
import { loadEnvironments } from "../../config/load";
import { reportFailure, wallClock } from "../command";
import { parseFlags, seconds, UsageError, wantsHelp } from "../flags";
import { VaultAccessError, waitForVaultAccess } from "./vault-access";
import { deployerVaultClient, VaultRequestError } from "./vault-client";

const USAGE = "usage: npm run ci:wait-for-vault-access -- --env <name> [--timeout <seconds>] [--poll <seconds>] [--vault-url <url>]";

export async function main(args: readonly string[]): Promise<number> {
  if (wantsHelp(args)) {
    process.stdout.write(`${USAGE}\n\nWaits (default at most 300 s, asking every 5 s) until the signed-in deployer's role on the vault is in\neffect on the data plane (a 404 for a probe secret instead of 403 ForbiddenByRbac). Exit 0 once it is, 1 when\nit is not by the deadline or the vault's firewall refuses this machine, 2 on bad usage or config.\n`);
    return 0;
  }
  try {
    const flags = parseFlags(args, { values: ["--env", "--timeout", "--poll", "--vault-url"] }, USAGE);
    const env = flags.get("--env");
    if (!env) throw new UsageError(`--env is required; ${USAGE}`);
    const config = loadEnvironments(process.cwd()).environments.find((e) => e.environment === env);
    if (!config) throw new UsageError(`--env ${JSON.stringify(env)} is not in config/; ${USAGE}`);
    const wait = { vault: config.keyVault.name, role: config.keyVault.deployerRole, timeoutSeconds: seconds(flags.get("--timeout"), "--timeout", 300), pollSeconds: seconds(flags.get("--poll"), "--poll", 5) };
    await waitForVaultAccess(wait, await deployerVaultClient(config.keyVault.name, flags.get("--vault-url"), config.aks.kubeloginMode), wallClock, (line) => process.stdout.write(`${line}\n`));
    return 0;
  } catch (error) {
    return reportFailure("wait-for-vault-access", error, [VaultAccessError, VaultRequestError]);
  }
}
