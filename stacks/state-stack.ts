import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { StorageAccount } from "@cdktf/provider-azurerm/lib/storage-account";
import { StorageContainer } from "@cdktf/provider-azurerm/lib/storage-container";
import { TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { BackendConfig, EnvironmentConfig } from "../config/types";
import { azureProvider } from "../lib/azure-provider";
import { configureState, type StateProps } from "../lib/backend";


/** One state account and the environments that keep their state in it. */
export interface StateStorage {
  readonly backend: BackendConfig;
  readonly location: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly environments: readonly string[];
}

/** The distinct backend sections of the environments, by storage account and container. */
export function stateStorages(configs: readonly EnvironmentConfig[]): StateStorage[] {
  const byKey = new Map<string, StateStorage>();
  for (const config of configs) {
    if (!config.backend) continue;
    const key = `${config.backend.storageAccountName}/${config.backend.containerName}`;
    const found = byKey.get(key);
    if (found) byKey.set(key, { ...found, environments: [...found.environments, config.environment] });
    else byKey.set(key, { backend: config.backend, location: config.location, tags: { "managed-by": "cdktf", purpose: "terraform-state" }, environments: [config.environment] });
  }
  return [...byKey.values()];
}

export interface StateStackProps {
  readonly storages: readonly StateStorage[];
  readonly subscriptionId?: string;
  /** Always local: this stack creates the storage the others use. */
  readonly state: StateProps;
}

/**
 * The storage account and container for Terraform state: versioning and soft
 * delete to undo a bad write or delete, no public blob access, TLS 1.2, and no
 * account keys (Entra ID only). The deploying principal gets Storage Blob Data
 * Contributor on the container; anyone who only plans needs Storage Blob Data
 * Reader there (see docs/ci.md).
 */
export class StateStack extends TerraformStack {
  /** By configured name: an account's name attribute is a token, not the name. */
  readonly accounts = new Map<string, StorageAccount>();

  constructor(scope: Construct, id: string, props: StateStackProps) {
    super(scope, id);
    configureState(this, { ...props.state, backend: undefined });
    azureProvider(this, { subscriptionId: props.subscriptionId, purgeOnDestroy: false, storageUseAzuread: true });
    const deployer = new DataAzurermClientConfig(this, "deployer", {});

    const groups = new Map<string, ResourceGroup>();
    for (const storage of props.storages) {
      const { backend } = storage;
      let group = groups.get(backend.resourceGroupName);
      if (!group) {
        group = new ResourceGroup(this, `state-rg-${backend.resourceGroupName}`, {
          name: backend.resourceGroupName,
          location: storage.location,
          tags: storage.tags,
          lifecycle: { preventDestroy: true },
        });
        groups.set(backend.resourceGroupName, group);
      }
      const account = this.accounts.get(backend.storageAccountName) ?? this.stateAccount(storage, group);
      const container = new StorageContainer(this, `state-container-${backend.storageAccountName}-${backend.containerName}`, {
        name: backend.containerName,
        storageAccountId: account.id,
        containerAccessType: "private",
        // Losing the container loses every environment's state.
        lifecycle: { preventDestroy: true },
      });
      new RoleAssignment(this, `state-writer-${backend.storageAccountName}-${backend.containerName}`, {
        scope: container.id,
        roleDefinitionName: "Storage Blob Data Contributor",
        principalId: deployer.objectId,
      });
      new TerraformOutput(this, `state-${backend.storageAccountName}-${backend.containerName}`, {
        value: `${backend.storageAccountName}/${backend.containerName}: ${storage.environments.join(", ")}`,
      });
    }
  }

  private stateAccount(storage: StateStorage, group: ResourceGroup): StorageAccount {
    const account = new StorageAccount(this, `state-account-${storage.backend.storageAccountName}`, {
      name: storage.backend.storageAccountName,
      resourceGroupName: group.name,
      location: group.location,
      accountKind: "StorageV2",
      accountTier: "Standard",
      accountReplicationType: "GRS",
      minTlsVersion: "TLS1_2",
      httpsTrafficOnlyEnabled: true,
      allowNestedItemsToBePublic: false,
      sharedAccessKeyEnabled: false,
      defaultToOauthAuthentication: true,
      crossTenantReplicationEnabled: false,
      blobProperties: {
        versioningEnabled: true,
        deleteRetentionPolicy: { days: 30 },
        containerDeleteRetentionPolicy: { days: 30 },
      },
      tags: storage.tags,
      lifecycle: { preventDestroy: true },
    });
    this.accounts.set(storage.backend.storageAccountName, account);
    return account;
  }
}
