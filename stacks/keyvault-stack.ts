import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { KeyVault } from "@cdktf/provider-azurerm/lib/key-vault";
import { KeyVaultAccessPolicyA } from "@cdktf/provider-azurerm/lib/key-vault-access-policy";
import { KeyVaultSecret } from "@cdktf/provider-azurerm/lib/key-vault-secret";
import { MonitorDiagnosticSetting } from "@cdktf/provider-azurerm/lib/monitor-diagnostic-setting";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { Fn, type ITerraformDependable, TerraformOutput, TerraformStack, Token } from "cdktf";
import type { Construct } from "constructs";
import type { EnvironmentConfig, ObjectType, SecretConfig } from "../config/types";
import { azureProvider, deployerObjectId } from "../lib/azure-provider";
import { configureState, type StateProps } from "../lib/backend";
import { OUTPUTS, secretLogicalId } from "../lib/names";

export interface KeyVaultStackProps {
  readonly config: EnvironmentConfig;
  readonly state: StateProps;
  readonly resourceGroupName: string;
  readonly location: string;
  /** OBJECT ID of the identity that reads secrets for pods (the add-on's, or the app's workload identity). */
  readonly readerObjectId: string;
  /** The AKS subnet, admitted by the vault's firewall (with a network section). */
  readonly aksSubnetId?: string;
  /** Where AuditEvent logs go (with keyVault.diagnostics). */
  readonly logAnalyticsWorkspaceId?: string;
}

/** Secret permissions Terraform needs to create, rotate, delete, purge and recover secrets. */
export const DEPLOYER_SECRET_PERMISSIONS = ["Get", "List", "Set", "Delete", "Purge", "Recover"];

/**
 * What the reading identity may do: Get and List on secrets, and Get on keys or
 * certificates only when such objects are mapped. Nothing else.
 */
export function readerPermissions(types: readonly ObjectType[]): {
  secretPermissions: string[];
  keyPermissions: string[];
  certificatePermissions: string[];
} {
  return {
    secretPermissions: ["Get", "List"],
    keyPermissions: types.includes("key") ? ["Get"] : [],
    certificatePermissions: types.includes("cert") ? ["Get"] : [],
  };
}

/**
 * Terraform expressions for a secret read from a file at apply time. The value
 * goes through the write-only argument (never in plan or state); the version
 * is a number derived from the file's SHA-256, so new content makes a new
 * secret version on the next deploy.
 */
export function fileSecretValue(pathFromStackDir: string): { value: string; version: number } {
  const content = Fn.file(pathFromStackDir);
  return {
    value: Fn.sensitive(content),
    version: Token.asNumber(Fn.parseint(Fn.substr(Fn.sha256(content), 0, 8), 16)),
  };
}

/**
 * Stack 2: the Key Vault, who may use it, and the secrets Terraform manages.
 */
export class KeyVaultStack extends TerraformStack {
  readonly vault: KeyVault;
  /** What lets Terraform write secrets: an access policy, or a role assignment in rbac mode. */
  readonly deployerAccess: ITerraformDependable;
  readonly secrets: KeyVaultSecret[] = [];
  /** objectName -> the Key Vault version Terraform last wrote or read, for secrets this stack manages. */
  readonly secretVersions: Record<string, string> = {};

  constructor(scope: Construct, id: string, props: KeyVaultStackProps) {
    super(scope, id);
    const { config } = props;
    const kv = config.keyVault;
    configureState(this, props.state);
    azureProvider(this, { subscriptionId: config.subscriptionId, purgeOnDestroy: !kv.purgeProtection });

    const deployer = new DataAzurermClientConfig(this, "deployer", {});

    this.vault = new KeyVault(this, "vault", {
      name: kv.name,
      location: props.location,
      resourceGroupName: props.resourceGroupName,
      tenantId: deployer.tenantId,
      skuName: kv.sku,
      purgeProtectionEnabled: kv.purgeProtection,
      softDeleteRetentionDays: kv.softDeleteRetentionDays,
      // Access policies (as in the lab) are separate resources below, so
      // Terraform can order them against the secrets; or Azure RBAC.
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

    if (kv.authorization === "rbac") {
      new RoleAssignment(this, "secrets-reader-role", {
        scope: this.vault.id,
        roleDefinitionName: kv.readerRole,
        principalId: props.readerObjectId,
      });
      this.deployerAccess = new RoleAssignment(this, "deployer-role", {
        scope: this.vault.id,
        roleDefinitionName: kv.deployerRole,
        principalId: deployerObjectId(config.deployerObjectId, deployer),
      });
    } else {
      new KeyVaultAccessPolicyA(this, "secrets-provider-access", {
        keyVaultId: this.vault.id,
        tenantId: deployer.tenantId,
        objectId: props.readerObjectId,
        ...readerPermissions(kv.secrets.map((s) => s.objectType)),
        storagePermissions: [],
      });
      this.deployerAccess = new KeyVaultAccessPolicyA(this, "deployer-access", {
        keyVaultId: this.vault.id,
        tenantId: deployer.tenantId,
        objectId: deployerObjectId(config.deployerObjectId, deployer),
        secretPermissions: DEPLOYER_SECRET_PERMISSIONS,
      });
    }

    if (kv.diagnostics && props.logAnalyticsWorkspaceId) {
      new MonitorDiagnosticSetting(this, "vault-audit-logs", {
        name: "audit-to-log-analytics",
        targetResourceId: this.vault.id,
        logAnalyticsWorkspaceId: props.logAnalyticsWorkspaceId,
        enabledLog: [{ category: "AuditEvent" }],
      });
    }

    for (const secret of kv.secrets) {
      if (secret.source.kind !== "file") continue;
      const managed = this.managedSecret(secret, secret.source.file, props.state);
      this.secrets.push(managed);
      this.secretVersions[secret.objectName] = managed.version;
    }

    new TerraformOutput(this, OUTPUTS.keyVaultName, { value: this.vault.name });
    new TerraformOutput(this, OUTPUTS.keyVaultUri, { value: this.vault.vaultUri });
    new TerraformOutput(this, OUTPUTS.keyVaultTenantId, { value: this.vault.tenantId });
    for (const [objectName, version] of Object.entries(this.secretVersions)) new TerraformOutput(this, OUTPUTS.secretVersion(objectName), { value: version });
  }

  private managedSecret(secret: SecretConfig, file: string, state: StateProps): KeyVaultSecret {
    const { value, version } = fileSecretValue(`${state.rootFromStackDir}/${file}`);
    return new KeyVaultSecret(this, secretLogicalId(secret.objectName), {
      name: secret.objectName,
      keyVaultId: this.vault.id,
      valueWo: value,
      valueWoVersion: version,
      contentType: secret.contentType,
      expirationDate: secret.expiresAt,
      // Destroy deletes (and purges) secrets while Terraform still has the
      // permission to; without this the policy may go first and the destroy 403s.
      dependsOn: [this.deployerAccess],
    });
  }
}
