// The validated shape of one environment file (config/<env>.json), derived from
// its one definition in schema.ts. Everything the stacks need arrives through
// these types; no stack or construct reads files or environment variables on its own.
import type * as z from "zod";
import type { environmentFile } from "./schema";

type EnvironmentFile = z.output<typeof environmentFile>;

export interface EnvironmentConfig extends EnvironmentFile {
  /** The environment name, taken from the file name: config/dev.json -> "dev". */
  readonly environment: string;
  /** The file it came from, relative to the project root, for messages. */
  readonly file: string;
}

export type BackendConfig = NonNullable<EnvironmentConfig["backend"]>;
export type CiConfig = EnvironmentConfig["ci"];
export type NetworkConfig = NonNullable<EnvironmentConfig["network"]>;
export type AksConfig = EnvironmentConfig["aks"];
export type KeyVaultConfig = EnvironmentConfig["keyVault"];
export type SecretConfig = KeyVaultConfig["secrets"][number];
/** A value read from a local file at apply time and written with the provider's write-only argument. */
export type FileSource = Extract<SecretConfig["source"], { kind: "file" }>;
export type ObjectType = SecretConfig["objectType"];
export type AppConfig = EnvironmentConfig["apps"][number];
export type AppResources = AppConfig["resources"];
export type AppIdentity = AppConfig["identity"];
export type KeyVaultAuthorization = KeyVaultConfig["authorization"];
export type KubeloginMode = AksConfig["kubeloginMode"];
export type NetworkPolicy = AksConfig["networkPolicy"];
export type UpgradeChannel = AksConfig["automaticUpgradeChannel"];
export type PolicyWaiver = EnvironmentConfig["policyWaivers"][number];

/** Where the secrets are mounted in every pod; the lab and the demo app expect this path. */
export const SECRETS_MOUNT_PATH = "/app/secrets";

/** The Secrets Store CSI driver's name, as a pod's CSI volume names it and the node registers it. */
export const CSI_DRIVER_NAME = "secrets-store.csi.k8s.io";
