import * as path from "path";
import type { App } from "cdktf";
import type { AppConfig, EnvironmentConfig } from "../config/types";
import { AksStack } from "./aks-stack";
import { AppStack } from "./app-stack";
import { KeyVaultStack, type VaultReader } from "./keyvault-stack";
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

  // The identities that read the vault: each workload app's own, and the add-on's node identity for the rest (shared).
  const readerOf = (app: AppConfig) => (app.identity === "workload" ? { key: app.name, ...aks.workloadIdentities[app.name] } : { key: "addon", ...aks.secretsProviderIdentity });
  const byKey = new Map<string, { key: string; objectId: string; apps: AppConfig[] }>();
  for (const app of config.apps) {
    const { key, objectId } = readerOf(app);
    const known = byKey.get(key);
    if (known) known.apps.push(app);
    else byKey.set(key, { key, objectId, apps: [app] });
  }
  // In the order of their first app: the first keeps the one-app logical IDs.
  const readers: VaultReader[] = [...byKey.values()];

  const keyVault = new KeyVaultStack(app, stackName("keyvault", env), {
    config,
    state,
    resourceGroupName: aks.resourceGroup.name,
    location: aks.resourceGroup.location,
    readers,
    aksSubnetId: aks.aksSubnet?.id,
    logAnalyticsWorkspaceId: aks.logAnalytics?.id,
  });

  const appStack = new AppStack(app, stackName("app", env), {
    config,
    state,
    cluster: { host: aks.kubeHost, caCertificate: aks.kubeCaCertificate },
    identityClientIds: Object.fromEntries(config.apps.map((a) => [a.name, readerOf(a).clientId])),
    keyVault: { name: keyVault.vault.name, tenantId: keyVault.vault.tenantId },
    secretVersions: keyVault.secretVersions,
  });
  // Implied by the references above; stated so a refactor cannot silently reorder deploys.
  keyVault.addDependency(aks);
  appStack.addDependency(keyVault);

  return { config, aks, keyVault, app: appStack };
}
