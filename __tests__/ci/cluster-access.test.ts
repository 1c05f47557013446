// Waiting out a role assignment that has not applied yet, with an injected
// Kubernetes API and clock.
import { ClusterAccessError, waitForClusterAccess, type AccessProbe } from "../../tools/ci/cluster-access";

function fakeClock() {
  let t = 0;
  return { now: () => t, sleep: async (ms: number) => void (t += ms) };
}

/** Denies the first `denials` reviews, then allows. */
const probeAfter = (denials: number): AccessProbe & { asked: string[] } => {
  const asked: string[] = [];
  return {
    asked,
    async canCreateDeployments(namespace) {
      asked.push(namespace);
      return asked.length > denials;
    },
  };
};

const wait = { namespace: "configurable", cluster: "aks-test-dev", timeoutSeconds: 60, pollSeconds: 15 };

describe("waiting for cluster access", () => {
  test("while denied: says what it waits for, then goes on once allowed", async () => {
    const lines: string[] = [];
    const probe = probeAfter(2);
    expect(await waitForClusterAccess(wait, probe, fakeClock(), (l) => lines.push(l))).toBe(30);
    expect(probe.asked).toEqual(["configurable", "configurable", "configurable"]);
    expect(lines).toEqual([
      "cluster access: waiting for the Azure Kubernetes Service RBAC Cluster Admin role on aks-test-dev to apply (create deployments in configurable denied): 0 s of at most 60 s",
      "cluster access: waiting for the Azure Kubernetes Service RBAC Cluster Admin role on aks-test-dev to apply (create deployments in configurable denied): 15 s of at most 60 s",
      "cluster access: may create deployments in configurable on aks-test-dev (after 30 s)",
    ]);
  });

  test("gives up at the timeout, naming the role assignment to check", async () => {
    const promise = waitForClusterAccess(wait, probeAfter(1000), fakeClock(), () => undefined);
    await expect(promise).rejects.toThrow(ClusterAccessError);
    await expect(waitForClusterAccess(wait, probeAfter(1000), fakeClock(), () => undefined)).rejects.toThrow(
      /^still may not create deployments in configurable on aks-test-dev after 60 s: check that the role assignment deployer-cluster-admin/,
    );
  });

  test("an API that cannot be asked fails at once: waiting would not help", async () => {
    const broken: AccessProbe = { canCreateDeployments: async () => Promise.reject(new Error("getaddrinfo ENOTFOUND aks-test-dev.hcp.westeurope.azmk8s.io")) };
    await expect(waitForClusterAccess(wait, broken, fakeClock(), () => undefined)).rejects.toThrow(
      "cannot ask aks-test-dev's API server: getaddrinfo ENOTFOUND aks-test-dev.hcp.westeurope.azmk8s.io",
    );
  });
});
