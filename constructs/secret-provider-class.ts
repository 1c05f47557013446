import { Manifest } from "@cdktf/provider-kubernetes/lib/manifest";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { ObjectType } from "../config/types";

export interface KeyVaultObject {
  readonly objectName: string;
  readonly objectType: ObjectType;
  /** The file name the object gets in the mounted volume (a folder of versions with objectVersionHistory). */
  readonly objectAlias: string;
  readonly objectVersion?: string;
  readonly objectVersionHistory?: number;
  readonly objectFormat?: string;
  readonly objectEncoding?: string;
  /** Octal, as a string: quoted in the YAML, since the provider reads it into a string field. */
  readonly filePermission?: string;
}

export interface SecretProviderClassProps {
  readonly name: string;
  readonly namespace: string;
  readonly keyVaultName: string;
  readonly tenantId: string;
  /**
   * The CLIENT ID of the identity that reads the vault. Access policies and role
   * assignments take its OBJECT ID instead.
   */
  readonly identityClientId: string;
  /**
   * "node": a user-assigned identity on the nodes (the add-on's); any pod on
   * the node can use it. "workload": federated with the pod's service account.
   */
  readonly identityKind: "node" | "workload";
  readonly objects: readonly KeyVaultObject[];
  /**
   * Kubernetes Secrets the driver keeps in step with mounted objects (secretObjects): each maps object
   * aliases to keys. They exist only while a pod mounts the class.
   */
  readonly syncedSecrets?: readonly SyncedSecret[];
  readonly dependsOn?: ITerraformDependable[];
}

export interface SyncedSecret {
  readonly secretName: string;
  readonly type: "Opaque" | "kubernetes.io/tls";
  /** objectName is the object's alias in the mount, as the driver looks it up. */
  readonly data: readonly { readonly objectName: string; readonly key: string }[];
}

/**
 * The `objects` parameter in the form the Azure provider parses: a YAML
 * document with an `array` of YAML documents, one per object. Names and
 * aliases are validated to plain characters, so no quoting is needed.
 */
export function objectsParameter(objects: readonly KeyVaultObject[]): string {
  const entries = objects.map((o) => {
    const options = [
      o.objectVersion && `objectVersion: ${o.objectVersion}`,
      o.objectVersionHistory && `objectVersionHistory: ${o.objectVersionHistory}`,
      o.objectFormat && `objectFormat: ${o.objectFormat}`,
      o.objectEncoding && `objectEncoding: ${o.objectEncoding}`,
      o.filePermission && `filePermission: "${o.filePermission}"`,
    ].filter(Boolean);
    return `  - |\n    objectName: ${o.objectName}\n    objectType: ${o.objectType}\n    objectAlias: ${o.objectAlias}\n${options.map((line) => `    ${line}\n`).join("")}`;
  });
  return `array:\n${entries.join("")}`;
}

/** The provider's identity parameters for each way of signing in. */
export function identityParameters(kind: "node" | "workload", clientId: string): Record<string, string> {
  if (kind === "workload") return { usePodIdentity: "false", clientID: clientId };
  return { usePodIdentity: "false", useVMManagedIdentity: "true", userAssignedIdentityID: clientId };
}

/**
 * The secrets-store.csi.x-k8s.io/v1 SecretProviderClass for the Azure provider, as a manifest: what the
 * construct applies, and what lab:rotation creates, so the lab measures the stacks' own class.
 * Every parameter value is a string, as the CRD requires.
 */
export function secretProviderClassManifest(props: Omit<SecretProviderClassProps, "dependsOn">): Record<string, unknown> {
  return {
    apiVersion: "secrets-store.csi.x-k8s.io/v1",
    kind: "SecretProviderClass",
    metadata: { name: props.name, namespace: props.namespace },
    spec: {
      provider: "azure",
      parameters: {
        ...identityParameters(props.identityKind, props.identityClientId),
        keyvaultName: props.keyVaultName,
        // The provider reads tenantID first; the lab's tenantId spelling is deprecated.
        tenantID: props.tenantId,
        objects: objectsParameter(props.objects),
      },
      ...(props.syncedSecrets?.length ? { secretObjects: props.syncedSecrets } : {}),
    },
  };
}

export class SecretProviderClass extends Construct {
  readonly name: string;
  readonly manifest: Manifest;

  constructor(scope: Construct, id: string, props: SecretProviderClassProps) {
    super(scope, id);
    this.name = props.name;
    this.manifest = new Manifest(this, "manifest", { manifest: secretProviderClassManifest(props), dependsOn: props.dependsOn });
  }
}
