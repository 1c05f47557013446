import { KeyVaultAccessPolicyA } from "@cdktf/provider-azurerm/lib/key-vault-access-policy";
import type { KeyVaultSecret } from "@cdktf/provider-azurerm/lib/key-vault-secret";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { type ITerraformDependable, TerraformStack } from "cdktf";
import { Construct } from "constructs";
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
import type { AppConfig, KeyVaultConfig, SecretConfig } from "../config/types";
import { OBJECT_COLLECTION } from "../lib/names";
import { TerraformData } from "../lib/terraform-data";

export interface VaultAccessProps {
  readonly vaultId: string;
  readonly vaultUri: string;
  readonly tenantId: string;
  /** The deployer's OBJECT ID. */
  readonly deployerObjectId: string;
  readonly keyVault: KeyVaultConfig;
  readonly environment: string;
  /** The path back to the project root from where Terraform runs the stack, for the deployer's wait. */
  readonly rootFromStackDir: string;
  /** The identities that read for pods (config/access.ts), each with the apps it reads for. */
  readonly readers: readonly VaultReader<AppConfig>[];
  /** The objects an app mounts. */
  readonly objectsOf: (app: AppConfig) => readonly SecretConfig[];
}

/**
 * Who may use the vault, granted as config/access.ts decides: in accessPolicy mode an access policy
 * per reader and the deployer's; in rbac mode the deployer's role on the vault (and a bounded wait
 * until it is in effect) now, and each reader's role on each object it reads once the objects exist
 * (`grantObjects`).
 *
 * Its resources sit at the stack's scope, so their Terraform addresses, and with them the state, are
 * those of the stack (the logical-ID pins guard them).
 */
export class VaultAccess extends Construct {
  /** What lets Terraform write secrets: an access policy, or a role assignment in effect. */
  readonly deployer: ITerraformDependable;
  private readonly props: VaultAccessProps;

  constructor(scope: Construct, id: string, props: VaultAccessProps) {
    super(scope, id);
    this.props = props;
    this.deployer = props.keyVault.authorization === "rbac" ? this.deployerRole() : this.accessPolicies();
  }

  /** rbac mode: each reader, on each object its apps mount and no other; app A's identity cannot read app B's secret. */
  grantObjects(uploaded: ReadonlyMap<string, KeyVaultSecret>): void {
    const { keyVault, readers, vaultId } = this.props;
    if (keyVault.authorization !== "rbac") return;
    readers.forEach((reader, index) => {
      for (const secret of objectsReadBy(keyVault.secrets, reader)) {
        const managed = uploaded.get(secret.objectName);
        new RoleAssignment(TerraformStack.of(this), readerRoleId(reader, index, secret.objectName), {
          scope: `${vaultId}/${OBJECT_COLLECTION[secret.objectType]}/${secret.objectName}`,
          roleDefinitionName: readerRoleOn(secret.objectType, keyVault.readerRole),
          principalId: reader.objectId,
          // The scope must exist: an uploaded secret first.
          dependsOn: managed ? [managed] : undefined,
        });
      }
    });
  }

  private deployerRole(): ITerraformDependable {
    const { keyVault, vaultId, deployerObjectId } = this.props;
    const stack = TerraformStack.of(this);
    const role = new RoleAssignment(stack, "deployer-role", { scope: vaultId, roleDefinitionName: keyVault.deployerRole, principalId: deployerObjectId });
    // RBAC propagates after a delay and azurerm does not retry a 403: the first secret write waits,
    // bounded, until the role is in effect on the data plane (tools/ci/vault-access.ts), once per assignment.
    const ready = new TerraformData(stack, "deployer-role-ready", {
      triggersReplace: { role: role.id },
      dependsOn: [role],
      provisioners: [{ type: "local-exec", command: `npm run -s ci:wait-for-vault-access -- --env ${this.props.environment} --vault-url ${this.props.vaultUri}`, workingDir: this.props.rootFromStackDir }],
    });
    const checks = deployerChecks(keyVault.secrets);
    if (checks.key || checks.cert) new RoleAssignment(stack, "deployer-reader-role", { scope: vaultId, roleDefinitionName: DEPLOYER_CHECKER_ROLE, principalId: deployerObjectId });
    return ready;
  }

  /** Access policies grant vault-wide: each reader reads every object (synth warns where apps share a vault this way). */
  private accessPolicies(): ITerraformDependable {
    const { keyVault, vaultId, tenantId, readers, objectsOf } = this.props;
    const stack = TerraformStack.of(this);
    readers.forEach((reader, index) => {
      new KeyVaultAccessPolicyA(stack, readerPolicyId(reader, index), {
        keyVaultId: vaultId,
        tenantId,
        objectId: reader.objectId,
        ...readerPermissions(reader.apps.flatMap(objectsOf)),
        storagePermissions: [],
      });
    });
    const checks = deployerChecks(keyVault.secrets);
    return new KeyVaultAccessPolicyA(stack, "deployer-access", {
      keyVaultId: vaultId,
      tenantId,
      objectId: this.props.deployerObjectId,
      secretPermissions: DEPLOYER_SECRET_PERMISSIONS,
      keyPermissions: checks.key ? ["Get"] : undefined,
      certificatePermissions: checks.cert ? ["Get"] : undefined,
    });
  }
}
