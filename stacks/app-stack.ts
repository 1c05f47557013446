import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { Fn, TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { AppConfig, EnvironmentConfig } from "../config/types";
import { AppWorkload } from "../constructs/app-workload";
import { appLogicalId, appOutputName, objectsOf } from "../lib/apps";
import { configureState, type StateProps } from "../lib/backend";
import { kubeloginExec } from "../lib/kubelogin";
import { OUTPUTS } from "../lib/names";

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
 * Stack 3: the Kubernetes side, one AppWorkload per app. Its own stack because
 * kubernetes_manifest needs the cluster and the CRD at plan time.
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
    for (const app of props.config.apps) {
      const workload = new AppWorkload(this, `workload-${app.name}`, {
        app,
        logicalId: (name) => appLogicalId(props.config, app, name),
        objects: objectsOf(props.config, app),
        identityClientId: props.identityClientIds[app.name],
        keyVault: props.keyVault,
        secretVersions: rolledBy(app, objectsOf(props.config, app), props.secretVersions),
      });
      new TerraformOutput(this, appOutputName(props.config, app, OUTPUTS.appUrl), { value: workload.url, description: "Where the app answers (it shows the secrets it reads from /app/secrets)" });
    }
  }
}

/** The versions whose change rolls the app's pods: those of the secrets it mounts, with rolloutOnSecretChange. */
function rolledBy(app: AppConfig, objects: readonly { objectName: string }[], versions: Readonly<Record<string, string>>): Record<string, string> {
  return app.rolloutOnSecretChange ? Object.fromEntries(Object.entries(versions).filter(([name]) => objects.some((o) => o.objectName === name))) : {};
}
