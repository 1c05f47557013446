import { DeploymentV1 } from "@cdktf/provider-kubernetes/lib/deployment-v1";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import { ServiceV1 } from "@cdktf/provider-kubernetes/lib/service-v1";
import { Fn, TerraformOutput, TerraformStack } from "cdktf";
import { envSecretName, OUTPUTS, secretProviderClassName } from "../lib/names";
import type { Construct } from "constructs";
import { SECRETS_MOUNT_PATH, type AppConfig, type EnvironmentConfig } from "../config/types";
import { appLogicalId, appOutputName, objectsOf, workloadServiceAccount } from "../lib/apps";
import { configureState, type StateProps } from "../lib/backend";
import { kubeloginExec } from "../lib/kubelogin";
import { rolloutAnnotations } from "../lib/rollout";
import { SecretProviderClass } from "../constructs/secret-provider-class";

export const CSI_DRIVER = "secrets-store.csi.k8s.io";

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

export interface AppStackProps {
  readonly config: EnvironmentConfig;
  readonly state: StateProps;
  /** From the AKS stack. */
  readonly cluster: { readonly host: string; readonly caCertificate: string };
  /** By app name: the CLIENT ID of the identity that reads the vault for it (the add-on's or the app's own), from the AKS stack. */
  readonly identityClientIds: Readonly<Record<string, string>>;
  /** From the Key Vault stack. */
  readonly keyVault: { readonly name: string; readonly tenantId: string };
  /** objectName -> Key Vault version of each managed secret (empty: no rollout on secret change). */
  readonly secretVersions: Readonly<Record<string, string>>;
}

/**
 * Stack 3: the Kubernetes side. For each app, in its own namespace: a
 * SecretProviderClass mapping its Key Vault objects to files, a Deployment that
 * mounts them read-only at /app/secrets, and a Service: ClusterIP by default,
 * or a load balancer (internal, or public for listed addresses only). Its own
 * stack because kubernetes_manifest needs the cluster and the CRD at plan time.
 */
export class AppStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: AppStackProps) {
    super(scope, id);
    configureState(this, props.state);

    new KubernetesProvider(this, "kubernetes", {
      host: props.cluster.host,
      clusterCaCertificate: Fn.base64decode(props.cluster.caCertificate),
      exec: [kubeloginExec(props.config.aks.kubeloginMode)],
    });

    for (const app of props.config.apps) this.addApp(props, app);
  }

  /** One app's resources; apps[0]'s keep the logical IDs of the one-app stack (lib/apps.ts). */
  private addApp(props: AppStackProps, app: AppConfig): void {
    const id = (name: string) => appLogicalId(props.config, app, name);
    const objects = objectsOf(props.config, app);
    const identityClientId = props.identityClientIds[app.name];
    const secretVersions = app.rolloutOnSecretChange ? Object.fromEntries(Object.entries(props.secretVersions).filter(([name]) => objects.some((o) => o.objectName === name))) : {};

    const labels = { app: app.name, "app.kubernetes.io/name": app.name, "app.kubernetes.io/part-of": "aks-keyvault" };

    const namespace = new NamespaceV1(this, id("namespace"), { metadata: { name: app.namespace } });

    const workload = app.identity === "workload";
    const account = workloadServiceAccount(app);
    // The app's own account, with no API token mounted: the CSI driver asks the
    // kubelet for the workload identity token itself, so the pod needs none.
    const serviceAccount = new ServiceAccountV1(this, id("service-account"), {
      metadata: {
        name: account.name,
        namespace: namespace.metadata.name,
        labels,
        annotations: workload ? { "azure.workload.identity/client-id": identityClientId } : undefined,
      },
      automountServiceAccountToken: false,
    });

    // Objects that are also environment variables: one Opaque Secret the driver syncs, read by secretKeyRef.
    const fromVault = objects.filter((secret) => secret.env !== undefined);
    const envSecret = fromVault.length > 0 ? { secretName: envSecretName(app.name), type: "Opaque" as const, data: fromVault.map((secret) => ({ objectName: secret.objectAlias, key: secret.env! })) } : undefined;

    const secretProviderClass = new SecretProviderClass(this, id("secret-provider-class"), {
      name: secretProviderClassName(app.name),
      // A literal, not a reference: kubernetes_manifest plans better with known metadata.
      namespace: app.namespace,
      dependsOn: [namespace],
      keyVaultName: props.keyVault.name,
      tenantId: props.keyVault.tenantId,
      identityClientId,
      identityKind: workload ? "workload" : "node",
      objects,
      syncedSecrets: [
        ...(envSecret ? [envSecret] : []),
        // For an ingress controller: the driver splits the PEM into the key and the chain.
        ...objects
          .filter((secret) => secret.tlsSecret !== undefined)
          .map((secret) => ({ secretName: secret.tlsSecret!, type: "kubernetes.io/tls" as const, data: [{ objectName: secret.objectAlias, key: "tls.key" }, { objectName: secret.objectAlias, key: "tls.crt" }] })),
      ],
    });

    // With HTTPS the probes use it too: a pod that does not serve it never becomes ready, and the deploy says so.
    const probe = { httpGet: app.https ? { path: app.probePath, port: "https", scheme: "HTTPS" } : { path: app.probePath, port: "http" }, periodSeconds: 10, timeoutSeconds: 2 };

    new DeploymentV1(this, id("deployment"), {
      metadata: { name: app.name, namespace: namespace.metadata.name, labels },
      spec: {
        replicas: String(app.replicas),
        selector: { matchLabels: { app: app.name } },
        template: {
          metadata: { labels, annotations: rolloutAnnotations(secretVersions) },
          spec: {
            serviceAccountName: serviceAccount.metadata.name,
            automountServiceAccountToken: false,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: String(app.runAsUser),
              runAsGroup: String(app.runAsUser),
              fsGroup: String(app.runAsUser),
              seccompProfile: { type: "RuntimeDefault" },
            },
            container: [
              {
                name: "app",
                image: app.image,
                // A tag can be moved to other content; Always makes every start ask the
                // registry what it names now. A digest names one content for good.
                imagePullPolicy: app.image.includes("@sha256:") ? "IfNotPresent" : "Always",
                port: [{ name: "http", containerPort: app.containerPort }, ...(app.https ? [{ name: "https", containerPort: app.https.port }] : [])],
                env: [
                  ...Object.entries(app.env).map(([name, value]) => ({ name, value })),
                  // Set when the container starts, never after: the rollout annotation restarts the pods on a new version.
                  ...fromVault.map((secret) => ({ name: secret.env!, valueFrom: { secretKeyRef: { name: envSecretName(app.name), key: secret.env! } } })),
                ],
                securityContext: {
                  runAsNonRoot: true,
                  runAsUser: String(app.runAsUser),
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  privileged: false,
                  capabilities: { drop: ["ALL"] },
                },
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
              },
            ],
            volume: [
              { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
              {
                name: "keyvault",
                csi: {
                  driver: CSI_DRIVER,
                  readOnly: true,
                  volumeAttributes: { secretProviderClass: secretProviderClass.name },
                },
              },
            ],
          },
        },
      },
      // A pod whose class does not exist yet fails its mount and waits; create the class first.
      dependsOn: [secretProviderClass.manifest],
    });

    const { type, sourceRanges } = app.service;
    const service = new ServiceV1(this, id("service"), {
      metadata: { name: app.name, namespace: namespace.metadata.name, labels, annotations: type === "InternalLoadBalancer" ? { [INTERNAL_LOAD_BALANCER]: "true" } : undefined },
      spec: {
        type: type === "ClusterIP" ? "ClusterIP" : "LoadBalancer",
        // The cloud's load balancer and the nodes' NSG admit only these; an empty list would admit everyone.
        loadBalancerSourceRanges: type === "LoadBalancer" ? [...sourceRanges] : undefined,
        selector: { app: app.name },
        // Only one of them: with HTTPS on, plain HTTP never leaves the cluster.
        port: [app.https ? { name: "https", port: 443, targetPort: "https" } : { name: "http", port: 80, targetPort: "http" }],
      },
    });
    new TerraformOutput(this, appOutputName(props.config, app, OUTPUTS.appUrl), { value: appUrl(app, service), description: "Where the app answers (it shows the secrets it reads from /app/secrets)" });
  }
}
