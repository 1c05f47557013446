// `npm run verify -- --env <name> [--json <file>] [--timeout <seconds>] [--kube-context]`
//
// After a deploy: the lab's checks as one command (tools/ops/verify.ts), against the
// cluster and vault the stacks' outputs name. Signs in the way the app stack
// does (the AKS stack's host and CA, a token from kubelogin), or through the
// current kubectl context with --kube-context.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as httpPlain from "http";
import * as https from "https";
import * as net from "net";
import * as path from "path";
import { TLSSocket } from "tls";
import { loadEnvironments } from "../../config/load";
import { durationSeconds } from "../../config/domain";
import { SECRETS_MOUNT_PATH, type AppConfig, type EnvironmentConfig } from "../../config/types";
import { appNamed, appOutputName, objectsOf } from "../../lib/apps";
import { engineOnPath, firstError, runEngine } from "../engine/engines";
import { reportFailure, wallClock } from "../command";
import { parseFlags, UsageError, wantsHelp } from "../flags";
import { OUTPUTS, secretProviderClassName, stackName } from "../../lib/names";
import { KUBELOGIN_MODES } from "../../config/domain";
import { kubeloginExec } from "../../lib/kubelogin";
import { currentKubeConfig, firstRunningPod, NoKubeContextError, readPodFile } from "./kube";
import { formatChecklist, verifyDeployment, VerifyError, type CheckVerdict, type ClusterView, type HttpClient, type VerifyInput } from "./verify";

export const USAGE = "usage: npm run verify -- --env <name> [--app <name>] [--json <file>] [--timeout <seconds>] [--kube-context]";

const HELP = `${USAGE}

After npx cdktf deploy '*-<env>': checks that the add-on runs on every node, that the
SecretProviderClass carries the vault, tenant and client ID the stacks' outputs name,
that the app is available (or why not: the pods' FailedMount and other events), that
every secret is mounted at ${SECRETS_MOUNT_PATH} with the content of its local file
(compared by SHA-256, never printed), that the app answers HTTP 200, and how a new
secret version reaches the pod. One line per check, exit 0 only when all pass.

  --timeout <s>     how long to wait for the app and its address (default 600)
  --json <file>     also write the report as JSON (for CI)
  --app <name>      only this one of the environment's apps (default: every app, each reported)
  --kube-context    use the current kubectl context instead of the AKS stack's outputs and kubelogin

Reads the AKS and Key Vault stacks' outputs from their local state files, or, with a backend, with
terraform (or tofu) output in cdktf.out/stacks: run npx cdktf synth first.`;

/** Runs a command and tells whether it exited 0; injected in tests. */
export type Probe = (command: string, args: string[]) => boolean;

const probeCommand: Probe = (command, args) => {
  const result = spawnSync(command, args, { stdio: "ignore", timeout: 20_000 });
  return !result.error && result.status === 0;
};

/**
 * What verify needs before it runs an engine or reaches the cluster, in the
 * order a user fixes them; the first one missing is one line naming the command
 * that fixes it. Seconds, where terraform init against the registry took minutes to fail.
 */
export async function checkPrerequisites(root: string, config: EnvironmentConfig, useContext: boolean, probe: Probe = probeCommand): Promise<void> {
  const env = config.environment;
  for (const stack of [stackName("aks", env), stackName("keyvault", env)]) {
    if (!fs.existsSync(path.join(root, "cdktf.out", "stacks", stack, "cdk.tf.json"))) throw new VerifyError(`no cdktf.out/stacks/${stack}: run npx cdktf synth first`);
  }
  if (useContext) await currentKubeConfig();
  else {
    if (!probe("kubelogin", ["--version"])) throw new VerifyError("kubelogin is not on PATH: install it (az aks install-cli, or https://azure.github.io/kubelogin/), or pass --kube-context with a working kubectl context");
    const mode = config.aks.kubeloginMode;
    if (mode === "azurecli" && !probe("az", ["account", "show", "--only-show-errors"])) {
      throw new VerifyError("not signed in to Azure (az account show failed): run az login, or pass --kube-context with a working kubectl context");
    }
    const missing = KUBELOGIN_MODES[mode].env.filter((name) => !process.env[name]);
    if (missing.length > 0) throw new VerifyError(`aks.kubeloginMode ${mode} reads ${missing.join(", ")}, which are not set: set them, or pass --kube-context with a working kubectl context`);
  }
  if (config.backend) return; // Shared state: only the engine can tell, once signed in.
  for (const stack of [stackName("aks", env), stackName("keyvault", env)]) {
    const file = path.join(root, `terraform.${stack}.tfstate`);
    let outputs = {};
    try {
      outputs = JSON.parse(fs.readFileSync(file, "utf8")).outputs ?? {};
    } catch {
      // No state file, or not one: both mean not deployed from here.
    }
    if (Object.keys(outputs).length === 0) {
      throw new VerifyError(`${stack} has no outputs in ${path.relative(root, file)}: deploy the environment from this folder first (npx cdktf deploy '*-${env}')`);
    }
  }
}

/**
 * Outputs of a deployed stack. Local state (no backend): read from its state file, as `terraform output`
 * would, without an init that installs the azurerm provider (300 MB) first. Shared state: `output -json`.
 */
async function stackOutputs(root: string, stack: string, config: EnvironmentConfig): Promise<Record<string, unknown>> {
  if (!config.backend) {
    const state = JSON.parse(fs.readFileSync(path.join(root, `terraform.${stack}.tfstate`), "utf8")) as { outputs?: Record<string, { value: unknown }> };
    return Object.fromEntries(Object.entries(state.outputs ?? {}).map(([name, o]) => [name, o.value]));
  }
  const engine = engineOnPath(process.env);
  if (typeof engine === "string") throw new VerifyError(engine);
  const dir = path.join(root, "cdktf.out", "stacks", stack);
  if (!fs.existsSync(path.join(dir, "cdk.tf.json"))) throw new VerifyError(`no ${path.relative(root, dir)}: run npx cdktf synth first`);
  if (!fs.existsSync(path.join(dir, ".terraform"))) {
    const init = await runEngine(engine, dir, ["init", "-input=false", "-no-color"]);
    if (init.status !== 0) throw new VerifyError(`${engine.name} init in ${stack} failed: ${firstError(init.stderr || init.stdout)}`);
  }
  const result = await runEngine(engine, dir, ["output", "-json", "-no-color"]);
  if (result.status !== 0) throw new VerifyError(`${engine.name} output in ${stack} failed: ${firstError(result.stderr || result.stdout)}`);
  const outputs = JSON.parse(result.stdout) as Record<string, { value: unknown }>;
  if (Object.keys(outputs).length === 0) throw new VerifyError(`${stack} has no outputs: is it deployed? (npx cdktf deploy ${stack})`);
  return Object.fromEntries(Object.entries(outputs).map(([name, o]) => [name, o.value]));
}

/** What the deployment must carry, from the config and the AKS and Key Vault stacks' outputs. */
export function verifyInput(config: EnvironmentConfig, app: AppConfig, aks: Record<string, unknown>, keyVault: Record<string, unknown>, root: string, timeoutSeconds: number): VerifyInput {
  const env = config.environment;
  const workload = app.identity === "workload";
  const clientOutput = workload ? appOutputName(config, app, OUTPUTS.workloadIdentityClientId) : OUTPUTS.secretsProviderClientId;
  const objectId = aks[workload ? appOutputName(config, app, OUTPUTS.workloadIdentityObjectId) : OUTPUTS.secretsProviderObjectId];
  const objects = objectsOf(config, app);
  const versions = app.rolloutOnSecretChange
    ? Object.fromEntries(
        objects
          .filter((s) => s.source.kind === "file")
          .map((s) => [s.objectName, String(keyVault[OUTPUTS.secretVersion(s.objectName)] ?? "(no output)")]),
      )
    : {};
  return {
    environment: env,
    namespace: app.namespace,
    app: app.name,
    secretProviderClass: secretProviderClassName(app.name),
    mountPath: SECRETS_MOUNT_PATH,
    keyVaultName: { value: String(keyVault[OUTPUTS.keyVaultName]), source: `${OUTPUTS.keyVaultName} of ${stackName("keyvault", env)}` },
    tenantId: { value: String(keyVault[OUTPUTS.keyVaultTenantId]), source: `${OUTPUTS.keyVaultTenantId} of ${stackName("keyvault", env)}` },
    clientId: { value: String(aks[clientOutput]), source: `${clientOutput} of ${stackName("aks", env)}`, parameter: workload ? "clientID" : "userAssignedIdentityID" },
    objectId: objectId === undefined ? undefined : String(objectId),
    objects: objects.map((s) => {
      // With a version history the alias is a folder; /0 is the newest version, the one the file holds.
      const alias = s.objectVersionHistory ? `${s.objectAlias}/0` : s.objectAlias;
      if (s.source.kind !== "file") return { objectName: s.objectName, alias };
      if (s.objectEncoding === "hex" || s.objectEncoding === "base64") return { objectName: s.objectName, alias, decodedFrom: s.objectEncoding };
      const file = path.join(root, s.source.file);
      return { objectName: s.objectName, alias, localFile: s.source.file, localContent: fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined };
    }),
    rotationInterval: config.aks.secretRotationInterval,
    rotationSeconds: durationSeconds(config.aks.secretRotationInterval),
    secretVersions: versions,
    timeoutSeconds,
    service: { type: app.service.type, podPort: app.https ? app.https.port : app.containerPort },
    https: app.https && {
      certificateFile: `${SECRETS_MOUNT_PATH}/${app.https.certificate}`,
      pem: objects.find((s) => s.objectAlias.toLowerCase() === app.https!.certificate.toLowerCase())?.objectFormat === "pem",
    },
  };
}

/** One line for what keeps the command from reaching the cluster at all. */
export function explainClusterError(error: unknown, server: string): VerifyError {
  const e = error as { code?: string; message?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code;
  if (code && ["ECONNREFUSED", "ENOTFOUND", "ETIMEDOUT", "EHOSTUNREACH", "ECONNRESET"].includes(code)) {
    return new VerifyError(`cannot reach the API server at ${server} (${code}): is this machine's address in aks.apiServerAuthorizedIpRanges, or the cluster private?`);
  }
  if (/kubelogin|exec|ENOENT|credential|AADSTS|az login/i.test(e?.message ?? "")) {
    return new VerifyError(`not signed in: kubelogin could not get a token (${(e?.message ?? "").split("\n")[0].slice(0, 160)}); run \`az login\`, or --kube-context with a working context`);
  }
  if (/401|Unauthorized/.test(e?.message ?? "")) return new VerifyError(`the API server at ${server} refused the token (401): sign in again (az login) and check aks.adminGroupObjectIds`);
  return new VerifyError(`the API server at ${server} failed: ${(e?.message ?? String(error)).split("\n")[0]}`);
}

async function kubernetesCluster(useContext: boolean, aks: Record<string, unknown>, config: EnvironmentConfig): Promise<{ view: ClusterView; server: string }> {
  const k8s = await import("@kubernetes/client-node");
  let kc: InstanceType<typeof k8s.KubeConfig>;
  if (useContext) kc = await currentKubeConfig();
  else {
    const host = aks[OUTPUTS.kubeHost];
    const ca = aks[OUTPUTS.kubeClusterCaCertificate];
    if (!host || !ca) throw new VerifyError(`${stackName("aks", config.environment)} has no host or CA output: deploy it, or use --kube-context`);
    const exec = kubeloginExec(config.aks.kubeloginMode);
    kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "aks", server: String(host), caData: String(ca), skipTLSVerify: false }],
      users: [{ name: "deployer", exec: { apiVersion: exec.apiVersion, command: exec.command, args: exec.args, interactiveMode: "Never" } }],
      contexts: [{ name: "aks", cluster: "aks", user: "deployer" }],
      currentContext: "aks",
    });
  }
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const exec = new k8s.Exec(kc);
  const notFound = (error: unknown) => (error as { code?: number }).code === 404;
  const view: ClusterView = {
    async daemonSets(namespace) {
      return (await apps.listNamespacedDaemonSet({ namespace })).items.map((d) => ({
        name: d.metadata?.name ?? "",
        desired: d.status?.desiredNumberScheduled ?? 0,
        ready: d.status?.numberReady ?? 0,
        args: (d.spec?.template.spec?.containers ?? []).flatMap((c) => [...(c.command ?? []), ...(c.args ?? [])]),
      }));
    },
    async nodeCount() {
      return (await core.listNode()).items.filter((n) => n.metadata?.labels?.["kubernetes.io/os"] !== "windows").length;
    },
    async secretProviderClass(namespace, name) {
      try {
        const spc = (await custom.getNamespacedCustomObject({ group: "secrets-store.csi.x-k8s.io", version: "v1", namespace, plural: "secretproviderclasses", name })) as { spec?: { parameters?: Record<string, string> } };
        return spc.spec?.parameters ?? {};
      } catch (error) {
        if (notFound(error)) return undefined;
        throw error;
      }
    },
    async deployment(namespace, name) {
      try {
        const d = await apps.readNamespacedDeployment({ name, namespace });
        return { desired: d.spec?.replicas ?? 1, available: d.status?.availableReplicas ?? 0, annotations: d.spec?.template.metadata?.annotations ?? {} };
      } catch (error) {
        if (notFound(error)) return undefined;
        throw error;
      }
    },
    async podWarnings(namespace, labelSelector) {
      const pods = new Set((await core.listNamespacedPod({ namespace, labelSelector })).items.map((p) => p.metadata?.name));
      const events = (await core.listNamespacedEvent({ namespace, fieldSelector: "type=Warning" })).items;
      return events
        .filter((e) => e.involvedObject.kind === "Pod" && pods.has(e.involvedObject.name))
        .sort((a, b) => String(a.lastTimestamp ?? a.eventTime ?? "").localeCompare(String(b.lastTimestamp ?? b.eventTime ?? "")))
        .map((e) => ({ pod: e.involvedObject.name ?? "", reason: e.reason ?? "", message: e.message ?? "" }));
    },
    async runningPod(namespace, labelSelector) {
      return firstRunningPod((await core.listNamespacedPod({ namespace, labelSelector })).items);
    },
    readFile: (namespace, pod, container, file) => readPodFile(exec, namespace, pod, container, file),
    async serviceAddress(namespace, name) {
      const service = await core.readNamespacedService({ name, namespace });
      const ingress = service.status?.loadBalancer?.ingress?.[0];
      return ingress?.ip ?? ingress?.hostname;
    },
    portForward: (namespace, pod, port) => forwardThroughApiServer(new k8s.PortForward(kc), namespace, pod, port),
  };
  return { view, server: kc.getCurrentCluster()?.server ?? "(unknown)" };
}

/**
 * kubectl port-forward's way in: a listener on loopback whose every connection is a port-forward
 * stream through the API server to the pod's port. Reaches a ClusterIP app from anywhere the API
 * server answers, with the deployer's own sign-in.
 */
async function forwardThroughApiServer(forwarder: { portForward(ns: string, pod: string, ports: number[], out: NodeJS.WritableStream, err: null, input: NodeJS.ReadableStream): Promise<unknown> }, namespace: string, pod: string, port: number): Promise<{ address: string; close(): void }> {
  const server = net.createServer((socket) => {
    forwarder.portForward(namespace, pod, [port], socket, null, socket).catch(() => socket.destroy());
    socket.on("error", () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
  const { port: local } = server.address() as net.AddressInfo;
  return { address: `127.0.0.1:${local}`, close: () => server.close() };
}

export const httpClient: HttpClient = {
  get(url) {
    // Bounded by the socket's own idle timeout, not AbortSignal.timeout: that one does not keep the process
    // alive, and a connection that is accepted and never answered then ends node with exit 13, no verdict.
    // Over HTTPS the chain is not checked here (the address is an IP, which certificates rarely name);
    // the check compares the served certificate with the one mounted from Key Vault instead.
    return new Promise((resolve) => {
      const request = (url.startsWith("https:") ? https : httpPlain).get(url, { rejectUnauthorized: false, timeout: 5000 }, (response) => {
        const peer = response.socket instanceof TLSSocket ? response.socket.getPeerX509Certificate()?.fingerprint256 : undefined;
        response.resume();
        resolve({ status: response.statusCode, certificate: peer });
      });
      request.on("timeout", () => request.destroy());
      request.on("error", () => resolve({}));
    });
  },
};

/**
 * Verifies each app in turn with `check`, printing each checklist, and a line of how many apps passed when
 * there are several. The report: one app's checks at the top (as with one app), or one entry per app.
 */
export async function verifyApps(env: string, apps: readonly AppConfig[], check: (app: AppConfig) => Promise<CheckVerdict[]>, log: (line: string) => void) {
  const reports: { app: string; passed: boolean; checks: CheckVerdict[] }[] = [];
  for (const app of apps) {
    const verdicts = await check(app);
    reports.push({ app: app.name, passed: verdicts.every((v) => v.passed), checks: verdicts });
    log(formatChecklist(apps.length > 1 ? `${env}, app ${app.name}` : env, verdicts));
  }
  const passed = reports.every((r) => r.passed);
  if (reports.length > 1) log(`${reports.filter((r) => r.passed).length} of ${reports.length} apps passed${passed ? "" : `; FAILED: ${reports.filter((r) => !r.passed).map((r) => r.app).join(", ")}`}`);
  const report = reports.length === 1 ? { environment: env, app: reports[0].app, passed, checks: reports[0].checks } : { environment: env, passed, apps: reports };
  return { passed, report };
}

export async function main(args: readonly string[]): Promise<number> {
  if (wantsHelp(args)) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  try {
    const flags = parseFlags(args, { values: ["--env", "--app", "--json", "--timeout"], switches: ["--kube-context"] }, USAGE);
    const env = flags.get("--env");
    if (!env) throw new UsageError(`--env is required; ${USAGE}`);
    const rawTimeout = flags.get("--timeout") ?? "600";
    const timeout = Number(rawTimeout);
    if (!Number.isInteger(timeout) || timeout < 1) throw new UsageError(`--timeout = ${JSON.stringify(rawTimeout)}: must be a whole number of seconds, 1 or more; ${USAGE}`);
    const root = process.cwd();
    const config = loadEnvironments(root).environments.find((e) => e.environment === env);
    if (!config) throw new UsageError(`--env ${JSON.stringify(env)} is not in config/; ${USAGE}`);
    const named = flags.get("--app");
    if (named !== undefined && !appNamed(config, named)) throw new UsageError(`--app ${JSON.stringify(named)} is not an app of ${env} (there: ${config.apps.map((a) => a.name).join(", ")}); ${USAGE}`);
    // Every app unless one is named: a green verify must not hide a second app stuck in FailedMount.
    const apps = named === undefined ? config.apps : [appNamed(config, named)!];
    const log = (line: string) => process.stdout.write(`${line}\n`);
    await checkPrerequisites(root, config, flags.has("--kube-context"));
    log(`Reading the outputs of ${stackName("aks", env)} and ${stackName("keyvault", env)}...`);
    const [aks, keyVault] = await Promise.all([stackOutputs(root, stackName("aks", env), config), stackOutputs(root, stackName("keyvault", env), config)]);
    const trace = (what: string) => process.env.AKSKV_TRACE && process.stderr.write(`trace: ${what}\n`);
    trace("outputs read");
    const { view, server } = await kubernetesCluster(flags.has("--kube-context"), aks, config);
    trace("client made");
    // One call first: a sign-in or network failure is one line, not six failed checks.
    await view.nodeCount().catch((error) => {
      throw explainClusterError(error, server);
    });
    trace("nodes listed");
    const { passed, report } = await verifyApps(env, apps, (app) => verifyDeployment(verifyInput(config, app, aks, keyVault, root, timeout), { cluster: view, http: httpClient, clock: wallClock }, durationSeconds, log), log);
    const json = flags.get("--json");
    if (json) fs.writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
    return passed ? 0 : 1;
  } catch (error) {
    return reportFailure("verify", error, [VerifyError, NoKubeContextError]);
  }
}
