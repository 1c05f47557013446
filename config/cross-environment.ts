// Rules across environment files: names Azure treats as global or shared.
// Apart from validate.ts, so a synth that reuses validated configs loads no schema library.
import type { EnvironmentConfig } from "./types";
import { show } from "./show";

/**
 * Rules across environments: names that Azure treats as global or shared must
 * differ, or one environment's deploy or destroy would act on another's resources.
 */
export function crossEnvironmentProblems(configs: readonly EnvironmentConfig[]): string[] {
  const lines: string[] = [];
  const check = (what: string, pick: (c: EnvironmentConfig) => string, rule: string) => {
    const seen = new Map<string, EnvironmentConfig>();
    for (const config of configs) {
      const value = pick(config).toLowerCase();
      const first = seen.get(value);
      if (first) lines.push(`${config.file}: ${what} = ${show(pick(config))}: ${rule}; ${first.file} uses it already`);
      else seen.set(value, config);
    }
  };
  check("keyVault.name", (c) => c.keyVault.name, "vault names are global in Azure and must differ per environment");
  check(
    "resourceGroupName",
    (c) => c.resourceGroupName,
    "each environment owns its resource group (destroying one would delete the other's)",
  );
  const accounts = new Map<string, EnvironmentConfig>();
  for (const config of configs) {
    if (!config.backend) continue;
    const name = config.backend.storageAccountName;
    const first = accounts.get(name);
    if (first && first.backend!.resourceGroupName !== config.backend.resourceGroupName) {
      lines.push(
        `${config.file}: backend.resourceGroupName = ${show(config.backend.resourceGroupName)}: ` +
          `${first.file} puts storage account ${show(name)} in ${show(first.backend!.resourceGroupName)}; one account lives in one group`,
      );
    } else if (!first) accounts.set(name, config);
    const owner = configs.find((c) => c.resourceGroupName.toLowerCase() === config.backend!.resourceGroupName.toLowerCase());
    if (owner) {
      lines.push(
        `${config.file}: backend.resourceGroupName = ${show(config.backend.resourceGroupName)}: must not be an environment's resource group ` +
          `(${owner.file} owns it; destroying ${owner.environment} would delete every environment's state)`,
      );
    }
  }
  return lines;
}
