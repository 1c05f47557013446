import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import type { KubernetesCluster } from "@cdktf/provider-azurerm/lib/kubernetes-cluster";
import { LogAnalyticsWorkspace } from "@cdktf/provider-azurerm/lib/log-analytics-workspace";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { Subnet } from "@cdktf/provider-azurerm/lib/subnet";
import { VirtualNetwork } from "@cdktf/provider-azurerm/lib/virtual-network";
import { TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { AppConfig, EnvironmentConfig } from "../config/types";
import { AksCluster } from "../constructs/aks-cluster";
import { WorkloadIdentity } from "../constructs/workload-identity";
import { appLogicalId, appOutputName, workloadServiceAccount } from "../lib/apps";
import { azureProvider, deployerObjectId } from "../lib/azure-provider";
import { configureState, type StateProps } from "../lib/backend";
import { OUTPUTS } from "../lib/names";

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
 * Stack 1: the resource group, the network (with a network section), Log Analytics (with
 * aks.monitoring), the AKS cluster with the azure-keyvault-secrets-provider add-on, and a workload
 * identity for each app that has one.
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
    this.resourceGroup = new ResourceGroup(this, "resource-group", { name: config.resourceGroupName, location: config.location, tags: config.tags });
    this.aksSubnet = config.network && this.network(config, config.network);
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
    this.cluster = new AksCluster(this, "aks", {
      aks,
      resourceGroup: this.resourceGroup,
      location: config.location,
      tenantId: deployer.tenantId,
      deployerObjectId: deployerObjectId(config.deployerObjectId, deployer),
      subnetId: this.aksSubnet?.id,
      logAnalyticsWorkspaceId: this.logAnalytics?.id,
      tags: config.tags,
    }).cluster;
    for (const app of config.apps.filter((a) => a.identity === "workload")) this.workloadIdentity(config, app);

    const identity = this.cluster.keyVaultSecretsProvider.secretIdentity.get(0);
    this.secretsProviderIdentity = { clientId: identity.clientId, objectId: identity.objectId };
    this.tenantId = deployer.tenantId;
    const kubeConfig = this.cluster.kubeConfig.get(0);
    this.kubeHost = kubeConfig.host;
    this.kubeCaCertificate = kubeConfig.clusterCaCertificate;
    this.outputs();
  }

  /** The VNet and the nodes' subnet, which a vault that denies public traffic admits. */
  private network(config: EnvironmentConfig, network: NonNullable<EnvironmentConfig["network"]>): Subnet {
    const vnet = new VirtualNetwork(this, "network", {
      name: `vnet-${config.aks.name}`,
      location: this.resourceGroup.location,
      resourceGroupName: this.resourceGroup.name,
      addressSpace: [network.addressSpace],
      tags: config.tags,
    });
    return new Subnet(this, "aks-subnet", {
      name: "aks",
      resourceGroupName: this.resourceGroup.name,
      virtualNetworkName: vnet.name,
      addressPrefixes: [network.aksSubnet],
      // Lets a vault whose firewall denies public traffic admit this subnet.
      serviceEndpoints: ["Microsoft.KeyVault"],
    });
  }

  private workloadIdentity(config: EnvironmentConfig, app: AppConfig): void {
    const identity = new WorkloadIdentity(this, `identity-${app.name}`, {
      name: `id-${app.name}-${config.environment}`,
      location: this.resourceGroup.location,
      resourceGroupName: this.resourceGroup.name,
      clusterName: config.aks.name,
      issuer: this.cluster.oidcIssuerUrl,
      serviceAccount: workloadServiceAccount(app),
      logicalIds: { identity: appLogicalId(config, app, "app-identity"), federation: appLogicalId(config, app, "app-identity-federation") },
      tags: config.tags,
    });
    this.workloadIdentities[app.name] = { clientId: identity.clientId, objectId: identity.objectId };
    new TerraformOutput(this, appOutputName(config, app, OUTPUTS.workloadIdentityClientId), { value: identity.clientId });
    new TerraformOutput(this, appOutputName(config, app, OUTPUTS.workloadIdentityObjectId), { value: identity.objectId, description: "Object ID of the app's identity (goes into role assignments and access policies)" });
  }

  private outputs(): void {
    new TerraformOutput(this, OUTPUTS.clusterName, { value: this.cluster.name });
    new TerraformOutput(this, OUTPUTS.resourceGroupName, { value: this.resourceGroup.name });
    new TerraformOutput(this, OUTPUTS.oidcIssuerUrl, { value: this.cluster.oidcIssuerUrl });
    new TerraformOutput(this, OUTPUTS.secretsProviderClientId, {
      value: this.secretsProviderIdentity.clientId,
      description: "Client ID of the add-on identity (goes into the SecretProviderClass)",
    });
    new TerraformOutput(this, OUTPUTS.secretsProviderObjectId, {
      value: this.secretsProviderIdentity.objectId,
      description: "Object ID of the add-on identity (goes into the Key Vault access policy)",
    });
    new TerraformOutput(this, OUTPUTS.tenantId, { value: this.tenantId });
    new TerraformOutput(this, OUTPUTS.kubeHost, { value: this.kubeHost, sensitive: true, description: "The API server's URL" });
    new TerraformOutput(this, OUTPUTS.kubeClusterCaCertificate, { value: this.kubeCaCertificate, sensitive: true, description: "The API server's CA, base64 PEM" });
  }
}
