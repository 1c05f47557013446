// A local Kubernetes control plane for the app stack's checks: kube-apiserver,
// kube-controller-manager and (for the lab) kube-scheduler and the kubelet, built from
// source through the Go module proxy in one go build, and etcd from Debian's
// package, all in a cache outside the repository.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { runCollecting } from "../cache/build-step";
import { unpackDebianPackages } from "../cache/debian-packages";
import { toolCacheDir } from "../cache/tool-cache";

/**
 * 1.34: a minor AKS supports (its standard support runs into 2026) that the
 * kubernetes provider's client talks to. Its staging modules (k8s.io/api,
 * ...) are published as v0.34.x.
 */
export const KUBERNETES = { version: "1.34.4", staging: "0.34.4" } as const;
export const ETCD_PACKAGE = "etcd-server";

export class ClusterToolsError extends Error {}

/** $AKSKV_CLUSTER_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/aks-keyvault-cdktf/cluster. */
export function clusterCacheDir(env: NodeJS.ProcessEnv): string {
  return toolCacheDir(env, "AKSKV_CLUSTER_CACHE", "cluster");
}

export interface ClusterTools {
  readonly apiserver: string;
  readonly controllerManager: string;
  /** Built with the control plane (one go build shares the compile); the lab's node runs them. */
  readonly kubelet: string;
  readonly scheduler: string;
  readonly etcd: string;
  readonly kubernetesVersion: string;
  readonly etcdVersion: string;
}

export function clusterToolPaths(dir: string) {
  const k8s = path.join(dir, `kubernetes-${KUBERNETES.version}`);
  return {
    k8s,
    apiserver: path.join(k8s, "kube-apiserver"),
    controllerManager: path.join(k8s, "kube-controller-manager"),
    kubelet: path.join(k8s, "kubelet"),
    scheduler: path.join(k8s, "kube-scheduler"),
    etcdRoot: path.join(dir, "etcd"),
    etcd: path.join(dir, "etcd", "usr", "bin", "etcd"),
    manifest: path.join(dir, "cluster-tools.json"),
  };
}

/** The built tools, or an error saying how to build them: a check without them fails, never skips. */
export function loadClusterTools(dir: string): ClusterTools {
  const paths = clusterToolPaths(dir);
  const missing = [paths.apiserver, paths.controllerManager, paths.kubelet, paths.scheduler, paths.etcd, paths.manifest].filter((file) => !fs.existsSync(file));
  if (missing.length > 0) {
    throw new ClusterToolsError(`no local control plane in ${dir} (missing ${missing.map((m) => path.basename(m)).join(", ")}); run npm run tools:cluster`);
  }
  const manifest = JSON.parse(fs.readFileSync(paths.manifest, "utf8"));
  return { apiserver: paths.apiserver, controllerManager: paths.controllerManager, kubelet: paths.kubelet, scheduler: paths.scheduler, etcd: paths.etcd, kubernetesVersion: manifest.kubernetes, etcdVersion: manifest.etcd };
}

/** The wrapper module: k8s.io/kubernetes itself, with each staging module it requires at v0.0.0 replaced by its published release. */
export function wrapperGoMod(kubernetesGoMod: string): string {
  const staging = [...kubernetesGoMod.matchAll(/^\s+(k8s\.io\/[\w.-]+) v0\.0\.0$/gm)].map((m) => m[1]);
  if (staging.length === 0) throw new ClusterToolsError("k8s.io/kubernetes's go.mod names no staging module at v0.0.0; the recipe no longer applies");
  return [
    "module akskv.local/kube-control-plane",
    "",
    "go 1.26",
    "",
    `require k8s.io/kubernetes v${KUBERNETES.version}`,
    "",
    ...staging.map((module) => `replace ${module} => ${module} v${KUBERNETES.staging}`),
    "",
  ].join("\n");
}

/** One build step in the cache (GOFLAGS=-mod=mod lets go complete the wrapper's go.mod); a failure is a ClusterToolsError. */
function run(command: string, args: string[], cwd: string, onLine?: (line: string) => void): Promise<string> {
  return runCollecting(command, args, { cwd, env: { ...process.env, GOFLAGS: "-mod=mod" }, onLine, errorClass: ClusterToolsError });
}

async function buildKubernetes(dir: string, log: (line: string) => void): Promise<void> {
  const paths = clusterToolPaths(dir);
  const work = fs.mkdtempSync(path.join(dir, "build-"));
  try {
    const started = Date.now();
    log(`Building kube-apiserver, kube-controller-manager, kube-scheduler and kubelet ${KUBERNETES.version} from the Go module proxy (once; about 5-20 minutes on 2 cores)...`);
    const info = JSON.parse(await run("go", ["mod", "download", "-json", `k8s.io/kubernetes@v${KUBERNETES.version}`], work));
    if (!info.GoMod) throw new ClusterToolsError(`go mod download k8s.io/kubernetes@v${KUBERNETES.version}: ${info.Error ?? "no go.mod"}`);
    fs.writeFileSync(path.join(work, "go.mod"), wrapperGoMod(fs.readFileSync(info.GoMod, "utf8")));
    fs.writeFileSync(
      path.join(work, "tools.go"),
      '//go:build tools\n\npackage tools\n\nimport (\n\t_ "k8s.io/kubernetes/cmd/kube-apiserver"\n\t_ "k8s.io/kubernetes/cmd/kube-controller-manager"\n\t_ "k8s.io/kubernetes/cmd/kube-scheduler"\n\t_ "k8s.io/kubernetes/cmd/kubelet"\n)\n',
    );
    log("  resolving modules (go mod tidy)...");
    await run("go", ["mod", "tidy"], work);
    let compiled = 0;
    log("  compiling (go build -v; a line every 200 packages)...");
    // The version the server reports (discovery, /version): what a plain module build leaves as v0.0.0-master.
    const [major, minor] = KUBERNETES.version.split(".");
    const ldflags = [`gitVersion=v${KUBERNETES.version}`, `gitMajor=${major}`, `gitMinor=${minor}`, "gitTreeState=clean"].map((v) => `-X k8s.io/component-base/version.${v}`).join(" ");
    const commands = ["k8s.io/kubernetes/cmd/kube-apiserver", "k8s.io/kubernetes/cmd/kube-controller-manager", "k8s.io/kubernetes/cmd/kube-scheduler", "k8s.io/kubernetes/cmd/kubelet"];
    await run("go", ["build", "-v", "-trimpath", "-ldflags", ldflags, "-o", `${work}/`, ...commands], work, () => {
      if (++compiled % 200 === 0) log(`  ${compiled} packages compiled, ${((Date.now() - started) / 1000).toFixed(0)} s`);
    });
    fs.mkdirSync(paths.k8s, { recursive: true });
    for (const name of ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet"]) fs.renameSync(path.join(work, name), path.join(paths.k8s, name));
    log(`  built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function unpackEtcd(dir: string, log: (line: string) => void): Promise<void> {
  log(`Fetching Debian's ${ETCD_PACKAGE} package (apt-get download; no install, nothing outside the cache)...`);
  const debs = await unpackDebianPackages([ETCD_PACKAGE], clusterToolPaths(dir).etcdRoot, ClusterToolsError);
  log(`  unpacked ${debs.join(", ")}`);
}

/** Builds or fetches what is missing, then records the versions; a second run does nothing. */
export async function ensureClusterTools(dir: string, log: (line: string) => void): Promise<ClusterTools> {
  const paths = clusterToolPaths(dir);
  fs.mkdirSync(dir, { recursive: true });
  if (![paths.apiserver, paths.controllerManager, paths.kubelet, paths.scheduler].every((file) => fs.existsSync(file))) {
    if (spawnSync("go", ["version"]).error) throw new ClusterToolsError("go not found on PATH; Go 1.26 or later builds kube-apiserver (https://go.dev/dl)");
    await buildKubernetes(dir, log);
  }
  if (!fs.existsSync(paths.etcd)) await unpackEtcd(dir, log);
  const version = (binary: string, args: string[]) => spawnSync(binary, args, { encoding: "utf8" }).stdout.trim();
  const kubernetes = version(paths.apiserver, ["--version"]);
  const etcd = /etcd Version: (\S+)/.exec(version(paths.etcd, ["--version"]))?.[1] ?? "unknown";
  fs.writeFileSync(paths.manifest, `${JSON.stringify({ kubernetes, etcd }, null, 2)}\n`);
  return loadClusterTools(dir);
}
