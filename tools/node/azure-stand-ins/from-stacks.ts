// What the stand-ins enforce comes from the synthesized stacks and their
// outputs, not from the test: the vault's access policies or role
// assignments (keyvault-<env>), and the identities and federated credential
// the AKS stack declares (aks-<env>). A wiring mistake in a stack is then
// refused here as Azure would refuse it.
import type { FederatedCredential, Identity } from "./entra";
import { accessPolicyGrant, ROLE_PERMISSIONS, type Collection, type VaultGrant } from "./keyvault";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** A stack's outputs as its state holds them: name -> value. */
export type Outputs = Record<string, unknown>;

export class StandInWiringError extends Error {}

/**
 * Resolves an expression of a synthesized stack to a value: a literal, an
 * upstream output (terraform_remote_state), the deploying identity
 * (azurerm_client_config), or an attribute of the stack's own resources that
 * one of its outputs carries.
 */
export function resolver(stack: Json, own: Outputs, upstream: Record<string, Outputs>, clientConfig: Record<string, string>) {
  return (expression: unknown): string => {
    const text = String(expression);
    if (!text.includes("${")) return text;
    const remote = /^\$\{data\.terraform_remote_state\.cross-stack-reference-input-([\w-]+)\.outputs\.([\w-]+)\}$/.exec(text);
    if (remote) {
      const value = upstream[remote[1]]?.[remote[2]];
      if (value === undefined) throw new StandInWiringError(`no output ${remote[2]} of ${remote[1]}`);
      return String(value);
    }
    const client = /^\$\{data\.azurerm_client_config\.[\w-]+\.(\w+)\}$/.exec(text);
    if (client) return clientConfig[client[1]];
    const output = Object.entries(stack.output ?? {}).find(([, o]) => (o as Json).value === text)?.[0];
    if (output && own[output] !== undefined) return String(own[output]);
    throw new StandInWiringError(`cannot resolve ${text}: no output carries it`);
  };
}

/** The object a role assignment's scope names ("<vault id>/secrets|certificates|keys/<name>"); the vault itself, none. */
function objectScope(scope: unknown): Pick<VaultGrant, "scope"> {
  const match = typeof scope === "string" ? /^\$\{azurerm_key_vault\.[\w-]+\.id\}\/(secrets|certificates|keys)\/([\w-]+)$/.exec(scope) : null;
  if (match) return { scope: { collection: match[1] as Collection, name: match[2] } };
  if (typeof scope === "string" && /^\$\{azurerm_key_vault\.[\w-]+\.id\}$/.test(scope)) return {};
  throw new StandInWiringError(`a role assignment at ${String(scope)}: neither the vault nor one of its objects`);
}

/** Who may do what on the vault's objects, from keyvault-<env>'s access policies or role assignments. */
export function vaultGrants(keyVaultStack: Json, resolve: (e: unknown) => string): VaultGrant[] {
  const policies = Object.values(keyVaultStack.resource?.azurerm_key_vault_access_policy ?? {}) as Json[];
  const roles = Object.values(keyVaultStack.resource?.azurerm_role_assignment ?? {}) as Json[];
  return [
    ...policies.map((p) => accessPolicyGrant(resolve(p.object_id), { secrets: p.secret_permissions, certificates: p.certificate_permissions, keys: p.key_permissions })),
    ...roles
      .filter((r) => r.role_definition_name in ROLE_PERMISSIONS)
      .map((r) => ({ objectId: resolve(r.principal_id), ...ROLE_PERMISSIONS[r.role_definition_name], via: "rbac" as const, ...objectScope(r.scope) })),
  ];
}

/**
 * The identities aks-<env> declares, with their IDs from its outputs: the
 * add-on's (assigned to the nodes) and each user-assigned identity with the
 * federated credentials whose parent it is.
 */
export function directoryIdentities(aksStack: Json, resolve: (e: unknown) => string): Identity[] {
  const identities: Identity[] = [];
  const addon = "${azurerm_kubernetes_cluster.cluster.key_vault_secrets_provider[0].secret_identity[0]";
  identities.push({ clientId: resolve(`${addon}.client_id}`), objectId: resolve(`${addon}.object_id}`), onNodes: true, federatedCredentials: [] });
  const credentials = Object.values(aksStack.resource?.azurerm_federated_identity_credential ?? {}) as Json[];
  for (const name of Object.keys(aksStack.resource?.azurerm_user_assigned_identity ?? {})) {
    const id = `\${azurerm_user_assigned_identity.${name}.id}`;
    const federatedCredentials: FederatedCredential[] = credentials
      .filter((c) => c.parent_id === id)
      .map((c) => ({ issuer: resolve(c.issuer), subject: resolve(c.subject), audiences: (c.audience ?? []).map(resolve) }));
    identities.push({
      clientId: resolve(`\${azurerm_user_assigned_identity.${name}.client_id}`),
      objectId: resolve(`\${azurerm_user_assigned_identity.${name}.principal_id}`),
      onNodes: false,
      federatedCredentials,
    });
  }
  return identities;
}
