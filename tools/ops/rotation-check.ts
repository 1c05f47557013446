// The rotation check: set a new version of a Key Vault secret, then watch the
// file it is mounted as in one running pod until the content changes, and
// report how long that took next to the configured rotation interval.
// Clients are injected: the real ones talk to Azure and the cluster
// (tools/ops/rotation-check-cli.ts); the tests use fakes.

export interface VaultClient {
  /** Sets a new version; returns its version ID. */
  setSecret(name: string, value: string): Promise<{ version: string }>;
}

export interface PodClient {
  /** Name of one Running pod matching the label selector, or undefined. */
  findRunningPod(namespace: string, labelSelector: string): Promise<string | undefined>;
  /** The content of a file in a pod's container. */
  readFile(namespace: string, pod: string, container: string, file: string): Promise<string>;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface RotationCheckInput {
  readonly vaultName: string;
  readonly objectName: string;
  /** Path of the mounted file in the container, e.g. /app/secrets/secret.json. */
  readonly mountedFile: string;
  readonly namespace: string;
  readonly labelSelector: string;
  readonly container: string;
  /** The new value, read from the file the user named. */
  readonly newValue: string;
  /** Where the new value came from, for messages. */
  readonly valueSource: string;
  /** aks.secretRotationInterval, in seconds. */
  readonly rotationIntervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly pollSeconds: number;
}

export interface RotationCheckResult {
  readonly pod: string;
  readonly version: string;
  readonly delaySeconds: number;
}

/** A failure the user can act on; its message is one line. */
export class RotationCheckError extends Error {}

/** Turns what the Azure SDK throws into a one-line reason with the fix. */
export function explainAzureError(error: unknown, input: RotationCheckInput): RotationCheckError {
  const e = error as { name?: string; statusCode?: number; code?: string; message?: string };
  if (e?.name === "CredentialUnavailableError" || e?.name === "AuthenticationRequiredError" || e?.name === "AggregateAuthenticationError") {
    return new RotationCheckError("not signed in to Azure: run `az login` (and `az account set --subscription <id>`), then try again");
  }
  if (e?.statusCode === 403) {
    const firewall = e.code === "ForbiddenByFirewall" || /firewall|ForbiddenByFirewall|not authorized.*IP/i.test(e.message ?? "");
    return new RotationCheckError(
      firewall
        ? `access denied by the firewall of vault ${input.vaultName}: add your public IP to keyVault.allowedCidrs and deploy keyvault-<env>`
        : `access denied setting secret ${input.objectName} in vault ${input.vaultName}: your identity needs Set on secrets (an access policy) or Key Vault Secrets Officer (RBAC mode)`,
    );
  }
  if (e?.statusCode === 404) return new RotationCheckError(`vault ${input.vaultName} not found: deploy keyvault-<env> first, or check keyVault.name`);
  return new RotationCheckError(`setting secret ${input.objectName} in vault ${input.vaultName} failed: ${(e?.message ?? String(error)).split("\n")[0]}`);
}

/** Turns a failure to reach the cluster into a one-line reason with the fix. */
export function explainKubernetesError(error: unknown, input: RotationCheckInput): RotationCheckError {
  const message = ((error as Error)?.message ?? String(error)).split("\n")[0];
  if (/kubelogin/.test(message) && /ENOENT|not found/.test(message)) {
    return new RotationCheckError("kubelogin is not installed: install it (https://azure.github.io/kubelogin/), then run `kubelogin convert-kubeconfig -l azurecli`");
  }
  if (/ENOTFOUND|ECONNREFUSED|ETIMEDOUT|No active cluster|current-context/.test(message)) {
    return new RotationCheckError(`cannot reach the cluster (${message}): run \`az aks get-credentials -g <group> -n <cluster>\` and \`kubelogin convert-kubeconfig -l azurecli\``);
  }
  if (/403|Forbidden/.test(message)) {
    return new RotationCheckError(`the cluster refused to list pods in ${input.namespace} (${message}): your Entra ID identity needs a role such as Azure Kubernetes Service RBAC Reader there`);
  }
  return new RotationCheckError(`listing pods in ${input.namespace} failed: ${message}`);
}

/**
 * Runs the check. Logs each step through log(), including exactly what it
 * changed: it sets a new secret version and restores nothing.
 */
export async function checkRotation(
  input: RotationCheckInput,
  clients: { vault: VaultClient; pods: PodClient; clock: Clock },
  log: (line: string) => void,
): Promise<RotationCheckResult> {
  let pod: string | undefined;
  try {
    pod = await clients.pods.findRunningPod(input.namespace, input.labelSelector);
  } catch (error) {
    throw explainKubernetesError(error, input);
  }
  if (!pod) {
    throw new RotationCheckError(`no running pod with label ${input.labelSelector} in namespace ${input.namespace}: deploy app-<env> first, or check your kubectl context`);
  }
  const before = await clients.pods.readFile(input.namespace, pod, input.container, input.mountedFile);
  if (before === input.newValue) {
    throw new RotationCheckError(`${input.valueSource} holds the value already mounted in ${pod}: give a file with a different value, or nothing would change`);
  }
  log(`pod ${pod}: ${input.mountedFile} read (${before.length} bytes)`);

  let version: string;
  try {
    ({ version } = await clients.vault.setSecret(input.objectName, input.newValue));
  } catch (error) {
    throw explainAzureError(error, input);
  }
  const started = clients.clock.now();
  log(`CHANGED: set a new version ${version} of secret ${input.objectName} in vault ${input.vaultName} from ${input.valueSource}; the previous version is kept but no longer current, and nothing is restored`);
  log(`polling ${input.mountedFile} in ${pod} every ${input.pollSeconds}s (rotation interval ${input.rotationIntervalSeconds}s, giving up after ${input.timeoutSeconds}s)`);

  for (;;) {
    const elapsed = (clients.clock.now() - started) / 1000;
    if (elapsed >= input.timeoutSeconds) {
      throw new RotationCheckError(
        `${input.mountedFile} in ${pod} did not change within ${input.timeoutSeconds}s (rotation interval ${input.rotationIntervalSeconds}s); ` +
          "check the aks-secrets-store-provider-azure logs (docs/troubleshooting.md). The new secret version stays set",
      );
    }
    await clients.clock.sleep(input.pollSeconds * 1000);
    let now: string;
    try {
      now = await clients.pods.readFile(input.namespace, pod, input.container, input.mountedFile);
    } catch (error) {
      throw new RotationCheckError(`reading ${input.mountedFile} in ${pod} failed: ${((error as Error).message ?? String(error)).split("\n")[0]} (the pod may have restarted; run the check again)`);
    }
    if (now === input.newValue) {
      const delaySeconds = Math.round((clients.clock.now() - started) / 100) / 10;
      return { pod, version, delaySeconds };
    }
  }
}

/** The closing lines: the measured delay next to the configured interval. */
export function formatResult(result: RotationCheckResult, input: RotationCheckInput): string {
  return [
    `rotation reached ${result.pod} after ${result.delaySeconds}s; configured interval ${input.rotationIntervalSeconds}s ` +
      `(expect up to one interval, plus the time to fetch and write the file)`,
    `secret ${input.objectName} in vault ${input.vaultName} is now at version ${result.version}. ` +
      "A later `cdktf deploy` leaves it so unless the secret's file under secrets/ changes; to go back, set the old value again.",
  ].join("\n");
}
