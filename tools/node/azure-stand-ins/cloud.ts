// The Azure stand-ins as one cloud whose every behaviour follows what the deploys applied: Entra ID's
// directory holds the given principals (the deployer) plus each identity ARM created, with its
// federated credentials; each vault ARM holds has a data plane whose reader rights are its access
// policies in access-policy mode, or the role assignments at its scopes in RBAC mode, in effect after a
// propagation delay, as Azure RBAC takes effect.
import type * as crypto from "crypto";
import { ArmStandIn, ARM_RESOURCE, type ArmConfig } from "./arm";
import { roleNameOf, type Stored } from "./arm-types";
import type { Directory, Identity } from "./entra";
import { signJwt } from "./jwt";
import { accessPolicyGrant, KeyVaultStandIn, ROLE_PERMISSIONS, VAULT_RESOURCE, type Collection, type VaultGrant } from "./keyvault";

export const GRAPH_RESOURCE = "https://graph.microsoft.com";

/**
 * An AKS user kubeconfig for a cluster with Entra ID integration, as the credential listing answers it:
 * kubelogin's exec plugin, no static credential; `server` and `caPem` are where its API server answers.
 */
export function aadKubeconfig(cluster: Stored, server: string, caPem: string): string {
  const ca = Buffer.from(caPem).toString("base64");
  return [
    "apiVersion: v1",
    "kind: Config",
    `clusters:\n- cluster:\n    certificate-authority-data: ${ca}\n    server: ${server}\n  name: ${cluster.name}`,
    `contexts:\n- context:\n    cluster: ${cluster.name}\n    user: clusterUser_${cluster.name}\n  name: ${cluster.name}`,
    `current-context: ${cluster.name}`,
    `users:\n- name: clusterUser_${cluster.name}\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: kubelogin\n      args: [get-token, --login, devicecode, --server-id, 6dae42f8-4368-4678-94ff-3960e28e3630]`,
    "",
  ].join("\n");
}

export interface CloudConfig extends Omit<ArmConfig, "principals" | "scopeExists"> {
  /** Principals that exist before any deploy: the deployer, with its federated credentials. */
  readonly given: readonly Identity[];
  /** Public keys of OIDC issuers (GitHub's, a cluster's), by issuer URL. */
  readonly issuerKeys: () => ReadonlyMap<string, crypto.KeyObject>;
  readonly signingKey: crypto.KeyObject;
  readonly identityHeader: string;
  /** How long a new role assignment takes to count on the data plane (ms); Azure's is minutes at worst. */
  readonly rbacPropagationMs: number;
}

export class AzureCloud {
  readonly arm: ArmStandIn;
  private readonly vaultPlanes = new Map<string, KeyVaultStandIn>();

  constructor(readonly config: CloudConfig) {
    this.arm = new ArmStandIn({ ...config, principals: config.given.map((i) => i.objectId), scopeExists: (id) => this.objectExists(id) });
  }

  /**
   * A call to ARM as a principal, with the token Entra ID would issue it: what `az` does for an operator
   * (the first-run checklist's provider registration, a policy or credential changed by hand).
   */
  callAs(principal: { clientId: string; objectId: string }, method: string, pathAndQuery: string, body?: unknown): { status: number; body: unknown } {
    const now = Math.floor((this.config.now ?? Date.now)() / 1000);
    const token = signJwt({ aud: ARM_RESOURCE, tid: this.config.tenantId, oid: principal.objectId, appid: principal.clientId, iat: now, exp: now + 600 }, this.config.signingKey);
    const response = this.arm.handle({ method, url: new URL(`${ARM_RESOURCE}${pathAndQuery}`), headers: { authorization: `Bearer ${token}` }, body: body === undefined ? "" : JSON.stringify(body) });
    return { status: response.status, body: response.body };
  }

  /** Entra ID as it stands: the given principals and every identity ARM holds now. */
  directory(): Directory {
    return {
      tenantId: this.config.tenantId,
      identities: [...this.config.given, ...this.createdIdentities()],
      issuerKeys: this.config.issuerKeys(),
      signingKey: this.config.signingKey,
      identityHeader: this.config.identityHeader,
      resources: [ARM_RESOURCE, VAULT_RESOURCE, GRAPH_RESOURCE],
    };
  }

  private createdIdentities(): Identity[] {
    const credentialsOf = (identity: Stored) =>
      this.arm.ofType("Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials")
        .filter((c) => c.parentId?.toLowerCase() === identity.id.toLowerCase())
        .map((c) => ({ issuer: c.body.properties.issuer, subject: c.body.properties.subject, audiences: c.body.properties.audiences }));
    const userAssigned = this.arm.ofType("Microsoft.ManagedIdentity/userAssignedIdentities").map((i) => ({
      clientId: i.body.properties.clientId,
      objectId: i.body.properties.principalId,
      onNodes: false,
      federatedCredentials: credentialsOf(i),
    }));
    const onNodes = this.arm.nodeIdentities().map((x) => ({ ...x, onNodes: true, federatedCredentials: [] }));
    return [...userAssigned, ...onNodes];
  }

  /** The data planes of the vaults ARM holds now, each keeping its objects while its vault lives (and while soft-deleted). */
  vaults(): KeyVaultStandIn[] {
    const live = this.arm.ofType("Microsoft.KeyVault/vaults");
    for (const vault of live) {
      const name = vault.name.toLowerCase();
      if (this.vaultPlanes.has(name)) continue;
      this.vaultPlanes.set(name, new KeyVaultStandIn({
        name,
        tenantId: this.config.tenantId,
        grants: [],
        tokenKey: this.config.signingKey,
        now: this.config.now,
        liveGrants: () => this.grantsOf(name),
        mode: () => (this.vaultOf(name)?.body.properties.enableRbacAuthorization ? "rbac" : "accessPolicy"),
      }));
    }
    // A purged vault's objects go with it.
    for (const name of this.vaultPlanes.keys()) if (!live.some((v) => v.name.toLowerCase() === name) && !this.arm.deletedVaults.has(name)) this.vaultPlanes.delete(name);
    return live.map((v) => this.vaultPlanes.get(v.name.toLowerCase())!);
  }

  private vaultOf(name: string): Stored | undefined {
    return this.arm.ofType("Microsoft.KeyVault/vaults").find((v) => v.name.toLowerCase() === name);
  }

  /**
   * Who may do what on a vault's objects, from the vault as applied: its access policies in
   * access-policy mode, or the role assignments at the vault, its group, its subscription or one of
   * its objects in RBAC mode, each from its creation plus the propagation delay. Never both.
   */
  grantsOf(name: string): VaultGrant[] {
    const vault = this.vaultOf(name);
    if (!vault) return [];
    if (!vault.body.properties.enableRbacAuthorization) {
      return (vault.body.properties.accessPolicies ?? []).map((p: { objectId: string; permissions?: Record<string, string[]> }) => accessPolicyGrant(p.objectId, p.permissions ?? {}));
    }
    const vaultId = vault.id.toLowerCase();
    return this.arm.ofType("Microsoft.Authorization/roleAssignments").flatMap((a) => {
      const scope = String(a.body.properties.scope).toLowerCase();
      const object = scope.startsWith(`${vaultId}/`) ? /^\/(secrets|certificates|keys)\/([^/]+)$/.exec(scope.slice(vaultId.length)) : null;
      const above = vaultId === scope || vaultId.startsWith(`${scope}/`);
      const role = roleNameOf(a.body.properties.roleDefinitionId);
      const permissions = role ? ROLE_PERMISSIONS[role] : undefined;
      if (!permissions || (!above && !object)) return [];
      return [{ objectId: a.body.properties.principalId, ...permissions, via: "rbac" as const, scope: object ? { collection: object[1] as Collection, name: object[2] } : undefined, effectiveFrom: Date.parse(a.body.properties.createdOn) + this.config.rbacPropagationMs }];
    });
  }

  /** Whether an ID names an object in a vault's data plane (a role assignment's scope may be one). */
  private objectExists(id: string): boolean {
    const match = /\/providers\/Microsoft\.KeyVault\/vaults\/([^/]+)\/(secrets|certificates|keys)\/([^/]+)$/i.exec(id);
    if (!match) return false;
    const plane = this.vaults().find((v) => v.config.name === match[1].toLowerCase());
    return Boolean(plane?.has(match[2].toLowerCase() as Collection, match[3]));
  }
}
