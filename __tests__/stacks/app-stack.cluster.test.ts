// npm run test:cluster: the real synthesized app stack applied with OpenTofu and
// the real kubernetes provider to a local API server (tools/cluster/local-cluster.ts),
// signed in the way the stack signs in (kubelogin, here a stand-in that prints
// the deployer's token), with the host and CA from the AKS stack's outputs.
// Then: a second plan is empty, also after switching to CDK Terrain and back, a new secret version rolls the pods and
// changes nothing else, and destroy leaves nothing. The test plays the two
// parts no local control plane has: the cloud controller (a load balancer
// address) and the kubelet (pods reported ready).
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as path from "path";
import { clusterCacheDir, loadClusterTools } from "../../tools/cluster/cluster-tools";
import { prepareWorkDir, runEngine, type Engine } from "../../tools/engine/engines";
import { startLocalCluster, type LocalCluster } from "../../tools/cluster/local-cluster";
import { tofuEngine, writeOutputsState } from "../../tools/engine/mock-test";
import { durationSeconds } from "../../config/domain";
import { verifyDeployment, type ClusterView } from "../../tools/ops/verify";
import { loadToolchain, toolsCacheDir } from "../../tools/engine/toolchain";
import { synthProject, synthWithEngine, tempDir, type Json } from "../support/helpers";
import { loadTerrainTools, terrainCacheDir } from "../../tools/terrain/terrain";

const repo = path.resolve(__dirname, "..", "..");
const CLIENT_ID = "11111111-2222-4333-8444-555555555555";
const TENANT_ID = "66666666-7777-4888-9999-000000000000";
const LB_IP = "198.51.100.80";
const VERSION_1 = "0123456789abcdef0123456789abcdef";
const VERSION_2 = "fedcba9876543210fedcba9876543210";

/**
 * What the deployer may do here: manage the kinds the app stack declares, and
 * read CRDs. Not cluster-admin, and not what AKS's built-in "Azure Kubernetes
 * Service RBAC Writer" gives (no namespaces, no CRDs): see docs/security.md.
 */
const DEPLOYER_RULES = [
  { apiGroups: [""], resources: ["namespaces", "serviceaccounts", "services"], verbs: ["get", "list", "watch", "create", "update", "patch", "delete"] },
  { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "watch", "create", "update", "patch", "delete"] },
  { apiGroups: ["secrets-store.csi.x-k8s.io"], resources: ["secretproviderclasses"], verbs: ["get", "list", "watch", "create", "update", "patch", "delete"] },
  // kubernetes_manifest finds the SecretProviderClass kind among the cluster's CRDs at plan time.
  { apiGroups: ["apiextensions.k8s.io"], resources: ["customresourcedefinitions"], verbs: ["get", "list", "watch"] },
];

/**
 * What AKS's built-in "Azure Kubernetes Service RBAC Reader" lets one read, as
 * far as the app stack's plan goes: the usual objects, but no CRDs and no
 * custom resources (and no Secrets).
 */
const BUILT_IN_RBAC_READER_RULES = [
  { apiGroups: [""], resources: ["configmaps", "endpoints", "events", "namespaces", "pods", "serviceaccounts", "services"], verbs: ["get", "list", "watch"] },
  { apiGroups: ["apps"], resources: ["deployments", "replicasets", "daemonsets", "statefulsets"], verbs: ["get", "list", "watch"] },
];

/** The plan identity's custom role, as docs/ci.md documents it (its one JSON block with NotDataActions). */
function documentedPlanRole(): { DataActions: string[]; NotDataActions: string[] } {
  const doc = fs.readFileSync(path.join(repo, "docs", "ci.md"), "utf8");
  const block = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1].replace(/^ {5}/gm, "")).find((b) => b.includes('"NotDataActions"'));
  if (!block) throw new Error("docs/ci.md has no role definition with NotDataActions");
  return JSON.parse(block);
}

/** An Azure data action pattern as a regular expression: "*" matches anything, "/" included, as in Azure RBAC. */
const azurePattern = (action: string) => new RegExp(`^${action.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, "\\$&")).join(".*")}$`, "i");

/**
 * The Kubernetes RBAC rules Azure RBAC's data actions amount to on this API
 * server, as AKS's authorization webhook evaluates them: every served resource
 * whose ".../<group>/<resource>/read" action the role allows and does not
 * exclude gets get, list and watch.
 */
async function rulesForDataActions(role: { DataActions: string[]; NotDataActions: string[] }): Promise<Json[]> {
  const served: [string, string][] = (await read("/api/v1")).resources.filter((r: Json) => !r.name.includes("/")).map((r: Json) => ["", r.name]);
  for (const group of (await read("/apis")).groups) {
    for (const r of (await read(`/apis/${group.preferredVersion.groupVersion}`)).resources) if (!r.name.includes("/")) served.push([group.name, r.name]);
  }
  const allowed = (action: string) => role.DataActions.some((a) => azurePattern(a).test(action)) && !role.NotDataActions.some((a) => azurePattern(a).test(action));
  return served
    .filter(([group, resource]) => allowed(`Microsoft.ContainerService/managedClusters/${group ? `${group}/` : ""}${resource}/read`))
    .map(([group, resource]) => ({ apiGroups: [group], resources: [resource], verbs: ["get", "list", "watch"] }));
}

let cluster: LocalCluster | undefined;
let engine: Engine;

/**
 * The API as the test's own admin (never the deployer). Plain HTTPS: the
 * client-node package is ESM only, which this jest setup does not load.
 */
function api(method: string, urlPath: string, body?: Json): Promise<{ status: number; body: Json }> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      `${cluster!.host}${urlPath}`,
      { method, ca: cluster!.caPem, headers: { Authorization: `Bearer ${cluster!.adminToken}`, "Content-Type": "application/json" } },
      (response) => {
        let text = "";
        response.on("data", (chunk) => (text += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
      },
    );
    request.on("error", reject);
    request.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function read(urlPath: string): Promise<Json> {
  const response = await api("GET", urlPath);
  if (response.status !== 200) throw new Error(`GET ${urlPath}: ${response.status} ${response.body?.message ?? ""}`);
  return response.body;
}

async function create(urlPath: string, body: Json): Promise<void> {
  const response = await api("POST", urlPath, body);
  if (response.status !== 201) throw new Error(`POST ${urlPath}: ${response.status} ${response.body?.message ?? ""}`);
}
let toolchainProviders: ReturnType<typeof loadToolchain>["providers"];

beforeAll(async () => {
  const toolchain = loadToolchain(repo, toolsCacheDir(process.env));
  // The engine switch below needs the second install: without it the file fails, loudly.
  loadTerrainTools(terrainCacheDir(process.env));
  toolchainProviders = toolchain.providers;
  engine = tofuEngine(toolchain);
  cluster = await startLocalCluster(loadClusterTools(clusterCacheDir(process.env)), tempDir("akskv-cluster-"));
  const crd = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "support", "fixtures", "secretproviderclass-crd.json"), "utf8"));
  delete crd["//"];
  await create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
  await until("the SecretProviderClass CRD is established", async () => {
    const found = await read(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`);
    return (found.status?.conditions ?? []).some((c: Json) => c.type === "Established" && c.status === "True");
  });
  const rbac = "/apis/rbac.authorization.k8s.io/v1";
  await create(`${rbac}/clusterroles`, { metadata: { name: "app-deployer" }, rules: DEPLOYER_RULES });
  await create(`${rbac}/clusterrolebindings`, {
    metadata: { name: "app-deployer" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "app-deployer" },
    subjects: [{ kind: "User", name: "deployer", apiGroup: "rbac.authorization.k8s.io" }],
  });
  await create(`${rbac}/clusterroles`, { metadata: { name: "planner" }, rules: [] });
  await create(`${rbac}/clusterrolebindings`, {
    metadata: { name: "planner" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "planner" },
    subjects: [{ kind: "User", name: "planner", apiGroup: "rbac.authorization.k8s.io" }],
  });
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
}, 60_000);

/** Gives the planner exactly these rules, and waits until the API server's authorizer says so. */
async function plannerMay(rules: Json[]): Promise<void> {
  const rbac = "/apis/rbac.authorization.k8s.io/v1";
  const current = await read(`${rbac}/clusterroles/planner`);
  const put = await api("PUT", `${rbac}/clusterroles/planner`, { ...current, rules });
  if (put.status !== 200) throw new Error(`PUT clusterroles/planner: ${put.status} ${put.body?.message ?? ""}`);
  const crds = rules.some((r) => r.apiGroups.includes("apiextensions.k8s.io"));
  await until(`the planner's new rules apply (list customresourcedefinitions ${crds})`, async () => {
    const review = await api("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", {
      spec: { user: "planner", resourceAttributes: { verb: "list", group: "apiextensions.k8s.io", resource: "customresourcedefinitions" } },
    });
    return review.body?.status?.allowed === crds || (!crds && review.body?.status?.allowed === undefined);
  }, 20);
}

async function until(what: string, check: () => Promise<boolean>, seconds = 60): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what}: not within ${seconds} s`);
}

/** The cloud controller and the kubelet, as far as the stack can tell: an address for each LoadBalancer Service, ready pods. */
function playCloudAndKubelet(namespace: string): () => void {
  const base = `/api/v1/namespaces/${namespace}`;
  let running = true;
  const loop = async () => {
    while (running) {
      try {
        for (const service of (await read(`${base}/services`)).items) {
          if (service.spec?.type === "LoadBalancer" && !service.status?.loadBalancer?.ingress?.length) {
            await api("PUT", `${base}/services/${service.metadata.name}/status`, { ...service, status: { loadBalancer: { ingress: [{ ip: LB_IP }] } } });
          }
        }
        for (const pod of (await read(`${base}/pods`)).items) {
          if (pod.metadata?.deletionTimestamp || pod.status?.conditions?.some((c: Json) => c.type === "Ready" && c.status === "True")) continue;
          const now = new Date().toISOString();
          const ready = ["PodScheduled", "Initialized", "ContainersReady", "Ready"].map((type) => ({ type, status: "True", lastTransitionTime: now }));
          await api("PUT", `${base}/pods/${pod.metadata.name}/status`, { ...pod, status: { phase: "Running", conditions: ready, startTime: now } });
        }
      } catch {
        // The namespace may not exist yet, or be going away; try again.
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  };
  void loop();
  return () => (running = false);
}

/**
 * Stand-ins for kubelogin and the Azure CLI, first on PATH: kubelogin prints an
 * ExecCredential with the given token, whatever the arguments; az answers as
 * one signed in (verify asks it before it relies on kubelogin's azurecli mode).
 */
function kubeloginOnPath(token: string): NodeJS.ProcessEnv {
  const bin = tempDir("akskv-kubelogin-");
  const credential = JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1beta1", kind: "ExecCredential", status: { token } });
  fs.writeFileSync(path.join(bin, "kubelogin"), `#!/bin/sh\nprintf '%s\\n' '${credential}'\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(bin, "az"), `#!/bin/sh\n[ "$1 $2" = "account show" ] && { echo '{"user": {"name": "stand-in"}}'; exit 0; }\necho "az stand-in: $*: not here" >&2\nexit 1\n`, { mode: 0o755 });
  return { ...engine.env, PATH: `${bin}${path.delimiter}${engine.env.PATH ?? process.env.PATH}` };
}

/** The upstream outputs the app stack reads, pointing at the local cluster. */
function upstreamOutputs(stack: Json, config: Json, version: string): Record<string, Record<string, string>> {
  const byState: Record<string, Record<string, string>> = {};
  const text = JSON.stringify(stack);
  for (const [, id, name] of text.matchAll(/data\.terraform_remote_state\.cross-stack-reference-input-([\w-]+)\.outputs\.([\w-]+)/g)) {
    const value = name.endsWith("kube_config0host")
      ? cluster!.host
      : name.endsWith("cluster_ca_certificate")
        ? Buffer.from(cluster!.caPem).toString("base64")
        : name.endsWith("client_id")
          ? CLIENT_ID
          : name.endsWith("tenant_id")
            ? TENANT_ID
            : name.endsWith("vaultname")
              ? config.keyVault.name
              : name.endsWith("version")
                ? version
                : undefined;
    if (value === undefined) throw new Error(`the app stack reads an upstream output this test does not know: ${name}`);
    (byState[id] ??= {})[name] = value;
  }
  return byState;
}

async function engineRun(dir: string, env: NodeJS.ProcessEnv, args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  // `show` and `output` take no -input.
  const flags = ["show", "output"].includes(args[0]) ? ["-no-color"] : ["-input=false", "-no-color"];
  // Flags before positional arguments (a plan file).
  return runEngine(engine, dir, [args[0], ...flags, ...args.slice(1)], env);
}

describe.each(["dev", "prod"])("the app stack of %s on a local API server", (envName) => {
  const config = JSON.parse(fs.readFileSync(path.join(repo, "config", `${envName}.json`), "utf8"));
  const namespace: string = config.apps[0].namespace;
  const stackName = `app-${envName}`;
  let dir = "";
  let root = "";
  let env: NodeJS.ProcessEnv = {};
  let stack: Json;
  let stopPlaying = () => undefined as unknown;

  const writeUpstream = (version: string) => {
    for (const [upstream, outputs] of Object.entries(upstreamOutputs(stack, config, version))) writeOutputsState(root, upstream, outputs);
  };

  beforeAll(async () => {
    const project = synthProject({ [envName]: config }, { [`secrets/${envName}/configurable-secret.json`]: '{"v": 1}' });
    root = project.root;
    stack = project.json(stackName);
    dir = path.join(project.outdir, "engine-tofu", stackName);
    prepareWorkDir(path.join(project.outdir, "stacks", stackName, "cdk.tf.json"), dir, toolchainProviders);
    writeUpstream(VERSION_1);
    env = kubeloginOnPath(cluster!.deployerToken);
    const init = await engineRun(dir, env, ["init"]);
    expect(init.stderr).toBe("");
    stopPlaying = playCloudAndKubelet(namespace);
  }, 120_000);

  afterAll(() => stopPlaying());

  test("applies as the deployer, and the API server holds what the stack declares", async () => {
    const apply = await engineRun(dir, env, ["apply", "-auto-approve"]);
    expect(apply.stderr).toBe("");
    expect(apply.status).toBe(0);
    expect((await read(`/api/v1/namespaces/${namespace}`)).status?.phase).toBe("Active");
    const account = await read(`/api/v1/namespaces/${namespace}/serviceaccounts/configurable`);
    expect(account.automountServiceAccountToken).toBe(false);
    expect(account.metadata?.annotations?.["azure.workload.identity/client-id"]).toBe(config.apps[0].identity === "workload" ? CLIENT_ID : undefined);

    const spc = await read(`/apis/secrets-store.csi.x-k8s.io/v1/namespaces/${namespace}/secretproviderclasses/configurable-keyvault`);
    const identity = config.apps[0].identity === "workload" ? { clientID: CLIENT_ID } : { useVMManagedIdentity: "true", userAssignedIdentityID: CLIENT_ID };
    expect(spc.spec).toEqual({
      provider: "azure",
      parameters: {
        ...identity,
        keyvaultName: config.keyVault.name,
        tenantID: TENANT_ID,
        usePodIdentity: "false",
        objects: "array:\n  - |\n    objectName: configurable-secrets\n    objectType: secret\n    objectAlias: secret.json\n",
      },
    });

    const deployment = await read(`/apis/apps/v1/namespaces/${namespace}/deployments/configurable`);
    const pod = deployment.spec.template.spec;
    expect(pod.volumes?.find((v: Json) => v.name === "keyvault")?.csi).toMatchObject({ driver: "secrets-store.csi.k8s.io", readOnly: true, volumeAttributes: { secretProviderClass: "configurable-keyvault" } });
    expect(pod.containers[0].volumeMounts?.find((m: Json) => m.name === "keyvault")).toMatchObject({ mountPath: "/app/secrets", readOnly: true });
    expect(pod.containers[0].securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ["ALL"] } });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(deployment.status?.availableReplicas).toBe(config.apps[0].replicas);
    const service = await read(`/api/v1/namespaces/${namespace}/services/configurable`);
    // dev: the public demo, for its sourceRanges only; prod: nothing outside the cluster.
    const outputs = JSON.parse((await engineRun(dir, env, ["output", "-json"])).stdout.replace(/^[^{]*/, ""));
    if (config.apps[0].service.type === "LoadBalancer") {
      expect([service.spec?.type, service.spec?.loadBalancerSourceRanges]).toEqual(["LoadBalancer", config.apps[0].service.sourceRanges]);
      expect(outputs.app_url.value).toBe(`http://${LB_IP}`);
    } else {
      expect([service.spec?.type, service.status?.loadBalancer?.ingress]).toEqual(["ClusterIP", undefined]);
      expect(outputs.app_url.value).toMatch(/^http:\/\/configurable\.[\w-]+\.svc\.cluster\.local \(inside the cluster only/);
    }
  }, 240_000);

  test("npm run verify's object checks pass against what the apply left: the class matches the outputs, the app is available", async () => {
    // Over plain HTTPS as the test's admin; the command itself uses client-node (ESM only, not loadable here).
    const cluster: ClusterView = {
      daemonSets: async (ns) => (await read(`/apis/apps/v1/namespaces/${ns}/daemonsets`)).items.map((d: Json) => ({ name: d.metadata.name, desired: 0, ready: 0, args: [] })),
      nodeCount: async () => (await read("/api/v1/nodes")).items.length,
      secretProviderClass: async (ns, name) => (await api("GET", `/apis/secrets-store.csi.x-k8s.io/v1/namespaces/${ns}/secretproviderclasses/${name}`)).body?.spec?.parameters,
      deployment: async (ns, name) => {
        const d = await read(`/apis/apps/v1/namespaces/${ns}/deployments/${name}`);
        return { desired: d.spec.replicas, available: d.status?.availableReplicas ?? 0, annotations: d.spec.template.metadata?.annotations ?? {} };
      },
      podWarnings: async () => [],
      runningPod: async (ns) => (await read(`/api/v1/namespaces/${ns}/pods`)).items.find((p: Json) => p.status?.phase === "Running")?.metadata.name,
      readFile: async () => undefined,
      serviceAddress: async (ns, name) => (await read(`/api/v1/namespaces/${ns}/services/${name}`)).status?.loadBalancer?.ingress?.[0]?.ip,
      // No kubelet here to stream a port-forward: the answers check is not among those this test asserts.
      portForward: async () => {
        throw new Error("no kubelet on the local control plane to port-forward to");
      },
    };
    const workload = config.apps[0].identity === "workload";
    const verdicts = await verifyDeployment(
      {
        environment: envName,
        namespace,
        app: "configurable",
        secretProviderClass: "configurable-keyvault",
        mountPath: "/app/secrets",
        keyVaultName: { value: config.keyVault.name, source: `key_vault_name of keyvault-${envName}` },
        tenantId: { value: TENANT_ID, source: `tenant of keyvault-${envName}` },
        clientId: { value: CLIENT_ID, source: `client ID of aks-${envName}`, parameter: workload ? "clientID" : "userAssignedIdentityID" },
        objects: [],
        service: { type: config.apps[0].service.type, podPort: 8080 },
        rotationInterval: config.aks.secretRotationInterval,
        rotationSeconds: durationSeconds(config.aks.secretRotationInterval),
        secretVersions: { "configurable-secrets": VERSION_1 },
        timeoutSeconds: 5,
      },
      { cluster, http: { get: async () => ({}) }, clock: { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 500))) } },
      durationSeconds,
      () => undefined,
    );
    const byId = Object.fromEntries(verdicts.map((v) => [v.id, v]));
    expect([byId.class.passed, byId.class.detail]).toEqual([true, `configurable-keyvault: vault ${config.keyVault.name}, tenant and ${workload ? "clientID" : "userAssignedIdentityID"} as the stacks' outputs say`]);
    expect([byId.available.passed, byId.available.detail]).toEqual([true, `${config.apps[0].replicas}/${config.apps[0].replicas} replicas available`]);
    // Nothing runs the add-on here: the check says so instead of passing.
    expect(byId.addon.passed).toBe(false);
  }, 60_000);

  test("npm run verify itself: outputs read with the engine, signed in through them and kubelogin, a checklist and its JSON", async () => {
    // The friendly outputs the command reads, beside the cross-stack ones the app stack reads.
    const upstream = upstreamOutputs(stack, config, VERSION_1);
    writeOutputsState(root, `aks-${envName}`, {
      ...upstream[`aks-${envName}`],
      tenant_id: TENANT_ID,
      secrets_provider_client_id: CLIENT_ID,
      secrets_provider_object_id: "99999999-8888-4777-8666-555555555555",
      workload_identity_client_id: CLIENT_ID,
      workload_identity_object_id: "99999999-8888-4777-8666-555555555555",
      kube_host: cluster!.host,
      kube_cluster_ca_certificate: Buffer.from(cluster!.caPem).toString("base64"),
    });
    writeOutputsState(root, `keyvault-${envName}`, {
      ...upstream[`keyvault-${envName}`],
      key_vault_name: config.keyVault.name,
      key_vault_tenant_id: TENANT_ID,
      "secret_version_configurable-secrets": VERSION_1,
    });
    for (const name of [`aks-${envName}`, `keyvault-${envName}`]) {
      // What cdktf deploy leaves behind: an initialized stack folder (here with the stand-in providers).
      const stackDir = path.join(root, "cdktf.out", "stacks", name);
      prepareWorkDir(path.join(stackDir, "cdk.tf.json"), stackDir, toolchainProviders);
      expect((await engineRun(stackDir, env, ["init"])).status).toBe(0);
    }
    const report = path.join(root, "verify.json");
    // An operator runs it; on AKS the deployer is Cluster Admin, here the admin token stands in.
    const operator = { ...kubeloginOnPath(cluster!.adminToken), TERRAFORM_BINARY_NAME: engine.binary };
    const result = spawnSync(process.execPath, [path.join(repo, "tools", "build", "run-ts.mjs"), path.join(repo, "tools", "ops", "verify-cli.ts"), "--env", envName, "--timeout", "3", "--json", report], {
      cwd: root,
      env: operator,
      encoding: "utf8",
    });
    expect(result.status).toBe(1);
    const workload = config.apps[0].identity === "workload";
    const lines = result.stdout.split("\n");
    expect(lines).toContain(`  [x] 2. The SecretProviderClass is the one the stacks declared: configurable-keyvault: vault ${config.keyVault.name}, tenant and ${workload ? "clientID" : "userAssignedIdentityID"} as the stacks' outputs say`);
    expect(lines).toContain(`  [x] 3. The app is available: ${config.apps[0].replicas}/${config.apps[0].replicas} replicas available`);
    // No add-on, kubelet or load balancer here: those checks fail, and say why.
    expect(lines).toContain("  [ ] 1. The add-on is running: no DaemonSet aks-secrets-store-csi-driver, aks-secrets-store-provider-azure in kube-system: is the azure-keyvault-secrets-provider add-on on? (az aks addon show --addon azure-keyvault-secrets-provider)");
    expect(lines.at(-2)).toBe("2 of 6 checks passed; FAILED: addon, mounted, answers, rotation");
    const json = JSON.parse(fs.readFileSync(report, "utf8"));
    expect([json.environment, json.passed, json.checks.map((c: Json) => c.passed)]).toEqual([envName, false, [false, true, true, false, false, false]]);
  }, 120_000);

  test("a pull request's plan identity, holding exactly docs/ci.md's plan role, plans the app stack with no changes; with only AKS's built-in RBAC Reader the plan is refused", async () => {
    const planner = kubeloginOnPath(cluster!.plannerToken);
    const rules = await rulesForDataActions(documentedPlanRole());
    // The role reads what the stack reads, and never Secrets.
    expect(rules.some((r) => r.apiGroups[0] === "" && r.resources[0] === "secrets")).toBe(false);
    expect(rules.some((r) => r.apiGroups[0] === "secrets-store.csi.x-k8s.io")).toBe(true);
    await plannerMay(rules);
    const plan = await engineRun(dir, planner, ["plan", "-lock=false", "-detailed-exitcode"]);
    expect(`${plan.status} ${plan.stderr}`).toBe("0 ");

    await plannerMay(BUILT_IN_RBAC_READER_RULES);
    const refused = await engineRun(dir, planner, ["plan", "-lock=false"]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/forbidden/);
  }, 120_000);

  test("a second plan shows no changes, and none after synthesizing the same config again", async () => {
    const again = await engineRun(dir, env, ["plan", "-detailed-exitcode"]);
    expect(`${again.status} ${again.stderr}`).toBe("0 ");
    const project = synthProject({ [envName]: config }, {});
    prepareWorkDir(path.join(project.outdir, "stacks", stackName, "cdk.tf.json"), dir, toolchainProviders);
    const resynthesized = await engineRun(dir, env, ["plan", "-detailed-exitcode"]);
    expect(`${resynthesized.status} ${resynthesized.stderr}`).toBe("0 ");
  }, 120_000);

  test("switching engines: CDK Terrain's synthesis of the same config plans no changes against what CDKTF applied, and neither does going back", async () => {
    // Beside cdktf.out, as the backend's local path is relative to the output folder's place in the project.
    const out = path.join(root, "cdktn.out");
    synthWithEngine("terrain-app.mjs", root, out);
    const terrainStack = path.join(out, "stacks", stackName, "cdk.tf.json");
    expect(JSON.parse(fs.readFileSync(terrainStack, "utf8"))["//"].metadata.version).toBe("0.24.0");
    prepareWorkDir(terrainStack, dir, toolchainProviders);
    const onTerrain = await engineRun(dir, env, ["plan", "-detailed-exitcode"]);
    expect(`${onTerrain.status} ${onTerrain.stderr}`).toBe("0 ");
    const back = synthProject({ [envName]: config }, {});
    prepareWorkDir(path.join(back.outdir, "stacks", stackName, "cdk.tf.json"), dir, toolchainProviders);
    const onCdktf = await engineRun(dir, env, ["plan", "-detailed-exitcode"]);
    expect(`${onCdktf.status} ${onCdktf.stderr}`).toBe("0 ");
  }, 180_000);

  test("a new secret version changes only the pod template's annotation, and a new ReplicaSet rolls out", async () => {
    writeUpstream(VERSION_2);
    const plan = await engineRun(dir, env, ["plan", "-out=roll.tfplan"]);
    expect(plan.status).toBe(0);
    const shown = JSON.parse((await engineRun(dir, env, ["show", "-json", "roll.tfplan"])).stdout);
    const changed = shown.resource_changes.filter((c: Json) => !c.change.actions.includes("no-op") && !c.change.actions.includes("read"));
    expect(changed.map((c: Json) => [c.address, c.change.actions])).toEqual([["kubernetes_deployment_v1.deployment", ["update"]]]);
    const before = changed[0].change.before.spec[0].template[0];
    const after = changed[0].change.after.spec[0].template[0];
    expect({ ...after, metadata: [{ ...after.metadata[0], annotations: undefined }] }).toEqual({ ...before, metadata: [{ ...before.metadata[0], annotations: undefined }] });
    expect(after.metadata[0].annotations["aks-keyvault.cdktf.io/secret-versions"]).toBe(`configurable-secrets=${VERSION_2}`);
    const apply = await engineRun(dir, env, ["apply", "-auto-approve", "roll.tfplan"]);
    expect(`${apply.status} ${apply.stderr}`).toBe("0 ");
    await until("a second ReplicaSet", async () => (await read(`/apis/apps/v1/namespaces/${namespace}/replicasets`)).items.length === 2, 30);
  }, 240_000);

  test("destroy removes everything it created, and the namespace is gone", async () => {
    const destroy = await engineRun(dir, env, ["destroy", "-auto-approve"]);
    expect(`${destroy.status} ${destroy.stderr}`).toBe("0 ");
    expect((await api("GET", `/api/v1/namespaces/${namespace}`)).status).toBe(404);
    const state = JSON.parse((await engineRun(dir, env, ["show", "-json"])).stdout);
    expect(state.values?.root_module?.resources ?? []).toEqual([]);
  }, 240_000);
});
