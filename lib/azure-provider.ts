import type { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import type { Construct } from "constructs";

export interface AzureProviderProps {
  /** Leave out to use ARM_SUBSCRIPTION_ID from the deployer's environment. */
  readonly subscriptionId?: string;
  /**
   * With purge protection off, destroy purges the vault and its secrets so the
   * names are free for the next deploy; with it on, purging is impossible and a
   * later deploy recovers the soft-deleted vault and secrets instead.
   */
  readonly purgeOnDestroy: boolean;
  /** Data-plane calls to storage with Entra ID instead of account keys (the state account has keys disabled). */
  readonly storageUseAzuread?: boolean;
}

/**
 * The resource providers these stacks create resources of. azurerm 4.x by
 * default registers about 50 at start-up ("legacy"), which a Reader-only plan
 * identity may not, so every plan on a fresh subscription fails; with "none"
 * plus this list it registers only these, and only where they are not yet
 * (docs/ci.md has them pre-registered in the first-run checklist).
 */
export const RESOURCE_PROVIDERS = [
  "Microsoft.Authorization",
  "Microsoft.Compute",
  "Microsoft.ContainerService",
  "Microsoft.Insights",
  "Microsoft.KeyVault",
  "Microsoft.ManagedIdentity",
  "Microsoft.Network",
  "Microsoft.OperationalInsights",
  "Microsoft.Storage",
];

/** The azurerm provider with the Key Vault soft-delete behaviour every stack agrees on. */
export function azureProvider(scope: Construct, props: AzureProviderProps): AzurermProvider {
  return new AzurermProvider(scope, "azurerm", {
    subscriptionId: props.subscriptionId,
    storageUseAzuread: props.storageUseAzuread,
    resourceProviderRegistrations: "none",
    resourceProvidersToRegister: RESOURCE_PROVIDERS,
    features: [
      {
        keyVault: [
          {
            purgeSoftDeleteOnDestroy: props.purgeOnDestroy,
            purgeSoftDeletedSecretsOnDestroy: props.purgeOnDestroy,
            recoverSoftDeletedKeyVaults: true,
            recoverSoftDeletedSecrets: true,
          },
        ],
      },
    ],
  });
}

/**
 * The object ID the deployer's access is granted to: the configured one, else
 * whoever runs Terraform, which changes (and replaces that access in the
 * plan) when another identity plans.
 */
export function deployerObjectId(configured: string | undefined, clientConfig: DataAzurermClientConfig): string {
  return configured ?? clientConfig.objectId;
}
