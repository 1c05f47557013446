// The validated shape of one environment file (config/<env>.json).
// Everything the stacks need arrives through these types; no stack or
// construct reads files or environment variables on its own.

export type ObjectType = "secret" | "key" | "cert";

/** A value read from a local file at apply time and written with the provider's write-only argument. */
export interface FileSource {
  readonly kind: "file";
  /** Path relative to the project root, e.g. "secrets/dev/configurable-secret.json". */
  readonly file: string;
}

/** An object created out of band: Terraform only maps it into the pod. */
export interface ExistingSource {
  readonly kind: "existing";
}

export interface SecretConfig {
  readonly objectName: string;
  readonly objectType: ObjectType;
  readonly objectAlias: string;
  readonly contentType?: string;
  readonly source: FileSource | ExistingSource;
}

export interface BackendConfig {
  readonly resourceGroupName: string;
  readonly storageAccountName: string;
  readonly containerName: string;
}

export type KubeloginMode = "azurecli" | "workloadidentity" | "spn" | "msi";

export interface AksConfig {
  readonly name: string;
  readonly dnsPrefix: string;
  readonly kubernetesVersion?: string;
  readonly nodeCount: number;
  readonly vmSize: string;
  readonly skuTier: "Free" | "Standard" | "Premium";
  readonly secretRotationInterval: string;
  readonly localAccountDisabled: boolean;
  readonly adminGroupObjectIds: readonly string[];
  readonly kubeloginMode: KubeloginMode;
}

export interface KeyVaultConfig {
  readonly name: string;
  readonly sku: "standard" | "premium";
  readonly purgeProtection: boolean;
  readonly softDeleteRetentionDays: number;
  readonly secrets: readonly SecretConfig[];
}

export interface AppConfig {
  readonly namespace: string;
  readonly name: string;
  readonly image: string;
  readonly replicas: number;
  readonly containerPort: number;
}

export interface EnvironmentConfig {
  /** The environment name, taken from the file name: config/dev.json -> "dev". */
  readonly environment: string;
  /** The file it came from, relative to the project root, for messages. */
  readonly file: string;
  readonly location: string;
  readonly resourceGroupName: string;
  readonly subscriptionId?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly backend?: BackendConfig;
  readonly aks: AksConfig;
  readonly keyVault: KeyVaultConfig;
  readonly app: AppConfig;
}

/** Where the secrets are mounted in every pod; the lab and the demo app expect this path. */
export const SECRETS_MOUNT_PATH = "/app/secrets";
