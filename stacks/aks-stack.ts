import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { FederatedIdentityCredential } from "@cdktf/provider-azurerm/lib/federated-identity-credential";
import { KubernetesCluster, type KubernetesClusterConfig } from "@cdktf/provider-azurerm/lib/kubernetes-cluster";
import { KubernetesClusterNodePool } from "@cdktf/provider-azurerm/lib/kubernetes-cluster-node-pool";
import { LogAnalyticsWorkspace } from "@cdktf/provider-azurerm/lib/log-analytics-workspace";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { Subnet } from "@cdktf/provider-azurerm/lib/subnet";
import { UserAssignedIdentity } from "@cdktf/provider-azurerm/lib/user-assigned-identity";
import { VirtualNetwork } from "@cdktf/provider-azurerm/lib/virtual-network";
import { TerraformOutput, TerraformStack } from "cdktf";
import { federatedCredentialName, OUTPUTS } from "../lib/names";
import type { Construct } from "constructs";
import type { AksConfig, EnvironmentConfig } from "../config/types";
import { appLogicalId, appOutputName, workloadServiceAccount } from "../lib/apps";
import { azureProvider, deployerObjectId } from "../lib/azure-provider";
import { configureState, type StateProps } from "../lib/backend";
import { ContainerInsights } from "../constructs/container-insights";

export interface AksStackProps {
  readonly config: EnvironmentConfig;
  readonly state: StateProps;
}

/** An identity that reads Key Vault for pods. */
export interface ReaderIdentity {
  /** For the SecretProviderClass (userAssignedIdentityID or clientID). */
  readonly clientId: string;
  /** For access policies and role assignments. */
  readonly objectId: string;
}

/**
 * Every pool's upgrade settings, each set explicitly: azurerm replaces the
 * whole cluster when drain_timeout_in_minutes goes from a value to unset
 * (hashicorp/terraform-provider-azurerm#26568), which is what the next apply
 * does after anyone set it outside Terraform. 30 minutes and no soak are AKS's defaults.
 */
export const UPGRADE_SETTINGS = { maxSurge: "10%", drainTimeoutInMinutes: 30, nodeSoakDurationInMinutes: 0 };

/** Network settings: Azure CNI overlay, with the configured network policy engine. */
export function networkProfile(aks: AksConfig): KubernetesClusterConfig["networkProfile"] {
  if (aks.networkPolicy === "none") return { networkPlugin: "azure", networkPluginMode: "overlay" };
  return {
    networkPlugin: "azure",
    networkPluginMode: "overlay",
    networkPolicy: aks.networkPolicy,
    // Cilium policy runs on the Cilium data plane only.
    networkDataPlane: aks.networkPolicy === "cilium" ? "cilium" : undefined,
  };
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
  /** The add-on's own identity: shared by every pod on the nodes. */
  readonly secretsProviderIdentity: ReaderIdentity;
  /** By app name, for each app with identity "workload": an identity for that app's service account only. */
  readonly workloadIdentities: Record<string, ReaderIdentity> = {};
  /** With a network section: the subnet the vault admits through its service endpoint. */
  readonly aksSubnet?: Subnet;
  /** With aks.monitoring: Container Insights and the vault's audit logs go here. */
  readonly logAnalytics?: LogAnalyticsWorkspace;
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

    if (config.network) {
      const vnet = new VirtualNetwork(this, "network", {
        name: `vnet-${aks.name}`,
        location: this.resourceGroup.location,
        resourceGroupName: this.resourceGroup.name,
        addressSpace: [config.network.addressSpace],
        tags: config.tags,
      });
      this.aksSubnet = new Subnet(this, "aks-subnet", {
        name: "aks",
        resourceGroupName: this.resourceGroup.name,
        virtualNetworkName: vnet.name,
        addressPrefixes: [config.network.aksSubnet],
        // Lets a vault whose firewall denies public traffic admit this subnet.
        serviceEndpoints: ["Microsoft.KeyVault"],
      });
    }

    if (aks.monitoring) {
      this.logAnalytics = new LogAnalyticsWorkspace(this, "log-analytics", {
        name: `log-${aks.name}`,
        location: this.resourceGroup.location,
        resourceGroupName: this.resourceGroup.name,
        sku: "PerGB2018",
        retentionInDays: aks.logRetentionDays,
        tags: config.tags,
      });
    }

    this.cluster = new KubernetesCluster(this, "cluster", {
      name: aks.name,
      location: this.resourceGroup.location,
      resourceGroupName: this.resourceGroup.name,
      dnsPrefix: aks.dnsPrefix,
      kubernetesVersion: aks.kubernetesVersion,
      skuTier: aks.skuTier,
      automaticUpgradeChannel: aks.automaticUpgradeChannel === "none" ? undefined : aks.automaticUpgradeChannel,
      azurePolicyEnabled: aks.azurePolicy,
      privateClusterEnabled: aks.privateCluster,
      apiServerAccessProfile:
        aks.apiServerAuthorizedIpRanges.length > 0
          ? { authorizedIpRanges: [...aks.apiServerAuthorizedIpRanges] }
          : undefined,
      networkProfile: networkProfile(aks),
      diskEncryptionSetId: aks.diskEncryptionSetId,
      omsAgent: this.logAnalytics
        ? { logAnalyticsWorkspaceId: this.logAnalytics.id, msiAuthForMonitoringEnabled: true }
        : undefined,
      defaultNodePool: {
        name: "system",
        nodeCount: aks.nodeCount,
        vmSize: aks.vmSize,
        vnetSubnetId: this.aksSubnet?.id,
        // Tainted CriticalAddonsOnly: apps run on the workload pool below.
        onlyCriticalAddonsEnabled: aks.systemPoolCriticalAddonsOnly,
        hostEncryptionEnabled: aks.hostEncryption,
        maxPods: aks.maxPods,
        osDiskType: aks.osDiskType,
        osDiskSizeGb: aks.osDiskSizeGb,
        // Lets a vm size change cycle the pool instead of replacing the cluster.
        temporaryNameForRotation: "systemtmp",
        upgradeSettings: UPGRADE_SETTINGS,
      },
      identity: { type: "SystemAssigned" },
      keyVaultSecretsProvider: {
        secretRotationEnabled: true,
        secretRotationInterval: aks.secretRotationInterval,
      },
      oidcIssuerEnabled: aks.oidcIssuer,
      workloadIdentityEnabled: aks.oidcIssuer,
      roleBasedAccessControlEnabled: true,
      localAccountDisabled: aks.localAccountDisabled,
      azureActiveDirectoryRoleBasedAccessControl: {
        azureRbacEnabled: true,
        tenantId: deployer.tenantId,
        adminGroupObjectIds: [...aks.adminGroupObjectIds],
      },
      tags: config.tags,
    });

    if (this.logAnalytics) {
      new ContainerInsights(this, "container-insights", {
        clusterName: aks.name,
        clusterId: this.cluster.id,
        resourceGroupName: this.resourceGroup.name,
        location: config.location,
        workspaceId: this.logAnalytics.id,
        tags: config.tags,
      });
    }

    if (this.aksSubnet) {
      // The cluster's identity joins load balancers and nodes to a subnet it does
      // not own; without this, LoadBalancer Services never get an address
      // (LinkedAuthorizationFailed ... subnets/join/action).
      new RoleAssignment(this, "cluster-subnet-network-contributor", {
        scope: this.aksSubnet.id,
        roleDefinitionName: "Network Contributor",
        principalId: this.cluster.identity.principalId,
      });
    }

    // The principal that runs `cdktf deploy` must reach the Kubernetes API to
    // deploy the app stack; with local accounts off, Azure RBAC is the only way in.
    new RoleAssignment(this, "deployer-cluster-admin", {
      scope: this.cluster.id,
      roleDefinitionName: "Azure Kubernetes Service RBAC Cluster Admin",
      principalId: deployerObjectId(config.deployerObjectId, deployer),
    });

    if (aks.systemPoolCriticalAddonsOnly) {
      new KubernetesClusterNodePool(this, "workload-pool", {
        name: "workload",
        kubernetesClusterId: this.cluster.id,
        mode: "User",
        vmSize: aks.vmSize,
        nodeCount: aks.workloadNodeCount,
        vnetSubnetId: this.aksSubnet?.id,
        hostEncryptionEnabled: aks.hostEncryption,
        maxPods: aks.maxPods,
        osDiskType: aks.osDiskType,
        osDiskSizeGb: aks.osDiskSizeGb,
        temporaryNameForRotation: "workloadtmp",
        upgradeSettings: UPGRADE_SETTINGS,
        tags: config.tags,
      });
    }

    for (const app of config.apps.filter((a) => a.identity === "workload")) {
      const uai = new UserAssignedIdentity(this, appLogicalId(config, app, "app-identity"), {
        name: `id-${app.name}-${config.environment}`,
        location: this.resourceGroup.location,
        resourceGroupName: this.resourceGroup.name,
        tags: config.tags,
      });
      const account = workloadServiceAccount(app);
      // Only tokens for this one service account, issued by this cluster, can act as the identity.
      new FederatedIdentityCredential(this, appLogicalId(config, app, "app-identity-federation"), {
        name: federatedCredentialName(aks.name, account.namespace, account.name),
        resourceGroupName: this.resourceGroup.name,
        parentId: uai.id,
        issuer: this.cluster.oidcIssuerUrl,
        subject: `system:serviceaccount:${account.namespace}:${account.name}`,
        audience: ["api://AzureADTokenExchange"],
      });
      this.workloadIdentities[app.name] = { clientId: uai.clientId, objectId: uai.principalId };
      new TerraformOutput(this, appOutputName(config, app, OUTPUTS.workloadIdentityClientId), { value: uai.clientId });
      new TerraformOutput(this, appOutputName(config, app, OUTPUTS.workloadIdentityObjectId), { value: uai.principalId, description: "Object ID of the app's identity (goes into role assignments and access policies)" });
    }

    const identity = this.cluster.keyVaultSecretsProvider.secretIdentity.get(0);
    this.secretsProviderIdentity = { clientId: identity.clientId, objectId: identity.objectId };
    this.tenantId = deployer.tenantId;
    const kubeConfig = this.cluster.kubeConfig.get(0);
    this.kubeHost = kubeConfig.host;
    this.kubeCaCertificate = kubeConfig.clusterCaCertificate;

    new TerraformOutput(this, OUTPUTS.clusterName, { value: this.cluster.name });
    new TerraformOutput(this, OUTPUTS.resourceGroupName, { value: this.resourceGroup.name });
    new TerraformOutput(this, OUTPUTS.oidcIssuerUrl, { value: this.cluster.oidcIssuerUrl });
    new TerraformOutput(this, OUTPUTS.secretsProviderClientId, {
      value: identity.clientId,
      description: "Client ID of the add-on identity (goes into the SecretProviderClass)",
    });
    new TerraformOutput(this, OUTPUTS.secretsProviderObjectId, {
      value: identity.objectId,
      description: "Object ID of the add-on identity (goes into the Key Vault access policy)",
    });
    new TerraformOutput(this, OUTPUTS.tenantId, { value: this.tenantId });
    new TerraformOutput(this, OUTPUTS.kubeHost, { value: this.kubeHost, sensitive: true, description: "The API server's URL" });
    new TerraformOutput(this, OUTPUTS.kubeClusterCaCertificate, { value: this.kubeCaCertificate, sensitive: true, description: "The API server's CA, base64 PEM" });
  }
}
