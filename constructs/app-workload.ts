import { DeploymentV1, type DeploymentV1SpecTemplateSpec, type DeploymentV1SpecTemplateSpecContainer } from "@cdktf/provider-kubernetes/lib/deployment-v1";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import { ServiceV1 } from "@cdktf/provider-kubernetes/lib/service-v1";
import { Fn, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import { CSI_DRIVER_NAME, SECRETS_MOUNT_PATH, type AppConfig, type SecretConfig } from "../config/types";
import { workloadServiceAccount } from "../lib/apps";
import { envSecretName, secretProviderClassName } from "../lib/names";
import { rolloutAnnotations } from "../lib/rollout";
import { SecretProviderClass, type SyncedSecret } from "./secret-provider-class";

/** app_url while the LoadBalancer Service has no address. */
export const APP_URL_PENDING = "pending: the LoadBalancer Service has no address yet (kubectl get service -n <namespace>)";

/** The annotation that gives a LoadBalancer Service a private address in the cluster's VNet (cloud-provider-azure). */
export const INTERNAL_LOAD_BALANCER = "service.beta.kubernetes.io/azure-load-balancer-internal";

/** app_url: the load balancer's address, or for ClusterIP the in-cluster name and how to reach it from outside. */
function appUrl(app: AppConfig, service: ServiceV1): string {
  const scheme = app.https ? "https" : "http";
  if (app.service.type === "ClusterIP") {
    return `${scheme}://${app.name}.${app.namespace}.svc.cluster.local (inside the cluster only; from a laptop: kubectl port-forward -n ${app.namespace} service/${app.name} 8080:${app.https ? 443 : 80})`;
  }
  // try(): while the Service has no address (the cloud controller has not given one yet, or is
  // replacing the load balancer) a bare index fails every plan and apply of this stack with "Invalid index".
  return Fn.try([`${scheme}://${service.status.get(0).loadBalancer.get(0).ingress.get(0).ip}`, APP_URL_PENDING]);
}

export interface AppWorkloadProps {
  readonly app: AppConfig;
  /** The app's resources' logical IDs: apps[0]'s as the one-app stack had them (lib/apps.ts). */
  readonly logicalId: (name: string) => string;
  /** The objects the app mounts. */
  readonly objects: readonly SecretConfig[];
  /** The CLIENT ID of the identity that reads the vault for it: the add-on's or the app's own. */
  readonly identityClientId: string;
  readonly keyVault: { readonly name: string; readonly tenantId: string };
  /** objectName -> Key Vault version of each secret whose new version rolls the pods. */
  readonly secretVersions: Readonly<Record<string, string>>;
}

/**
 * One app on the cluster, in its own namespace: its service account (federated with its workload
 * identity, or none), the SecretProviderClass mapping its vault objects to files, the Deployment that
 * mounts them read-only at /app/secrets, and its Service. Its resources sit at the stack's scope, so
 * their addresses (and state) are the stack's (the logical-ID pins guard them).
 */
export class AppWorkload extends Construct {
  /** Where the app answers: the load balancer's address, or for ClusterIP the in-cluster name. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: AppWorkloadProps) {
    super(scope, id);
    const { app, logicalId } = props;
    const stack = TerraformStack.of(this);
    const labels = { app: app.name, "app.kubernetes.io/name": app.name, "app.kubernetes.io/part-of": "aks-keyvault" };
    const namespace = new NamespaceV1(stack, logicalId("namespace"), { metadata: { name: app.namespace } });
    const account = workloadServiceAccount(app);
    // The app's own account, with no API token mounted: the CSI driver asks the
    // kubelet for the workload identity token itself, so the pod needs none.
    const serviceAccount = new ServiceAccountV1(stack, logicalId("service-account"), {
      metadata: {
        name: account.name,
        namespace: namespace.metadata.name,
        labels,
        annotations: app.identity === "workload" ? { "azure.workload.identity/client-id": props.identityClientId } : undefined,
      },
      automountServiceAccountToken: false,
    });
    const secretProviderClass = new SecretProviderClass(stack, logicalId("secret-provider-class"), {
      name: secretProviderClassName(app.name),
      // A literal, not a reference: kubernetes_manifest plans better with known metadata.
      namespace: app.namespace,
      dependsOn: [namespace],
      keyVaultName: props.keyVault.name,
      tenantId: props.keyVault.tenantId,
      identityClientId: props.identityClientId,
      identityKind: app.identity === "workload" ? "workload" : "node",
      objects: props.objects,
      syncedSecrets: syncedSecrets(app, props.objects),
    });
    new DeploymentV1(stack, logicalId("deployment"), {
      metadata: { name: app.name, namespace: namespace.metadata.name, labels },
      spec: {
        replicas: String(app.replicas),
        selector: { matchLabels: { app: app.name } },
        template: {
          metadata: { labels, annotations: rolloutAnnotations(props.secretVersions) },
          spec: podSpec(app, props.objects, serviceAccount.metadata.name, secretProviderClass.name),
        },
      },
      // A pod whose class does not exist yet fails its mount and waits; create the class first.
      dependsOn: [secretProviderClass.manifest],
    });
    this.url = appUrl(app, service(stack, logicalId("service"), app, namespace.metadata.name, labels));
  }
}

/** The Kubernetes Secrets the driver syncs from the class: one for environment variables, one per TLS certificate. */
function syncedSecrets(app: AppConfig, objects: readonly SecretConfig[]): SyncedSecret[] {
  const fromVault = objects.filter((secret) => secret.env !== undefined);
  const envSecret = fromVault.length > 0 ? { secretName: envSecretName(app.name), type: "Opaque" as const, data: fromVault.map((secret) => ({ objectName: secret.objectAlias, key: secret.env! })) } : undefined;
  return [
    ...(envSecret ? [envSecret] : []),
    // For an ingress controller: the driver splits the PEM into the key and the chain.
    ...objects
      .filter((secret) => secret.tlsSecret !== undefined)
      .map((secret) => ({ secretName: secret.tlsSecret!, type: "kubernetes.io/tls" as const, data: [{ objectName: secret.objectAlias, key: "tls.key" }, { objectName: secret.objectAlias, key: "tls.crt" }] })),
  ];
}

/** The pod: non-root, read-only root filesystem, the vault's files mounted read-only at /app/secrets. */
function podSpec(app: AppConfig, objects: readonly SecretConfig[], serviceAccountName: string, className: string): DeploymentV1SpecTemplateSpec {
  return {
    serviceAccountName,
    automountServiceAccountToken: false,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: String(app.runAsUser),
      runAsGroup: String(app.runAsUser),
      fsGroup: String(app.runAsUser),
      seccompProfile: { type: "RuntimeDefault" },
    },
    container: [container(app, objects)],
    volume: [
      { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
      { name: "keyvault", csi: { driver: CSI_DRIVER_NAME, readOnly: true, volumeAttributes: { secretProviderClass: className } } },
    ],
  };
}

function container(app: AppConfig, objects: readonly SecretConfig[]): DeploymentV1SpecTemplateSpecContainer {
  // With HTTPS the probes use it too: a pod that does not serve it never becomes ready, and the deploy says so.
  const probe = { httpGet: app.https ? { path: app.probePath, port: "https", scheme: "HTTPS" } : { path: app.probePath, port: "http" }, periodSeconds: 10, timeoutSeconds: 2 };
  return {
    name: "app",
    image: app.image,
    // A tag can be moved to other content; Always makes every start ask the
    // registry what it names now. A digest names one content for good.
    imagePullPolicy: app.image.includes("@sha256:") ? "IfNotPresent" : "Always",
    port: [{ name: "http", containerPort: app.containerPort }, ...(app.https ? [{ name: "https", containerPort: app.https.port }] : [])],
    env: [
      ...Object.entries(app.env).map(([name, value]) => ({ name, value })),
      // Set when the container starts, never after: the rollout annotation restarts the pods on a new version.
      ...objects.filter((secret) => secret.env !== undefined).map((secret) => ({ name: secret.env!, valueFrom: { secretKeyRef: { name: envSecretName(app.name), key: secret.env! } } })),
    ],
    securityContext: { runAsNonRoot: true, runAsUser: String(app.runAsUser), allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, privileged: false, capabilities: { drop: ["ALL"] } },
    resources: {
      requests: { cpu: app.resources.cpuRequest, memory: app.resources.memoryRequest },
      limits: { cpu: app.resources.cpuLimit, memory: app.resources.memoryLimit },
    },
    livenessProbe: { ...probe, initialDelaySeconds: 10 },
    readinessProbe: { ...probe, initialDelaySeconds: 3 },
    volumeMount: [
      { name: "keyvault", mountPath: SECRETS_MOUNT_PATH, readOnly: true },
      // The root filesystem is read-only; the runtime writes temporary files here.
      { name: "tmp", mountPath: "/tmp" },
    ],
  };
}

/** ClusterIP by default; a load balancer, internal or public for the listed addresses only. */
function service(scope: Construct, id: string, app: AppConfig, namespace: string, labels: Record<string, string>): ServiceV1 {
  const { type, sourceRanges } = app.service;
  return new ServiceV1(scope, id, {
    metadata: { name: app.name, namespace, labels, annotations: type === "InternalLoadBalancer" ? { [INTERNAL_LOAD_BALANCER]: "true" } : undefined },
    spec: {
      type: type === "ClusterIP" ? "ClusterIP" : "LoadBalancer",
      // The cloud's load balancer and the nodes' NSG admit only these; an empty list would admit everyone.
      loadBalancerSourceRanges: type === "LoadBalancer" ? [...sourceRanges] : undefined,
      selector: { app: app.name },
      // Only one of them: with HTTPS on, plain HTTP never leaves the cluster.
      port: [app.https ? { name: "https", port: 443, targetPort: "https" } : { name: "http", port: 80, targetPort: "http" }],
    },
  });
}
