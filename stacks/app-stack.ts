import { DeploymentV1 } from "@cdktf/provider-kubernetes/lib/deployment-v1";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { ServiceAccountV1 } from "@cdktf/provider-kubernetes/lib/service-account-v1";
import { ServiceV1 } from "@cdktf/provider-kubernetes/lib/service-v1";
import { Fn, TerraformOutput, TerraformStack } from "cdktf";
import { envSecretName, OUTPUTS, secretProviderClassName } from "../lib/names";
import type { Construct } from "constructs";
import { SECRETS_MOUNT_PATH, type EnvironmentConfig } from "../config/types";
import { configureState, type StateProps } from "../lib/backend";
import { kubeloginExec } from "../lib/kubelogin";
import { rolloutAnnotations } from "../lib/rollout";
import { SecretProviderClass } from "../constructs/secret-provider-class";
import { workloadServiceAccount } from "./aks-stack";

export const CSI_DRIVER = "secrets-store.csi.k8s.io";

/** app_url while the LoadBalancer Service has no address. */
export const APP_URL_PENDING = "pending: the LoadBalancer Service has no address yet (kubectl get service -n <namespace>)";

export interface AppStackProps {
  readonly config: EnvironmentConfig;
  readonly state: StateProps;
  /** From the AKS stack. */
  readonly cluster: { readonly host: string; readonly caCertificate: string };
  /** CLIENT ID of the identity that reads the vault (add-on's or the app's), from the AKS stack. */
  readonly identityClientId: string;
  /** From the Key Vault stack. */
  readonly keyVault: { readonly name: string; readonly tenantId: string };
  /** objectName -> Key Vault version of each managed secret (empty: no rollout on secret change). */
  readonly secretVersions: Readonly<Record<string, string>>;
}

/**
 * Stack 3: the Kubernetes side. A SecretProviderClass mapping Key Vault objects
 * to files, a Deployment that mounts them read-only at /app/secrets, and a
 * LoadBalancer Service so a person can browse to the app. Its own stack because
 * kubernetes_manifest needs the cluster and the CRD at plan time.
 */
export class AppStack extends TerraformStack {
  readonly namespace: NamespaceV1;
  readonly serviceAccount: ServiceAccountV1;
  readonly secretProviderClass: SecretProviderClass;
  readonly deployment: DeploymentV1;
  readonly service: ServiceV1;

  constructor(scope: Construct, id: string, props: AppStackProps) {
    super(scope, id);
    const app = props.config.app;
    configureState(this, props.state);

    new KubernetesProvider(this, "kubernetes", {
      host: props.cluster.host,
      clusterCaCertificate: Fn.base64decode(props.cluster.caCertificate),
      exec: [kubeloginExec(props.config.aks.kubeloginMode)],
    });

    const labels = { app: app.name, "app.kubernetes.io/name": app.name, "app.kubernetes.io/part-of": "aks-keyvault" };

    this.namespace = new NamespaceV1(this, "namespace", { metadata: { name: app.namespace } });

    const workload = app.identity === "workload";
    const account = workloadServiceAccount(props.config);
    // The app's own account, with no API token mounted: the CSI driver asks the
    // kubelet for the workload identity token itself, so the pod needs none.
    this.serviceAccount = new ServiceAccountV1(this, "service-account", {
      metadata: {
        name: account.name,
        namespace: this.namespace.metadata.name,
        labels,
        annotations: workload ? { "azure.workload.identity/client-id": props.identityClientId } : undefined,
      },
      automountServiceAccountToken: false,
    });

    // Objects that are also environment variables: one Opaque Secret the driver syncs, read by secretKeyRef.
    const fromVault = props.config.keyVault.secrets.filter((secret) => secret.env !== undefined);
    const envSecret = fromVault.length > 0 ? { secretName: envSecretName(app.name), type: "Opaque" as const, data: fromVault.map((secret) => ({ objectName: secret.objectAlias, key: secret.env! })) } : undefined;

    this.secretProviderClass = new SecretProviderClass(this, "secret-provider-class", {
      name: secretProviderClassName(app.name),
      // A literal, not a reference: kubernetes_manifest plans better with known metadata.
      namespace: app.namespace,
      dependsOn: [this.namespace],
      keyVaultName: props.keyVault.name,
      tenantId: props.keyVault.tenantId,
      identityClientId: props.identityClientId,
      identityKind: workload ? "workload" : "node",
      objects: props.config.keyVault.secrets,
      syncedSecrets: [
        ...(envSecret ? [envSecret] : []),
        // For an ingress controller: the driver splits the PEM into the key and the chain.
        ...props.config.keyVault.secrets
          .filter((secret) => secret.tlsSecret !== undefined)
          .map((secret) => ({ secretName: secret.tlsSecret!, type: "kubernetes.io/tls" as const, data: [{ objectName: secret.objectAlias, key: "tls.key" }, { objectName: secret.objectAlias, key: "tls.crt" }] })),
      ],
    });

    const probe = { httpGet: { path: app.probePath, port: "http" }, periodSeconds: 10, timeoutSeconds: 2 };

    this.deployment = new DeploymentV1(this, "deployment", {
      metadata: { name: app.name, namespace: this.namespace.metadata.name, labels },
      spec: {
        replicas: String(app.replicas),
        selector: { matchLabels: { app: app.name } },
        template: {
          metadata: { labels, annotations: rolloutAnnotations(props.secretVersions) },
          spec: {
            serviceAccountName: this.serviceAccount.metadata.name,
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
                port: [{ name: "http", containerPort: app.containerPort }],
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
                  volumeAttributes: { secretProviderClass: this.secretProviderClass.name },
                },
              },
            ],
          },
        },
      },
      // A pod whose class does not exist yet fails its mount and waits; create the class first.
      dependsOn: [this.secretProviderClass.manifest],
    });

    this.service = new ServiceV1(this, "service", {
      metadata: { name: app.name, namespace: this.namespace.metadata.name, labels },
      spec: {
        type: "LoadBalancer",
        selector: { app: app.name },
        port: [{ name: "http", port: 80, targetPort: "http" }],
      },
    });

    const ingress = this.service.status.get(0).loadBalancer.get(0).ingress.get(0);
    new TerraformOutput(this, OUTPUTS.appUrl, {
      // try(): while the Service has no address (the cloud controller has not
      // given one yet, or is replacing the load balancer) a bare index fails
      // every plan and apply of this stack with "Invalid index".
      value: Fn.try([`http://${ingress.ip}`, APP_URL_PENDING]),
      description: "Browse here to see the app show the secrets it reads from /app/secrets",
    });
  }
}
