// `npm run check-objects -- --env <name> [--vault-url <url>]`
//
// In the deploy workflow and the README, after the Key Vault stack and before the app stack: stops in
// seconds, listing each `existing` object the vault lacks with the az line that imports it
// (tools/ci/existing-objects.ts), instead of a ten-minute rollout timeout.
import { loadEnvironments } from "../../config/load";
import { reportFailure } from "../command";
import { parseFlags, UsageError, wantsHelp } from "../flags";
import { ExistingObjectsError, missingObjects, missingReport } from "./existing-objects";
import { deployerVaultClient, VaultRequestError } from "./vault-client";

const USAGE = "usage: npm run check-objects -- --env <name> [--vault-url <https://<vault>.vault.azure.net>]";
const HELP = `${USAGE}

Checks, as the signed-in deployer (the Azure CLI's sign-in, or as aks.kubeloginMode says),
that every keyVault.secrets[] object with {"existing": true} is in the vault. Exit 0 when all are; 1 with
each missing object's az import line and the right needed to run it; 2 on bad usage or config.
Each request is bounded (10 s). --vault-url defaults to https://<keyVault.name>.vault.azure.net.`;

export async function main(args: readonly string[]): Promise<number> {
  if (wantsHelp(args)) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  try {
    const flags = parseFlags(args, { values: ["--env", "--vault-url"] }, USAGE);
    const env = flags.get("--env");
    if (!env) throw new UsageError(`--env is required; ${USAGE}`);
    const config = loadEnvironments(process.cwd()).environments.find((e) => e.environment === env);
    if (!config) throw new UsageError(`--env ${JSON.stringify(env)} is not in config/; ${USAGE}`);
    const existing = config.keyVault.secrets.filter((s) => s.source.kind === "existing").length;
    if (existing === 0) {
      process.stdout.write(`check-objects: ${env} has no existing objects; nothing to check\n`);
      return 0;
    }
    const missing = await missingObjects(config, await deployerVaultClient(config.keyVault.name, flags.get("--vault-url"), config.aks.kubeloginMode));
    if (missing.length === 0) {
      process.stdout.write(`check-objects: all ${existing} existing object(s) of ${env} are in ${config.keyVault.name}\n`);
      return 0;
    }
    for (const line of missingReport(config, missing)) process.stdout.write(`${line}\n`);
    return 1;
  } catch (error) {
    return reportFailure("check-objects", error, [ExistingObjectsError, VaultRequestError]);
  }
}
