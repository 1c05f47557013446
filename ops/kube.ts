// The cluster the operator commands talk to: the current kubectl context.

/** There is no kubectl context to talk to; the message says what to run. */
export class NoKubeContextError extends Error {}

/** The current kubectl context's config; fails with what to run when there is none. */
export async function currentKubeConfig() {
  const k8s = await import("@kubernetes/client-node");
  const config = new k8s.KubeConfig();
  config.loadFromDefault();
  // With no kubeconfig at all, the client falls back to http://localhost:8080.
  if (!config.getCurrentCluster() || config.getCurrentCluster()?.server === "http://localhost:8080") {
    throw new NoKubeContextError("no kubectl context: run `az aks get-credentials -g <group> -n <cluster>` and `kubelogin convert-kubeconfig -l azurecli` first");
  }
  return config;
}
