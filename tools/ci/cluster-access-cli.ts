// `npm run ci:wait-for-cluster-access -- --env <name> [--timeout <seconds>] [--poll <seconds>]`
//
// In the deploy workflow, between the AKS and Key Vault stacks and the app
// stack: waits until the identity in the current kubectl context may create
// Deployments in the app's namespace, so a role assignment that has not
// applied yet is waited out instead of failing the first deploy with 403.
import { loadEnvironments } from "../../config/load";
import { reportFailure, wallClock } from "../command";
import { parseFlags, seconds, UsageError, wantsHelp } from "../flags";
import { ClusterAccessError, waitForClusterAccess, type AccessProbe } from "./cluster-access";
import { currentKubeConfig, NoKubeContextError } from "../ops/kube";

const USAGE = "usage: npm run ci:wait-for-cluster-access -- --env <name> [--timeout <seconds>] [--poll <seconds>]";

async function kubernetesProbe(): Promise<AccessProbe> {
  const k8s = await import("@kubernetes/client-node");
  const api = (await currentKubeConfig()).makeApiClient(k8s.AuthorizationV1Api);
  return {
    async canCreateDeployments(namespace) {
      const review = await api.createSelfSubjectAccessReview({
        body: { spec: { resourceAttributes: { verb: "create", group: "apps", resource: "deployments", namespace } } },
      });
      return review.status?.allowed === true;
    },
  };
}

export async function main(args: readonly string[]): Promise<number> {
  if (wantsHelp(args)) {
    process.stdout.write(`${USAGE}\n\nWaits (default at most 900 s, asking every 15 s) until the current kubectl context may create\nDeployments in the app's namespace: a new cluster's RBAC role assignment can take minutes to apply.\n`);
    return 0;
  }
  try {
    const flags = parseFlags(args, { values: ["--env", "--timeout", "--poll"] }, USAGE);
    const env = flags.get("--env");
    if (!env) throw new UsageError(`--env is required; ${USAGE}`);
    const config = loadEnvironments(process.cwd()).environments.find((e) => e.environment === env);
    if (!config) throw new UsageError(`no environment ${JSON.stringify(env)} in config/`);
    const wait = {
      // Any app's namespace: the deployer's role is cluster-wide.
      namespace: config.apps[0].namespace,
      cluster: config.aks.name,
      timeoutSeconds: seconds(flags.get("--timeout"), "--timeout", 900),
      pollSeconds: seconds(flags.get("--poll"), "--poll", 15),
    };
    await waitForClusterAccess(wait, await kubernetesProbe(), wallClock, (line) => process.stdout.write(`${line}\n`));
    return 0;
  } catch (error) {
    return reportFailure("wait-for-cluster-access", error, [ClusterAccessError, NoKubeContextError]);
  }
}
