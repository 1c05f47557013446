// Waiting, bounded, until the deploying identity may deploy to the cluster. On
// a new cluster, Azure RBAC role assignments take minutes to apply, and until
// then the Kubernetes API answers the app stack's first call with 403. The
// API client is injected, so the waiting is tested without a cluster.
import type { Clock } from "../ops/rotation-check";

export interface AccessProbe {
  /** Whether the signed-in identity may create Deployments in the namespace (a SelfSubjectAccessReview). */
  canCreateDeployments(namespace: string): Promise<boolean>;
}

export interface AccessWait {
  readonly namespace: string;
  readonly cluster: string;
  readonly timeoutSeconds: number;
  readonly pollSeconds: number;
}

export class ClusterAccessError extends Error {}

/** Polls until allowed; says what it waits for, and fails with what to check when the time is up. Returns the seconds waited. */
export async function waitForClusterAccess(wait: AccessWait, probe: AccessProbe, clock: Clock, log: (line: string) => void): Promise<number> {
  const started = clock.now();
  const waited = () => Math.round((clock.now() - started) / 1000);
  for (;;) {
    let allowed: boolean;
    try {
      allowed = await probe.canCreateDeployments(wait.namespace);
    } catch (error) {
      // A token or network problem does not get better by waiting: say it now.
      throw new ClusterAccessError(`cannot ask ${wait.cluster}'s API server: ${(error as Error).message.split("\n")[0]}`);
    }
    if (allowed) {
      log(`cluster access: may create deployments in ${wait.namespace} on ${wait.cluster} (after ${waited()} s)`);
      return waited();
    }
    if (waited() >= wait.timeoutSeconds) {
      throw new ClusterAccessError(
        `still may not create deployments in ${wait.namespace} on ${wait.cluster} after ${waited()} s: check that the role assignment ` +
          `deployer-cluster-admin (Azure Kubernetes Service RBAC Cluster Admin) exists for the identity that deploys ` +
          `(docs/troubleshooting.md, "A role assignment has not applied yet")`,
      );
    }
    log(
      `cluster access: waiting for the Azure Kubernetes Service RBAC Cluster Admin role on ${wait.cluster} to apply ` +
        `(create deployments in ${wait.namespace} denied): ${waited()} s of at most ${wait.timeoutSeconds} s`,
    );
    await clock.sleep(wait.pollSeconds * 1000);
  }
}
