import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { KubernetesCluster } from "@cdktf/provider-azurerm/lib/kubernetes-cluster";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { EnvironmentConfig } from "../config/types";
import { azureProvider } from "../lib/azure-provider";
import { configureState, type StateProps } from "../lib/backend";

export interface AksStackProps {
  readonly config: EnvironmentConfig;
  readonly state: StateProps;
}

/** The identity the secrets-store add-on uses to read Key Vault. */
export interface SecretsProviderIdentity {
  /** For the SecretProviderClass (userAssignedIdentityID). */
  readonly clientId: string;
  /** For access policies and role assignments. */
  readonly objectId: string;
}

/**
 * Stack 1: the resource group and an AKS cluster with the
 * azure-keyvault-secrets-provider add-on (Secrets Store CSI driver + Azure
 * provider), rotation on, OIDC issuer and workload identity on, and Entra ID
 * with Azure RBAC for people and pipelines instead of local accounts.
 */
export class AksStack extends TerraformStack {
  readonly resourceGroup: ResourceGroup;
  readonly cluster: KubernetesCluster;
  readonly secretsProviderIdentity: SecretsProviderIdentity;
  readonly tenantId: string;
  /** The API server URL and its CA (base64 PEM); no credentials: Terraform signs in with kubelogin. */
  readonly kubeHost: string;
  readonly kubeCaCertificate: string;

  constructor(scope: Construct, id: string, props: AksStackProps) {
    super(scope, id);
    const { config } = props;
    const aks = config.aks;
    configureState(this, props.state);
    azureProvider(this, { subscriptionId: config.subscriptionId, purgeOnDestroy: !config.keyVault.purgeProtection });

    const deployer = new DataAzurermClientConfig(this, "deployer", {});

    this.resourceGroup = new ResourceGroup(this, "resource-group", {
      name: config.resourceGroupName,
      location: config.location,
      tags: config.tags,
    });

    this.cluster = new KubernetesCluster(this, "cluster", {
      name: aks.name,
      location: this.resourceGroup.location,
      resourceGroupName: this.resourceGroup.name,
      dnsPrefix: aks.dnsPrefix,
      kubernetesVersion: aks.kubernetesVersion,
      skuTier: aks.skuTier,
      defaultNodePool: {
        name: "system",
        nodeCount: aks.nodeCount,
        vmSize: aks.vmSize,
        // Lets a vm size change cycle the pool instead of replacing the cluster.
        temporaryNameForRotation: "systemtmp",
        upgradeSettings: { maxSurge: "10%" },
      },
      identity: { type: "SystemAssigned" },
      keyVaultSecretsProvider: {
        secretRotationEnabled: true,
        secretRotationInterval: aks.secretRotationInterval,
      },
      oidcIssuerEnabled: true,
      workloadIdentityEnabled: true,
      roleBasedAccessControlEnabled: true,
      localAccountDisabled: aks.localAccountDisabled,
      azureActiveDirectoryRoleBasedAccessControl: {
        azureRbacEnabled: true,
        tenantId: deployer.tenantId,
        adminGroupObjectIds: [...aks.adminGroupObjectIds],
      },
      tags: config.tags,
    });

    // The principal that runs `cdktf deploy` must reach the Kubernetes API to
    // deploy the app stack; with local accounts off, Azure RBAC is the only way in.
    new RoleAssignment(this, "deployer-cluster-admin", {
      scope: this.cluster.id,
      roleDefinitionName: "Azure Kubernetes Service RBAC Cluster Admin",
      principalId: deployer.objectId,
    });

    const identity = this.cluster.keyVaultSecretsProvider.secretIdentity.get(0);
    this.secretsProviderIdentity = { clientId: identity.clientId, objectId: identity.objectId };
    this.tenantId = deployer.tenantId;
    const kubeConfig = this.cluster.kubeConfig.get(0);
    this.kubeHost = kubeConfig.host;
    this.kubeCaCertificate = kubeConfig.clusterCaCertificate;

    new TerraformOutput(this, "cluster_name", { value: this.cluster.name });
    new TerraformOutput(this, "resource_group_name", { value: this.resourceGroup.name });
    new TerraformOutput(this, "oidc_issuer_url", { value: this.cluster.oidcIssuerUrl });
    new TerraformOutput(this, "secrets_provider_client_id", {
      value: identity.clientId,
      description: "Client ID of the add-on identity (goes into the SecretProviderClass)",
    });
    new TerraformOutput(this, "secrets_provider_object_id", {
      value: identity.objectId,
      description: "Object ID of the add-on identity (goes into the Key Vault access policy)",
    });
    new TerraformOutput(this, "tenant_id", { value: this.tenantId });
  }
}
