// Builds throwaway projects (config/*.json plus secret files) in a temporary
// directory and synthesizes them exactly as `cdktf synth` does, through
// stacks/synthesize.ts, so tests read the real cdk.tf.json and manifest.json.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

type Synthesize = (projectRoot: string, outdir: string) => { warnings: string[] };

/** stacks/synthesize.ts's synthesize, loaded once per jest worker by __tests__/environment.js. */
function synthesize(projectRoot: string, outdir: string): { warnings: string[] } {
  const inWorker = (globalThis as { __synthesizeInWorker?: Synthesize }).__synthesizeInWorker;
  if (!inWorker) throw new Error("run the tests with jest.config.js (its testEnvironment provides the synth)");
  return inWorker(projectRoot, outdir);
}

/**
 * Runs listener once when the run is ended by signal, on the real process (__tests__/support/environment.js): jest's
 * copy of `process` that a test file sees never fires signal listeners, so the run would die uncleaned.
 */
export function onSignal(signal: "SIGTERM" | "SIGINT", listener: () => void): void {
  const on = (globalThis as { __onSignal?: (s: string, l: () => void) => void }).__onSignal;
  if (!on) throw new Error("run the tests with jest.config.js (its testEnvironment provides the signal listener)");
  on(signal, listener);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

/** A valid environment file, fresh on every call so tests can change it. */
export function baseConfig(env = "dev"): Json {
  return {
    location: "westeurope",
    resourceGroupName: `rg-test-${env}`,
    tags: { environment: env },
    aks: {
      name: `aks-test-${env}`,
      nodeCount: 2,
      vmSize: "Standard_D2s_v5",
      secretRotationInterval: "2m",
    },
    keyVault: {
      name: `kv-test-${env}-01`,
      purgeProtection: false,
      softDeleteRetentionDays: 7,
      // No network section here, so the vault cannot deny public traffic (hardenedConfig does).
      networkDefaultAction: "Allow",
      secrets: [
        {
          objectName: "configurable-secrets",
          objectType: "secret",
          objectAlias: "secret.json",
          contentType: "application/json",
          source: { file: `secrets/${env}/configurable-secret.json` },
        },
      ],
    },
    // As config/dev.json: the public demo, for listed addresses only (hardenedConfig keeps the default ClusterIP).
    apps: [{ namespace: "configurable", image: "sixeyed/configurable:21.04", replicas: 1, service: { type: "LoadBalancer", sourceRanges: ["198.18.0.0/24"] } }],
  };
}

/** A config that meets every policy rule with no waiver: the shape config/prod.json has. */
export function hardenedConfig(env = "prod"): Json {
  const config = baseConfig(env);
  config.network = { addressSpace: "10.42.0.0/16", aksSubnet: "10.42.0.0/20" };
  Object.assign(config.aks, { skuTier: "Standard", apiServerAuthorizedIpRanges: ["198.18.0.0/24"], hostEncryption: true });
  Object.assign(config.keyVault, {
    purgeProtection: true,
    softDeleteRetentionDays: 90,
    networkDefaultAction: "Deny",
    allowedCidrs: ["198.18.0.7"],
  });
  config.apps[0].identity = "workload";
  // As config/prod.json: no address outside the cluster.
  config.apps[0].service = { type: "ClusterIP" };
  return config;
}

const temporaryDirs: string[] = [];

/** A new directory in the system temp folder, removed after the test file (see setup.ts), also when it fails. */
export function tempDir(prefix = "akskv-"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temporaryDirs.push(dir);
  return dir;
}

/** Removes every directory tempDir made in this test file. */
export function removeTempDirs(): void {
  for (const dir of temporaryDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** Writes config/<env>.json for each entry (objects as JSON, strings verbatim) and any extra files. */
export function writeProject(configs: Record<string, Json>, files: Record<string, string> = {}): string {
  const root = tempDir("akskv-");
  fs.mkdirSync(path.join(root, "config"));
  for (const [env, config] of Object.entries(configs)) {
    const text = typeof config === "string" ? config : JSON.stringify(config, null, 2);
    fs.writeFileSync(path.join(root, "config", `${env}.json`), text);
  }
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), content);
  }
  return root;
}

export interface SynthesizedProject {
  readonly warnings: string[];
  readonly root: string;
  readonly outdir: string;
  /** cdk.tf.json of a stack, as text (what cdktf's matchers take). */
  text(stack: string): string;
  /** cdk.tf.json of a stack, parsed. */
  json(stack: string): Json;
  readonly manifest: Json;
}

export function synthProject(configs: Record<string, Json>, files: Record<string, string> = {}): SynthesizedProject {
  const root = writeProject(configs, files);
  const outdir = path.join(root, "cdktf.out");
  const { warnings } = synthesize(root, outdir);
  const text = (stack: string) => fs.readFileSync(path.join(outdir, "stacks", stack, "cdk.tf.json"), "utf8");
  return {
    warnings,
    root,
    outdir,
    text,
    json: (stack) => JSON.parse(text(stack)),
    manifest: JSON.parse(fs.readFileSync(path.join(outdir, "manifest.json"), "utf8")),
  };
}

/**
 * Synthesizes a project folder with one engine's app as its own process: tools/build/app.mjs (CDKTF, the
 * product's install) or tools/build/terrain-app.mjs (CDK Terrain, the second install; npm run tools:cdktn).
 */
export function synthWithEngine(app: "app.mjs" | "terrain-app.mjs", cwd: string, outdir: string): void {
  fs.mkdirSync(path.dirname(outdir), { recursive: true });
  const repo = path.resolve(__dirname, "..", "..");
  const result = spawnSync(process.execPath, [path.join(repo, "tools", "build", app)], { cwd, env: { ...process.env, CDKTF_OUTDIR: outdir, CHECKPOINT_DISABLE: "1" }, encoding: "utf8", timeout: 120_000 });
  if (result.status !== 0) throw new Error(`${app} in ${cwd} failed (${result.status ?? result.signal}): ${(result.stderr || result.stdout).trim().split("\n").slice(-3).join(" | ")}`);
}

/** The one resource of a type and logical ID in a parsed stack. */
export function resource(stack: Json, type: string, id: string): Json {
  const found = stack.resource?.[type]?.[id];
  if (!found) {
    const ids = Object.keys(stack.resource?.[type] ?? {}).join(", ") || "none";
    throw new Error(`no ${type}.${id} in the stack (${type} IDs: ${ids})`);
  }
  return found;
}

/** Every resource of a type in a parsed stack. */
export function resourcesOfType(stack: Json, type: string): Json[] {
  return Object.values(stack.resource?.[type] ?? {});
}

/** Every file under a directory, recursively. */
export function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

/** The terraform_remote_state name and output an expression such as ${data.terraform_remote_state.X.outputs.Y} reads. */
export function remoteStateRead(expression: string): { from: string; output: string } | undefined {
  const match = /^\$\{(?:base64decode\()?data\.terraform_remote_state\.([^.]+)\.outputs\.([^})]+)\)?\}$/.exec(expression);
  return match ? { from: match[1], output: match[2] } : undefined;
}

/** Everything the project's commands need from its root, apart from node_modules. */
const PROJECT_SOURCES = ["main.ts", "cdktf.json", "config", "lib", "constructs", "stacks", "tools", "tsconfig.json", "tsconfig.app.json", "package.json", "package-lock.json"];

/** A copy of this project's sources in a temporary directory, sharing node_modules, to change safely. */
export function copyOfProject(prefix = "akskv-copy-"): string {
  const repo = path.resolve(__dirname, "..", "..");
  const copy = tempDir(prefix);
  for (const entry of PROJECT_SOURCES) fs.cpSync(path.join(repo, entry), path.join(copy, entry), { recursive: true });
  fs.symlinkSync(path.join(repo, "node_modules"), path.join(copy, "node_modules"), "dir");
  return copy;
}

/**
 * Runs a command in a project directory, as cdktf would: outdir in the project,
 * no network checks. A copy of this project reuses this checkout's type-check
 * and bundle while its sources are the same (tools/build/app.mjs).
 */
export function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(command, args, {
    cwd,
    encoding: "utf8",
    env: {
      ...process.env,
      CDKTF_OUTDIR: path.join(cwd, "cdktf.out"),
      CHECKPOINT_DISABLE: "1",
      CI: "true",
      AKSKV_SYNTH_CACHE_FROM: path.resolve(__dirname, "..", "..", ".build-cache"),
      ...env,
    },
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The stacks a project's cdktf.out holds. */
export function stacksIn(root: string): string[] {
  const dir = path.join(root, "cdktf.out", "stacks");
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

/** The environments this checkout ships, from config/*.json: tests of the shipped configs check all of them, whatever they are. */
export function shippedEnvironments(root = path.resolve(__dirname, "..", "..")): string[] {
  return fs.readdirSync(path.join(root, "config")).filter((f) => f.endsWith(".json") && !f.endsWith(".schema.json")).map((f) => f.slice(0, -5)).sort();
}

/** The stacks a project with these environments synthesizes: three per environment, named <kind>-<env>. */
export function stacksOf(environments: readonly string[]): string[] {
  return environments.flatMap((e) => [`aks-${e}`, `app-${e}`, `keyvault-${e}`]).sort();
}

/**
 * The stacks synth writes for a project, derived as stacks/synthesize.ts does: three per environment in
 * config/, and the bootstrap state stack when any environment sets a backend.
 */
export function synthesizedStacksOf(root: string): string[] {
  const environments = shippedEnvironments(root);
  const withBackend = environments.some((env) => JSON.parse(fs.readFileSync(path.join(root, "config", `${env}.json`), "utf8")).backend !== undefined);
  return [...stacksOf(environments), ...(withBackend ? ["bootstrap"] : [])].sort();
}

/**
 * A throwaway self-signed certificate and its RSA key, made with openssl when a test runs, so no private
 * key is ever committed: `pem` is both in one file, as a team imports into Key Vault.
 */
export function selfSignedCertificate(commonName = "web.lab.invalid"): { pem: string; cert: string; key: string } {
  const dir = tempDir("akskv-cert-");
  const [key, cert] = [path.join(dir, "key.pem"), path.join(dir, "cert.pem")];
  const made = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", `/CN=${commonName}`], { encoding: "utf8" });
  if (made.status !== 0) throw new Error(`openssl req failed (${made.error?.message ?? `exit ${made.status}`}): ${made.stderr}`);
  const [k, c] = [fs.readFileSync(key, "utf8"), fs.readFileSync(cert, "utf8")];
  return { pem: `${k}${c}`, cert: c, key: k };
}
