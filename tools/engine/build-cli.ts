// `npm run tools:terraform [-- --help]`
//
// Builds OpenTofu and the azurerm and kubernetes providers the stacks pin from
// source through the Go module proxy, into a cache outside the repository
// (see toolsCacheDir), laid out as a provider mirror for registry.opentofu.org
// and registry.terraform.io, with a CLI config that installs from it only.
// Idempotent: what is built and recorded is not built again. A build goes to a
// temporary path and is renamed into place only when it succeeded, and the
// record (toolchain.json) is written after the binary, so an interrupted run
// leaves nothing a later run trusts.
import { wantsHelp } from "../flags";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import {
  cliConfigText,
  MIN_GO,
  OPENTOFU,
  OPENTOFU_RECIPE,
  PROVIDER_SOURCES,
  readManifest,
  REGISTRY_HOSTS,
  requiredProviders,
  ToolchainError,
  toolchainPaths,
  toolsCacheDir,
  versionAtLeast,
  type BuiltProvider,
  type RequiredProvider,
  type ToolchainManifest,
} from "./toolchain";

const USAGE = "usage: npm run tools:terraform [-- --help]";
const HELP = `${USAGE}

Builds OpenTofu ${OPENTOFU.version} and the providers the stacks pin (read from the
@cdktf/provider-* packages) from source through the Go module proxy into
  $AKSKV_TOOLS_CACHE, else \${XDG_CACHE_HOME:-~/.cache}/aks-keyvault-cdktf/terraform
as a provider mirror plus a CLI config that installs from it only. Needs Go ${MIN_GO}+.
A second run with everything built takes under a second. Where the proxy refuses
a pinned provider release, the nearest version it serves is built instead under
its own version label, and every check says so.`;

/** "go1.26.8" -> [1, 26, 8]. */
export function goVersionParts(text: string): number[] | undefined {
  const match = /go(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)] : undefined;
}

let goChecked = false;

/** Checks Go once, and only when something needs building: a built toolchain needs no Go. */
function checkGo(): void {
  if (goChecked) return;
  goChecked = true;
  const result = spawnSync("go", ["env", "GOVERSION"], { encoding: "utf8" });
  if (result.error) throw new ToolchainError(`go not found on PATH; Go ${MIN_GO} or later builds OpenTofu and the providers (https://go.dev/dl)`);
  const parts = goVersionParts(result.stdout);
  const want = goVersionParts(`go${MIN_GO}`)!;
  if (!parts || !versionAtLeast(parts, want)) {
    throw new ToolchainError(`${result.stdout.trim() || "an unknown Go"} is too old; Go ${MIN_GO} or later builds OpenTofu and the providers (https://go.dev/dl)`);
  }
}

function goEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // GOTOOLCHAIN=local: never download another Go behind the user's back.
  return { ...process.env, GOTOOLCHAIN: "local", GOFLAGS: "-buildvcs=false", ...extra };
}

const minutes = (ms: number) => `${Math.floor(ms / 60000)}m${String(Math.floor((ms % 60000) / 1000)).padStart(2, "0")}s`;

/**
 * Runs one go command, showing which step is running and for how long: a
 * ticking line on a terminal, a line every 30 s otherwise (CI logs).
 */
function runStep(label: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  const started = Date.now();
  const tty = process.stdout.isTTY;
  process.stdout.write(tty ? `  ${label}...` : `  ${label}...\n`);
  const timer = setInterval(
    () => {
      const line = `  ${label}... ${minutes(Date.now() - started)}`;
      process.stdout.write(tty ? `\r${line}` : `${line}\n`);
    },
    tty ? 1000 : 30000,
  );
  return new Promise((resolve, reject) => {
    const child = spawn("go", args, { cwd, env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      clearInterval(timer);
      const done = `  ${label}: ${code === 0 ? "done" : "failed"} in ${minutes(Date.now() - started)}`;
      process.stdout.write(tty ? `\r${done}\n` : `${done}\n`);
      if (code === 0) resolve();
      else {
        const last = stderr.trim().split("\n").filter((l) => !l.startsWith("go: downloading")).slice(-5).join("\n");
        reject(new ToolchainError(`go ${args.join(" ")} failed:\n${last}`));
      }
    });
  });
}

/** Whether the Go module proxy serves module@version (a refused version fails fast, with the proxy's word). */
function proxyServes(module: string, version: string, cwd: string): { ok: boolean; why: string } {
  const result = spawnSync("go", ["mod", "download", "-json", `${module}@${version}`], { cwd, env: goEnv(), encoding: "utf8" });
  if (result.status === 0) return { ok: true, why: "" };
  let why = result.stderr.trim();
  try {
    why = JSON.parse(result.stdout).Error ?? why;
  } catch {
    // not JSON: keep stderr
  }
  // "...: 403 Forbidden\n\tserver response: This module version is not available." without the proxy's address.
  const status = /\b([45]\d\d [A-Z][A-Za-z ]+?)\s*(?:\n|$)/.exec(why)?.[1];
  const response = /server response: ([^\n]+)/.exec(why)?.[1]?.trim();
  const reason = [status, response].filter(Boolean).join(": ") || why.split("\n").at(-1) || "refused";
  return { ok: false, why: reason };
}

function writeAtomically(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.partial`;
  fs.writeFileSync(temporary, content);
  fs.renameSync(temporary, file);
}

/** What an interrupted run left: partial binaries and GOBIN folders, never recorded, so never trusted. */
function removeLeftovers(cacheDir: string): void {
  const paths = toolchainPaths(cacheDir);
  for (const [dir, pattern] of [[path.dirname(paths.tofu), /\.partial$/], [paths.build, /^gobin\./], [cacheDir, /\.partial$/]] as const) {
    if (!fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir).filter((n) => pattern.test(n))) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}

function saveManifest(cacheDir: string, manifest: ToolchainManifest): void {
  writeAtomically(toolchainPaths(cacheDir).manifest, `${JSON.stringify(manifest, null, 2)}\n`);
}

async function buildOpenTofu(cacheDir: string, manifest: ToolchainManifest): Promise<ToolchainManifest> {
  const paths = toolchainPaths(cacheDir);
  const recipe = OPENTOFU_RECIPE;
  if (manifest.opentofu?.recipe === recipe && fs.existsSync(paths.tofu)) {
    process.stdout.write(`OpenTofu ${OPENTOFU.version}: built (${paths.tofu})\n`);
    return manifest;
  }
  checkGo();
  process.stdout.write(`OpenTofu ${OPENTOFU.version}: building from the Go module proxy\n`);
  const work = path.join(paths.build, `opentofu-${OPENTOFU.version}`);
  fs.mkdirSync(work, { recursive: true });
  fs.writeFileSync(path.join(work, "go.mod"), OPENTOFU.wrapperGoMod);
  const partial = `${paths.tofu}.${process.pid}.partial`;
  fs.mkdirSync(path.dirname(partial), { recursive: true });
  const env = goEnv();
  await runStep("resolving OpenTofu's modules", ["get", `${OPENTOFU.module}/cmd/tofu@v${OPENTOFU.version}`], work, env);
  await runStep("compiling tofu", ["build", "-o", partial, "-ldflags", OPENTOFU.ldflags, `${OPENTOFU.module}/cmd/tofu`], work, env);
  fs.renameSync(partial, paths.tofu);
  const next = { ...manifest, opentofu: { version: OPENTOFU.version, recipe } };
  saveManifest(cacheDir, next);
  return next;
}

/** Which module version to build for a pinned release: the release itself, or the stand-in the proxy serves. */
function chooseProviderSource(required: RequiredProvider, work: string): { goVersion: string; version: string; standIn?: string } {
  const source = PROVIDER_SOURCES[required.name];
  const release = source.releases[required.version];
  if (release) {
    const served = proxyServes(source.module, release, work);
    if (served.ok) return { goVersion: release, version: required.version };
    const standIn = `the Go module proxy refuses ${source.module}@${release.slice(0, 7)} (${served.why}); this is ${source.standIn.what}`;
    process.stdout.write(`${required.name} ${required.version}: the Go module proxy refuses commit ${release.slice(0, 7)} (${served.why}); building the stand-in it serves: ${source.standIn.what}\n`);
    return { goVersion: source.standIn.goVersion, version: source.standIn.version, standIn };
  }
  throw new ToolchainError(
    `no commit is known for ${required.name} ${required.version}; add it to PROVIDER_SOURCES in tools/engine/toolchain.ts (known: ${Object.keys(source.releases).join(", ")})`,
  );
}

async function buildProvider(cacheDir: string, manifest: ToolchainManifest, required: RequiredProvider): Promise<ToolchainManifest> {
  const paths = toolchainPaths(cacheDir);
  const source = PROVIDER_SOURCES[required.name];
  const existing = manifest.providers[required.name];
  const inMirror = (p: BuiltProvider) => REGISTRY_HOSTS.every((host) => fs.existsSync(paths.providerBinary(host, p.name, p.version)));
  if (existing && existing.required === required.version && inMirror(existing)) {
    process.stdout.write(`${required.name} ${existing.version}: built${existing.standIn ? ` (stand-in for ${required.version})` : ""}\n`);
    return manifest;
  }
  checkGo();
  const work = path.join(paths.build, "providers");
  fs.mkdirSync(work, { recursive: true });
  const chosen = chooseProviderSource(required, work);
  const recipe = `${source.module}@${chosen.goVersion}`;
  process.stdout.write(`${required.name} ${chosen.version}: building ${recipe}${required.name === "azurerm" ? " (large: about 8 minutes and 5 GB of memory cold on 2 cores)" : ""}\n`);
  const gobin = path.join(paths.build, `gobin.${process.pid}`);
  fs.rmSync(gobin, { recursive: true, force: true });
  try {
    await runStep(`compiling terraform-provider-${required.name}`, ["install", recipe], work, goEnv({ GOBIN: gobin }));
    const built = path.join(gobin, path.basename(source.module));
    const [first, ...others] = REGISTRY_HOSTS.map((host) => paths.providerBinary(host, required.name, chosen.version));
    fs.mkdirSync(path.dirname(first), { recursive: true });
    fs.renameSync(built, first);
    for (const other of others) {
      fs.mkdirSync(path.dirname(other), { recursive: true });
      fs.rmSync(other, { force: true });
      fs.linkSync(first, other); // one copy on disk for both registry hosts
    }
  } finally {
    fs.rmSync(gobin, { recursive: true, force: true });
  }
  const entry: BuiltProvider = { name: required.name, required: required.version, version: chosen.version, standIn: chosen.standIn, recipe };
  const next = { ...manifest, providers: { ...manifest.providers, [required.name]: entry } };
  saveManifest(cacheDir, next);
  return next;
}

export async function main(args: readonly string[]): Promise<number> {
  if (wantsHelp(args)) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (args.length > 0) {
    process.stderr.write(`tools:terraform: unknown argument ${JSON.stringify(args[0])}; ${USAGE}\n`);
    return 2;
  }
  const started = Date.now();
  const cacheDir = toolsCacheDir(process.env);
  try {
    const required = requiredProviders(process.cwd());
    removeLeftovers(cacheDir);
    let manifest = readManifest(cacheDir);
    manifest = await buildOpenTofu(cacheDir, manifest);
    for (const provider of required) manifest = await buildProvider(cacheDir, manifest, provider);
    const paths = toolchainPaths(cacheDir);
    const config = cliConfigText(paths.mirror);
    if (!fs.existsSync(paths.cliConfig) || fs.readFileSync(paths.cliConfig, "utf8") !== config) writeAtomically(paths.cliConfig, config);
    process.stdout.write(`toolchain ready in ${cacheDir} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof ToolchainError)) throw error;
    process.stderr.write(`tools:terraform: ${error.message}\n`);
    return 1;
  }
}
