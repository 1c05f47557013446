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
}

/** The azurerm provider with the Key Vault soft-delete behaviour every stack agrees on. */
export function azureProvider(scope: Construct, props: AzureProviderProps): AzurermProvider {
  return new AzurermProvider(scope, "azurerm", {
    subscriptionId: props.subscriptionId,
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
