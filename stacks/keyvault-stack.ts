import { DataAzurermClientConfig } from "@cdktf/provider-azurerm/lib/data-azurerm-client-config";
import { KeyVault } from "@cdktf/provider-azurerm/lib/key-vault";
import { KeyVaultAccessPolicyA } from "@cdktf/provider-azurerm/lib/key-vault-access-policy";
import { KeyVaultSecret } from "@cdktf/provider-azurerm/lib/key-vault-secret";
import { MonitorDiagnosticSetting } from "@cdktf/provider-azurerm/lib/monitor-diagnostic-setting";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { Fn, type ITerraformDependable, TerraformOutput, TerraformStack, Token } from "cdktf";
import type { Construct } from "constructs";
import {
  DEPLOYER_CHECKER_ROLE,
  DEPLOYER_SECRET_PERMISSIONS,
  deployerChecks,
  objectsReadBy,
  readerPermissions,
  readerPolicyId,
  readerRoleId,
  readerRoleOn,
  type VaultReader,
} from "../config/access";
import type { AppConfig, EnvironmentConfig, SecretConfig } from "../config/types";
import { objectsOf } from "../lib/apps";
import { azureProvider, deployerObjectId } from "../lib/azure-provider";
import { configureState, type StateProps } from "../lib/backend";
import { TerraformData } from "../lib/terraform-data";
import { OBJECT_COLLECTION, OUTPUTS, secretLogicalId, secretRevisionLogicalId } from "../lib/names";

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
 * A secret read from a file at apply time. The value goes through the write-only argument (never in
 * plan or state). Its version must change with the content yet tell nothing about it: a revision
 * (terraform_data) is replaced whenever the file's SHA-256 changes, and the version is 32 bits of the
 * revision's random ID. The hash sits in the revision's state marked sensitive, so no plan text, PR
 * comment or job summary shows it; the version shown is random.
 */
export function fileSecret(scope: Construct, objectName: string, pathFromStackDir: string): { value: string; version: number } {
  const content = Fn.file(pathFromStackDir);
  const revision = new TerraformData(scope, secretRevisionLogicalId(objectName), { triggersReplace: { content: Fn.sensitive(Fn.sha256(content)) } });
  return {
    value: Fn.sensitive(content),
    version: Token.asNumber(Fn.parseint(Fn.substr(Fn.replace(revision.id, "-", ""), 0, 8), 16)),
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

    const checks = deployerChecks(kv.secrets);
    const deployerId = deployerObjectId(config.deployerObjectId, deployer);
    if (kv.authorization === "rbac") {
      const role = new RoleAssignment(this, "deployer-role", {
        scope: this.vault.id,
        roleDefinitionName: kv.deployerRole,
        principalId: deployerId,
      });
      // RBAC propagates after a delay and azurerm does not retry a 403: the first secret write waits,
      // bounded, until the role is in effect on the data plane (tools/ci/vault-access.ts), once per assignment.
      this.deployerAccess = new TerraformData(this, "deployer-role-ready", {
        triggersReplace: { role: role.id },
        dependsOn: [role],
        provisioners: [{ type: "local-exec", command: `npm run -s wait-for-vault-access -- --env ${config.environment} --vault-url ${this.vault.vaultUri}`, workingDir: props.state.rootFromStackDir }],
      });
      if (checks.key || checks.cert) {
        new RoleAssignment(this, "deployer-reader-role", { scope: this.vault.id, roleDefinitionName: DEPLOYER_CHECKER_ROLE, principalId: deployerId });
      }
    } else {
      // Access policies grant vault-wide: each reader reads every object (synth warns where apps share a vault this way).
      props.readers.forEach((reader, index) => {
        new KeyVaultAccessPolicyA(this, readerPolicyId(reader, index), {
          keyVaultId: this.vault.id,
          tenantId: deployer.tenantId,
          objectId: reader.objectId,
          ...readerPermissions(reader.apps.flatMap((app) => objectsOf(config, app))),
          storagePermissions: [],
        });
      });
      this.deployerAccess = new KeyVaultAccessPolicyA(this, "deployer-access", {
        keyVaultId: this.vault.id,
        tenantId: deployer.tenantId,
        objectId: deployerId,
        secretPermissions: DEPLOYER_SECRET_PERMISSIONS,
        keyPermissions: checks.key ? ["Get"] : undefined,
        certificatePermissions: checks.cert ? ["Get"] : undefined,
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

    const managedByName = new Map<string, KeyVaultSecret>();
    for (const secret of kv.secrets) {
      if (secret.source.kind !== "file") continue;
      const managed = this.managedSecret(secret, secret.source.file, props.state);
      this.secrets.push(managed);
      managedByName.set(secret.objectName, managed);
      this.secretVersions[secret.objectName] = managed.version;
    }

    if (kv.authorization === "rbac") {
      // Each reader, on each object its apps mount and no other: app A's identity cannot read app B's secret.
      props.readers.forEach((reader, index) => {
        for (const secret of objectsReadBy(kv.secrets, reader)) {
          const managed = managedByName.get(secret.objectName);
          new RoleAssignment(this, readerRoleId(reader, index, secret.objectName), {
            scope: `${this.vault.id}/${OBJECT_COLLECTION[secret.objectType]}/${secret.objectName}`,
            roleDefinitionName: readerRoleOn(secret.objectType, kv.readerRole),
            principalId: reader.objectId,
            // The scope must exist: an uploaded secret first.
            dependsOn: managed ? [managed] : undefined,
          });
        }
      });
    }

    new TerraformOutput(this, OUTPUTS.keyVaultName, { value: this.vault.name });
    new TerraformOutput(this, OUTPUTS.keyVaultUri, { value: this.vault.vaultUri });
    new TerraformOutput(this, OUTPUTS.keyVaultTenantId, { value: this.vault.tenantId });
    for (const [objectName, version] of Object.entries(this.secretVersions)) new TerraformOutput(this, OUTPUTS.secretVersion(objectName), { value: version });
  }

  private managedSecret(secret: SecretConfig, file: string, state: StateProps): KeyVaultSecret {
    const { value, version } = fileSecret(this, secret.objectName, `${state.rootFromStackDir}/${file}`);
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
