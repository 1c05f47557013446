import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { KeyVault } from "@cdktf/provider-azurerm/lib/key-vault";
import { MonitorDiagnosticSetting } from "@cdktf/provider-azurerm/lib/monitor-diagnostic-setting";
import { TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { VaultReader } from "../config/access";
import type { AppConfig, EnvironmentConfig } from "../config/types";
import { VaultAccess } from "../constructs/vault-access";
import { VaultSecrets } from "../constructs/vault-secrets";
import { objectsOf } from "../lib/apps";
import { azureProvider, deployerObjectId } from "../lib/azure-provider";
import { configureState, type StateProps } from "../lib/backend";
import { OUTPUTS } from "../lib/names";

export interface KeyVaultStackProps {
  readonly config: EnvironmentConfig;
  readonly state: StateProps;
  readonly resourceGroupName: string;
  readonly location: string;
  /** The identities that read for pods, each with the apps it reads for (config/access.ts decides them and their rights). */
  readonly readers: readonly VaultReader<AppConfig>[];
  /** The AKS subnet, admitted by the vault's firewall (with a network section). */
  readonly aksSubnetId?: string;
  /** Where AuditEvent logs go (with keyVault.diagnostics). */
  readonly logAnalyticsWorkspaceId?: string;
}

/**
 * Stack 2: the Key Vault, who may use it, and the secrets Terraform manages.
 */
export class KeyVaultStack extends TerraformStack {
  readonly vault: KeyVault;
  /** objectName -> the Key Vault version Terraform last wrote, for secrets this stack manages. */
  readonly secretVersions: Record<string, string> = {};

  constructor(scope: Construct, id: string, props: KeyVaultStackProps) {
    super(scope, id);
    const { config, state } = props;
    const kv = config.keyVault;
    configureState(this, state);
    azureProvider(this, { subscriptionId: config.subscriptionId, purgeOnDestroy: !kv.purgeProtection });

    const deployer = new DataAzurermClientConfig(this, "deployer", {});
    this.vault = this.keyVault(props, deployer.tenantId);
    const access = new VaultAccess(this, "access", {
      vaultId: this.vault.id,
      vaultUri: this.vault.vaultUri,
      tenantId: deployer.tenantId,
      deployerObjectId: deployerObjectId(config.deployerObjectId, deployer),
      keyVault: kv,
      environment: config.environment,
      rootFromStackDir: state.rootFromStackDir,
      readers: props.readers,
      objectsOf: (app) => objectsOf(config, app),
    });
    if (kv.diagnostics && props.logAnalyticsWorkspaceId) {
      new MonitorDiagnosticSetting(this, "vault-audit-logs", {
        name: "audit-to-log-analytics",
        targetResourceId: this.vault.id,
        logAnalyticsWorkspaceId: props.logAnalyticsWorkspaceId,
        enabledLog: [{ category: "AuditEvent" }],
      });
    }
    const secrets = new VaultSecrets(this, "secrets", { vaultId: this.vault.id, secrets: kv.secrets, rootFromStackDir: state.rootFromStackDir, writeAccess: access.deployer });
    access.grantObjects(secrets.byName);

    new TerraformOutput(this, OUTPUTS.keyVaultName, { value: this.vault.name });
    new TerraformOutput(this, OUTPUTS.keyVaultUri, { value: this.vault.vaultUri });
    new TerraformOutput(this, OUTPUTS.keyVaultTenantId, { value: this.vault.tenantId });
    for (const [objectName, secret] of secrets.byName) {
      this.secretVersions[objectName] = secret.version;
      new TerraformOutput(this, OUTPUTS.secretVersion(objectName), { value: secret.version });
    }
  }

  private keyVault(props: KeyVaultStackProps, tenantId: string): KeyVault {
    const { config } = props;
    const kv = config.keyVault;
    return new KeyVault(this, "vault", {
      name: kv.name,
      location: props.location,
      resourceGroupName: props.resourceGroupName,
      tenantId,
      skuName: kv.sku,
      purgeProtectionEnabled: kv.purgeProtection,
      softDeleteRetentionDays: kv.softDeleteRetentionDays,
      // Access policies (as in the lab) are separate resources, so Terraform
      // can order them against the secrets; or Azure RBAC.
      rbacAuthorizationEnabled: kv.authorization === "rbac",
      networkAcls: {
        defaultAction: kv.networkDefaultAction,
        bypass: "AzureServices",
        ipRules: [...kv.allowedCidrs],
        // The AKS subnet, and subnets outside this project (a runner's) the config names.
        virtualNetworkSubnetIds: [...(props.aksSubnetId ? [props.aksSubnetId] : []), ...kv.allowedSubnetIds],
      },
      tags: config.tags,
    });
  }
}
