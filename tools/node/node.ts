// The lab's Kubernetes node on this machine: the local control plane (with a
// scheduler and the issuer a federated credential trusts), containerd and
// runc, a kubelet whose address is loopback (so exec reaches it), pod
// networking on a bridge that exists only inside this machine, and the
// azure-keyvault-secrets-provider add-on's two DaemonSets in kube-system, named
// as AKS names them: the real Secrets Store CSI driver with this project's
// registrar, and the real Azure provider, which reaches Key Vault and Entra ID
// at the stand-ins through its pod's host aliases. Everything it starts is
// stopped, and every mount, network namespace and link it made removed, by
// stop(), also after a failure.
import { spawnSync, type ChildProcess, type SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as path from "path";
import { load } from "js-yaml";
import { CSI_DRIVER_NAME } from "../../config/types";
import type { ClusterTools } from "../cluster/cluster-tools";
import type { LabTools } from "./node-tools";
import { IMAGES } from "./node-tools";
import { freePort, kubeconfigText, startLocalCluster, startProcess, stopProcess, type LocalCluster } from "../cluster/local-cluster";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export class LabError extends Error {}

export const NODE_NAME = "lab-node";
/** Pod addresses: a bridge inside this machine; nothing routes there from outside. */
export const POD_SUBNET = "10.199.0.0/24";
const BRIDGE = "akskv-lab0";

export interface LabNodeOptions {
  readonly cluster: ClusterTools;
  readonly lab: LabTools;
  readonly dir: string;
  /** The service-account issuer URL (the AKS stack's oidc_issuer_url output). */
  readonly issuer: string;
  /** The add-on's rotation interval, as the synthesized cluster's key_vault_secrets_provider sets it. */
  readonly rotationInterval: string;
  /**
   * How often the kubelet syncs each pod, which is when a changed ConfigMap volume is rewritten: 5s keeps
   * the tests' waits short; lab:rotation gives AKS's 1m, the kubelet's default.
   */
  readonly kubeletSyncFrequency?: string;
  /** Host names the provider's pod resolves to the stand-ins' loopback address. */
  readonly hostAliases: { ip: string; hostnames: string[] };
  /** The managed-identity endpoint the provider's pod gets (IDENTITY_ENDPOINT, IDENTITY_HEADER). */
  readonly identityEndpoint: { url: string; header: string };
  /** The CA the stand-ins' certificate chains to (PEM file); the provider trusts it as SSL_CERT_FILE. */
  readonly caFile: string;
  readonly log: (line: string) => void;
  /** Given the node's stop as soon as it starts starting, so a signal during the start can stop what has started. */
  readonly onStarting?: (stop: () => Promise<void>) => void;
}

export interface LabNode {
  readonly cluster: LocalCluster;
  /** Admin kubeconfig (a file). */
  readonly kubeconfig: string;
  /** Requests to the API server as its admin. */
  api(method: string, urlPath: string, body?: Json): Promise<{ status: number; body: Json }>;
  /** Each image of tools:lab as name@digest. */
  readonly images: Record<string, string>;
  /**
   * The add-on as an applied cluster's profile sets it, as AKS's add-on manager reconciles it: the driver's
   * rotation flags rewritten where they differ (its pods then restart), and ready again. Says what changed.
   */
  reconcileAddon(config: { enableSecretRotation?: string; rotationPollInterval?: string }): Promise<string | undefined>;
  stop(): Promise<void>;
}

/** The driver's rotation flags for an add-on profile's config, with AKS's defaults (rotation off, every 2m). */
export function rotationFlags(config: { enableSecretRotation?: string; rotationPollInterval?: string }): string[] {
  return [`--enable-secret-rotation=${config.enableSecretRotation === "true"}`, `--rotation-poll-interval=${config.rotationPollInterval ?? "2m"}`];
}

function openssl(args: string[], cwd: string): void {
  const result = spawnSync("openssl", args, { cwd, encoding: "utf8" });
  if (result.status !== 0) throw new LabError(`openssl ${args[0]} failed: ${(result.stderr || result.error?.message || "").trim().split("\n").at(-1)}`);
}

/** A certificate signed by the lab's CA (ca.crt, ca.key in dir), for a client or a server with these names. */
export function issueCertificate(dir: string, name: string, subject: string, sans: string[] = []): { cert: string; key: string } {
  const key = path.join(dir, `${name}.key`);
  const cert = path.join(dir, `${name}.crt`);
  openssl(["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", path.join(dir, `${name}.csr`), "-subj", subject], dir);
  const ext = path.join(dir, `${name}.ext`);
  fs.writeFileSync(ext, sans.length > 0 ? `subjectAltName=${sans.join(",")}\nextendedKeyUsage=serverAuth,clientAuth\n` : "extendedKeyUsage=clientAuth\n");
  openssl(["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext], dir);
  return { cert, key };
}

/** The lab's certificate authority in dir: ca.crt and ca.key. */
export function makeCa(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=aks-keyvault-cdktf lab CA"], dir);
  return path.join(dir, "ca.crt");
}

const tail = (file: string, lines = 3) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim().split("\n").slice(-lines).join(" | ") : "(no log)");

/** Waits, bounded, for a condition; the error says what did not happen and the last lines of the log that would say why. */
export async function waitUntil(what: string, check: () => Promise<boolean>, seconds: number, logFile?: string): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new LabError(`${what}: not within ${seconds} s${logFile ? ` (${path.basename(logFile)}: ${tail(logFile)})` : ""}`);
}

/** Mount points at or under dir (and the CNI's network namespaces), deepest first. */
function mountsUnder(prefixes: string[]): string[] {
  const mounts = fs.readFileSync("/proc/mounts", "utf8").split("\n").map((l) => l.split(" ")[1]?.replace(/\\040/g, " ")).filter(Boolean);
  return mounts.filter((m) => prefixes.some((p) => m === p || m.startsWith(`${p}/`))).sort((a, b) => b.length - a.length);
}

/**
 * Host kernel settings the lab's components change: the CNI bridge turns on IPv4 forwarding for its gateway,
 * and the kubelet sets its kernel tunables (it has no option to leave them alone, only to refuse to start).
 * The node records them before it starts and writes them back when it stops.
 */
export const HOST_SETTINGS = [
  "net/ipv4/ip_forward",
  "vm/overcommit_memory",
  "vm/panic_on_oom",
  "kernel/panic",
  "kernel/panic_on_oops",
  "kernel/keys/root_maxkeys",
  "kernel/keys/root_maxbytes",
] as const;

export function readHostSettings(): Record<string, string> {
  return Object.fromEntries(HOST_SETTINGS.map((k) => [k, fs.readFileSync(`/proc/sys/${k}`, "utf8").trim()]));
}

function restoreHostSettings(before: Record<string, string>): void {
  for (const [k, v] of Object.entries(before)) {
    if (fs.readFileSync(`/proc/sys/${k}`, "utf8").trim() !== v) fs.writeFileSync(`/proc/sys/${k}`, v);
  }
}

/** Processes whose command line (NUL-separated) passes the test. */
function processesMatching(test: (cmdline: string) => boolean): number[] {
  return fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
    try {
      return test(fs.readFileSync(`/proc/${pid}/cmdline`, "utf8"));
    } catch {
      return false; // gone meanwhile
    }
  });
}

/** Every process below the given ones, read from each process's parent in /proc/<pid>/stat. */
function descendantsOf(roots: number[]): number[] {
  const parentOf = new Map<number, number>();
  for (const d of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      // The command name in parentheses may hold spaces: the fields after its closing one are fixed.
      const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      parentOf.set(Number(d), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found = new Set<number>();
  let frontier = new Set(roots);
  while (frontier.size > 0) {
    const next = new Set<number>();
    for (const [pid, parent] of parentOf) {
      if (!frontier.has(parent) || found.has(pid)) continue;
      found.add(pid);
      next.add(pid);
    }
    frontier = next;
  }
  return [...found];
}

function kill9(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

const netnsDir = "/var/run/netns";
const netnsNow = () => (fs.existsSync(netnsDir) ? fs.readdirSync(netnsDir) : []);

/** What the phases of a node's start share: where it lives, its processes, containerd's socket. */
interface NodeState {
  readonly options: LabNodeOptions;
  readonly dir: string;
  readonly paths: LabTools["paths"];
  readonly kubeletRoot: string;
  readonly containerdRoot: string;
  readonly socket: string;
  readonly children: ChildProcess[];
  readonly ctr: (...args: string[]) => SpawnSyncReturns<string>;
  cluster?: LocalCluster;
}
type Api = LabNode["api"];

export async function startLabNode(options: LabNodeOptions): Promise<LabNode> {
  const { dir, lab, log } = options;
  fs.mkdirSync(dir, { recursive: true });
  const containerdRoot = path.join(dir, "containerd");
  const socket = path.join(containerdRoot, "containerd.sock");
  const s: NodeState = {
    options,
    dir,
    paths: lab.paths,
    kubeletRoot: path.join(dir, "kubelet"),
    containerdRoot,
    socket,
    children: [],
    ctr: (...args: string[]) => spawnSync(lab.paths.ctr, ["--address", socket, "-n", "k8s.io", ...args], { encoding: "utf8", timeout: 60_000 }),
  };
  const stop = stopper(s, new Set(netnsNow()), readHostSettings());
  options.onStarting?.(stop);
  try {
    log("lab: certificates");
    const pki = path.join(dir, "pki");
    makeCa(pki);
    log("lab: control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler)");
    const cluster = await startControlPlane(s, pki);
    const kubeconfig = path.join(dir, "admin.kubeconfig");
    fs.writeFileSync(kubeconfig, kubeconfigText(cluster.host, cluster.caPem, cluster.adminToken));
    const api = apiClient(cluster);
    log("lab: containerd and the images");
    const images = await startContainerd(s);
    log("lab: kubelet");
    await startKubelet(s, api, kubeconfig, pki);
    log("lab: the add-on (Secrets Store CSI driver and Azure provider DaemonSets in kube-system)");
    await installAddon(s, api, images, cluster);
    return { cluster, kubeconfig, api, images, reconcileAddon: addonReconciler(s, api), stop };
  } catch (error) {
    // For whoever debugs the lab: AKSKV_LAB_DEBUG_HOLD=<seconds> keeps a failed node up to look at, then stops it all the same.
    if (process.env.AKSKV_LAB_DEBUG_HOLD) {
      log(`lab: failed (${(error as Error).message}); holding ${dir} for ${process.env.AKSKV_LAB_DEBUG_HOLD} s`);
      await new Promise((r) => setTimeout(r, Number(process.env.AKSKV_LAB_DEBUG_HOLD) * 1000));
    }
    await stop();
    throw error;
  }
}

/** The node's stop: everything its start made, gone, and the host's settings as they were before. */
function stopper(s: NodeState, netnsBefore: Set<string>, hostSettingsBefore: Record<string, string>): () => Promise<void> {
  const { dir, socket, children, ctr } = s;
  return async () => {
    // Pods first, through containerd (their processes outlive a stopped shim), then the node, then the control plane.
    const kubelet = children.find((c) => (c as { labName?: string }).labName === "kubelet");
    if (kubelet) await stopProcess(kubelet, 8000);
    if (fs.existsSync(socket)) {
      for (const line of ctr("tasks", "ls", "-q").stdout?.split("\n").filter(Boolean) ?? []) ctr("tasks", "kill", "-s", "SIGKILL", line);
      await new Promise((r) => setTimeout(r, 500));
      for (const line of ctr("tasks", "ls", "-q").stdout?.split("\n").filter(Boolean) ?? []) ctr("tasks", "delete", "-f", line);
      for (const line of ctr("containers", "ls", "-q").stdout?.split("\n").filter(Boolean) ?? []) ctr("containers", "delete", line);
    }
    for (const child of [...children].reverse()) await stopProcess(child, 8000);
    children.length = 0;
    // Shims left by a containerd that died, this lab's only (by their socket address), and what runs under
    // them first: a container whose shim is gone is reparented and would outlive the lab.
    const shims = processesMatching((cmdline) => cmdline.includes("containerd-shim-runc-v2") && cmdline.includes(socket));
    for (const pid of [...descendantsOf(shims), ...shims]) kill9(pid);
    await s.cluster?.stop();
    for (const name of netnsNow().filter((n) => !netnsBefore.has(n))) {
      spawnSync("umount", ["-l", path.join(netnsDir, name)]);
      fs.rmSync(path.join(netnsDir, name), { force: true });
    }
    for (const mount of mountsUnder([dir])) spawnSync("umount", ["-l", mount]);
    spawnSync("ip", ["link", "delete", BRIDGE]);
    restoreHostSettings(hostSettingsBefore);
    // The kubelet's links to container logs, which it keeps in /var/log/containers whatever podLogsDir says.
    if (fs.existsSync("/var/log/containers")) {
      for (const link of fs.readdirSync("/var/log/containers")) {
        const target = path.join("/var/log/containers", link);
        if ((fs.lstatSync(target).isSymbolicLink() ? fs.readlinkSync(target) : "").startsWith(dir)) fs.rmSync(target, { force: true });
      }
    }
    for (const d of ["/var/lib/cni/results", "/var/lib/cni/networks/akskv-lab"]) {
      if (!fs.existsSync(d)) continue;
      for (const f of fs.readdirSync(d).filter((f) => d.endsWith("akskv-lab") || f.startsWith("akskv-lab"))) fs.rmSync(path.join(d, f), { recursive: true, force: true });
    }
    if (mountsUnder([dir]).length === 0) fs.rmSync(dir, { recursive: true, force: true });
  };
}

/** etcd, kube-apiserver (which reaches the kubelet with its client certificate), the controllers and the scheduler. */
async function startControlPlane(s: NodeState, pki: string): Promise<LocalCluster> {
  const { dir, options } = s;
  const kubeletClient = issueCertificate(pki, "apiserver-kubelet-client", "/O=system:masters/CN=kube-apiserver-kubelet-client");
  // The kubelet refuses a loopback node IP, so the API server reaches it (exec, logs) by its name, which
  // only the API server's own hosts file resolves, to the loopback address the kubelet listens on.
  const apiServerHosts = path.join(dir, "apiserver-hosts");
  fs.writeFileSync(apiServerHosts, `127.0.0.1 localhost ${NODE_NAME}\n::1 localhost\n`);
  s.cluster = await startLocalCluster(options.cluster, path.join(dir, "control-plane"), {
    issuer: options.issuer,
    scheduler: options.cluster.scheduler,
    controllers: "deployment,replicaset,daemonset,namespace,garbagecollector,serviceaccount,nodelifecycle,root-ca-certificate-publisher-controller",
    apiServerHosts,
    extraApiServerArgs: [`--kubelet-client-certificate=${kubeletClient.cert}`, `--kubelet-client-key=${kubeletClient.key}`, "--kubelet-preferred-address-types=Hostname", "--allow-privileged=true"],
  });
  return s.cluster;
}

/** The API server as its admin, each request bounded. */
function apiClient(c: LocalCluster): Api {
  return (method: string, urlPath: string, body?: Json) =>
    new Promise<{ status: number; body: Json }>((resolve, reject) => {
      const request = https.request(`${c.host}${urlPath}`, { method, ca: c.caPem, headers: { Authorization: `Bearer ${c.adminToken}`, "Content-Type": "application/json" } }, (response) => {
        let text = "";
        response.on("data", (chunk) => (text += chunk));
        response.on("end", () => {
          let parsed: Json = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            // text, as it came
          }
          resolve({ status: response.statusCode ?? 0, body: parsed });
        });
      });
      request.on("error", reject);
      request.setTimeout(30_000, () => request.destroy(new Error(`the lab's API server did not answer ${method} ${urlPath} within 30 s`)));
      request.end(body === undefined ? undefined : JSON.stringify(body));
    });
}

/** containerd in the machine's mount namespace, the lab's images imported, and the pods' bridge network. Returns each image by digest. */
async function startContainerd(s: NodeState): Promise<Record<string, string>> {
  const { dir, paths, containerdRoot, socket, ctr, children } = s;
  const lab = s.options.lab;
  fs.mkdirSync(containerdRoot, { recursive: true });
  const cniConf = path.join(dir, "cni", "net.d");
  fs.mkdirSync(cniConf, { recursive: true });
  const images = Object.fromEntries(Object.entries(lab.images).map(([ref, i]) => [ref, `${ref.replace(/:[^:/]+$/, "")}@${i.digest}`]));
  fs.writeFileSync(
    path.join(containerdRoot, "config.toml"),
    [
      "version = 2",
      `root = "${path.join(containerdRoot, "root")}"`,
      `state = "${path.join(containerdRoot, "state")}"`,
      "[grpc]",
      `  address = "${socket}"`,
      '[plugins."io.containerd.grpc.v1.cri"]',
      `  sandbox_image = "${IMAGES.pause}"`,
      // Root here lacks CAP_SYS_RESOURCE: without this every sandbox fails to start (shared/recipes/local-csi).
      "  restrict_oom_score_adj = true",
      '  [plugins."io.containerd.grpc.v1.cri".containerd]',
      '    snapshotter = "overlayfs"',
      '    default_runtime_name = "runc"',
      '    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
      '      runtime_type = "io.containerd.runc.v2"',
      '      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]',
      "        SystemdCgroup = false",
      `        BinaryName = "${paths.runc}"`,
      '  [plugins."io.containerd.grpc.v1.cri".cni]',
      `    bin_dir = "${paths.cniBin}"`,
      `    conf_dir = "${cniConf}"`,
      "",
    ].join("\n"),
  );
  const containerdEnv = { ...process.env, PATH: `${path.dirname(paths.containerd)}${path.delimiter}${process.env.PATH}` };
  // In the machine's own mount namespace: the kubelet's CSI mounts must reach the containers.
  const containerd = startProcess("containerd", paths.containerd, ["--config", path.join(containerdRoot, "config.toml")], dir, containerdEnv);
  children.push(containerd);
  await waitUntil("containerd answering on its socket", async () => ctr("version").status === 0, 30, path.join(dir, "containerd.log"));
  for (const [ref, image] of Object.entries(lab.images)) {
    const imported = ctr("images", "import", image.archive);
    if (imported.status !== 0) throw new LabError(`ctr images import ${path.basename(image.archive)}: ${imported.stderr.trim()}`);
    // The name by digest too: the kubelet asks for name@digest, which the CRI finds only under that name.
    const tagged = ctr("images", "tag", ref, images[ref]);
    if (tagged.status !== 0) throw new LabError(`ctr images tag ${images[ref]}: ${tagged.stderr.trim()}`);
  }

  fs.writeFileSync(
    path.join(cniConf, "10-akskv-lab.conflist"),
    JSON.stringify({
      cniVersion: "1.0.0",
      name: "akskv-lab",
      plugins: [
        { type: "bridge", bridge: BRIDGE, isGateway: true, ipMasq: false, ipam: { type: "host-local", ranges: [[{ subnet: POD_SUBNET }]], dataDir: path.join(dir, "cni", "ipam") } },
        { type: "loopback" },
      ],
    }),
  );
  return images;
}

/** The kubelet on the lab's containerd, its folder a shared mount, until the node is Ready. */
async function startKubelet(s: NodeState, api: Api, kubeconfig: string, pki: string): Promise<void> {
  const { dir, kubeletRoot, socket, options, children } = s;
  fs.mkdirSync(kubeletRoot, { recursive: true });
  // The driver mounts into pods' volumes with Bidirectional propagation, which needs a shared mount;
  // this machine's / is private, so the kubelet's folder becomes a shared mount of its own.
  for (const args of [["--bind", kubeletRoot, kubeletRoot], ["--make-rshared", kubeletRoot]]) {
    const mounted = spawnSync("mount", args, { encoding: "utf8" });
    if (mounted.status !== 0) throw new LabError(`mount ${args.join(" ")}: ${mounted.stderr.trim()}`);
  }
  const kubeletConfig = path.join(dir, "kubelet-config.yaml");
  fs.writeFileSync(
    kubeletConfig,
    JSON.stringify({
      apiVersion: "kubelet.config.k8s.io/v1beta1",
      kind: "KubeletConfiguration",
      cgroupDriver: "cgroupfs",
      failCgroupV1: false,
      containerRuntimeEndpoint: `unix://${socket}`,
      address: "127.0.0.1",
      port: await freePort(),
      readOnlyPort: 0,
      healthzBindAddress: "127.0.0.1",
      healthzPort: await freePort(),
      authentication: { anonymous: { enabled: false }, webhook: { enabled: false }, x509: { clientCAFile: path.join(pki, "ca.crt") } },
      authorization: { mode: "AlwaysAllow" },
      failSwapOn: false,
      registerNode: true,
      rotateCertificates: false,
      serverTLSBootstrap: false,
      evictionHard: { "memory.available": "100Mi", "nodefs.available": "1%", "imagefs.available": "1%", "nodefs.inodesFree": "1%" },
      imageGCHighThresholdPercent: 100,
      imageGCLowThresholdPercent: 99,
      syncFrequency: options.kubeletSyncFrequency ?? "5s",
      // Pod logs in the lab's folder, not the machine's /var/log/pods.
      podLogsDir: path.join(dir, "pod-logs"),
      resolvConf: "",
    }),
  );
  const kubelet = startProcess(
    "kubelet",
    options.cluster.kubelet,
    [`--config=${kubeletConfig}`, `--kubeconfig=${kubeconfig}`, `--root-dir=${kubeletRoot}`, `--cert-dir=${path.join(dir, "kubelet-pki")}`, `--hostname-override=${NODE_NAME}`, "--v=2"],
    dir,
  );
  (kubelet as { labName?: string }).labName = "kubelet";
  children.push(kubelet);
  await waitUntil(`node ${NODE_NAME} Ready`, async () => {
    const node = await api("GET", `/api/v1/nodes/${NODE_NAME}`);
    return (node.body?.status?.conditions ?? []).some((x: Json) => x.type === "Ready" && x.status === "True");
  }, 90, path.join(dir, "kubelet.log"));
}

/** The add-on as AKS installs it: the driver's CRDs, RBAC and CSIDriver, and its two DaemonSets, until the driver is registered. */
async function installAddon(s: NodeState, api: Api, images: Record<string, string>, cluster: LocalCluster): Promise<void> {
  const { dir, paths, kubeletRoot, options } = s;
  const manifests = (file: string): Json[] => (fs.readFileSync(path.join(paths.manifests, file), "utf8").split(/^---$/m).map((doc) => load(doc)).filter(Boolean) as Json[]);
  for (const file of ["secrets-store.csi.x-k8s.io_secretproviderclasses.yaml", "secrets-store.csi.x-k8s.io_secretproviderclasspodstatuses.yaml"]) {
    for (const crd of manifests(file)) await create(api, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
  }
  for (const file of ["rbac-secretproviderclass.yaml", "rbac-secretproviderrotation.yaml", "rbac-secretprovidersyncing.yaml", "rbac-secretprovidertokenrequest.yaml"]) {
    for (const object of manifests(file)) await create(api, objectPath(object), object);
  }
  // The workload identity path needs the pod's token for Entra ID's exchange audience.
  const csiDriver = manifests("csidriver.yaml")[0];
  csiDriver.spec.tokenRequests = [{ audience: "api://AzureADTokenExchange" }];
  await create(api, "/apis/storage.k8s.io/v1/csidrivers", csiDriver);
  await create(api, "/api/v1/namespaces/kube-system/serviceaccounts", { metadata: { name: "csi-secrets-store-provider-azure", namespace: "kube-system" } });
  const apiPort = new URL(cluster.host).port;
  const inCluster = [
    // No kube-proxy here: the pods reach the API server where it listens.
    { name: "KUBERNETES_SERVICE_HOST", value: "127.0.0.1" },
    { name: "KUBERNETES_SERVICE_PORT", value: apiPort },
  ];
  const providers = path.join(dir, "providers");
  const metricsPort = await freePort();
  const providerPorts = [await freePort(), await freePort()] as const;
  await create(api, "/apis/apps/v1/namespaces/kube-system/daemonsets", daemonSet("aks-secrets-store-csi-driver", "secrets-store-csi-driver", driverPod(kubeletRoot, images, providers, inCluster, options.rotationInterval, metricsPort)));
  await create(api, "/apis/apps/v1/namespaces/kube-system/daemonsets", daemonSet("aks-secrets-store-provider-azure", "csi-secrets-store-provider-azure", providerPod(options, images, providers, inCluster, providerPorts)));
  await waitUntil("the add-on's DaemonSets ready on the node", async () => {
    const sets = (await api("GET", "/apis/apps/v1/namespaces/kube-system/daemonsets")).body?.items ?? [];
    return sets.length === 2 && sets.every((d: Json) => d.status?.numberReady === 1);
  }, 90, path.join(dir, "kubelet.log"));
  await waitUntil("the CSI driver registered with the kubelet", async () => {
    const node = await api("GET", `/apis/storage.k8s.io/v1/csinodes/${NODE_NAME}`);
    return (node.body?.spec?.drivers ?? []).some((d: Json) => d.name === CSI_DRIVER_NAME);
  }, 60, path.join(dir, "kubelet.log"));
}

const hostPath = (name: string, p: string, type = "DirectoryOrCreate") => ({ name, hostPath: { path: p, type } });
type EnvVar = { name: string; value: string };

/** The Secrets Store CSI driver's pod: its registrar and the driver, mounting into the kubelet's pods with Bidirectional propagation. */
function driverPod(kubeletRoot: string, images: Record<string, string>, providers: string, inCluster: EnvVar[], rotationInterval: string, metricsPort: number): Json {
  const privileged = { privileged: true };
  return {
    hostNetwork: true,
    serviceAccountName: "secrets-store-csi-driver",
    containers: [
      {
        name: "node-driver-registrar",
        image: images[IMAGES.driver],
        imagePullPolicy: "IfNotPresent",
        command: ["/csi-registrar"],
        args: ["--csi-address=/csi/csi.sock", `--kubelet-registration-path=${path.join(kubeletRoot, "plugins", "csi-secrets-store", "csi.sock")}`, "--registration-dir=/registration"],
        volumeMounts: [
          { name: "plugin-dir", mountPath: "/csi" },
          { name: "registration-dir", mountPath: "/registration" },
        ],
      },
      {
        name: "secrets-store",
        image: images[IMAGES.driver],
        imagePullPolicy: "IfNotPresent",
        args: [
          "--endpoint=unix:///csi/csi.sock",
          "--nodeid=$(KUBE_NODE_NAME)",
          "--provider-volume=/providers",
          "--additional-provider-volume-paths=",
          ...rotationFlags({ enableSecretRotation: "true", rotationPollInterval: rotationInterval }),
          `--metrics-addr=127.0.0.1:${metricsPort}`,
          "--v=2",
        ],
        env: [{ name: "KUBE_NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }, ...inCluster],
        securityContext: privileged,
        volumeMounts: [
          { name: "plugin-dir", mountPath: "/csi" },
          { name: "mountpoint-dir", mountPath: path.join(kubeletRoot, "pods"), mountPropagation: "Bidirectional" },
          { name: "providers-dir", mountPath: "/providers" },
        ],
      },
    ],
    volumes: [
      hostPath("plugin-dir", path.join(kubeletRoot, "plugins", "csi-secrets-store")),
      hostPath("registration-dir", path.join(kubeletRoot, "plugins_registry"), "Directory"),
      hostPath("mountpoint-dir", path.join(kubeletRoot, "pods")),
      hostPath("providers-dir", providers),
    ],
  };
}

/** The Azure provider's pod, resolving Entra ID and the vaults to the stand-ins, trusting the lab's CA. */
function providerPod(options: LabNodeOptions, images: Record<string, string>, providers: string, inCluster: EnvVar[], ports: readonly [number, number]): Json {
  return {
    hostNetwork: true,
    serviceAccountName: "csi-secrets-store-provider-azure",
    // As AKS's nodes resolve them, here to the stand-ins on loopback; the machine's own /etc/hosts is untouched.
    hostAliases: [options.hostAliases],
    containers: [
      {
        name: "provider-azure-installer",
        image: images[IMAGES.provider],
        imagePullPolicy: "IfNotPresent",
        args: ["--endpoint=unix:///provider/azure.sock", `--healthz-port=${ports[0]}`, `--prometheus-port=${ports[1]}`, "-v=5"],
        env: [
          { name: "IDENTITY_ENDPOINT", value: options.identityEndpoint.url },
          { name: "IDENTITY_HEADER", value: options.identityEndpoint.header },
          { name: "SSL_CERT_FILE", value: "/lab-ca/ca.crt" },
          ...inCluster,
        ],
        volumeMounts: [
          { name: "providers-dir", mountPath: "/provider" },
          { name: "lab-ca", mountPath: "/lab-ca", readOnly: true },
        ],
      },
    ],
    volumes: [hostPath("providers-dir", providers), hostPath("lab-ca", path.dirname(options.caFile), "Directory")],
  };
}

/** Sets the driver's rotation flags to the applied add-on's, as AKS's add-on manager does; returns them when they changed. */
function addonReconciler(s: NodeState, api: Api): LabNode["reconcileAddon"] {
  const { dir } = s;
  return async (config: { enableSecretRotation?: string; rotationPollInterval?: string }): Promise<string | undefined> => {
    const setPath = "/apis/apps/v1/namespaces/kube-system/daemonsets/aks-secrets-store-csi-driver";
    const set = (await api("GET", setPath)).body;
    const driver = (set.spec.template.spec.containers as Json[]).find((c) => c.name === "secrets-store");
    const wanted = rotationFlags(config);
    const kept = (driver!.args as string[]).filter((a) => !/^--(enable-secret-rotation|rotation-poll-interval)=/.test(a));
    if (wanted.every((flag) => driver!.args.includes(flag))) return undefined;
    driver!.args = [...kept, ...wanted];
    const put = await api("PUT", setPath, set);
    if (put.status !== 200) throw new LabError(`the add-on's driver DaemonSet could not be updated: ${put.status} ${JSON.stringify(put.body).slice(0, 300)}`);
    await waitUntil("the driver's DaemonSet rolled out with the applied add-on's flags", async () => {
      const now = (await api("GET", setPath)).body;
      return now.status?.observedGeneration >= now.metadata.generation && now.status?.updatedNumberScheduled === 1 && now.status?.numberReady === 1;
    }, 90, path.join(dir, "kubelet.log"));
    return wanted.join(" ");
  };
}

function daemonSet(name: string, app: string, podSpec: Json): Json {
  return {
    metadata: { name, namespace: "kube-system", labels: { app } },
    spec: {
      selector: { matchLabels: { app } },
      template: { metadata: { labels: { app } }, spec: { nodeSelector: { "kubernetes.io/os": "linux" }, terminationGracePeriodSeconds: 2, ...podSpec } },
    },
  };
}

/** The collection an object of the driver's manifests is created in. */
function objectPath(object: Json): string {
  const ns = object.metadata?.namespace ?? "kube-system";
  switch (object.kind) {
    case "ServiceAccount":
      return `/api/v1/namespaces/${ns}/serviceaccounts`;
    case "ClusterRole":
      return "/apis/rbac.authorization.k8s.io/v1/clusterroles";
    case "ClusterRoleBinding":
      return "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings";
    case "Role":
      return `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`;
    case "RoleBinding":
      return `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`;
    default:
      throw new LabError(`the lab does not know where a ${object.kind} goes`);
  }
}

async function create(api: LabNode["api"], collection: string, body: Json): Promise<void> {
  const response = await api("POST", collection, body);
  if (response.status !== 201 && response.status !== 409) throw new LabError(`POST ${collection} (${body.metadata?.name}): ${response.status} ${response.body?.message ?? ""}`);
}
