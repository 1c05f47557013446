// npm run verify's checks with injected clients: each check's pass and fail
// paths, the report, and the one-line failures before any check can run.
import { spawnSync } from "child_process";
import { X509Certificate } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { validateEnvironment } from "../../config/validate";
import { durationSeconds } from "../../config/domain";
import { checkPrerequisites, explainClusterError, httpClient, verifyApps, verifyInput } from "../../tools/ops/verify-cli";
import { SECRET_VERSIONS_ANNOTATION as VERSIONS_ANNOTATION } from "../../lib/rollout";
import { formatChecklist, TROUBLESHOOTING, verifyDeployment, type ClusterView, type HttpClient, type VerifyInput } from "../../tools/ops/verify";
import { baseConfig, copyOfProject, hardenedConfig, selfSignedCertificate, synthProject, tempDir, type Json } from "../support/helpers";

const SECRET = '{"apiKey": "mounted-value-never-printed"}';
const CLIENT_ID = "11111111-1111-4111-8111-111111111111";
const OBJECT_ID = "22222222-2222-4222-8222-222222222222";
const TENANT_ID = "33333333-3333-4333-8333-333333333333";

const input: VerifyInput = {
  environment: "dev",
  namespace: "configurable",
  app: "configurable",
  secretProviderClass: "configurable-keyvault",
  mountPath: "/app/secrets",
  keyVaultName: { value: "kv-dev", source: "key_vault_name of keyvault-dev" },
  tenantId: { value: TENANT_ID, source: "tenant_id of aks-dev" },
  clientId: { value: CLIENT_ID, source: "secrets_provider_client_id of aks-dev", parameter: "userAssignedIdentityID" },
  objectId: OBJECT_ID,
  objects: [{ objectName: "configurable-secrets", alias: "secret.json", localFile: "secrets/dev/configurable-secret.json", localContent: SECRET }],
  rotationInterval: "2m",
  rotationSeconds: 120,
  secretVersions: { "configurable-secrets": "v2" },
  timeoutSeconds: 60,
  service: { type: "LoadBalancer", podPort: 8080 },
};

/** A healthy deployment; each test breaks one thing. */
function healthy(): ClusterView & { state: Json } {
  const state: Json = {
    daemonSets: [
      { name: "aks-secrets-store-csi-driver", desired: 2, ready: 2, args: ["--enable-secret-rotation=true", "--rotation-poll-interval=2m"] },
      { name: "aks-secrets-store-provider-azure", desired: 2, ready: 2, args: [] },
    ],
    nodes: 2,
    spc: { keyvaultName: "kv-dev", tenantID: TENANT_ID, userAssignedIdentityID: CLIENT_ID, useVMManagedIdentity: "true" },
    deployment: { desired: 1, available: 1, annotations: { [VERSIONS_ANNOTATION]: "configurable-secrets=v2" } },
    warnings: [],
    pod: "configurable-abc",
    files: { "/app/secrets/secret.json": SECRET },
    address: "198.51.100.7",
    forwards: [] as string[],
  };
  return {
    state,
    daemonSets: async () => state.daemonSets,
    nodeCount: async () => state.nodes,
    secretProviderClass: async () => state.spc,
    deployment: async () => state.deployment,
    podWarnings: async () => state.warnings,
    runningPod: async () => state.pod,
    readFile: async (_ns, _pod, _container, file) => state.files[file],
    serviceAddress: async () => state.address,
    portForward: async (_ns, pod, port) => {
      state.forwards.push(`${pod}:${port}`);
      return { address: "127.0.0.1:40123", close: () => state.forwards.push("closed") };
    },
  };
}

const answering = (status: number | undefined, certificate?: string): HttpClient => ({ get: async () => ({ status, certificate }) });

function fakeClock() {
  let t = 0;
  return { now: () => t, sleep: async (ms: number) => void (t += ms) };
}

async function run(cluster: ClusterView, http: HttpClient = answering(200), over: Partial<VerifyInput> = {}) {
  const verdicts = await verifyDeployment({ ...input, ...over }, { cluster, http, clock: fakeClock() }, durationSeconds, () => undefined);
  return { verdicts, byId: Object.fromEntries(verdicts.map((v) => [v.id, v])), text: formatChecklist("dev", verdicts) };
}

describe("npm run verify, check by check", () => {
  test("a healthy deployment passes all six, with a mark and a line each, and never prints a secret", async () => {
    const { verdicts, text } = await run(healthy());
    expect(verdicts.map((v) => [v.id, v.passed])).toEqual([
      ["addon", true],
      ["class", true],
      ["available", true],
      ["mounted", true],
      ["answers", true],
      ["rotation", true],
    ]);
    expect(text.split("\n")).toEqual([
      "verify dev:",
      "  [x] 1. The add-on is running: aks-secrets-store-csi-driver 2/2 ready, aks-secrets-store-provider-azure 2/2 ready, on 2 nodes",
      "  [x] 2. The SecretProviderClass is the one the stacks declared: configurable-keyvault: vault kv-dev, tenant and userAssignedIdentityID as the stacks' outputs say",
      "  [x] 3. The app is available: 1/1 replicas available",
      "  [x] 4. The secrets are mounted at /app/secrets: 1 files in pod configurable-abc",
      "        /app/secrets/secret.json: matches secrets/dev/configurable-secret.json (SHA-256)",
      "  [x] 5. The app answers: GET http://198.51.100.7/ -> 200",
      "  [x] 6. Rotation settings: on, every 2m",
      "        the driver polls Key Vault every 2m, as aks.secretRotationInterval says: a new version reaches the file within that",
      "        the pod template carries the current version of each uploaded secret: a deploy that changes one rolls the pods",
      "6 of 6 checks passed",
    ]);
    expect(text).not.toContain("mounted-value-never-printed");
  });

  test("a missing DaemonSet fails the add-on check, naming it and how to look", async () => {
    const cluster = healthy();
    cluster.state.daemonSets = cluster.state.daemonSets.slice(0, 1);
    const { byId } = await run(cluster);
    expect(byId.addon.passed).toBe(false);
    expect(byId.addon.detail).toBe("no DaemonSet aks-secrets-store-provider-azure in kube-system: is the azure-keyvault-secrets-provider add-on on? (az aks addon show --addon azure-keyvault-secrets-provider)");
  });

  test("a node without a ready add-on pod fails it too", async () => {
    const cluster = healthy();
    cluster.state.nodes = 3;
    const { byId } = await run(cluster);
    expect(byId.addon.detail).toMatch(/on 3 nodes: not a ready pod of each on every node$/);
  });

  test("the object ID where the client ID belongs: both values' sources named, and the mistake called out", async () => {
    const cluster = healthy();
    cluster.state.spc = { ...cluster.state.spc, userAssignedIdentityID: OBJECT_ID };
    const { byId } = await run(cluster);
    expect(byId.class.passed).toBe(false);
    expect(byId.class.lines).toEqual([
      `userAssignedIdentityID is "${OBJECT_ID}" in the SecretProviderClass but "${CLIENT_ID}" in secrets_provider_client_id of aks-dev (that is the identity's object ID; the class takes its client ID)`,
    ]);
  });

  test("a pod stuck on FailedMount: the event's message and the troubleshooting section, after the timeout", async () => {
    const cluster = healthy();
    cluster.state.deployment = { ...cluster.state.deployment, available: 0 };
    cluster.state.warnings = [{ pod: "configurable-abc", reason: "FailedMount", message: "MountVolume.SetUp failed ... ManagedIdentityCredential authentication failed ... Identity not found" }];
    const { byId } = await run(cluster);
    expect(byId.available.passed).toBe(false);
    expect(byId.available.detail).toBe("0/1 replicas available after 60 s; FailedMount");
    expect(byId.available.lines).toEqual([
      "FailedMount on configurable-abc: MountVolume.SetUp failed ... ManagedIdentityCredential authentication failed ... Identity not found",
      "see docs/troubleshooting.md#the-pod-is-stuck-in-containercreating-wrong-identity-client-id",
    ]);
  });

  test.each([
    ["a sign-in error whose identity endpoint's port reads 403", "failed to get token: ManagedIdentityCredential: GET https://10.0.0.1:44031/metadata/identity/oauth2/token RESPONSE 400: Identity not found", "the-pod-is-stuck-in-containercreating-wrong-identity-client-id"],
    ["Key Vault's 403 with access policies", "failed to get objectType:secret: GET https://kv.vault.azure.net/secrets/x/ RESPONSE 403: 403 Forbidden ERROR CODE: Forbidden ... does not have secrets get permission on key vault", "403-from-key-vault"],
    ["Key Vault's 403 with RBAC", "Caller is not authorized to perform action on resource. ... ForbiddenByRbac", "403-from-key-vault"],
  ])("a FailedMount is pointed to its section by what it says, not by a number inside a URL: %s", async (_what, message, section) => {
    const cluster = healthy();
    cluster.state.deployment = { ...cluster.state.deployment, available: 0 };
    cluster.state.warnings = [{ pod: "configurable-abc", reason: "FailedMount", message }];
    expect((await run(cluster)).byId.available.lines.at(-1)).toBe(`see docs/troubleshooting.md#${section}`);
  });

  test("a mounted file that differs from the local one says so without printing either", async () => {
    const cluster = healthy();
    cluster.state.files = { "/app/secrets/secret.json": '{"apiKey": "an-older-value"}' };
    const { byId, text } = await run(cluster);
    expect(byId.mounted.passed).toBe(false);
    expect(byId.mounted.lines).toEqual(["/app/secrets/secret.json: differs from secrets/dev/configurable-secret.json: Key Vault has a newer or older version"]);
    expect(text).not.toContain("an-older-value");
    expect(text).not.toContain("mounted-value-never-printed");
  });

  test("a missing file, and an existing object's empty file, fail the mount check", async () => {
    const cluster = healthy();
    cluster.state.files = { "/app/secrets/cert.pem": "" };
    const { byId } = await run(cluster, answering(200), {
      objects: [...input.objects, { objectName: "tls", alias: "cert.pem" }],
    });
    expect(byId.mounted.lines).toEqual(["/app/secrets/secret.json: missing", "/app/secrets/cert.pem: empty"]);
  });

  test("a value the provider decodes (objectEncoding base64) passes when present, and says it was not compared", async () => {
    const cluster = healthy();
    cluster.state.files = { ...cluster.state.files, "/app/secrets/keystore.p12": "\u0030\u0082binary" };
    const { byId } = await run(cluster, answering(200), { objects: [...input.objects, { objectName: "keystore", alias: "keystore.p12", decodedFrom: "base64" }] });
    expect(byId.mounted.passed).toBe(true);
    expect(byId.mounted.lines.at(-1)).toBe("/app/secrets/keystore.p12: present (keystore, decoded from base64; not compared as text)");
  });

  test("an app that does not answer 200 before the timeout fails, with what it last got", async () => {
    const { byId } = await run(healthy(), answering(503));
    expect(byId.answers.passed).toBe(false);
    expect(byId.answers.detail).toBe("GET http://198.51.100.7/ -> 503 after 60 s");
    const noAddress = healthy();
    noAddress.state.address = undefined;
    expect((await run(noAddress)).byId.answers.detail).toBe("the Service has no LoadBalancer address yet after 60 s");
  });

  test.each(["ClusterIP", "InternalLoadBalancer"] as const)("a %s app is reached by port-forwarding through the API server to its pod, never its Service address", async (type) => {
    const cluster = healthy();
    const urls: string[] = [];
    const http: HttpClient = { get: async (url) => (urls.push(url), { status: 200 }) };
    const { byId } = await run(cluster, http, { service: { type, podPort: 8080 } });
    expect(urls).toEqual(["http://127.0.0.1:40123/"]);
    expect(cluster.state.forwards).toEqual(["configurable-abc:8080", "closed"]);
    expect(byId.answers.detail).toBe(`GET http://127.0.0.1:40123/ -> 200 (${type}: port-forwarded through the API server to port 8080)`);
    cluster.state.pod = undefined;
    expect((await run(cluster, http, { service: { type, podPort: 8080 } })).byId.answers.detail).toBe(`no running pod to port-forward to (the Service is ${type}) after 60 s`);
  });

  test("rotation off, another interval, or pods on an older version fail the rotation check", async () => {
    const cluster = healthy();
    cluster.state.daemonSets[0].args = ["--enable-secret-rotation=false", "--rotation-poll-interval=5m"];
    cluster.state.deployment = { ...cluster.state.deployment, annotations: { [VERSIONS_ANNOTATION]: "configurable-secrets=v1" } };
    const { byId, text } = await run(cluster);
    expect(byId.rotation.lines).toEqual([
      "the driver runs with --enable-secret-rotation=false --rotation-poll-interval=5m; the config says 2m",
      "the pod template carries configurable-secrets=v1, Key Vault has configurable-secrets=v2: deploy app-dev",
    ]);
    expect(text.split("\n").at(-1)).toBe("5 of 6 checks passed; FAILED: rotation");
  });
});

describe("npm run verify on an app served over HTTPS (apps[].https)", () => {
  const { key, cert } = selfSignedCertificate("verify.invalid");
  const fingerprint = new X509Certificate(cert).fingerprint256;
  const https = { certificateFile: "/app/secrets/web.pem", pem: true };
  const served = () => {
    const cluster = healthy();
    cluster.state.files["/app/secrets/web.pem"] = `${key}${cert}`;
    return cluster;
  };

  test("passes when the app serves the certificate mounted from Key Vault, over https://", async () => {
    const { byId } = await run(served(), answering(200, fingerprint), { https });
    expect(byId.answers).toMatchObject({ passed: true, detail: `GET https://198.51.100.7/ -> 200, serving the certificate mounted at /app/secrets/web.pem (SHA-256 ${fingerprint})` });
  });

  test("fails when it serves another certificate, and says to restart after a renewal", async () => {
    const { byId } = await run(served(), answering(200, "AA:BB"), { https });
    expect(byId.answers.passed).toBe(false);
    expect(byId.answers.detail).toBe(`GET https://198.51.100.7/ -> 200, but it serves certificate AA:BB, not the one mounted at /app/secrets/web.pem (${fingerprint}): restart the app if the certificate was renewed`);
  });

  test("fails when the mounted file holds no certificate to compare with (a key alone)", async () => {
    const cluster = served();
    cluster.state.files["/app/secrets/web.pem"] = key;
    const { byId } = await run(cluster, answering(200, fingerprint), { https });
    expect([byId.answers.passed, byId.answers.detail]).toEqual([false, "GET https://198.51.100.7/ -> 200, but /app/secrets/web.pem holds no certificate to compare with"]);
  });

  test("the real client reads the served certificate over TLS from a server whose chain it cannot check", async () => {
    const tls = await import("https");
    const server = tls.createServer({ key, cert }, (_req, res) => res.end("ok"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as { port: number };
      expect(await httpClient.get(`https://127.0.0.1:${port}/`)).toEqual({ status: 200, certificate: fingerprint });
    } finally {
      server.close();
    }
    // Nothing listening: no status, no certificate.
    expect(await httpClient.get("http://127.0.0.1:9/")).toEqual({});
  });

  test("verify's input names the app's certificate file, PEM or not", () => {
    const raw = baseConfig("dev");
    raw.keyVault.secrets.push({ objectName: "web-tls", objectType: "secret", objectAlias: "web.pem", source: { existing: true }, objectFormat: "pem" });
    raw.apps[0].https = { certificate: "web.pem" };
    const { config, problems } = validateEnvironment("dev", "config/dev.json", raw);
    expect(problems).toEqual([]);
    expect(verifyInput(config!, config!.apps[0], {}, {}, "/nowhere", 30).https).toEqual({ certificateFile: "/app/secrets/web.pem", pem: true });
  });
});

test("every troubleshooting section a failure points to exists", () => {
  const doc = require("fs").readFileSync(require("path").join(__dirname, "..", "..", "docs", "troubleshooting.md"), "utf8") as string;
  const anchors = [...doc.matchAll(/^## (.+)$/gm)].map(([, heading]) => heading.trim().toLowerCase().replace(/[^\w\- ]/g, "").replace(/ /g, "-"));
  expect(TROUBLESHOOTING.map(([, link]) => link.split("#")[1]).filter((a) => !anchors.includes(a))).toEqual([]);
});

describe("before any check", () => {
  test("an unreachable API server is one line naming the address and the likely cause", () => {
    const error = explainClusterError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), "https://aks-dev.hcp.westeurope.azmk8s.io:443");
    expect(error.message).toBe("cannot reach the API server at https://aks-dev.hcp.westeurope.azmk8s.io:443 (ECONNREFUSED): is this machine's address in aks.apiServerAuthorizedIpRanges, or the cluster private?");
  });

  test("not signed in (kubelogin has no token) is one line saying how to sign in", () => {
    const error = explainClusterError(new Error("exec: executable kubelogin failed with exit code 1: AADSTS700082: The refresh token has expired"), "https://x");
    expect(error.message).toMatch(/^not signed in: kubelogin could not get a token \(.*AADSTS700082.*\); run `az login`, or --kube-context with a working context$/);
  });
});

describe("what the deployment must carry comes from the stacks' outputs", () => {
  const aks = {
    secrets_provider_client_id: "addon-client",
    secrets_provider_object_id: "addon-object",
    workload_identity_client_id: "app-client",
    workload_identity_object_id: "app-object",
    tenant_id: "tenant-from-aks",
  };
  const keyVault = {
    key_vault_name: "kv-from-output",
    key_vault_tenant_id: "tenant-from-vault",
    "secret_version_configurable-secrets": "v9",
  };

  test("dev (the add-on's identity): userAssignedIdentityID, the add-on's IDs, the vault's tenant and secret version", () => {
    const { config } = validateEnvironment("dev", "config/dev.json", baseConfig("dev"));
    const got = verifyInput(config!, config!.apps[0], aks, keyVault, "/nowhere", 30);
    expect(got.clientId).toEqual({ value: "addon-client", source: "secrets_provider_client_id of aks-dev", parameter: "userAssignedIdentityID" });
    expect(got.objectId).toBe("addon-object");
    expect(got.keyVaultName.value).toBe("kv-from-output");
    expect(got.tenantId.value).toBe("tenant-from-vault");
    expect(got.secretVersions).toEqual({ "configurable-secrets": "v9" });
    expect(got.objects[0]).toMatchObject({ alias: "secret.json", localFile: "secrets/dev/configurable-secret.json", localContent: undefined });
  });

  test("every output it reads is one the synthesized stacks declare, by name", () => {
    const project = synthProject({ dev: baseConfig("dev"), prod: hardenedConfig("prod") });
    for (const env of ["dev", "prod"]) {
      const declared = (stack: string) => Object.keys(project.json(`${stack}-${env}`).output ?? {});
      const read = Object.keys(aks).filter((name) => env === "prod" || !name.startsWith("workload_identity"));
      expect(read.filter((name) => !declared("aks").includes(name))).toEqual([]);
      expect(Object.keys(keyVault).filter((name) => !declared("keyvault").includes(name))).toEqual([]);
      expect(declared("aks")).toEqual(expect.arrayContaining(["kube_host", "kube_cluster_ca_certificate"]));
    }
  });

  test("a version history is checked at its newest file, <alias>/0; a decoded value is checked for presence, not compared as text", () => {
    const raw = baseConfig("dev");
    raw.keyVault.secrets[0].objectVersionHistory = 2;
    raw.keyVault.secrets.push({ objectName: "keystore", objectType: "secret", objectAlias: "keystore.p12", source: { file: "secrets/dev/keystore.b64" }, objectEncoding: "base64" });
    const { config, problems } = validateEnvironment("dev", "config/dev.json", raw);
    expect(problems).toEqual([]);
    const got = verifyInput(config!, config!.apps[0], aks, keyVault, "/nowhere", 30);
    expect(got.objects.map((o) => [o.alias, o.localFile, o.decodedFrom])).toEqual([
      ["secret.json/0", "secrets/dev/configurable-secret.json", undefined],
      ["keystore.p12", undefined, "base64"],
    ]);
  });

  test("prod (workload identity): clientID from the app identity's output", () => {
    const { config } = validateEnvironment("prod", "config/prod.json", hardenedConfig("prod"));
    const got = verifyInput(config!, config!.apps[0], aks, keyVault, "/nowhere", 30);
    expect(got.clientId).toEqual({ value: "app-client", source: "workload_identity_client_id of aks-prod", parameter: "clientID" });
    expect(got.objectId).toBe("app-object");
  });
});

describe("npm run verify's prerequisites: the first thing missing, in one line, before any engine runs", () => {
  const { config } = validateEnvironment("dev", "config/dev.json", baseConfig("dev"));
  const signedIn = () => true;
  /** A folder as `cdktf synth` (and, with outputs, a deploy from here) leaves it. */
  const folder = (opts: { synth?: boolean; outputs?: boolean } = {}) => {
    const root = tempDir("akskv-verify-pre-");
    for (const stack of ["aks-dev", "keyvault-dev"]) {
      if (opts.synth ?? true) {
        fs.mkdirSync(path.join(root, "cdktf.out", "stacks", stack), { recursive: true });
        fs.writeFileSync(path.join(root, "cdktf.out", "stacks", stack, "cdk.tf.json"), "{}");
      }
      if (opts.outputs) fs.writeFileSync(path.join(root, `terraform.${stack}.tfstate`), JSON.stringify({ version: 4, outputs: { x: { value: "y", type: "string" } } }));
    }
    return root;
  };
  const failure = (promise: Promise<void>) => promise.then(() => "passed", (error: Error) => error.message);

  test("not synthesized", async () => {
    expect(await failure(checkPrerequisites(folder({ synth: false }), config!, false, signedIn))).toBe("no cdktf.out/stacks/aks-dev: run npx cdktf synth first");
  });

  test("no kubelogin", async () => {
    const probe = (command: string) => command !== "kubelogin";
    expect(await failure(checkPrerequisites(folder(), config!, false, probe))).toBe(
      "kubelogin is not on PATH: install it (az aks install-cli, or https://azure.github.io/kubelogin/), or pass --kube-context with a working kubectl context",
    );
  });

  test("not signed in to Azure (aks.kubeloginMode azurecli)", async () => {
    const probe = (command: string, args: string[]) => !(command === "az" && args[0] === "account");
    expect(await failure(checkPrerequisites(folder(), config!, false, probe))).toBe("not signed in to Azure (az account show failed): run az login, or pass --kube-context with a working kubectl context");
  });

  test("workload identity mode without its variables", async () => {
    const c = baseConfig("dev");
    c.aks.kubeloginMode = "workloadidentity";
    const { config: wi } = validateEnvironment("dev", "config/dev.json", c);
    const saved = { ...process.env };
    for (const name of ["AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_AUTHORITY_HOST"]) delete process.env[name];
    try {
      expect(await failure(checkPrerequisites(folder(), wi!, false, signedIn))).toBe(
        "aks.kubeloginMode workloadidentity reads AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE, AZURE_AUTHORITY_HOST, which are not set: set them, or pass --kube-context with a working kubectl context",
      );
    } finally {
      process.env = saved;
    }
  });

  test("not deployed from here (local state without outputs)", async () => {
    expect(await failure(checkPrerequisites(folder(), config!, false, signedIn))).toBe(
      "aks-dev has no outputs in terraform.aks-dev.tfstate: deploy the environment from this folder first (npx cdktf deploy '*-dev')",
    );
  });

  test("everything there: no complaint", async () => {
    expect(await failure(checkPrerequisites(folder({ outputs: true }), config!, false, signedIn))).toBe("passed");
  });

  test("the command itself, in a fresh clone with nothing set up: exit 1 and that one line, without running terraform", () => {
    const root = copyOfProject("akskv-verify-fresh-");
    const result = spawnSync(process.execPath, [path.join(root, "tools", "build", "run-ts.mjs"), "tools/ops/verify-cli.ts", "--env", "dev"], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, TERRAFORM_BINARY_NAME: path.join(root, "no-terraform-here") },
    });
    expect([result.status, result.stderr]).toEqual([1, "verify: no cdktf.out/stacks/aks-dev: run npx cdktf synth first\n"]);
  }, 60_000);
});

describe("npm run verify with several apps", () => {
  test("checks every app, not only the first: a second app's failure fails the run and is named", async () => {
    const config = hardenedConfig("prod");
    const apps = [{ ...config.apps[0], name: "configurable" }, { ...config.apps[0], name: "billing", namespace: "billing" }];
    const checked: string[] = [];
    const lines: string[] = [];
    const { passed, report } = await verifyApps(
      "prod",
      apps,
      async (app) => (checked.push(app.name), [{ id: "available", title: "The app is available", passed: app.name !== "billing", detail: app.name === "billing" ? "0/2 replicas available" : "2/2 replicas available", lines: [] }]),
      (line) => lines.push(line),
    );
    expect(checked).toEqual(["configurable", "billing"]);
    expect(passed).toBe(false);
    expect(lines.at(-1)).toBe("1 of 2 apps passed; FAILED: billing");
    expect(lines[1].split("\n")[0]).toBe("verify prod, app billing:");
    expect((report as Json).apps.map((a: Json) => [a.app, a.passed])).toEqual([["configurable", true], ["billing", false]]);
  });
});
