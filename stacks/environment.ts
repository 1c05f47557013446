import * as path from "path";
import type { App } from "cdktf";
import { readerOf, vaultReaders } from "../config/access";
import type { AppConfig, EnvironmentConfig } from "../config/types";
import { AksStack } from "./aks-stack";
import { AppStack } from "./app-stack";
import { KeyVaultStack } from "./keyvault-stack";
import type { StateProps } from "../lib/backend";
import { stackName } from "../lib/names";

export interface EnvironmentStacks {
  readonly config: EnvironmentConfig;
  readonly aks: AksStack;
  readonly keyVault: KeyVaultStack;
  readonly app: AppStack;
}

/**
 * The path from the directory Terraform runs a stack in (<outdir>/stacks/<stack>)
 * back to the project root, with forward slashes.
 */
export function rootFromStackDir(outdir: string, projectRoot: string): string {
  const relative = path.relative(path.resolve(outdir, "stacks", "stack"), path.resolve(projectRoot));
  return relative.split(path.sep).join("/") || ".";
}

/**
 * One environment's three stacks. Attributes pass between stacks as
 * constructor props; cdktf turns each into a sensitive output of the producing
 * stack and a terraform_remote_state read in the consuming one, and orders the
 * stacks AKS -> Key Vault -> app for deploy (and the reverse for destroy).
 */
export function defineEnvironment(app: App, config: EnvironmentConfig, projectRoot: string): EnvironmentStacks {
  const state: StateProps = { backend: config.backend, rootFromStackDir: rootFromStackDir(app.outdir, projectRoot) };
  const env = config.environment;

  const aks = new AksStack(app, stackName("aks", env), { config, state });

  const identities = { addon: aks.secretsProviderIdentity, workload: (app: AppConfig) => aks.workloadIdentities[app.name] };
  const keyVault = new KeyVaultStack(app, stackName("keyvault", env), {
    config,
    state,
    resourceGroupName: aks.resourceGroup.name,
    location: aks.resourceGroup.location,
    readers: vaultReaders(config.apps, identities),
    aksSubnetId: aks.aksSubnet?.id,
    logAnalyticsWorkspaceId: aks.logAnalytics?.id,
  });

  const appStack = new AppStack(app, stackName("app", env), {
    config,
    state,
    cluster: { host: aks.kubeHost, caCertificate: aks.kubeCaCertificate },
    identityClientIds: Object.fromEntries(config.apps.map((a) => [a.name, readerOf(a, identities).identity.clientId])),
    keyVault: { name: keyVault.vault.name, tenantId: keyVault.vault.tenantId },
    secretVersions: keyVault.secretVersions,
  });
  // Implied by the references above; stated so a refactor cannot silently reorder deploys.
  keyVault.addDependency(aks);
  appStack.addDependency(keyVault);

  return { config, aks, keyVault, app: appStack };
}
