// npm run test:lab: the lab end to end on this machine. A real kubelet,
// containerd and runc, the real Secrets Store CSI driver and Azure provider as
// the add-on's DaemonSets (tools/node/node.ts), Key Vault and Entra ID stood in
// for on loopback (tools/node/azure-stand-ins/) with what they enforce read from
// the synthesized stacks. For dev (the add-on's identity, managed-identity
// path) and prod (workload identity), in a copy of the project whose configs
// differ only in app.image and aks.secretRotationInterval: the app stack
// deployed with the deploy workflow's command, the Deployment ready, the
// mounted file equal to its source, npm run verify passing, rotation outside
// Terraform (npm run rotation-check) and through the stacks, wiring faults
// ending in FailedMount, destroy. npm run tools:lab builds what it runs.
//
// The scenarios run at the same time on the one node, each in its own
// namespace, vault, identities and load-balancer address: dev and prod with
// verify and rotation, dev with every object option, and each environment's
// wiring faults in a deployment of their own. Each scenario's steps run one
// after another from the start, in the background, and each test awaits its
// step and reports it. One after another they took 301-310 s on a 2-core Xeon; the
// node is one set of processes (a bridge, 127.0.0.2:443), so the scenarios
// cannot be separate jest workers.
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import { stripVTControlCharacters } from "util";
import { directoryIdentities, resolver, vaultGrants } from "../../tools/node/azure-stand-ins/from-stacks";
import { RESOURCE_PROVIDERS } from "../../lib/azure-provider";
import { ARM_HOST } from "../../tools/node/azure-stand-ins/arm";
import { aadKubeconfig, AzureCloud } from "../../tools/node/azure-stand-ins/cloud";
import { AUTHORITY_HOST, GITHUB_ISSUER, TOKEN_EXCHANGE_AUDIENCE, type Directory } from "../../tools/node/azure-stand-ins/entra";
import { serveStandIns, type StandInServers } from "../../tools/node/azure-stand-ins/serve";
import { closable, closeServer } from "../../tools/node/azure-stand-ins/http";
import { withPrivateHosts } from "../../tools/cluster/local-cluster";
import { githubJobToken, signJwt } from "../../tools/node/azure-stand-ins/jwt";
import { KeyVaultStandIn, VAULT_DNS_SUFFIX, VAULT_RESOURCE } from "../../tools/node/azure-stand-ins/keyvault";
import { clusterCacheDir, loadClusterTools } from "../../tools/cluster/cluster-tools";
import { makeCa, readHostSettings, startLabNode, waitUntil, type LabNode } from "../../tools/node/node";
import { IMAGES, labCacheDir, loadLabTools } from "../../tools/node/node-tools";
import { writeOutputsState } from "../../tools/engine/mock-test";
import { httpClient } from "../../tools/ops/verify-cli";
import { OUTPUTS, secretProviderClassName } from "../../lib/names";
import { adaptStacksInPlace } from "../../tools/engine/newer-provider";
import { fillPluginCache, loadToolchain, toolsCacheDir } from "../../tools/engine/toolchain";
import { copyOfProject, type Json, onSignal, removeTempDirs, selfSignedCertificate, tempDir } from "../support/helpers";

const repo = path.resolve(__dirname, "..", "..");
// Each fails the whole file, loudly, when its tools are missing: a check that cannot run does not pass.
const toolchain = loadToolchain(repo, toolsCacheDir(process.env));
const clusterTools = loadClusterTools(clusterCacheDir(process.env));
const labTools = loadLabTools(labCacheDir(process.env));

const ROTATION = "5s";
/** The second app of the objects scenario. */
const BILLING = "billing";
const STAND_IN_IP = "127.0.0.2";
const TENANT = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9";
const ISSUER = `https://westeurope.oic.prod-aks.azure.com/${TENANT}/lab/`;
const ID = {
  addonClient: "11111111-aaaa-4aaa-8aaa-111111111111",
  addonObject: "22222222-bbbb-4bbb-8bbb-222222222222",
  appClient: "33333333-cccc-4ccc-8ccc-333333333333",
  appObject: "44444444-dddd-4ddd-8ddd-444444444444",
  /** The second app's own identity, where a scenario has two apps. */
  billingClient: "66666666-cccc-4ccc-8ccc-666666666666",
  billingObject: "77777777-dddd-4ddd-8ddd-777777777777",
  deployer: "55555555-eeee-4eee-8eee-555555555555",
};
type Ids = Omit<typeof ID, "deployer">;
/** Each scenario's own identities, as each cluster has: they differ in the last byte. The deployer is one. */
const idsOf = (index: number): Ids => {
  const own = (id: string) => `${id.slice(0, -2)}${index.toString(16).padStart(2, "0")}`;
  return { addonClient: own(ID.addonClient), addonObject: own(ID.addonObject), appClient: own(ID.appClient), appObject: own(ID.appObject), billingClient: own(ID.billingClient), billingObject: own(ID.billingObject) };
};
const entraKeys = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
const githubKeys = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
const SUBSCRIPTION = "8b9c0d1e-2f3a-4b4c-8d5e-6f7a8b9c0d1e";
/** The deployer as a workload identity federated to each environment's GitHub deploy job. */
const DEPLOYER = { clientId: "88888888-eeee-4eee-8eee-888888888888", objectId: ID.deployer };
const jobSubject = (env: string) => `repo:example/aks-keyvault:environment:${env}`;
const CLUSTERS = "Microsoft.ContainerService/managedClusters";
const USER_IDENTITIES = "Microsoft.ManagedIdentity/userAssignedIdentities";
const identityHeader = crypto.randomBytes(16).toString("hex");
let node: LabNode | undefined;
/** The node's stop from the moment it starts starting: what a signal during its start calls. */
let stopNode: (() => Promise<void>) | undefined;
/** The host's kernel settings before the lab: the node's stop must leave them as they were. */
const hostSettingsBefore = readHostSettings();

/**
 * Azure as the AKS and Key Vault stacks' deploys leave it (tools/node/azure-stand-ins/cloud.ts):
 * each cluster's creation finishes once the lab's API server answers, its credential listing names that
 * server, and its OIDC issuer, where enabled, is that server's; Entra ID's identities, the vaults, their
 * reader rights and secrets are what the providers wrote.
 */
const cloud = new AzureCloud({
  subscriptionId: SUBSCRIPTION,
  tenantId: TENANT,
  tokenKey: entraKeys.publicKey,
  signingKey: entraKeys.privateKey,
  kubeconfig: (cluster) => aadKubeconfig(cluster, node!.cluster.host, node!.cluster.caPem),
  clusterReady: () => node !== undefined,
  oidcIssuerUrl: () => ISSUER,
  given: [{ ...DEPLOYER, onNodes: false, federatedCredentials: ["dev", "prod"].map((env) => ({ issuer: GITHUB_ISSUER, subject: jobSubject(env), audiences: [TOKEN_EXCHANGE_AUDIENCE] })) }],
  issuerKeys: () => new Map([[GITHUB_ISSUER, githubKeys.publicKey], ...(node ? [[ISSUER, crypto.createPublicKey(node.cluster.serviceAccountPublicKey)] as const] : [])]),
  identityHeader,
  rbacPropagationMs: 3000,
});

const scratch = tempDir("akskv-lab-");
// The node's folder outside tempDir's: it holds mounts, which only the node's stop() may take away, before anything is removed.
const nodeDir = fs.mkdtempSync(path.join(path.dirname(scratch), "akskv-lab-node-"));
const pki = path.join(scratch, "pki");
const caFile = makeCa(pki);
// Filled before the deploys run at once, so they only read it (tools/engine/toolchain.ts, fillPluginCache).
const pluginCache = path.join(scratch, "plugin-cache");
fillPluginCache(toolchain, pluginCache);
const servers: (http.Server | net.Server)[] = [];

const listen = (server: http.Server | net.Server, port: number, host: string) =>
  new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
    servers.push(closable(server));
  });

/**
 * One scenario's steps, run one after another in the background once the node is up. A step that fails
 * fails its test; the steps after it still run, as jest runs a file's tests, unless setup failed.
 */
const FILE_STARTED = Date.now();

/** A scenario's synth, its AKS and Key Vault deploys (each run bounded at 420 s) and what it gives the stand-ins. */
const SETUP_MS = 540_000;

/** The title every scenario's first step, its app deploy, starts with. */
const DEPLOY_STEP = "deployed with the deploy workflow's command";

class Steps {
  private readonly bodies: [string, () => Promise<void>, number][] = [];
  private readonly results = new Map<string, Promise<void>>();
  /** Settles when every step has. */
  finished: Promise<void> = Promise.resolve();

  /** A step, bounded by `ms` (its test's timeout): a step that outlives it fails, and the ones after it run. */
  add(name: string, body: () => Promise<void>, ms: number): void {
    this.bodies.push([name, body, ms]);
  }

  constructor(private readonly label: string) {}

  /** Runs a step, and says when it ran: the figures behind the lab's timing in the README. */
  private timed(name: string, body: () => Promise<void>, ms: number): Promise<void> {
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`lab ${this.label}: "${name}" did not finish within ${ms / 1000} s`)), ms)));
    return Promise.race([body(), bound]).finally(() => clearTimeout(timer)).finally(() => process.stdout.write(`lab ${this.label}: ${name.split(":")[0].slice(0, 60)}: ${((started - FILE_STARTED) / 1000).toFixed(0)}-${((Date.now() - FILE_STARTED) / 1000).toFixed(0)} s\n`));
  }

  start(setup: () => Promise<void>): void {
    const ready = this.timed("setup", setup, SETUP_MS);
    let tail = ready.catch(() => undefined);
    this.results.set("setup", ready);
    // A broken product fails fast: once the scenario's deploy has failed, its later steps fail at once.
    let deployFailed: string | undefined;
    for (const [name, body, ms] of this.bodies) {
      const run = () => (deployFailed ? Promise.reject(new Error(`not run: the scenario's deploy failed: ${deployFailed}`)) : this.timed(name, body, ms));
      const result = tail.then(() => ready.then(run, (error) => Promise.reject(new Error(`not run: the scenario's setup failed: ${error}`))));
      if (name.startsWith(DEPLOY_STEP)) result.catch((error) => (deployFailed = String(error).slice(0, 300)));
      this.results.set(name, result);
      tail = result.catch(() => undefined);
    }
    this.finished = tail;
  }

  /** What a test awaits: its step's outcome (and the setup's, if that failed). */
  result(name: string): Promise<void> {
    const result = this.results.get(name);
    if (!result) throw new Error(`no step "${name}": the scenarios never started (see the first beforeAll's error)`);
    return result;
  }
}

interface Scenario {
  readonly hostnames: string[];
  readonly steps: Steps;
  prepare(): Promise<void>;
  setup(): Promise<void>;
  identities: Directory["identities"];
  vault?: KeyVaultStandIn;
  /** Whether the Azure side is made up from the synthesized stacks (else the stacks were applied to the stand-ins). */
  readonly fabricated: boolean;
}
const scenarios: Scenario[] = [];

/** MemAvailable (MB): the lab's memory figure is its fall from idle, sampled every second. */
const availableMb = () => Number(/MemAvailable:\s+(\d+)/.exec(fs.readFileSync("/proc/meminfo", "utf8"))![1]) / 1024;
const idleMb = availableMb();
let lowestMb = idleMb;
const memorySampler = setInterval(() => (lowestMb = Math.min(lowestMb, availableMb())), 1000);

let standIns: StandInServers | undefined;
beforeAll(async () => {
  // The first-run checklist (docs/ci.md): the subscription's resource providers registered.
  for (const namespace of RESOURCE_PROVIDERS) {
    const registered = cloud.callAs(DEPLOYER, "POST", `/subscriptions/${SUBSCRIPTION}/providers/${namespace}/register?api-version=2021-04-01`);
    if (registered.status !== 200) throw new Error(`registering ${namespace}: ${registered.status} ${JSON.stringify(registered.body)}`);
  }
  standIns = await serveStandIns({
    pki,
    ip: STAND_IN_IP,
    directory: () => {
      const applied = cloud.directory();
      return { ...applied, identities: [...applied.identities, ...scenarios.flatMap((s) => s.identities)] };
    },
    vaults: () => [...cloud.vaults(), ...scenarios.flatMap((s) => (s.fabricated && s.vault ? [s.vault] : []))],
    arm: () => cloud.arm,
  });
  // Each scenario's synth meanwhile: it needs no node.
  const prepared = scenarios.map((s) => s.prepare());
  prepared.forEach((p) => p.catch(() => undefined));
  const nodeStarted = Date.now();
  node = await startLabNode({
    cluster: clusterTools,
    lab: labTools,
    dir: nodeDir,
    issuer: ISSUER,
    rotationInterval: ROTATION,
    hostAliases: { ip: STAND_IN_IP, hostnames: [AUTHORITY_HOST, ...new Set(scenarios.flatMap((s) => s.hostnames))] },
    identityEndpoint: { url: standIns.identityEndpoint, header: identityHeader },
    caFile,
    log: (line) => process.stdout.write(`${line}\n`),
    onStarting: (stop) => (stopNode = stop),
  });
  process.stdout.write(`lab: the node started in ${((Date.now() - nodeStarted) / 1000).toFixed(1)} s\n`);
  scenarios.forEach((s, i) => s.steps.start(() => prepared[i].then(() => s.setup())));
}, 180_000);

afterAll(async () => {
  // Every scenario's steps settle (each bounded) before the node goes.
  await Promise.all(scenarios.map((s) => s.steps.finished));
  const stopping = Date.now();
  await node?.stop();
  clearInterval(memorySampler);
  process.stdout.write(`lab: memory in use above idle at its peak: ${(idleMb - lowestMb).toFixed(0)} MB\n`);
  process.stdout.write(`lab: the node stopped in ${((Date.now() - stopping) / 1000).toFixed(1)} s, ${((Date.now() - FILE_STARTED) / 1000).toFixed(0)} s after the start\n`);
  fs.rmSync(nodeDir, { recursive: true, force: true });
  await Promise.all(servers.map((server) => closeServer(server, `the lab's server on ${JSON.stringify(server.address())}`)));
  await standIns?.close();
  const changed = Object.entries(readHostSettings()).filter(([k, v]) => hostSettingsBefore[k] !== v);
  if (changed.length > 0) throw new Error(`lab: host settings left changed: ${changed.map(([k, v]) => `${k} ${hostSettingsBefore[k]} -> ${v}`).join(", ")}`);
  process.stdout.write(`lab: the host's kernel settings are as before (${Object.keys(hostSettingsBefore).join(", ")})\n`);
}, 600_000);

/**
 * Runs a command in a project folder and gives its status and its output without colours, without
 * blocking the event loop: the other scenarios, the stand-ins and the load balancers run meanwhile.
 */
function runAsync(cwd: string, argv: string[], env: NodeJS.ProcessEnv, timeoutSeconds = 240, started: () => void = () => undefined): Promise<{ status: number | null; output: string }> {
  // cdktf with OpenTofu and a provider is about 450 MB a run: a few at once keep the lab under its memory budget.
  // The AKS and Key Vault deploys spend most of their time waiting (azurerm polls a new public vault for
  // 100 s), so they have slots of their own, and never hold up the app deploys.
  const slots = argv.includes(`--${UPSTREAM_MARK}`) ? upstreamSlots : argv.includes("cdktf") ? cdktfSlots : undefined;
  const run = () => (started(), spawned(cwd, argv.filter((a) => a !== `--${UPSTREAM_MARK}`), env, timeoutSeconds));
  return slots ? slots.run(run) : run();
}
const UPSTREAM_MARK = "lab-upstream";

/** At most `size` of the runs given to it at once; the others wait their turn, in order. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(size: number) {
    this.free = size;
  }
  async run<T>(body: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await body();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}
const cdktfSlots = new Slots(2);
const upstreamSlots = new Slots(4);

/** The process groups of the commands running now: ended by a timeout, and all at once by SIGTERM or SIGINT. */
const runningGroups = new Set<number>();
function killGroup(pid: number | undefined): void {
  try {
    if (pid) process.kill(-pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}
// A CI timeout or Ctrl-C: the commands' groups ended, the node stopped (its mounts, shims, network namespace
// and bridge go with it), the servers closed and the folders removed, then exit 130, as a shell does.
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  onSignal(signal, () => {
    for (const pid of runningGroups) killGroup(pid);
    const stopping = Date.now();
    const bounded = new Promise((r) => setTimeout(() => r("not within 30 s"), 30_000).unref());
    void Promise.race([stopNode?.().then(() => `in ${((Date.now() - stopping) / 1000).toFixed(1)} s`, (e: Error) => `with an error (${e.message})`), bounded]).then((stopped) => {
      fs.rmSync(nodeDir, { recursive: true, force: true });
      removeTempDirs();
      process.stderr.write(`lab: ended by ${signal}; the node stopped ${stopped ?? "(it had not started)"}, and its folders were removed\n`);
      process.exit(130);
    });
  });
}

function spawned(cwd: string, argv: string[], env: NodeJS.ProcessEnv, timeoutSeconds: number): Promise<{ status: number | null; output: string }> {
  const [command, ...args] = argv;
  return new Promise((resolve) => {
    // Its own process group, so a timeout ends cdktf, the engine and its providers, not only npx.
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    if (child.pid) runningGroups.add(child.pid);
    let output = "";
    child.stdout.on("data", (c) => (output += c));
    child.stderr.on("data", (c) => (output += c));
    const timer = setTimeout(() => killGroup(child.pid), timeoutSeconds * 1000);
    child.on("close", (status) => {
      clearTimeout(timer);
      if (child.pid) runningGroups.delete(child.pid);
      resolve({ status, output: stripVTControlCharacters(output) + (status === null ? `\n(ended after ${timeoutSeconds} s)` : "") });
    });
  });
}

/** An output's value for the lab, by what the synthesized output carries. */
function outputValue(expression: string, config: Json, labCa: string, host: string, versions: Record<string, string>, ids: Ids): unknown {
  if (expression.includes("secret_identity[0].client_id")) return ids.addonClient;
  if (expression.includes("secret_identity[0].object_id")) return ids.addonObject;
  if (expression.includes("billing-app-identity.client_id")) return ids.billingClient;
  if (expression.includes("billing-app-identity.principal_id")) return ids.billingObject;
  if (expression.includes("app-identity.client_id")) return ids.appClient;
  if (expression.includes("app-identity.principal_id")) return ids.appObject;
  if (expression.includes("oidc_issuer_url")) return ISSUER;
  if (expression.includes("kube_config[0].host")) return host;
  if (expression.includes("cluster_ca_certificate")) return labCa;
  if (expression.includes("tenant_id")) return TENANT;
  if (/key_vault\.vault\.name/.test(expression)) return config.keyVault.name;
  if (/key_vault\.vault\.vault_uri/.test(expression)) return `https://${config.keyVault.name}.${VAULT_DNS_SUFFIX}/`;
  const secret = /azurerm_key_vault_secret\.secret-([\w-]+)\.version/.exec(expression);
  if (secret) return versions[secret[1]];
  return `lab-${expression.replace(/\W+/g, "-").slice(-40)}`;
}


// dev and prod as shipped (but for the lab's image, interval, namespace and, where they would share one, vault);
// prod with every object option on, served over HTTPS, beside a second app that must not read the first's
// secrets; and each environment's wiring faults, in a deployment of their own so breaking it holds up nothing else.
type Kind = "main" | "objects" | "faults";
// In the order of their steps' length after the deploy, longest first: the cdktf runs queue in this order.
const SCENARIOS: [string, string, Kind][] = [
  ["dev (the add-on's identity, managed-identity path)", "dev", "main"],
  ["prod (workload identity)", "prod", "main"],
  ["dev's wiring faults", "dev", "faults"],
  ["prod's wiring faults", "prod", "faults"],
  ["prod with every object option, HTTPS and a second app (rbac)", "prod", "objects"],
];

describe.each(SCENARIOS)("the lab end to end: %s", (_title, env, kind) => {
  const objects = kind === "objects";
  // The objects scenario's existing objects must be in the vault before its per-object role assignments: its Azure side is still made up.
  const fabricated = objects;
  const label = { main: env, objects: "objects", faults: `${env}-faults` }[kind];
  let ids = idsOf(scenarios.length);
  const project = copyOfProject(`akskv-lab-${label}-`);
  const configFile = path.join(project, "config", `${env}.json`);
  const config = JSON.parse(fs.readFileSync(configFile, "utf8"));
  // The lab's config differences: the stand-in app's image (pinned by digest) and a short rotation interval;
  // and, so the scenarios can share the node at once, a namespace, a vault and a load-balancer address each.
  config.apps[0].image = `${IMAGES.app}@${labTools.images[IMAGES.app].digest}`;
  config.aks.secretRotationInterval = ROTATION;
  config.apps[0].namespace = `${config.apps[0].namespace}-${label}`;
  // The lab's load balancer answers on loopback only (playLoadBalancer): a public Service admitting it.
  config.apps[0].service = { type: "LoadBalancer", sourceRanges: ["127.0.0.0/8"] };
  if (kind !== "main") config.keyVault.name = { objects: "kv-aks-secrets-lab-obj", faults: `kv-aks-secrets-lab-${env}f` }[kind];
  if (kind === "faults") config.resourceGroupName = `${config.resourceGroupName}-faults`;
  /** Where the lab's load balancer answers for this scenario's LoadBalancer Service: loopback. */
  const LB_IP = `127.0.0.${3 + scenarios.length}`;
  const steps = new Steps(label);
  const scenario: Scenario = { hostnames: [`${config.keyVault.name}.${VAULT_DNS_SUFFIX}`], steps, prepare, setup, identities: [], fabricated };
  scenarios.push(scenario);
  /** A test of one step: the step runs in the background, in its turn; the test awaits and reports it. */
  const step = (title: string, body: () => Promise<void>, timeout: number) => {
    steps.add(title, body, timeout);
    test(title, () => steps.result(title), timeout);
  };
  const objectName: string = config.keyVault.secrets[0].objectName;
  const secretFile = path.join(project, config.keyVault.secrets[0].source.file);
  const bin = path.join(project, "lab-bin");
  let engineEnv: NodeJS.ProcessEnv = {};
  const versions: Record<string, string> = {};
  let aks: Json;
  let keyVaultStack: Json;
  const stackJson = (stack: string) => JSON.parse(fs.readFileSync(path.join(project, "cdktf.out", "stacks", stack, "cdk.tf.json"), "utf8"));
  let webCert: { pem: string; cert: string; key: string } | undefined;
  let apiCert: { pem: string; cert: string; key: string } | undefined;
  let signingKey: crypto.KeyPairKeyObjectResult | undefined;
  const pinned = crypto.randomBytes(16).toString("hex");

  /** The engine's copy of each synthesized stack, adapted to the provider stand-ins. */
  /** What the AKS and Key Vault stacks' deploys would leave: their outputs, as state the app stack and verify read. */
  function writeUpstream() {
    const ca = Buffer.from(node!.cluster.caPem).toString("base64");
    for (const [stack, json] of [[`aks-${env}`, aks], [`keyvault-${env}`, keyVaultStack]] as const) {
      const outputs = Object.fromEntries(Object.entries(json.output ?? {}).map(([name, o]) => [name, outputValue(String((o as Json).value), config, ca, node!.cluster.host, versions, ids)]));
      writeOutputsState(project, stack, outputs);
    }
  }

  /** The Key Vault stack's apply, as far as the vault's data plane sees it: a new version of the secret from its file. */
  function deployVaultSecret() {
    versions[objectName] = scenario.vault!.setSecret(objectName, fs.readFileSync(secretFile, "utf8"), config.keyVault.secrets[0].contentType);
  }

  const api = (p: string) => node!.api("GET", p).then((r) => r.body);
  const ns = config.apps[0].namespace;
  const podsIn = async (namespace: string) => ((await api(`/api/v1/namespaces/${namespace}/pods`))?.items ?? []) as Json[];
  const pods = () => podsIn(ns);
  /** A namespace's events, newest last, one line each: what a failed wait reports. */
  const eventsIn = async (namespace: string) =>
    (((await api(`/api/v1/namespaces/${namespace}/events`))?.items ?? []) as Json[]).map((e) => `${e.involvedObject?.name} ${e.reason}: ${String(e.message).slice(0, 1500)}`);
  const events = () => eventsIn(ns);

  /**
   * The cloud's load balancer, as far as the app stack can tell: a LoadBalancer Service gets an address
   * (loopback), where the lab forwards each connection to a ready pod of the Service, on the pods' bridge.
   */
  const balancers = new Map<number, net.Server>();
  async function playLoadBalancer(): Promise<void> {
    for (const service of (await Promise.all(config.apps.map(async (a: Json) => ((await api(`/api/v1/namespaces/${a.namespace}/services`))?.items ?? []) as Json[]))).flat()) {
      if (service.spec?.type !== "LoadBalancer") continue;
      for (const port of service.spec.ports ?? []) {
        if (balancers.has(port.port)) continue;
        const server = net.createServer((client) => {
          void podsIn(service.metadata.namespace).then((all) => {
            const target = all.find((p) => p.status?.podIP && (p.status?.conditions ?? []).some((c: Json) => c.type === "Ready" && c.status === "True") && Object.entries(service.spec.selector ?? {}).every(([k, v]) => p.metadata?.labels?.[k] === v));
            if (!target) {
              client.destroy();
              return;
            }
            // A named target port is the container port of that name.
            const named = (target.spec.containers as Json[]).flatMap((c) => c.ports ?? []).find((p: Json) => p.name === port.targetPort);
            const upstream = net.connect(Number(named?.containerPort ?? port.targetPort), target.status.podIP);
            client.pipe(upstream).pipe(client);
            // Either end gone ends the other: a pod's end never closes once its network namespace is gone.
            upstream.on("close", () => client.destroy());
            client.on("close", () => upstream.destroy());
            upstream.on("error", () => client.destroy());
            client.on("error", () => upstream.destroy());
          });
        });
        await listen(server, port.port, LB_IP);
        balancers.set(port.port, server);
      }
      if (!service.status?.loadBalancer?.ingress?.length) {
        await node!.api("PUT", `/api/v1/namespaces/${service.metadata.namespace}/services/${service.metadata.name}/status`, { ...service, status: { loadBalancer: { ingress: [{ ip: LB_IP }] } } });
      }
    }
  }

  /**
   * The deploy workflow's app step, as written, plus the two flags an offline machine needs (see
   * documented-commands.terraform.test.ts). The apply waits for the rollout; if the pods cannot start it
   * would wait minutes, so their events are watched meanwhile and a stuck rollout fails with them.
   */
  async function deployApp(stuckAfterFailedMounts = Infinity): Promise<{ status: number | null; output: string }> {
    // The kubelet's retries of one mount are one Event whose count grows: that count says the mount is stuck.
    const failedMounts = async () =>
      (((await api(`/api/v1/namespaces/${ns}/events`))?.items ?? []) as Json[])
        .filter((e) => e.reason === "FailedMount" && /failed to mount objects/.test(String(e.message)))
        .reduce((n, e) => n + Math.max(e.count ?? 1, e.series?.count ?? 0), 0);
    const stuck = async () => (await failedMounts().catch(() => 0)) >= stuckAfterFailedMounts;
    // Watched from when it starts, not while it waits for a slot.
    let deadline = Infinity;
    const deploy = runAsync(project, ["npx", "cdktf", "deploy", `app-${env}`, "--ignore-missing-stack-dependencies", "--auto-approve", "--skip-synth", "--skip-provider-lock"], engineEnv, 180, () => (deadline = Date.now() + 180_000));
    let done = false;
    void deploy.then(() => (done = true));
    while (!done && Date.now() < deadline) {
      await playLoadBalancer().catch(() => undefined);
      if (await stuck()) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    if (!done) return { status: null, output: `the apply was still waiting; events: ${(await events()).filter((l) => /FailedMount/.test(l)).slice(-1).join(" | ")}` };
    return deploy;
  }

  /**
   * The deploy workflow's AKS and Key Vault step, as written, against the Azure stand-ins reached as a
   * custom cloud (ARM_METADATA_HOSTNAME, SSL_CERT_FILE), signed in as the environment's deploy job
   * (ARM_USE_OIDC), the engine in a mount namespace whose /etc/hosts names the stand-ins.
   */
  async function deployUpstream(): Promise<void> {
    const hosts = path.join(project, "azure-hosts");
    fs.writeFileSync(hosts, `127.0.0.1 localhost\n${STAND_IN_IP} ${ARM_HOST} ${AUTHORITY_HOST} ${config.keyVault.name}.${VAULT_DNS_SUFFIX}\n`);
    const [command, args] = withPrivateHosts(hosts, "npx", ["cdktf", "deploy", `aks-${env}`, `keyvault-${env}`, "--auto-approve", "--skip-synth", "--skip-provider-lock"]);
    const signedIn = {
      ARM_METADATA_HOSTNAME: ARM_HOST,
      SSL_CERT_FILE: caFile,
      ARM_USE_OIDC: "true",
      ARM_OIDC_TOKEN: githubJobToken(GITHUB_ISSUER, jobSubject(env), TOKEN_EXCHANGE_AUDIENCE, githubKeys.privateKey),
      ARM_CLIENT_ID: DEPLOYER.clientId,
      ARM_TENANT_ID: TENANT,
      ARM_SUBSCRIPTION_ID: SUBSCRIPTION,
    };
    const result = await runAsync(project, [command, ...args, `--${UPSTREAM_MARK}`], { ...engineEnv, ...signedIn }, 420);
    expect(result.status === 0 ? "applied" : `cdktf deploy aks-${env} keyvault-${env}: exit ${result.status}: ${result.output.slice(-2500)}`).toBe("applied");
  }

  /** What the scenario's deploys left in Azure, of a type, in its resource group. */
  const appliedOf = (type: string) => cloud.arm.ofType(type).filter((r) => r.id.toLowerCase().startsWith(`/subscriptions/${SUBSCRIPTION}/resourcegroups/${config.resourceGroupName}/`.toLowerCase()));
  /** The version of a secret the Key Vault stack's deploy left, as its state's output says. */
  const appliedVersion = (name: string): string => JSON.parse(fs.readFileSync(path.join(project, `terraform.keyvault-${env}.tfstate`), "utf8")).outputs[OUTPUTS.secretVersion(name)]?.value;

  /**
   * From the applied cluster: its identities' IDs, as Azure assigned them, and the add-on's driver flags,
   * reconciled on the node as AKS's add-on manager does; the vault's data plane.
   */
  async function adoptApplied(): Promise<void> {
    const cluster = appliedOf(CLUSTERS)[0];
    const addon = cluster?.body.properties.addonProfiles?.azureKeyvaultSecretsProvider;
    if (!addon?.enabled) throw new Error(`the applied cluster ${cluster?.name} has no azure-keyvault-secrets-provider add-on: AKS runs no CSI driver for it`);
    const app = appliedOf(USER_IDENTITIES)[0]?.body.properties;
    ids = { ...ids, addonClient: addon.identity.clientId, addonObject: addon.identity.objectId, ...(app ? { appClient: app.clientId, appObject: app.principalId } : {}) };
    const changed = await node!.reconcileAddon(addon.config ?? {});
    if (changed) process.stdout.write(`lab ${label}: the add-on as applied: the driver now runs with ${changed}\n`);
    scenario.vault = cloud.vaults().find((v) => v.config.name === config.keyVault.name.toLowerCase());
    if (!scenario.vault) throw new Error(`no vault ${config.keyVault.name} in Azure after the Key Vault stack's deploy`);
    versions[objectName] = appliedVersion(objectName);
  }

  /** What needs no node: the configs, the CLI stand-ins, the synth. */
  async function prepare(): Promise<void> {
    if (objects) {
      config.keyVault.secrets[0].env = "APP_CONFIG";
      config.keyVault.secrets.push(
        { objectName: "web-tls", objectType: "secret", objectAlias: "web.pem", source: { existing: true }, objectFormat: "pem", tlsSecret: "web-tls", filePermission: "0444" },
        // The pin names the first of the two versions its owner will write (setup): known now, so one synth does.
        { objectName: "api-key", objectType: "secret", objectAlias: "api-key-pinned", source: { existing: true }, objectVersion: pinned },
        { objectName: "api-key-history", objectType: "secret", objectAlias: "api-key-history", source: { existing: true }, objectVersionHistory: 2 },
        // A certificate's public part and a key's, each read with its own role at its own scope.
        { objectName: "api-cert", objectType: "cert", objectAlias: "api.crt", source: { existing: true } },
        { objectName: "signing-key", objectType: "key", objectAlias: "signing.pub", source: { existing: true } },
      );
      // Served over HTTPS from the certificate, as Kestrel is configured; one replica each keeps the node light.
      Object.assign(config.apps[0], { replicas: 1, https: { certificate: "web.pem" } });
      Object.assign(config.apps[0].env, {
        ASPNETCORE_URLS: "http://+:8080;https://+:8443",
        ASPNETCORE_Kestrel__Certificates__Default__Path: "/app/secrets/web.pem",
        ASPNETCORE_Kestrel__Certificates__Default__KeyPath: "/app/secrets/web.pem",
      });
      // A second app on its own workload identity with a secret of its own; per-object role assignments keep each to its own.
      config.keyVault.authorization = "rbac";
      config.apps.push({ ...config.apps[0], name: BILLING, namespace: `billing-${label}`, https: undefined, env: { ASPNETCORE_URLS: "http://+:8080" } });
      for (const secret of config.keyVault.secrets) secret.app ??= config.apps[0].name;
      config.keyVault.secrets.push({ objectName: "billing-db", objectType: "secret", objectAlias: "db.txt", source: { existing: true }, app: BILLING });
    }
    fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
    for (const other of fs.readdirSync(path.join(project, "config")).filter((f) => f.endsWith(".json") && f !== `${env}.json`)) fs.rmSync(path.join(project, "config", other));
    fs.mkdirSync(path.dirname(secretFile), { recursive: true });
    fs.writeFileSync(secretFile, JSON.stringify({ Config: { Source: `lab ${env}`, Version: 1 } }));

    // Stand-ins for the CLIs: az is signed in as the deployer, with a token the Entra ID stand-in signed;
    // kubelogin (in setup, once the node is up) prints the deployer's token (cluster admin, as aks-<env> makes the deployer).
    fs.mkdirSync(bin, { recursive: true });
    engineEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(ARM_|AZURE_|IDENTITY_|MSI_)/.test(name)));
    Object.assign(engineEnv, {
      PATH: `${bin}${path.delimiter}${process.env.PATH}`,
      TERRAFORM_BINARY_NAME: toolchain.tofu,
      TF_CLI_CONFIG_FILE: toolchain.cliConfig,
      TOFU_CLI_CONFIG_FILE: toolchain.cliConfig,
      CDKTF_OUTDIR: path.join(project, "cdktf.out"),
      // One provider cache for every scenario's init, filled before: a link each, not a 114 MB copy.
      TF_PLUGIN_CACHE_DIR: pluginCache,
      CHECKPOINT_DISABLE: "1",
      CI: "true",
      NODE_EXTRA_CA_CERTS: caFile,
    });

    const now = Math.floor(Date.now() / 1000);
    const deployerToken = signJwt({ aud: VAULT_RESOURCE, tid: TENANT, oid: ID.deployer, appid: ID.deployer, iat: now, exp: now + 7200 }, entraKeys.privateKey);
    const cliToken = JSON.stringify({ accessToken: deployerToken, expiresOn: new Date((now + 7200) * 1000).toISOString().replace("T", " ").slice(0, 19), expires_on: now + 7200, tenant: TENANT, tokenType: "Bearer" });
    fs.writeFileSync(
      path.join(bin, "az"),
      `#!/bin/sh\ncase "$1 $2" in\n  "account show") echo '{"user": {"name": "deployer"}, "tenantId": "${TENANT}"}' ;;\n  "account get-access-token") echo '${cliToken}' ;;\n  *) echo "az stand-in: $*: not here" >&2; exit 1 ;;\nesac\n`,
      { mode: 0o755 },
    );

    // Niced: it runs while the node starts, which the other scenarios wait for.
    const synth = await runAsync(project, ["nice", "-n", "10", "npx", "cdktf", "synth"], engineEnv);
    expect(synth.status === 0 ? "synthesized" : synth.output.slice(-1600)).toBe("synthesized");
    // As synthesized: what the stand-ins enforce is read before the engine's copy is adapted to the provider stand-ins.
    aks = stackJson(`aks-${env}`);
    keyVaultStack = stackJson(`keyvault-${env}`);
    adaptStacksInPlace(path.join(project, "cdktf.out"), toolchain.providers);
    // Its cluster's creation finishes once the node's API server answers.
    if (!fabricated) await deployUpstream();
  }

  /** What needs the node: kubelogin's token, the directory's identities, the vault and its secrets, the upstream outputs. */
  async function setup(): Promise<void> {
    const token = node!.cluster.adminToken;
    const credential = JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1beta1", kind: "ExecCredential", status: { token } });
    fs.writeFileSync(path.join(bin, "kubelogin"), `#!/bin/sh\nprintf '%s\\n' '${credential}'\n`, { mode: 0o755 });
    if (!fabricated) return adoptApplied();

    // What the stand-ins enforce, read from the synthesized stacks and the outputs the lab gives them.
    const aksOutputs = Object.fromEntries(Object.entries(aks.output ?? {}).map(([name, o]) => [name, outputValue(String((o as Json).value), config, "", node!.cluster.host, versions, ids)]));
    scenario.identities = directoryIdentities(aks, resolver(aks, aksOutputs, {}, {}));
    const grants = vaultGrants(keyVaultStack, resolver(keyVaultStack, {}, { [`aks-${env}`]: aksOutputs }, { object_id: ID.deployer, tenant_id: TENANT }));
    const vault = new KeyVaultStandIn({ name: config.keyVault.name, tenantId: TENANT, grants, tokenKey: entraKeys.publicKey });
    scenario.vault = vault;
    deployVaultSecret();
    if (objects) {
      // What the objects' owners put in the vault out of band; the pin names the first of two versions.
      webCert = selfSignedCertificate();
      vault.importCertificate("web-tls", webCert.pem);
      vault.setSecret("api-key", "api key, version 1", undefined, pinned);
      vault.setSecret("api-key", "api key, version 2");
      vault.setSecret("api-key-history", "history, version 1");
      vault.setSecret("api-key-history", "history, version 2");
      vault.setSecret("billing-db", "billing's database password");
      apiCert = selfSignedCertificate("api.lab.invalid");
      vault.importCertificate("api-cert", apiCert.pem);
      signingKey = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
      vault.importKey("signing-key", signingKey.privateKey.export({ type: "pkcs8", format: "pem" }).toString());
    }
    writeUpstream();
  }

  step(`${DEPLOY_STEP}, the Deployment as synthesized becomes ready with the vault's secret mounted`, async () => {
    // Five failed attempts are about 15 s of the kubelet's backoff: past a new role's propagation, short of a wait.
    const deploy = await deployApp(5);
    expect(deploy.output.split("\n").filter((l) => /Error:/.test(l))).toEqual([]);
    expect(deploy.status === 0 ? "applied" : `exit ${deploy.status}; ${deploy.output.slice(-1600)}`).toBe("applied");
    for (const app of config.apps as Json[]) {
      await waitUntil(`${app.replicas} replica(s) of ${app.name} available`, async () => (await api(`/apis/apps/v1/namespaces/${app.namespace}/deployments/${app.name}`))?.status?.availableReplicas === app.replicas, 120);
    }
    const pod = (await pods()).find((p) => p.status?.phase === "Running");
    expect(pod.spec.containers[0].securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true });
    expect(scenario.vault!.audit.some((line) => line.startsWith(`GET /secrets/${objectName}/`) && line.endsWith("-> 200"))).toBe(true);
    // Its wait counts from the file's start: the AKS and Key Vault deploys come first.
  }, 600_000);

  /** A shell command's output in a running pod of the namespace's app. */
  async function execIn(namespace: string, script: string): Promise<string> {
    const pod = (await podsIn(namespace)).find((p) => p.status?.phase === "Running");
    // client-node is an ES module, which jest cannot load: a plain node process runs the exec.
    const code = `import * as k8s from "@kubernetes/client-node"; import { Writable } from "node:stream";
      const kc = new k8s.KubeConfig(); kc.loadFromFile(process.env.KUBECONFIG);
      let out = ""; const sink = (w) => new Writable({ write: (c, _e, done) => (w(c.toString()), done()) });
      await new k8s.Exec(kc).exec(process.env.NS, process.env.POD, "app", ["sh", "-c", process.env.SCRIPT], sink((c) => (out += c)), sink((c) => process.stderr.write(c)), null, false,
        (status) => { process.stdout.write(out); process.exit(status.status === "Success" ? 0 : 1); });`;
    const result = await runAsync(repo, [process.execPath, "--input-type=module", "-e", code], { ...process.env, KUBECONFIG: node!.kubeconfig, NS: namespace, POD: pod?.metadata.name, SCRIPT: script }, 60);
    return result.status === 0 ? result.output : `exit ${result.status}: ${result.output}`;
  }

  if (objects) {
    step("every object option reaches the pod as the provider v1.7.0 gives it: the certificate with its key, the TLS Secret split from it, the pinned version, the history newest first, the env var, a certificate's and a key's public part", async () => {
      const exec = (script: string) => execIn(ns, script);
      expect(await exec("cat /app/secrets/web.pem")).toBe(webCert!.pem);
      expect(await exec("stat -L -c %a /app/secrets/web.pem")).toBe("444\n");
      expect(await exec("cat /app/secrets/api-key-pinned")).toBe("api key, version 1");
      expect(await exec("cat /app/secrets/api-key-history/0; echo; cat /app/secrets/api-key-history/1")).toBe("history, version 2\nhistory, version 1");
      expect(await exec('printf %s "$APP_CONFIG"')).toBe(fs.readFileSync(secretFile, "utf8"));
      // objectType cert: the public certificate only, as PEM; objectType key: the public key, as PEM.
      const crt = await exec("cat /app/secrets/api.crt");
      expect(crt).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n$/);
      expect(new crypto.X509Certificate(crt).fingerprint256).toBe(new crypto.X509Certificate(apiCert!.cert).fingerprint256);
      const pub = await exec("cat /app/secrets/signing.pub");
      expect(pub).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
      expect(crypto.createPublicKey(pub).export({ format: "jwk" })).toEqual(signingKey!.publicKey.export({ format: "jwk" }));
      const synced = (await api(`/api/v1/namespaces/${ns}/secrets/web-tls`)) as Json;
      expect(synced.type).toBe("kubernetes.io/tls");
      // The driver re-encodes what it splits out: the chain as it came, the RSA key as PKCS#1. Same key, same certificate.
      expect(new crypto.X509Certificate(Buffer.from(synced.data["tls.crt"], "base64")).fingerprint256).toBe(new crypto.X509Certificate(webCert!.cert).fingerprint256);
      const key = Buffer.from(synced.data["tls.key"], "base64").toString();
      expect(key).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
      expect(crypto.createPrivateKey(key).export({ format: "jwk" })).toEqual(crypto.createPrivateKey(webCert!.key).export({ format: "jwk" }));
    }, 120_000);

    step("apps[].https: the load balancer's 443 reaches the app over TLS, serving the certificate mounted from the vault; plain HTTP is not offered", async () => {
      // verify's own client: the chain is not checked (an IP address), the certificate served is compared.
      const served = await httpClient.get(`https://${LB_IP}/`);
      expect(served).toEqual({ status: 200, certificate: new crypto.X509Certificate(webCert!.cert).fingerprint256 });
      const service = await api(`/api/v1/namespaces/${ns}/services/${config.apps[0].name}`);
      expect(service.spec.ports.map((p: Json) => `${p.name} ${p.port}`)).toEqual(["https 443"]);
    }, 60_000);

    step("npm run verify --app for the HTTPS app passes all six checks: it answers on https:// with the mounted certificate", async () => {
      const result = await verify(60, ["--app", config.apps[0].name]);
      expect(result.report?.checks?.map((c: Json) => `${c.id}: ${c.passed ? "passed" : c.detail}`)).toEqual(["addon", "class", "available", "mounted", "answers", "rotation"].map((id) => `${id}: passed`));
      expect(result.report.checks.find((c: Json) => c.id === "answers").detail).toMatch(/^GET https:\/\/127\.0\.0\.\d+\/ -> 200, serving the certificate mounted at \/app\/secrets\/web\.pem/);
      expect(result.status).toBe(0);
    }, 240_000);

    step("the second app mounts its own secret only, and its identity is refused on the first app's: Key Vault's 403 ForbiddenByRbac in its FailedMount", async () => {
      const billing = config.apps[1];
      expect(await execIn(billing.namespace, "ls /app/secrets; cat /app/secrets/db.txt")).toBe("db.txt\nbilling's database password");
      // Its class asks for the first app's secret instead, as a mistaken or hostile edit would; its pod starts anew.
      const classPath = `/apis/secrets-store.csi.x-k8s.io/v1/namespaces/${billing.namespace}/secretproviderclasses/${secretProviderClassName(BILLING)}`;
      const spc = await api(classPath);
      spc.spec.parameters.objects = spc.spec.parameters.objects.replace("objectName: billing-db", `objectName: ${objectName}`);
      expect((await node!.api("PUT", classPath, spc)).status).toBe(200);
      const since = new Set(await eventsIn(billing.namespace));
      for (const pod of await podsIn(billing.namespace)) await node!.api("DELETE", `/api/v1/namespaces/${billing.namespace}/pods/${pod.metadata.name}?gracePeriodSeconds=0`);
      let message = "";
      await waitUntil(`${BILLING}'s new pod: a FailedMount with Key Vault's refusal`, async () => {
        message = (await eventsIn(billing.namespace)).filter((e) => !since.has(e) && / FailedMount: .*failed to mount objects/.test(e)).at(-1) ?? "";
        return message !== "";
      }, 60);
      expect(message).toMatch(new RegExp(`403.*ForbiddenByRbac|Caller is not authorized.*oid=${ids.billingObject}`, "s"));
      expect(scenario.vault!.audit).toContainEqual(expect.stringMatching(new RegExp(`^GET /secrets/${objectName}/\\S* oid=${ids.billingObject} -> 403$`)));
      // The first app's identity still reads it.
      expect(scenario.vault!.audit).toContainEqual(expect.stringMatching(new RegExp(`^GET /secrets/${objectName}/\\S* oid=${ids.appObject} -> 200$`)));
    }, 120_000);
  }

  /** npm run verify as an operator runs it, with its JSON report. */
  async function verify(timeoutSeconds = 60, extra: string[] = []): Promise<{ status: number | null; output: string; report: Json }> {
    const report = path.join(project, `verify-${Date.now()}.json`);
    const result = await runAsync(project, [process.execPath, path.join(project, "tools", "build", "run-ts.mjs"), "tools/ops/verify-cli.ts", "--env", env, ...extra, "--timeout", String(timeoutSeconds), "--json", report], { ...engineEnv, AKSKV_TRACE: "1" }, 180);
    return { ...result, report: fs.existsSync(report) ? JSON.parse(fs.readFileSync(report, "utf8")) : undefined };
  }

  if (kind === "main") {
    step("npm run verify passes all six checks: the add-on, the class, availability, the mounted file's hash against its source, the app answering, rotation", async () => {
      const result = await verify();
      expect(result.report?.checks?.map((c: Json) => `${c.id}: ${c.passed ? "passed" : c.detail}`)).toEqual(["addon", "class", "available", "mounted", "answers", "rotation"].map((id) => `${id}: passed`));
      expect(result.status).toBe(0);
    }, 240_000);

    step("rotation outside Terraform: npm run rotation-check sets a new version in the vault, as az keyvault secret set does, and times its arrival in the running pod, which does not restart", async () => {
      const valueFile = path.join(project, "rotated.json");
      const value = JSON.stringify({ Config: { Source: `lab ${env}`, Version: 2, Rotated: new Date().toISOString() } });
      fs.writeFileSync(valueFile, value);
      // Its own mount namespace, where the vault's name resolves to the stand-in; the machine's /etc/hosts is untouched.
      const hosts = path.join(project, "rotation-hosts");
      fs.writeFileSync(hosts, `127.0.0.1 localhost\n${STAND_IN_IP} ${scenario.vault!.host} ${AUTHORITY_HOST}\n`);
      const [command, args] = withPrivateHosts(hosts, process.execPath, [path.join(project, "tools", "build", "run-ts.mjs"), "tools/ops/rotation-check-cli.ts", "--env", env, "--value-file", valueFile, "--timeout", "60"]);
      const restartsBefore = (await pods()).map((p) => p.status?.containerStatuses?.[0]?.restartCount);
      const result = await runAsync(project, [command, ...args], { ...engineEnv, KUBECONFIG: node!.kubeconfig }, 120);
      expect(result.output).toMatch(/rotation reached \S+ after [\d.]+s; configured interval 5s/);
      expect(result.status).toBe(0);
      const seconds = Number(/rotation reached \S+ after ([\d.]+)s/.exec(result.output)![1]);
      process.stdout.write(`lab ${env}: a new Key Vault version reached the pod after ${seconds} s (poll interval ${ROTATION})\n`);
      expect(seconds).toBeLessThanOrEqual(5 + 30);
      expect((await pods()).map((p) => p.status?.containerStatuses?.[0]?.restartCount)).toEqual(restartsBefore);
      expect(scenario.vault!.audit.some((line) => line.startsWith(`PUT /secrets/${objectName} oid=${ID.deployer} -> 200`))).toBe(true);
    }, 180_000);

    step("rotation through the stacks: a new version from the Key Vault stack's deploy and the app deploy roll the pods by the annotation", async () => {
      const before = new Set((await pods()).map((p) => p.metadata.name));
      fs.writeFileSync(secretFile, JSON.stringify({ Config: { Source: `lab ${env}`, Version: 3 } }));
      await deployUpstream();
      versions[objectName] = appliedVersion(objectName);
      const deploy = await deployApp();
      expect(deploy.status).toBe(0);
      const deployment = await api(`/apis/apps/v1/namespaces/${ns}/deployments/${config.apps[0].name}`);
      expect(deployment.spec.template.metadata.annotations["aks-keyvault.cdktf.io/secret-versions"]).toBe(`${objectName}=${versions[objectName]}`);
      await waitUntil("the rolled pods ready and the old ones gone", async () => {
        const now = await pods();
        return now.length === config.apps[0].replicas && now.every((p) => !before.has(p.metadata.name) && p.status?.conditions?.some((c: Json) => c.type === "Ready" && c.status === "True"));
      }, 120);
      const check = await verify();
      expect(check.report?.checks?.find((c: Json) => c.id === "mounted")?.passed).toBe(true);
    }, 300_000);

  }

  if (kind === "faults") {
    /** Deletes the app's pods, as a node restart would: their replacements mount the volume anew. */
    async function restartPods(): Promise<void> {
      for (const pod of await pods()) await node!.api("DELETE", `/api/v1/namespaces/${ns}/pods/${pod.metadata.name}?gracePeriodSeconds=0`);
    }

    const classPath = `/apis/secrets-store.csi.x-k8s.io/v1/namespaces/${ns}/secretproviderclasses/${secretProviderClassName(config.apps[0].name)}`;
    /** The class as the deploy made it, taken before each fault. */
    let deployedClass: Json;
    /** Writes the class's parameters over, as a hand-edited manifest would (the lab's own mistake: IDs copied into YAML). */
    async function editClass(parameters: Record<string, string>): Promise<void> {
      const current = await api(classPath);
      const edited = { ...deployedClass, metadata: { ...deployedClass.metadata, resourceVersion: current.metadata.resourceVersion }, spec: { ...deployedClass.spec, parameters: { ...deployedClass.spec.parameters, ...parameters } } };
      expect((await node!.api("PUT", classPath, edited)).status).toBe(200);
    }

    /** Breaks one piece of wiring, restarts the pods, and returns the FailedMount message and verify's report. */
    async function fault(name: string, breakIt: () => Promise<void>, mendIt: () => Promise<void>) {
      deployedClass = await api(classPath);
      const since = new Set(await events());
      await breakIt();
      await restartPods();
      let message = "";
      await waitUntil(`${name}: a FailedMount with the provider's error`, async () => {
        message = (await events()).filter((e) => !since.has(e) && / FailedMount: .*failed to mount objects/.test(e)).at(-1) ?? "";
        return message !== "";
      }, 60);
      const report = await verify(3);
      await mendIt();
      await restartPods();
      return { message, report };
    }

    /** The reader's access policy with its secret permissions edited, as `az keyvault set-policy` replaces it. */
    function editReaderPolicy(edit: (permissions: string[]) => string[]): Promise<void> {
      const vault = cloud.arm.ofType("Microsoft.KeyVault/vaults").find((v) => v.name.toLowerCase() === config.keyVault.name.toLowerCase())!;
      const policy = (vault.body.properties.accessPolicies as Json[]).find((p) => p.objectId === ids.addonObject)!;
      const replaced = { ...policy, permissions: { ...policy.permissions, secrets: edit(policy.permissions.secrets) } };
      const result = cloud.callAs(DEPLOYER, "PUT", `${vault.id}/accessPolicies/replace?api-version=2023-07-01`, { properties: { accessPolicies: [replaced] } });
      // Azure answers 201 Created, as the stand-in does.
      expect(result.status).toBe(201);
      return Promise.resolve();
    }
    /** The app identity's federated credential for another service account, as `az identity federated-credential update` leaves it. */
    function federateTo(serviceAccount: string): Promise<void> {
      const credential = cloud.arm.ofType(`${USER_IDENTITIES}/federatedIdentityCredentials`).find((c) => c.parentId?.toLowerCase() === appliedOf(USER_IDENTITIES)[0].id.toLowerCase())!;
      const result = cloud.callAs(DEPLOYER, "PUT", `${credential.id}?api-version=2023-01-31`, { properties: { ...credential.body.properties, subject: `system:serviceaccount:${ns}:${serviceAccount}` } });
      expect(result.status).toBe(200);
      return Promise.resolve();
    }

    const faults: Record<string, [string, () => Promise<void>, () => Promise<void>, RegExp, string][]> = {
      dev: [
        [
          "the object ID given where the client ID belongs",
          () => editClass({ userAssignedIdentityID: ids.addonObject }),
          () => editClass({}),
          /ManagedIdentityCredential.*Identity not found/s,
          "docs/troubleshooting.md#the-pod-is-stuck-in-containercreating-wrong-identity-client-id",
        ],
        [
          "a reader without Get on secrets",
          () => editReaderPolicy((permissions) => permissions.filter((p) => p.toLowerCase() !== "get")),
          () => editReaderPolicy((permissions) => ["Get", ...permissions]),
          /403.*does not have secrets get permission/s,
          "docs/troubleshooting.md#403-from-key-vault",
        ],
      ],
      prod: [
        [
          "a federated credential for another service account",
          () => federateTo("other"),
          () => federateTo(config.apps[0].name),
          /AADSTS700213/,
          "docs/troubleshooting.md#the-pod-is-stuck-in-containercreating-wrong-identity-client-id",
        ],
        [
          "another tenant's ID",
          () => editClass({ tenantID: "99999999-0000-4000-8000-000000000000" }),
          () => editClass({}),
          /AADSTS90002/,
          "docs/troubleshooting.md#the-pod-is-stuck-in-containercreating-wrong-identity-client-id",
        ],
      ],
    };

    for (const [name, breakIt, mendIt, error, section] of faults[env]) {
      step(`a wiring fault ends in FailedMount with the provider's error, and npm run verify points to its troubleshooting section: ${name}`, async () => {
        const { message, report } = await fault(name, breakIt, mendIt);
        expect(message).toMatch(error);
        expect(report.status === 1 ? "exit 1" : `exit ${report.status}: ${report.output.slice(-1500)}`).toBe("exit 1");
        expect(report.output).toContain(section);
        await waitUntil("the app available again once mended", async () => (await api(`/apis/apps/v1/namespaces/${ns}/deployments/${config.apps[0].name}`))?.status?.availableReplicas === config.apps[0].replicas, 90);
      }, 300_000);
    }
  }

  // The faults' deployments go with their namespaces (their cleanup step): the destroy command is proven by
  // the others, and two cdktf runs fewer keep the lab within its time.
  /** Deletes what a scenario's namespaces still hold: all of a faults scenario, whatever a failed step left otherwise. */
  async function deleteNamespaces(): Promise<void> {
    for (const { namespace } of config.apps as Json[]) {
      if (node && (await node.api("GET", `/api/v1/namespaces/${namespace}`)).status === 200) {
        await node.api("DELETE", `/api/v1/namespaces/${namespace}`);
        await waitUntil(`namespace ${namespace} gone`, async () => (await node!.api("GET", `/api/v1/namespaces/${namespace}`)).status === 404, 90);
      }
    }
  }
  // In the scenario's own chain, so it overlaps the other scenarios' steps instead of following them.
  if (kind === "faults") steps.add("cleanup: the namespace deleted", deleteNamespaces, 120_000);
  if (kind !== "faults") {
    step("destroyed with the destroy workflow's command for the app stack, it leaves nothing: the namespace is gone", async () => {
      const destroy = await runAsync(project, ["npx", "cdktf", "destroy", `app-${env}`, "--ignore-missing-stack-dependencies", "--auto-approve", "--skip-synth", "--skip-provider-lock"], engineEnv, 180);
      expect(destroy.status).toBe(0);
      for (const app of config.apps as Json[]) await waitUntil(`namespace ${app.namespace} gone`, async () => (await node!.api("GET", `/api/v1/namespaces/${app.namespace}`)).status === 404, 60);
    }, 240_000);
  }

  afterAll(async () => {
    await steps.finished;
    await Promise.all([...balancers.values()].map((server) => closeServer(server, `${label}'s load balancer`)));
    // Whatever a failed step left, so the next environment starts clean.
    await deleteNamespaces().catch(() => undefined);
  }, 120_000);
});
