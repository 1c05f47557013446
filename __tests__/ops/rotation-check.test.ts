// The rotation check's logic with fake clients and a fake clock: the real run
// needs a cluster and a vault, and is documented in docs/rotation.md.
import { firstRunningPod } from "../../tools/ops/kube";
import { inputFromConfig, parseArgs, USAGE } from "../../tools/ops/rotation-check-cli";
import { checkRotation, formatResult, RotationCheckError, type Clock, type PodClient, type RotationCheckInput, type VaultClient } from "../../tools/ops/rotation-check";
import { baseConfig, writeProject } from "../support/helpers";

const input: RotationCheckInput = {
  vaultName: "kv-test-dev-01",
  objectName: "configurable-secrets",
  mountedFile: "/app/secrets/secret.json",
  namespace: "configurable",
  labelSelector: "app=configurable",
  container: "app",
  newValue: "new",
  valueSource: "new.json",
  rotationIntervalSeconds: 120,
  timeoutSeconds: 300,
  pollSeconds: 5,
};

/** A clock that advances only when the code sleeps. */
function fakeClock(): Clock & { elapsed: () => number } {
  let now = 1_000_000;
  const start = now;
  return { now: () => now, sleep: async (ms) => void (now += ms), elapsed: () => (now - start) / 1000 };
}

/** A pod whose mounted file shows the new value from the clock time changedAt.at on. */
function pods(clock: Clock, changedAt = { at: Infinity }): PodClient & { reads: number } {
  const client = {
    reads: 0,
    findRunningPod: async () => "configurable-7d9f-abcde",
    readFile: async () => {
      client.reads++;
      return clock.now() >= changedAt.at ? "new" : "old";
    },
  };
  return client;
}

function vaultThatSets(onSet: () => void = () => undefined): VaultClient {
  return { setSecret: async () => (onSet(), { version: "0123abcd" }) };
}

describe("checkRotation", () => {
  test("measures the delay from setting the secret to the changed file, and says what it changed", async () => {
    const clock = fakeClock();
    const changedAt = { at: Infinity };
    const lines: string[] = [];
    const result = await checkRotation(
      input,
      { vault: vaultThatSets(() => (changedAt.at = clock.now() + 95_000)), pods: pods(clock, changedAt), clock },
      (l) => lines.push(l),
    );
    expect(result).toEqual({ pod: "configurable-7d9f-abcde", version: "0123abcd", delaySeconds: 95 });
    expect(lines).toContain(
      "CHANGED: set a new version 0123abcd of secret configurable-secrets in vault kv-test-dev-01 from new.json; the previous version is kept but no longer current, and nothing is restored",
    );
    expect(formatResult(result, input).split("\n")[0]).toBe(
      "rotation reached configurable-7d9f-abcde after 95s; configured interval 120s (expect up to one interval, plus the time to fetch and write the file)",
    );
  });

  test("gives up after the timeout with the interval and where to look, leaving the new version set", async () => {
    const clock = fakeClock();
    const pod = pods(clock);
    await expect(checkRotation(input, { vault: vaultThatSets(), pods: pod, clock }, () => undefined)).rejects.toThrow(
      "/app/secrets/secret.json in configurable-7d9f-abcde did not change within 300s (rotation interval 120s); check the aks-secrets-store-provider-azure logs (docs/troubleshooting.md). The new secret version stays set",
    );
    expect(clock.elapsed()).toBe(300);
    expect(pod.reads).toBe(1 + 300 / 5);
  });

  test("no running pod: stops before changing anything", async () => {
    let set = false;
    const none: PodClient = { findRunningPod: async () => undefined, readFile: async () => "" };
    await expect(checkRotation(input, { vault: vaultThatSets(() => (set = true)), pods: none, clock: fakeClock() }, () => undefined)).rejects.toThrow(
      "no running pod with label app=configurable in namespace configurable: deploy app-<env> first, or check your kubectl context",
    );
    expect(set).toBe(false);
  });

  test("a value equal to what is mounted: stops, since nothing would change", async () => {
    const same: PodClient = { findRunningPod: async () => "p", readFile: async () => "new" };
    await expect(checkRotation(input, { vault: vaultThatSets(), pods: same, clock: fakeClock() }, () => undefined)).rejects.toThrow(
      "new.json holds the value already mounted in p: give a file with a different value, or nothing would change",
    );
  });

  const failing = (error: object): VaultClient => ({ setSecret: async () => Promise.reject(Object.assign(new Error("x"), error)) });
  const run = (vault: VaultClient) => checkRotation(input, { vault, pods: pods(fakeClock()), clock: fakeClock() }, () => undefined);

  test("not signed in to Azure", async () => {
    await expect(run(failing({ name: "CredentialUnavailableError" }))).rejects.toThrow(
      "not signed in to Azure: run `az login` (and `az account set --subscription <id>`), then try again",
    );
  });

  test("access denied by the vault's permissions, or by its firewall", async () => {
    await expect(run(failing({ statusCode: 403, code: "Forbidden" }))).rejects.toThrow(
      "access denied setting secret configurable-secrets in vault kv-test-dev-01: your identity needs Set on secrets (an access policy) or Key Vault Secrets Officer (RBAC mode)",
    );
    await expect(run(failing({ statusCode: 403, code: "ForbiddenByFirewall" }))).rejects.toThrow(
      "access denied by the firewall of vault kv-test-dev-01: add your public IP to keyVault.allowedCidrs and deploy keyvault-<env>",
    );
  });

  test("kubelogin missing, or no cluster to reach", async () => {
    const broken = (message: string): PodClient => ({ findRunningPod: async () => Promise.reject(new Error(message)), readFile: async () => "" });
    const check = (message: string) => checkRotation(input, { vault: vaultThatSets(), pods: broken(message), clock: fakeClock() }, () => undefined);
    await expect(check("spawn kubelogin ENOENT")).rejects.toThrow(/^kubelogin is not installed/);
    await expect(check("connect ECONNREFUSED 10.0.0.1:443")).rejects.toThrow(/^cannot reach the cluster \(connect ECONNREFUSED 10\.0\.0\.1:443\)/);
  });

  test("errors are RotationCheckErrors, one line each", async () => {
    const error = await run(failing({ statusCode: 500, message: "boom\nstack" })).catch((e) => e);
    expect(error).toBeInstanceOf(RotationCheckError);
    expect(error.message).toBe("setting secret configurable-secrets in vault kv-test-dev-01 failed: boom");
  });
});

describe("rotation-check arguments and config", () => {
  test("requires --env and --value-file, and refuses bad numbers", () => {
    expect(() => parseArgs(["--env", "dev"])).toThrow(`--value-file is required; ${USAGE}`);
    expect(() => parseArgs(["--value-file", "f"])).toThrow(`--env is required; ${USAGE}`);
    expect(() => parseArgs(["--env", "dev", "--value-file", "f", "--timeout", "soon"])).toThrow('--timeout = "soon": must be a whole number of seconds, 1 or more');
    expect(() => parseArgs(["--envv", "dev"])).toThrow(`unknown argument "--envv"; ${USAGE}`);
  });

  test("takes the vault, the secret's mount path, the pod selector and the interval from the environment's config", () => {
    const root = writeProject({ dev: baseConfig("dev") });
    const found = inputFromConfig(root, parseArgs(["--env", "dev", "--value-file", "new.json"]), "v");
    expect(found).toMatchObject({
      vaultName: "kv-test-dev-01",
      objectName: "configurable-secrets",
      mountedFile: "/app/secrets/secret.json",
      namespace: "configurable",
      labelSelector: "app=configurable",
      rotationIntervalSeconds: 120,
      timeoutSeconds: 300,
      pollSeconds: 5,
    });
    expect(() => inputFromConfig(root, parseArgs(["--env", "prod", "--value-file", "x"]), "v")).toThrow('no environment "prod": config/ has dev');
    expect(() => inputFromConfig(root, parseArgs(["--env", "dev", "--value-file", "x", "--secret", "nope"]), "v")).toThrow(
      '--secret "nope": not a secret mapped in config/dev.json; mapped: configurable-secrets',
    );
  });
});

describe("the pod rotation-check and verify read files from", () => {
  const pod = (name: string, phase: string, deleting = false) => ({ metadata: { name, ...(deleting && { deletionTimestamp: new Date() }) }, status: { phase } });

  test("is the first one running and not being deleted; none while all start or stop", () => {
    expect(firstRunningPod([pod("a", "Pending"), pod("b", "Running", true), pod("c", "Running"), pod("d", "Running")])).toBe("c");
    expect(firstRunningPod([pod("a", "Pending"), pod("b", "Running", true)])).toBeUndefined();
    expect(firstRunningPod([])).toBeUndefined();
  });
});
