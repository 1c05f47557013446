// The cluster the operator commands talk to: the current kubectl context, and
// what they do in a pod.
import { Writable } from "stream";

/** There is no kubectl context to talk to; the message says what to run. */
export class NoKubeContextError extends Error {}

/** The current kubectl context's config; fails with what to run when there is none. */
export async function currentKubeConfig() {
  const k8s = await import("@kubernetes/client-node");
  const config = new k8s.KubeConfig();
  try {
    config.loadFromDefault();
  } catch (error) {
    // KUBECONFIG naming a file that is not there, or not a kubeconfig: the same fix as none at all.
    throw new NoKubeContextError(`cannot read the kubeconfig (${(error as Error).message.split("\n")[0]}): run \`az aks get-credentials -g <group> -n <cluster>\` and \`kubelogin convert-kubeconfig -l azurecli\` first`);
  }
  // With no kubeconfig at all, the client falls back to http://localhost:8080.
  if (!config.getCurrentCluster() || config.getCurrentCluster()?.server === "http://localhost:8080") {
    throw new NoKubeContextError("no kubectl context: run `az aks get-credentials -g <group> -n <cluster>` and `kubelogin convert-kubeconfig -l azurecli` first");
  }
  return config;
}

/** The pod fields firstRunningPod reads, as client-node's V1Pod has them. */
export interface PodSummary {
  readonly metadata?: { readonly name?: string; readonly deletionTimestamp?: unknown };
  readonly status?: { readonly phase?: string };
}

/** The name of the first pod that runs and is not being deleted: one a file can be read from. */
export function firstRunningPod(pods: readonly PodSummary[]): string | undefined {
  return pods.find((p) => p.status?.phase === "Running" && !p.metadata?.deletionTimestamp)?.metadata?.name;
}

/** The part of client-node's Exec that reading a file needs. */
export interface PodExec {
  exec(
    namespace: string,
    pod: string,
    container: string,
    command: string[],
    stdout: Writable,
    stderr: Writable,
    stdin: null,
    tty: boolean,
    status: (status: { status?: string; message?: string }) => void,
  ): Promise<unknown>;
}

/** What a command prints in a container, or undefined when it names no such file. */
export function podCommandOutput(exec: PodExec, namespace: string, pod: string, container: string, command: string[], timeoutSeconds = 30): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    let settled = false;
    // A pod that goes away mid-exec closes the socket with no status: that, too, must end the wait.
    const timer = setTimeout(() => finish(() => reject(new Error(`${command[0]} in ${pod}: no answer within ${timeoutSeconds} s`))), timeoutSeconds * 1000);
    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      settle();
    };
    const sink = (append: (s: string) => void) => new Writable({ write: (chunk, _encoding, done) => (append(chunk.toString()), done()) });
    exec
      .exec(namespace, pod, container, command, sink((s) => (out += s)), sink((s) => (err += s)), null, false, (status) =>
        finish(() => {
          if (status.status === "Success") resolve(out);
          else if (/No such file/i.test(err)) resolve(undefined);
          else reject(new Error(err.trim() || status.message || `${command[0]} failed`));
        }),
      )
      .then((socket) => (socket as { on?: (event: string, listener: () => void) => void } | undefined)?.on?.("close", () => finish(() => reject(new Error(`${command[0]} in ${pod}: the connection closed without an exit status${err ? `: ${err.trim()}` : ""}`)))))
      .catch((error) => finish(() => reject(error)));
  });
}

/** A file's content in a container (`cat`), or undefined when there is no such file. */
export function readPodFile(exec: PodExec, namespace: string, pod: string, container: string, file: string): Promise<string | undefined> {
  return podCommandOutput(exec, namespace, pod, container, ["cat", file]);
}
