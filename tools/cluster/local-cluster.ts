// A throwaway Kubernetes control plane on loopback: etcd, kube-apiserver with
// RBAC and static tokens, and kube-controller-manager (Deployments make
// ReplicaSets make Pods; namespaces finalize). No scheduler, kubelet or cloud
// controller: a caller that needs pods ready or a load balancer address plays
// those parts (see CloudAndKubelet).
import { spawn, type ChildProcess } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import type { ClusterTools } from "./cluster-tools";

export class LocalClusterError extends Error {}

export interface LocalCluster {
  /** https://127.0.0.1:<port> */
  readonly host: string;
  /** PEM of the CA that signed the API server's serving certificate. */
  readonly caPem: string;
  /** A token in system:masters: for the test's own setup and checks only. */
  readonly adminToken: string;
  /** A token for "deployer", which has only what RBAC grants it. */
  readonly deployerToken: string;
  /** A token for "planner" (a pull request's plan identity), which has only what RBAC grants it. */
  readonly plannerToken: string;
  /** The folder its processes keep their files in (certificates, the service-account key). */
  readonly dir: string;
  /** Public half of the key the API server signs service-account tokens with (PEM). */
  readonly serviceAccountPublicKey: string;
  /** Stops every process it started and removes its folder; safe to call twice. */
  stop(): Promise<void>;
}

/** What the lab's node adds to the plain control plane. */
export interface LocalClusterOptions {
  /** The service-account issuer (what a workload identity's federated credential trusts). */
  readonly issuer?: string;
  readonly extraApiServerArgs?: readonly string[];
  /** Also run kube-scheduler (pods of a Deployment need a node). */
  readonly scheduler?: string;
  readonly controllers?: string;
  /**
   * A hosts file the API server alone sees (its own mount namespace), e.g.
   * mapping the lab's node name to 127.0.0.1; the machine's /etc/hosts is never touched.
   */
  readonly apiServerHosts?: string;
}

/** A command run in a private mount namespace where hostsFile is /etc/hosts. */
export function withPrivateHosts(hostsFile: string, binary: string, args: readonly string[]): [string, string[]] {
  return ["unshare", ["-m", "--propagation", "private", "sh", "-c", 'mount --bind "$0" /etc/hosts && exec "$@"', hostsFile, binary, ...args]];
}

/** A port nothing listens on at the moment, on a loopback address. */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A process whose output goes to <dir>/<name>.log. */
export function startProcess(name: string, binary: string, args: string[], dir: string, env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const log = fs.openSync(path.join(dir, `${name}.log`), "w");
  const child = spawn(binary, args, { stdio: ["ignore", log, log], env });
  fs.closeSync(log);
  return child;
}

/** SIGTERM, then SIGKILL after a grace period; resolves once it has exited. */
export function stopProcess(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

const tail = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim().split("\n").slice(-3).join(" | ") : "(no log)");

/** Polls until check() is true; fails naming what did not come up and the last lines of its log. */
async function waitFor(what: string, check: () => Promise<boolean>, child: ChildProcess, logFile: string, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new LocalClusterError(`${what} exited with ${child.exitCode}: ${tail(logFile)}`);
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new LocalClusterError(`${what} did not come up within ${seconds} s: ${tail(logFile)}`);
}

/** Starts the control plane in dir (made and removed by the caller's stop()). */
export async function startLocalCluster(tools: ClusterTools, dir: string, options: LocalClusterOptions = {}): Promise<LocalCluster> {
  fs.mkdirSync(dir, { recursive: true });
  const children: ChildProcess[] = [];
  const stop = async () => {
    for (const child of children.reverse()) await stopProcess(child);
    children.length = 0;
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcd = startProcess("etcd", tools.etcd, [
      "--name=local",
      `--data-dir=${path.join(dir, "etcd-data")}`,
      `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=local=http://127.0.0.1:${etcdPeer}`,
    ], dir);
    children.push(etcd);
    await waitFor("etcd", async () => (await fetch(`http://127.0.0.1:${etcdClient}/health`)).ok, etcd, path.join(dir, "etcd.log"), 30);

    const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    fs.writeFileSync(path.join(dir, "sa.key"), privateKey.export({ type: "pkcs8", format: "pem" }));
    fs.writeFileSync(path.join(dir, "sa.pub"), publicKey.export({ type: "spki", format: "pem" }));
    const adminToken = crypto.randomBytes(24).toString("hex");
    const deployerToken = crypto.randomBytes(24).toString("hex");
    const plannerToken = crypto.randomBytes(24).toString("hex");
    fs.writeFileSync(path.join(dir, "tokens.csv"), `${adminToken},admin,admin,"system:masters"\n${deployerToken},deployer,deployer\n${plannerToken},planner,planner\n`);

    const apiserverArgs = [
      `--etcd-servers=http://127.0.0.1:${etcdClient}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${apiPort}`,
      `--cert-dir=${path.join(dir, "certs")}`,
      `--token-auth-file=${path.join(dir, "tokens.csv")}`,
      "--authorization-mode=RBAC",
      `--service-account-issuer=${options.issuer ?? "https://kubernetes.default.svc"}`,
      `--service-account-key-file=${path.join(dir, "sa.pub")}`,
      `--service-account-signing-key-file=${path.join(dir, "sa.key")}`,
      "--service-cluster-ip-range=10.0.0.0/16",
      ...(options.extraApiServerArgs ?? []),
    ];
    const apiserver = startProcess("kube-apiserver", ...(options.apiServerHosts ? withPrivateHosts(options.apiServerHosts, tools.apiserver, apiserverArgs) : ([tools.apiserver, apiserverArgs] as [string, string[]])), dir);
    children.push(apiserver);
    const host = `https://127.0.0.1:${apiPort}`;
    const certFile = path.join(dir, "certs", "apiserver.crt");
    await waitFor("kube-apiserver", async () => fs.existsSync(certFile) && (await apiGet(host, fs.readFileSync(certFile, "utf8"), adminToken, "/readyz")) === 200, apiserver, path.join(dir, "kube-apiserver.log"), 90);
    const caPem = fs.readFileSync(certFile, "utf8");

    const kubeconfig = path.join(dir, "controller-manager.kubeconfig");
    fs.writeFileSync(kubeconfig, kubeconfigText(host, caPem, adminToken));
    const controllerManager = startProcess("kube-controller-manager", tools.controllerManager, [
      `--kubeconfig=${kubeconfig}`,
      `--controllers=${options.controllers ?? "deployment,replicaset,namespace,garbagecollector"}`,
      "--leader-elect=false",
      "--secure-port=0",
      // Publishes kube-root-ca.crt in every namespace, which every pod's API token volume reads.
      `--root-ca-file=${certFile}`,
    ], dir);
    children.push(controllerManager);
    if (options.scheduler) {
      children.push(startProcess("kube-scheduler", options.scheduler, [`--kubeconfig=${kubeconfig}`, "--leader-elect=false", "--secure-port=0"], dir));
    }
    const serviceAccountPublicKey = fs.readFileSync(path.join(dir, "sa.pub"), "utf8");
    return { host, caPem, adminToken, deployerToken, plannerToken, dir, serviceAccountPublicKey, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Status code of a GET against the API server, trusting only its own CA. */
function apiGet(host: string, caPem: string, token: string, urlPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const https = require("https") as typeof import("https");
    const request = https.get(`${host}${urlPath}`, { ca: caPem, headers: { Authorization: `Bearer ${token}` } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on("error", reject);
  });
}

export function kubeconfigText(host: string, caPem: string, token: string): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "local", cluster: { server: host, "certificate-authority-data": Buffer.from(caPem).toString("base64") } }],
    users: [{ name: "user", user: { token } }],
    contexts: [{ name: "local", context: { cluster: "local", user: "user" } }],
    "current-context": "local",
  });
}
