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
  /** RFC 3339 UTC time after which Key Vault refuses the secret, e.g. "2027-12-31T00:00:00Z". */
  readonly expiresAt?: string;
  readonly source: FileSource | ExistingSource;
}

export interface BackendConfig {
  readonly resourceGroupName: string;
  readonly storageAccountName: string;
  readonly containerName: string;
}

/** Where the pipeline runs this environment's jobs. */
export interface CiConfig {
  /**
   * GitHub runner labels. Absent: a GitHub-hosted runner, which cannot reach
   * a vault firewall or an API server that admits only listed addresses.
   */
  readonly runsOn?: readonly string[];
  /**
   * Opt-in for a GitHub-hosted runner where the vault or API server admit
   * only listed addresses: the job adds the runner's address to both for its
   * own length (AKSKV_RUNNER_IP at synth, npm run runner-access around it).
   */
  readonly hostedRunnerAccess: boolean;
  /**
   * Deployed only after every unprotected environment a push changed has
   * deployed; give its GitHub environment required reviewers too.
   */
  readonly protected: boolean;
}

export type KubeloginMode = "azurecli" | "workloadidentity" | "spn" | "msi";
export type NetworkPolicy = "calico" | "cilium" | "none";
export type UpgradeChannel = "patch" | "stable" | "rapid" | "node-image" | "none";

/** A VNet the AKS stack creates; the cluster's nodes and pods live in its subnet. */
export interface NetworkConfig {
  readonly addressSpace: string;
  /** Has the Microsoft.KeyVault service endpoint, so a vault that denies public traffic still serves pods. */
  readonly aksSubnet: string;
}

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
  readonly oidcIssuer: boolean;
  readonly networkPolicy: NetworkPolicy;
  /** CIDRs allowed to reach the API server; empty with privateCluster false means open to the internet. */
  readonly apiServerAuthorizedIpRanges: readonly string[];
  readonly privateCluster: boolean;
  readonly azurePolicy: boolean;
  readonly automaticUpgradeChannel: UpgradeChannel;
  /** A Log Analytics workspace for Container Insights and the vault's audit logs. */
  readonly monitoring: boolean;
  readonly logRetentionDays: number;
  /** Taints the system pool for critical add-ons only and adds a "workload" pool for apps. */
  readonly systemPoolCriticalAddonsOnly: boolean;
  readonly workloadNodeCount: number;
  readonly hostEncryption: boolean;
  readonly diskEncryptionSetId?: string;
  /** Pods per node, on every pool. */
  readonly maxPods: number;
  /** "Ephemeral": the OS disk on the VM's local disk (the size needs one), every pool. */
  readonly osDiskType: "Managed" | "Ephemeral";
}

export type KeyVaultAuthorization = "accessPolicy" | "rbac";

export interface KeyVaultConfig {
  readonly name: string;
  readonly sku: "standard" | "premium";
  readonly purgeProtection: boolean;
  readonly softDeleteRetentionDays: number;
  /** Access policies (as in the lab) or Azure RBAC role assignments. */
  readonly authorization: KeyVaultAuthorization;
  /** Built-in roles used in rbac mode. */
  readonly readerRole: string;
  readonly deployerRole: string;
  /** "Deny": only the AKS subnet and allowedCidrs reach the vault. */
  readonly networkDefaultAction: "Allow" | "Deny";
  /** Deployers' public IPs or ranges (Terraform writes secrets through the data plane). */
  readonly allowedCidrs: readonly string[];
  /** AuditEvent logs to the monitoring workspace. */
  readonly diagnostics: boolean;
  readonly secrets: readonly SecretConfig[];
}

export type AppIdentity = "addon" | "workload";

export interface AppResources {
  readonly cpuRequest: string;
  readonly memoryRequest: string;
  readonly cpuLimit: string;
  readonly memoryLimit: string;
}

export interface AppConfig {
  readonly namespace: string;
  readonly name: string;
  readonly image: string;
  readonly replicas: number;
  /** An unprivileged port: the pod runs as a non-root user. */
  readonly containerPort: number;
  /**
   * "addon": the add-on's node identity, as in the lab (any pod on the node can use it).
   * "workload": a user-assigned identity federated with this app's service account only.
   */
  readonly identity: AppIdentity;
  readonly runAsUser: number;
  readonly resources: AppResources;
  readonly probePath: string;
  readonly env: Readonly<Record<string, string>>;
  /**
   * Put the Key Vault version of every secret this project manages on the pod
   * template, so a deploy that changes a secret rolls the pods.
   */
  readonly rolloutOnSecretChange: boolean;
}

export interface PolicyWaiver {
  readonly rule: string;
  readonly reason: string;
}

export interface EnvironmentConfig {
  /** The environment name, taken from the file name: config/dev.json -> "dev". */
  readonly environment: string;
  /** The file it came from, relative to the project root, for messages. */
  readonly file: string;
  readonly location: string;
  readonly resourceGroupName: string;
  readonly subscriptionId?: string;
  /**
   * Object ID of the identity that deploys (a pipeline's, or a person's). Absent:
   * whoever runs Terraform, so another identity's plan shows the deployer's
   * access replaced.
   */
  readonly deployerObjectId?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly backend?: BackendConfig;
  readonly ci: CiConfig;
  readonly network?: NetworkConfig;
  readonly aks: AksConfig;
  readonly keyVault: KeyVaultConfig;
  readonly app: AppConfig;
  /** Policy rules this environment does not meet, each with the reason. */
  readonly policyWaivers: readonly PolicyWaiver[];
}

/** Where the secrets are mounted in every pod; the lab and the demo app expect this path. */
export const SECRETS_MOUNT_PATH = "/app/secrets";
