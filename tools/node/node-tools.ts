// Everything the lab's node needs (npm run tools:lab), in a cache outside the
// repository: the Secrets Store CSI driver and its Azure provider built from
// the Go module proxy, the lab's own small programs (tools/node/go/), Debian's
// containerd, runc, CNI plugins and busybox unpacked (nothing installed), and
// two local images. The kubelet comes from the control-plane build
// (tools/cluster/cluster-tools.ts), in the same go build.
import * as crypto from "crypto";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { runCollecting } from "../cache/build-step";
import { toolCacheDir } from "../cache/tool-cache";
import { unpackDebianPackages } from "../cache/debian-packages";
import { ociArchive, type LayerEntry } from "./oci-image";

export const CSI_DRIVER = { module: "sigs.k8s.io/secrets-store-csi-driver", version: "v1.5.4" } as const;
export const AZURE_PROVIDER = { module: "github.com/Azure/secrets-store-csi-driver-provider-azure", version: "v1.7.0" } as const;
/** The proxy serves these modules, but the checksum database answers 404 for them. */
const GONOSUMDB = "sigs.k8s.io,github.com/Azure";
export const DEBIAN_PACKAGES = ["containerd", "runc", "containernetworking-plugins", "busybox-static"] as const;
/**
 * The image names the lab's pods use, each pinned by digest so the kubelet never pulls: the sandbox, the
 * add-on's two, the app. Their registry is loopback's discard port: a pull that happened anyway would
 * be refused there at once, never sent to a DNS server or beyond.
 */
const LAB_REGISTRY = "127.0.0.1:9";
export const IMAGES = {
  pause: `${LAB_REGISTRY}/pause:1`,
  driver: `${LAB_REGISTRY}/secrets-store-csi-driver:${CSI_DRIVER.version}`,
  provider: `${LAB_REGISTRY}/secrets-store-csi-driver-provider-azure:${AZURE_PROVIDER.version}`,
  app: `${LAB_REGISTRY}/configurable:1`,
} as const;

export class LabToolsError extends Error {}

/** $AKSKV_LAB_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/aks-keyvault-cdktf/lab. */
export function labCacheDir(env: NodeJS.ProcessEnv): string {
  return toolCacheDir(env, "AKSKV_LAB_CACHE", "lab");
}

export function labToolPaths(dir: string) {
  const bin = path.join(dir, "bin");
  const debian = path.join(dir, "debian");
  return {
    bin,
    driver: path.join(bin, "secrets-store-csi-driver"),
    provider: path.join(bin, "secrets-store-csi-driver-provider-azure"),
    registrar: path.join(bin, "csi-registrar"),
    pause: path.join(bin, "pause"),
    app: path.join(bin, "configurable"),
    debian,
    containerd: path.join(debian, "usr", "bin", "containerd"),
    containerdShim: path.join(debian, "usr", "bin", "containerd-shim-runc-v2"),
    ctr: path.join(debian, "usr", "bin", "ctr"),
    runc: path.join(debian, "usr", "sbin", "runc"),
    cniBin: path.join(debian, "usr", "lib", "cni"),
    busybox: path.join(debian, "bin", "busybox"),
    manifests: path.join(dir, "manifests"),
    images: path.join(dir, "images"),
    record: path.join(dir, "lab-tools.json"),
  };
}

export interface LabTools {
  readonly paths: ReturnType<typeof labToolPaths>;
  /** image reference -> { archive, digest } */
  readonly images: Record<string, { archive: string; digest: string }>;
  readonly versions: Record<string, string>;
}

/** The built tools, or an error saying how to build them: a lab without them fails, never skips. */
export function loadLabTools(dir: string): LabTools {
  const paths = labToolPaths(dir);
  if (!fs.existsSync(paths.record)) throw new LabToolsError(`no lab tools in ${dir}; run npm run tools:lab`);
  const record = JSON.parse(fs.readFileSync(paths.record, "utf8"));
  const missing = [paths.driver, paths.provider, paths.registrar, paths.containerd, paths.runc, path.join(paths.cniBin, "bridge"), ...Object.values(record.images as Record<string, { archive: string }>).map((i) => i.archive)].filter((f) => !fs.existsSync(f));
  if (missing.length > 0) throw new LabToolsError(`lab tools in ${dir} are incomplete (missing ${missing.map((m) => path.basename(m)).join(", ")}); run npm run tools:lab`);
  return { paths, images: record.images, versions: record.versions };
}

const repo = path.resolve(__dirname, "..");
/** Where this project's lab sources live: tools/node/go (bundled commands run from .build-cache, one folder down). */
function labSources(): string {
  for (const candidate of [path.join(repo, "tools", "node", "go"), path.join(process.cwd(), "tools", "node", "go")]) if (fs.existsSync(path.join(candidate, "go.mod"))) return candidate;
  throw new LabToolsError("tools/node/go (the lab's Go sources) not found");
}

function run(command: string, args: string[], cwd: string, onLine?: (line: string) => void): Promise<string> {
  return runCollecting(command, args, { cwd, env: { ...process.env, GOFLAGS: "-mod=mod", GONOSUMDB, CGO_ENABLED: "0" }, onLine, errorClass: LabToolsError });
}

/** A module's source in the module cache, copied where it can be built (the cache is read-only). */
async function moduleSource(module: string, version: string, work: string): Promise<string> {
  const info = JSON.parse(await run("go", ["mod", "download", "-json", `${module}@${version}`], work));
  if (!info.Dir) throw new LabToolsError(`go mod download ${module}@${version}: ${info.Error ?? "no source"}`);
  const copy = path.join(work, path.basename(module));
  fs.cpSync(info.Dir, copy, { recursive: true });
  for (const file of walk(copy)) fs.chmodSync(file, fs.statSync(file).isDirectory() ? 0o755 : 0o644);
  return copy;
}

function walk(dir: string): string[] {
  return [dir, ...fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]))];
}

async function goBuild(what: string, cwd: string, packages: string[], outdir: string, log: (line: string) => void): Promise<void> {
  const started = Date.now();
  let compiled = 0;
  log(`  compiling ${what} (go build -v; a line every 100 packages)...`);
  await run("go", ["build", "-v", "-trimpath", "-o", `${outdir}/`, ...packages], cwd, () => {
    if (++compiled % 100 === 0) log(`    ${compiled} packages, ${((Date.now() - started) / 1000).toFixed(0)} s`);
  });
  log(`  ${what}: ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

async function buildGoTools(dir: string, log: (line: string) => void): Promise<void> {
  const paths = labToolPaths(dir);
  const work = fs.mkdtempSync(path.join(dir, "build-"));
  const out = path.join(work, "out");
  try {
    log(`Building the Secrets Store CSI driver ${CSI_DRIVER.version}, its Azure provider ${AZURE_PROVIDER.version} and the lab's programs (once; a few minutes with the control plane's Go caches)...`);
    const driver = await moduleSource(CSI_DRIVER.module, CSI_DRIVER.version, work);
    // The one dependency the proxy refuses, replaced by this project's stand-in (tools/node/go/mlog).
    fs.cpSync(path.join(labSources(), "mlog"), path.join(work, "mlog"), { recursive: true });
    await run("go", ["mod", "edit", `-replace=monis.app/mlog=${path.join(work, "mlog")}`], driver);
    await goBuild("secrets-store-csi-driver", driver, ["./cmd/secrets-store-csi-driver"], out, log);
    const provider = await moduleSource(AZURE_PROVIDER.module, AZURE_PROVIDER.version, work);
    await run("go", ["build", "-trimpath", "-o", path.join(out, "secrets-store-csi-driver-provider-azure"), "./cmd"], provider);
    log("  secrets-store-csi-driver-provider-azure: built");
    const lab = path.join(work, "lab");
    fs.cpSync(labSources(), lab, { recursive: true });
    await run("go", ["mod", "tidy"], lab);
    await goBuild("csi-registrar, pause, configurable", lab, ["./cmd/csi-registrar", "./cmd/pause", "./cmd/configurable"], out, log);
    // The driver's CRDs and RBAC, as its release ships them.
    fs.rmSync(paths.manifests, { recursive: true, force: true });
    fs.cpSync(path.join(driver, "manifest_staging", "deploy"), paths.manifests, { recursive: true });
    fs.mkdirSync(paths.bin, { recursive: true });
    for (const name of fs.readdirSync(out)) fs.renameSync(path.join(out, name), path.join(paths.bin, name));
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function unpackDebian(dir: string, log: (line: string) => void): Promise<void> {
  log(`Fetching Debian's ${DEBIAN_PACKAGES.join(", ")} (apt-get download; nothing installed)...`);
  const debs = await unpackDebianPackages(DEBIAN_PACKAGES, labToolPaths(dir).debian, LabToolsError);
  log(`  unpacked ${debs.join(", ")}`);
}

/** A file for an image layer, from this machine. */
const file = (name: string, from: string, mode = 0o755): LayerEntry => ({ name, mode, content: fs.readFileSync(from) });

/** The two local images as OCI archives; their digests are what the lab's config pins. */
function writeImages(dir: string): Record<string, { archive: string; digest: string }> {
  const paths = labToolPaths(dir);
  fs.mkdirSync(paths.images, { recursive: true });
  // busybox for what verify and the lab run in a container (cat, sh); /app/secrets is the mount point.
  const base: LayerEntry[] = [
    ...["bin", "etc", "tmp", "app", "app/secrets", "proc", "sys", "dev"].map((name) => ({ name, mode: name === "tmp" ? 0o1777 : 0o755, directory: true })),
    file("bin/busybox", paths.busybox),
    ...["sh", "cat", "ls", "sleep", "echo", "stat", "id", "md5sum", "sha256sum", "wget", "mount", "umount"].map((applet) => ({ name: `bin/${applet}`, mode: 0o777, link: "busybox" })),
    { name: "etc/passwd", mode: 0o644, content: Buffer.from("root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n") },
    { name: "etc/group", mode: 0o644, content: Buffer.from("root:x:0:\nnobody:x:65534:\n") },
  ];
  const images: Record<string, { archive: string; digest: string }> = {};
  const specs = [
    { ref: IMAGES.pause, entrypoint: ["/pause"], entries: [...base, file("pause", paths.pause)] },
    { ref: IMAGES.driver, entrypoint: ["/secrets-store-csi-driver"], entries: [...base, file("secrets-store-csi-driver", paths.driver), file("csi-registrar", paths.registrar)] },
    { ref: IMAGES.provider, entrypoint: ["/secrets-store-csi-driver-provider-azure"], entries: [...base, file("secrets-store-csi-driver-provider-azure", paths.provider)] },
    { ref: IMAGES.app, entrypoint: ["/configurable"], entries: [...base, file("configurable", paths.app)] },
  ];
  for (const spec of specs) {
    const { archive, digest } = ociArchive(spec.ref, { Entrypoint: spec.entrypoint, Env: ["PATH=/bin"], WorkingDir: "/" }, spec.entries);
    const target = path.join(paths.images, `${spec.ref.split("/").at(-1)!.replace(":", "-")}.tar`);
    fs.writeFileSync(target, archive);
    images[spec.ref] = { archive: target, digest };
  }
  return images;
}

/** Builds or fetches what is missing, then records it; a second run does nothing but check. */
export async function ensureLabTools(dir: string, log: (line: string) => void): Promise<LabTools> {
  const paths = labToolPaths(dir);
  fs.mkdirSync(dir, { recursive: true });
  const sourceHash = crypto.createHash("sha256");
  for (const f of walk(labSources()).filter((f) => fs.statSync(f).isFile()).sort()) sourceHash.update(`${path.relative(labSources(), f)}\0`).update(fs.readFileSync(f));
  const sources = sourceHash.digest("hex").slice(0, 16);
  const previous = fs.existsSync(paths.record) ? JSON.parse(fs.readFileSync(paths.record, "utf8")) : undefined;
  const built = [paths.driver, paths.provider, paths.registrar, paths.pause, paths.app].every((f) => fs.existsSync(f));
  if (!built || previous?.sources !== sources) {
    if (spawnSync("go", ["version"]).error) throw new LabToolsError("go not found on PATH; Go 1.26 or later builds the lab (https://go.dev/dl)");
    await buildGoTools(dir, log);
  }
  if (![paths.containerd, paths.containerdShim, paths.runc, paths.busybox, path.join(paths.cniBin, "bridge")].every((f) => fs.existsSync(f))) await unpackDebian(dir, log);
  const complete = (images: Record<string, { archive: string }> | undefined) => images !== undefined && Object.values(IMAGES).every((ref) => images[ref] && fs.existsSync(images[ref].archive));
  const images = previous?.sources === sources && built && complete(previous.images) ? previous.images : writeImages(dir);
  const version = (binary: string, args: string[]) => spawnSync(binary, args, { encoding: "utf8" }).stdout.split("\n")[0].trim();
  const versions = {
    driver: CSI_DRIVER.version,
    provider: AZURE_PROVIDER.version,
    containerd: version(paths.containerd, ["--version"]),
    runc: version(paths.runc, ["--version"]),
  };
  fs.writeFileSync(paths.record, `${JSON.stringify({ sources, images, versions }, null, 2)}\n`);
  return loadLabTools(dir);
}
