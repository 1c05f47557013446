import { KubernetesCluster, type KubernetesClusterConfig } from "@cdktf/provider-azurerm/lib/kubernetes-cluster";
import { KubernetesClusterNodePool } from "@cdktf/provider-azurerm/lib/kubernetes-cluster-node-pool";
import type { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { TerraformStack } from "cdktf";
import { Construct } from "constructs";
import type { AksConfig } from "../config/types";
import { ContainerInsights } from "./container-insights";

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

export interface AksClusterProps {
  readonly aks: AksConfig;
  readonly resourceGroup: ResourceGroup;
  readonly location: string;
  readonly tenantId: string;
  /** The OBJECT ID of whoever runs `cdktf deploy`: it gets cluster admin to deploy the app stack. */
  readonly deployerObjectId: string;
  /** With a network section: the nodes' subnet. */
  readonly subnetId?: string;
  /** With aks.monitoring: where Container Insights sends. */
  readonly logAnalyticsWorkspaceId?: string;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * The AKS cluster with the azure-keyvault-secrets-provider add-on (rotation on), the OIDC issuer and
 * workload identity, Entra ID with Azure RBAC instead of local accounts; its workload pool, Container
 * Insights, and the rights the cluster and the deployer need on it. Its resources sit at the stack's
 * scope, so their addresses (and state) are the stack's (the logical-ID pins guard them).
 */
export class AksCluster extends Construct {
  readonly cluster: KubernetesCluster;

  constructor(scope: Construct, id: string, props: AksClusterProps) {
    super(scope, id);
    const { aks, tags } = props;
    const stack = TerraformStack.of(this);
    this.cluster = new KubernetesCluster(stack, "cluster", clusterConfig(props));
    if (props.logAnalyticsWorkspaceId) {
      new ContainerInsights(stack, "container-insights", {
        clusterName: aks.name,
        clusterId: this.cluster.id,
        resourceGroupName: props.resourceGroup.name,
        location: props.location,
        workspaceId: props.logAnalyticsWorkspaceId,
        tags,
      });
    }
    if (props.subnetId) {
      // The cluster's identity joins load balancers and nodes to a subnet it does
      // not own; without this, LoadBalancer Services never get an address
      // (LinkedAuthorizationFailed ... subnets/join/action).
      new RoleAssignment(stack, "cluster-subnet-network-contributor", { scope: props.subnetId, roleDefinitionName: "Network Contributor", principalId: this.cluster.identity.principalId });
    }
    // The principal that runs `cdktf deploy` must reach the Kubernetes API to
    // deploy the app stack; with local accounts off, Azure RBAC is the only way in.
    new RoleAssignment(stack, "deployer-cluster-admin", { scope: this.cluster.id, roleDefinitionName: "Azure Kubernetes Service RBAC Cluster Admin", principalId: props.deployerObjectId });
    if (aks.systemPoolCriticalAddonsOnly) {
      new KubernetesClusterNodePool(stack, "workload-pool", {
        name: "workload",
        kubernetesClusterId: this.cluster.id,
        mode: "User",
        vmSize: aks.vmSize,
        nodeCount: aks.workloadNodeCount,
        vnetSubnetId: props.subnetId,
        hostEncryptionEnabled: aks.hostEncryption,
        maxPods: aks.maxPods,
        osDiskType: aks.osDiskType,
        osDiskSizeGb: aks.osDiskSizeGb,
        temporaryNameForRotation: "workloadtmp",
        upgradeSettings: UPGRADE_SETTINGS,
        tags,
      });
    }
  }
}

function clusterConfig(props: AksClusterProps): KubernetesClusterConfig {
  const { aks } = props;
  return {
    name: aks.name,
    location: props.resourceGroup.location,
    resourceGroupName: props.resourceGroup.name,
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
    omsAgent: props.logAnalyticsWorkspaceId
      ? { logAnalyticsWorkspaceId: props.logAnalyticsWorkspaceId, msiAuthForMonitoringEnabled: true }
      : undefined,
    defaultNodePool: {
      name: "system",
      nodeCount: aks.nodeCount,
      vmSize: aks.vmSize,
      vnetSubnetId: props.subnetId,
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
      tenantId: props.tenantId,
      adminGroupObjectIds: [...aks.adminGroupObjectIds],
    },
    tags: props.tags,
  };
}
