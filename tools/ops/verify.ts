// After a deploy: every check of the lab, each with a one-line verdict. The
// cluster and HTTP clients are injected: the real ones talk to AKS
// (tools/ops/verify-cli.ts), the tests use fakes and the local API server.
import { createHash, X509Certificate } from "crypto";
import type { Clock } from "./rotation-check";
import { SECRET_VERSIONS_ANNOTATION } from "../../lib/rollout";

export interface DaemonSetView {
  readonly name: string;
  readonly desired: number;
  readonly ready: number;
  /** Every container's args, for the driver's rotation flags. */
  readonly args: readonly string[];
}

export interface PodEvent {
  readonly pod: string;
  readonly reason: string;
  readonly message: string;
}

export interface ClusterView {
  daemonSets(namespace: string): Promise<DaemonSetView[]>;
  nodeCount(): Promise<number>;
  /** spec.parameters of a SecretProviderClass, or undefined when there is none. */
  secretProviderClass(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  deployment(namespace: string, name: string): Promise<{ desired: number; available: number; annotations: Record<string, string> } | undefined>;
  /** Warning events of the pods matching the selector, newest last. */
  podWarnings(namespace: string, labelSelector: string): Promise<PodEvent[]>;
  runningPod(namespace: string, labelSelector: string): Promise<string | undefined>;
  /** A file's content in a container, or undefined when it does not exist. */
  readFile(namespace: string, pod: string, container: string, file: string): Promise<string | undefined>;
  /** The LoadBalancer address of a Service, or undefined while it has none. */
  serviceAddress(namespace: string, name: string): Promise<string | undefined>;
  /** A local "host:port" forwarded through the API server to a pod's port (kubectl port-forward), and how to close it. */
  portForward(namespace: string, pod: string, port: number): Promise<{ readonly address: string; close(): void }>;
}

export interface HttpClient {
  /** A GET's status code (undefined when nothing answered) and, over HTTPS, the SHA-256 fingerprint of the certificate served. */
  get(url: string): Promise<{ readonly status?: number; readonly certificate?: string }>;
}

/** A value the deployment must carry, and where the expected value comes from (for messages). */
export interface Expected {
  readonly value: string;
  readonly source: string;
}

export interface MountedObject {
  readonly objectName: string;
  readonly alias: string;
  /** The local file's content for secrets this project uploads; undefined for existing objects. */
  readonly localContent?: string;
  /** Where that content came from, for messages; set when the project uploads it. */
  readonly localFile?: string;
  /** objectEncoding hex or base64: the pod gets the decoded bytes, which are not compared as text. */
  readonly decodedFrom?: string;
}

export interface VerifyInput {
  readonly environment: string;
  readonly namespace: string;
  readonly app: string;
  readonly secretProviderClass: string;
  readonly mountPath: string;
  readonly keyVaultName: Expected;
  readonly tenantId: Expected;
  /** The reading identity's client ID, under the parameter the mode uses. */
  readonly clientId: Expected & { readonly parameter: "clientID" | "userAssignedIdentityID" };
  /** The same identity's object ID, to name the classic mistake when the class carries it. */
  readonly objectId?: string;
  readonly objects: readonly MountedObject[];
  readonly rotationInterval: string;
  readonly rotationSeconds: number;
  /** objectName -> the version Key Vault holds now (the Key Vault stack's outputs); empty without rollout. */
  readonly secretVersions: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  /**
   * How the app is reached (apps[].service): a public LoadBalancer at its address; a ClusterIP or an
   * internal load balancer, whose address this machine need not reach, through the API server to a pod's port.
   */
  readonly service: { readonly type: "ClusterIP" | "InternalLoadBalancer" | "LoadBalancer"; readonly podPort: number };
  /** Set when the app serves HTTPS (apps[].https): the mounted certificate it must serve, and whether it is PEM (comparable here). */
  readonly https?: { readonly certificateFile: string; readonly pem: boolean };
}

export interface CheckVerdict {
  readonly id: string;
  readonly title: string;
  readonly passed: boolean;
  readonly detail: string;
  readonly lines: readonly string[];
}

/** A failure before any check could run (sign-in, reachability); one line with the fix. */
export class VerifyError extends Error {}

const ADDON_DAEMONSETS = ["aks-secrets-store-csi-driver", "aks-secrets-store-provider-azure"];

/** docs/troubleshooting.md sections by the pod event that points to them. */
export const TROUBLESHOOTING: [RegExp, string][] = [
  [/secretproviderclass.*not found/i, "docs/troubleshooting.md#secretproviderclass-not-found-or-in-another-namespace"],
  // Sign-in first: its message carries the identity endpoint's URL, whose port may read 403.
  [/identity not found|ManagedIdentityCredential|AADSTS/i, "docs/troubleshooting.md#the-pod-is-stuck-in-containercreating-wrong-identity-client-id"],
  [/\b(RESPONSE|StatusCode:?) 403\b|403 Forbidden|ForbiddenByRbac|AccessDenied|does not have \w+ \w+ permission|Caller is not authorized/i, "docs/troubleshooting.md#403-from-key-vault"],
  [/not found|SecretNotFound|objectType/i, "docs/troubleshooting.md#object-not-found-or-the-wrong-objecttype"],
  [/BackOff|CrashLoop/i, "docs/troubleshooting.md#the-pod-runs-but-crash-loops"],
];

function verdict(id: string, title: string, passed: boolean, detail: string, lines: string[] = []): CheckVerdict {
  return { id, title, passed, detail, lines };
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

async function addonRunning(cluster: ClusterView): Promise<CheckVerdict> {
  const title = "The add-on is running";
  const [sets, nodes] = await Promise.all([cluster.daemonSets("kube-system"), cluster.nodeCount()]);
  const found = ADDON_DAEMONSETS.map((name) => ({ name, set: sets.find((s) => s.name === name) }));
  const missing = found.filter((f) => !f.set).map((f) => f.name);
  if (missing.length > 0) {
    return verdict("addon", title, false, `no DaemonSet ${missing.join(", ")} in kube-system: is the azure-keyvault-secrets-provider add-on on? (az aks addon show --addon azure-keyvault-secrets-provider)`);
  }
  const counts = found.map(({ name, set }) => `${name} ${set!.ready}/${set!.desired} ready`);
  const short = found.filter(({ set }) => set!.ready < set!.desired || set!.desired < nodes);
  const detail = `${counts.join(", ")}, on ${nodes} nodes`;
  return verdict("addon", title, short.length === 0, short.length === 0 ? detail : `${detail}: not a ready pod of each on every node`);
}

async function classMatches(cluster: ClusterView, input: VerifyInput): Promise<CheckVerdict> {
  const title = "The SecretProviderClass is the one the stacks declared";
  const parameters = await cluster.secretProviderClass(input.namespace, input.secretProviderClass);
  if (!parameters) return verdict("class", title, false, `no SecretProviderClass ${input.secretProviderClass} in namespace ${input.namespace}: deploy app-${input.environment}`);
  const checks: [string, Expected][] = [
    ["keyvaultName", input.keyVaultName],
    ["tenantID", input.tenantId],
    [input.clientId.parameter, input.clientId],
  ];
  const wrong = checks.filter(([key, expected]) => parameters[key] !== expected.value);
  const lines = wrong.map(([key, expected]) => {
    const objectId = input.objectId && parameters[key] === input.objectId ? " (that is the identity's object ID; the class takes its client ID)" : "";
    return `${key} is ${JSON.stringify(parameters[key] ?? null)} in the SecretProviderClass but ${JSON.stringify(expected.value)} in ${expected.source}${objectId}`;
  });
  if (wrong.length > 0) return verdict("class", title, false, `${wrong.map(([key]) => key).join(", ")} differ from the stacks' outputs`, lines);
  return verdict("class", title, true, `${input.secretProviderClass}: vault ${input.keyVaultName.value}, tenant and ${input.clientId.parameter} as the stacks' outputs say`);
}

async function appAvailable(cluster: ClusterView, input: VerifyInput, clock: Clock, log: (line: string) => void): Promise<CheckVerdict> {
  const title = "The app is available";
  const deadline = clock.now() + input.timeoutSeconds * 1000;
  let lastLog = clock.now();
  for (;;) {
    const deployment = await cluster.deployment(input.namespace, input.app);
    if (!deployment) return verdict("available", title, false, `no Deployment ${input.app} in namespace ${input.namespace}: deploy app-${input.environment}`);
    if (deployment.available >= deployment.desired && deployment.desired > 0) {
      return verdict("available", title, true, `${deployment.available}/${deployment.desired} replicas available`);
    }
    if (clock.now() >= deadline) {
      const warnings = await cluster.podWarnings(input.namespace, `app=${input.app}`);
      const last = warnings.at(-1);
      const section = last && TROUBLESHOOTING.find(([pattern]) => pattern.test(`${last.reason} ${last.message}`))?.[1];
      const lines = last ? [`${last.reason} on ${last.pod}: ${last.message.replace(/\s+/g, " ").slice(0, 300)}`, ...(section ? [`see ${section}`] : [])] : [];
      return verdict("available", title, false, `${deployment.available}/${deployment.desired} replicas available after ${input.timeoutSeconds} s${last ? `; ${last.reason}` : ""}`, lines);
    }
    if (clock.now() - lastLog >= 10_000) {
      log(`  waiting for ${input.app}: ${deployment.available}/${deployment.desired} available...`);
      lastLog = clock.now();
    }
    await clock.sleep(2000);
  }
}

async function secretsMounted(cluster: ClusterView, input: VerifyInput): Promise<CheckVerdict> {
  const title = `The secrets are mounted at ${input.mountPath}`;
  const pod = await cluster.runningPod(input.namespace, `app=${input.app}`);
  if (!pod) return verdict("mounted", title, false, `no running pod of ${input.app} to look into`);
  const lines: string[] = [];
  let passed = true;
  for (const object of input.objects) {
    const file = `${input.mountPath}/${object.alias}`;
    const content = await cluster.readFile(input.namespace, pod, "app", file);
    if (content === undefined) {
      passed = false;
      lines.push(`${file}: missing`);
    } else if (object.decodedFrom !== undefined) {
      passed &&= content.length > 0;
      lines.push(content.length > 0 ? `${file}: present (${object.objectName}, decoded from ${object.decodedFrom}; not compared as text)` : `${file}: empty`);
    } else if (object.localFile !== undefined && object.localContent === undefined) {
      passed = false;
      lines.push(`${file}: present, but ${object.localFile} is not here to compare with (run where the deploy ran, or write it with npm run ci:write-secret-files)`);
    } else if (object.localContent !== undefined) {
      const same = sha256(content) === sha256(object.localContent);
      passed &&= same;
      lines.push(same ? `${file}: matches ${object.localFile} (SHA-256)` : `${file}: differs from ${object.localFile}: Key Vault has a newer or older version`);
    } else {
      passed &&= content.length > 0;
      lines.push(content.length > 0 ? `${file}: present (${object.objectName} is managed outside this project)` : `${file}: empty`);
    }
  }
  return verdict("mounted", title, passed, `${input.objects.length} files in pod ${pod}`, lines);
}

/** The SHA-256 fingerprint of a PEM's first certificate (OpenSSL skips the key block before it), or undefined. */
function firstCertificateFingerprint(pem: string): string | undefined {
  try {
    return new X509Certificate(pem).fingerprint256;
  } catch {
    return undefined;
  }
}

/** Over HTTPS, the app must serve the certificate in its mount: the one Key Vault gave it, not one of its own or an old one. */
async function servesMountedCertificate(cluster: ClusterView, input: VerifyInput, https: NonNullable<VerifyInput["https"]>, url: string, served: string | undefined): Promise<CheckVerdict> {
  const title = "The app answers";
  if (!https.pem) return verdict("answers", title, true, `GET ${url} -> 200, serving certificate ${served ?? "(none)"}; ${https.certificateFile} is a PFX, not compared`);
  const pod = await cluster.runningPod(input.namespace, `app=${input.app}`);
  const pem = pod ? await cluster.readFile(input.namespace, pod, "app", https.certificateFile) : undefined;
  const mounted = pem === undefined ? undefined : firstCertificateFingerprint(pem);
  if (!mounted) return verdict("answers", title, false, `GET ${url} -> 200, but ${https.certificateFile} holds no certificate to compare with`);
  return mounted === served
    ? verdict("answers", title, true, `GET ${url} -> 200, serving the certificate mounted at ${https.certificateFile} (SHA-256 ${mounted})`)
    : verdict("answers", title, false, `GET ${url} -> 200, but it serves certificate ${served ?? "(none)"}, not the one mounted at ${https.certificateFile} (${mounted}): restart the app if the certificate was renewed`);
}

/** One GET of the app the way its Service is reached; `last` says what stood in the way. */
async function getApp(cluster: ClusterView, http: HttpClient, input: VerifyInput): Promise<{ url?: string; status?: number; certificate?: string; last: string }> {
  const scheme = input.https ? "https" : "http";
  if (input.service.type === "LoadBalancer") {
    const address = await cluster.serviceAddress(input.namespace, input.app);
    if (!address) return { last: "the Service has no LoadBalancer address yet" };
    const url = `${scheme}://${address}/`;
    return { url, ...(await http.get(url)), last: "" };
  }
  const pod = await cluster.runningPod(input.namespace, `app=${input.app}`);
  if (!pod) return { last: `no running pod to port-forward to (the Service is ${input.service.type})` };
  const forward = await cluster.portForward(input.namespace, pod, input.service.podPort);
  try {
    const url = `${scheme}://${forward.address}/`;
    return { url, ...(await http.get(url)), last: "" };
  } finally {
    forward.close();
  }
}

async function appAnswers(cluster: ClusterView, http: HttpClient, input: VerifyInput, clock: Clock, log: (line: string) => void): Promise<CheckVerdict> {
  const title = "The app answers";
  const deadline = clock.now() + input.timeoutSeconds * 1000;
  const via = input.service.type === "LoadBalancer" ? "" : ` (${input.service.type}: port-forwarded through the API server to port ${input.service.podPort})`;
  let lastLog = clock.now();
  let last = "";
  for (;;) {
    const got = await getApp(cluster, http, input);
    last = got.last;
    if (got.url) {
      if (got.status === 200) return input.https ? servesMountedCertificate(cluster, input, input.https, got.url, got.certificate) : verdict("answers", title, true, `GET ${got.url} -> 200${via}`);
      last = `GET ${got.url} -> ${got.status ?? "no answer"}${via}`;
    }
    if (clock.now() >= deadline) return verdict("answers", title, false, `${last} after ${input.timeoutSeconds} s`);
    if (clock.now() - lastLog >= 10_000) {
      log(`  waiting for the app to answer: ${last}...`);
      lastLog = clock.now();
    }
    await clock.sleep(3000);
  }
}

/** "--rotation-poll-interval=2m" among the driver's args. */
function flagValue(args: readonly string[], flag: string): string | undefined {
  return args.find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);
}

async function rotationSettings(cluster: ClusterView, input: VerifyInput, durationSeconds: (v: string) => number): Promise<CheckVerdict> {
  const title = "Rotation settings";
  const driver = (await cluster.daemonSets("kube-system")).find((s) => s.name === ADDON_DAEMONSETS[0]);
  const enabled = driver && flagValue(driver.args, "--enable-secret-rotation");
  const interval = driver && flagValue(driver.args, "--rotation-poll-interval");
  const lines: string[] = [];
  let passed = enabled === "true" && interval !== undefined && durationSeconds(interval) === input.rotationSeconds;
  lines.push(
    passed
      ? `the driver polls Key Vault every ${interval}, as aks.secretRotationInterval says: a new version reaches the file within that`
      : `the driver runs with --enable-secret-rotation=${enabled ?? "(absent)"} --rotation-poll-interval=${interval ?? "(absent)"}; the config says ${input.rotationInterval}`,
  );
  const annotation = (await cluster.deployment(input.namespace, input.app))?.annotations[SECRET_VERSIONS_ANNOTATION];
  if (Object.keys(input.secretVersions).length > 0) {
    const carried = Object.fromEntries((annotation ?? "").split(",").filter(Boolean).map((pair) => pair.split("=") as [string, string]));
    const stale = Object.entries(input.secretVersions).filter(([name, version]) => carried[name] !== version);
    passed &&= stale.length === 0;
    lines.push(
      stale.length === 0
        ? `the pod template carries the current version of each uploaded secret: a deploy that changes one rolls the pods`
        : `the pod template carries ${stale.map(([name]) => `${name}=${carried[name] ?? "(none)"}`).join(", ")}, Key Vault has ${stale.map(([name, v]) => `${name}=${v}`).join(", ")}: deploy app-${input.environment}`,
    );
  } else {
    lines.push("no secret versions on the pod template (app.rolloutOnSecretChange off): the app must re-read the file to see a new version");
  }
  return verdict("rotation", title, passed, passed ? `on, every ${interval}` : "not as configured", lines);
}

/** Runs the six checks in order; a check that throws fails with its message, the others still run. */
export async function verifyDeployment(
  input: VerifyInput,
  clients: { readonly cluster: ClusterView; readonly http: HttpClient; readonly clock: Clock },
  durationSeconds: (value: string) => number,
  log: (line: string) => void,
): Promise<CheckVerdict[]> {
  const checks: [string, string, () => Promise<CheckVerdict>][] = [
    ["addon", "The add-on is running", () => addonRunning(clients.cluster)],
    ["class", "The SecretProviderClass is the one the stacks declared", () => classMatches(clients.cluster, input)],
    ["available", "The app is available", () => appAvailable(clients.cluster, input, clients.clock, log)],
    ["mounted", `The secrets are mounted at ${input.mountPath}`, () => secretsMounted(clients.cluster, input)],
    ["answers", "The app answers", () => appAnswers(clients.cluster, clients.http, input, clients.clock, log)],
    ["rotation", "Rotation settings", () => rotationSettings(clients.cluster, input, durationSeconds)],
  ];
  const verdicts: CheckVerdict[] = [];
  for (const [id, title, check] of checks) {
    if (process.env.AKSKV_TRACE) process.stderr.write(`trace: check ${id}\n`);
    try {
      verdicts.push(await check());
    } catch (error) {
      if (error instanceof VerifyError) throw error;
      verdicts.push(verdict(id, title, false, (error as Error).message.split("\n")[0]));
    }
  }
  return verdicts;
}

/** The checklist: a mark per check, its detail lines, and a summary line. */
export function formatChecklist(environment: string, verdicts: readonly CheckVerdict[]): string {
  const lines = [`verify ${environment}:`];
  verdicts.forEach((v, i) => {
    lines.push(`  [${v.passed ? "x" : " "}] ${i + 1}. ${v.title}: ${v.detail}`);
    for (const line of v.lines) lines.push(`        ${line}`);
  });
  const passed = verdicts.filter((v) => v.passed).length;
  lines.push(passed === verdicts.length ? `${passed} of ${verdicts.length} checks passed` : `${passed} of ${verdicts.length} checks passed; FAILED: ${verdicts.filter((v) => !v.passed).map((v) => v.id).join(", ")}`);
  return lines.join("\n");
}
