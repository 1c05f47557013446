// Stack names end with the environment, so `cdktf deploy '*-dev'` deploys one environment.
import { createHash } from "crypto";

/** An environment's stacks, in deploy order. */
export const STACK_KINDS = ["aks", "keyvault", "app"] as const;
export type StackKind = (typeof STACK_KINDS)[number];

/** The stack that holds the other stacks' state; deployed once, by hand, before any environment. */
export const STATE_STACK = "bootstrap";

export function stackName(kind: StackKind, environment: string): string {
  return `${kind}-${environment}`;
}

/** The environment a stack belongs to: what follows its kind ("keyvault-dev" -> "dev"). */
export function environmentOf(stack: string): string {
  const dash = stack.indexOf("-");
  return dash < 0 ? stack : stack.slice(dash + 1);
}

/** A stack's kind: what precedes its environment ("keyvault-dev" -> "keyvault"). */
export function kindOf(stack: string): string {
  const dash = stack.indexOf("-");
  return dash < 0 ? stack : stack.slice(0, dash);
}

/** Where a Key Vault object of each type sits under the vault: a role assignment's scope and a data-plane path name it. */
export const OBJECT_COLLECTION = { secret: "secrets", cert: "certificates", key: "keys" } as const;

/** Terraform logical ID of a managed Key Vault secret; pinned by tests because a rename destroys the secret. */
export function secretLogicalId(objectName: string): string {
  return `secret-${objectName}`;
}

/** Logical ID of a managed secret's revision (what makes new content a new version); a rename writes the secret once more. */
export function secretRevisionLogicalId(objectName: string): string {
  return `secret-${objectName}-revision`;
}

/**
 * The stacks' named outputs: what `cdktf output`, npm run verify and the pipeline read after a deploy. One
 * definition, so a tool never finds an output by the generated name of a cross-stack reference.
 */
export const OUTPUTS = {
  clusterName: "cluster_name",
  resourceGroupName: "resource_group_name",
  oidcIssuerUrl: "oidc_issuer_url",
  secretsProviderClientId: "secrets_provider_client_id",
  secretsProviderObjectId: "secrets_provider_object_id",
  workloadIdentityClientId: "workload_identity_client_id",
  workloadIdentityObjectId: "workload_identity_object_id",
  tenantId: "tenant_id",
  kubeHost: "kube_host",
  kubeClusterCaCertificate: "kube_cluster_ca_certificate",
  keyVaultName: "key_vault_name",
  keyVaultUri: "key_vault_uri",
  keyVaultTenantId: "key_vault_tenant_id",
  appUrl: "app_url",
  /** The Key Vault version of a secret this project uploads. */
  secretVersion: (objectName: string) => `secret_version_${objectName}`,
} as const;

/** The SecretProviderClass of an app: the app stack creates it, verify reads it. */
export function secretProviderClassName(appName: string): string {
  return `${appName}-keyvault`;
}

/** The Kubernetes Secret the CSI driver syncs for an app's environment variables from Key Vault. */
export function envSecretName(appName: string): string {
  return `${appName}-keyvault-env`;
}

/** Azure's limit on a federated identity credential's name. */
export const FEDERATED_CREDENTIAL_NAME_MAX = 120;

/**
 * A federated credential's name: "<cluster>-<namespace>-<service account>", which reads well and is
 * unique per cluster. Azure takes 3-120 characters; a longer one keeps its first 111 and ends with
 * 8 hex characters of the whole name's SHA-256, so two long names still differ.
 */
export function federatedCredentialName(cluster: string, namespace: string, serviceAccount: string): string {
  const full = `${cluster}-${namespace}-${serviceAccount}`;
  if (full.length <= FEDERATED_CREDENTIAL_NAME_MAX) return full;
  return `${full.slice(0, FEDERATED_CREDENTIAL_NAME_MAX - 9)}-${createHash("sha256").update(full).digest("hex").slice(0, 8)}`;
}
