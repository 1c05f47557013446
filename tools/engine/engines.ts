// Running a Terraform engine (OpenTofu from the toolchain; Terraform too where
// >= 1.11 is on PATH) over synthesized stacks, each in a working directory of
// its own beside cdktf.out/stacks, installing providers from the mirror only.
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { REQUIRED_TERRAFORM } from "../../lib/terraform-version";
import { adaptStack } from "./newer-provider";
import { versionAtLeast, type BuiltProvider, type Toolchain } from "./toolchain";

export interface Engine {
  readonly name: "tofu" | "terraform";
  readonly binary: string;
  readonly version: string;
  readonly env: NodeJS.ProcessEnv;
}

/** The minimum Terraform version, from the stacks' own required_version (">= 1.11.0"). */
const MIN_TERRAFORM = REQUIRED_TERRAFORM.replace(/^>=\s*/, "").split(".").map(Number);

const atLeast = (version: string, want: readonly number[]) => versionAtLeast(version.split(".").map((part) => parseInt(part, 10) || 0), want);

/**
 * The environment every engine call gets: the project's own CLI config (never
 * the user's, nor a TF_CLI_CONFIG_FILE that names a missing file), no
 * version-check calls home, no shared plugin cache.
 */
export function engineEnv(toolchain: Toolchain, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...base,
    TF_CLI_CONFIG_FILE: toolchain.cliConfig,
    TOFU_CLI_CONFIG_FILE: toolchain.cliConfig,
    CHECKPOINT_DISABLE: "1",
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
  };
  delete env.TF_PLUGIN_CACHE_DIR;
  delete env.TF_DATA_DIR;
  return env;
}

/** OpenTofu always; Terraform as well when a version the stacks accept is on PATH. `notes` says what was left out and why. */
export function findEngines(toolchain: Toolchain, base: NodeJS.ProcessEnv): { engines: Engine[]; notes: string[] } {
  const env = engineEnv(toolchain, base);
  const tofu: Engine = { name: "tofu", binary: toolchain.tofu, version: engineVersion(toolchain.tofu, env) ?? "?", env };
  const notes: string[] = [];
  const terraformVersion = engineVersion("terraform", env);
  if (!terraformVersion) return { engines: [tofu], notes: ["terraform: not on PATH; OpenTofu only"] };
  if (!atLeast(terraformVersion, MIN_TERRAFORM)) {
    return { engines: [tofu], notes: [`terraform ${terraformVersion}: older than the stacks' ${REQUIRED_TERRAFORM}; OpenTofu only`] };
  }
  notes.push(`terraform ${terraformVersion} on PATH: checked with it too`);
  return { engines: [tofu, { name: "terraform", binary: "terraform", version: terraformVersion, env }], notes };
}

/**
 * The engine a person has on PATH: $TERRAFORM_BINARY_NAME (as cdktf reads
 * it), else terraform, else tofu, at the version the stacks require, with
 * providers from the public registry. A one-line reason when there is none.
 * A TF_CLI_CONFIG_FILE naming a missing file is dropped rather than warned
 * about on every call.
 */
export function engineOnPath(base: NodeJS.ProcessEnv): Engine | string {
  const env: NodeJS.ProcessEnv = { ...base, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1", TF_INPUT: "0" };
  if (env.TF_CLI_CONFIG_FILE && !fs.existsSync(env.TF_CLI_CONFIG_FILE)) delete env.TF_CLI_CONFIG_FILE;
  const candidates = base.TERRAFORM_BINARY_NAME ? [base.TERRAFORM_BINARY_NAME] : ["terraform", "tofu"];
  for (const binary of candidates) {
    const version = engineVersion(binary, env);
    if (!version) continue;
    if (!atLeast(version, MIN_TERRAFORM)) return `${binary} ${version} is older than the stacks' ${REQUIRED_TERRAFORM}; see README`;
    return { name: path.basename(binary).startsWith("tofu") ? "tofu" : "terraform", binary, version, env };
  }
  return `terraform (${REQUIRED_TERRAFORM}) or tofu not found on PATH; see README`;
}

function engineVersion(binary: string, env: NodeJS.ProcessEnv): string | undefined {
  const result = spawnSync(binary, ["version", "-json"], { env, encoding: "utf8" });
  if (result.error || result.status !== 0) return undefined;
  try {
    return JSON.parse(result.stdout).terraform_version;
  } catch {
    return undefined;
  }
}

/**
 * Fills a working directory for one stack: a copy of its JSON, adapted where
 * the mirror holds a stand-in, and an override naming the stand-ins' versions
 * (tools/engine/newer-provider.ts). The directory must sit at the same depth below a
 * project root as cdktf.out/stacks/<stack>, so the stack's relative paths
 * (secret files, local state) resolve against that root. Returns the
 * adaptations made, one line each.
 */
export function prepareWorkDir(stackFile: string, dir: string, providers: readonly BuiltProvider[]): string[] {
  const original = fs.readFileSync(stackFile, "utf8");
  const { stack, versions, changes } = adaptStack(JSON.parse(original), providers);
  fs.mkdirSync(dir, { recursive: true });
  writeIfChanged(path.join(dir, "cdk.tf.json"), changes.length > 0 ? JSON.stringify(stack, null, 2) : original);
  const overrideFile = path.join(dir, "stand_in_override.tf.json");
  if (versions) writeIfChanged(overrideFile, versions);
  else fs.rmSync(overrideFile, { force: true });
  return changes;
}

function writeIfChanged(file: string, content: string): void {
  if (fs.existsSync(file) && fs.readFileSync(file, "utf8") === content) return;
  fs.writeFileSync(file, content);
}

export interface EngineRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the engine in a directory, asynchronously, so two stacks can run at once on two cores. */
export function runEngine(engine: Engine, dir: string, args: readonly string[], env: NodeJS.ProcessEnv = engine.env): Promise<EngineRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(engine.binary, [`-chdir=${dir}`, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status: status ?? 1, stdout, stderr }));
  });
}

/**
 * `init -backend=false` (providers from the engine's CLI config: the mirror, or the registry), skipped when the directory was initialized for the
 * same configuration already (the lock file is newer than every .tf.json).
 */
export async function initWithoutBackend(engine: Engine, dir: string): Promise<void> {
  const lock = path.join(dir, ".terraform.lock.hcl");
  if (fs.existsSync(lock) && fs.existsSync(path.join(dir, ".terraform"))) {
    const lockTime = fs.statSync(lock).mtimeMs;
    // A test file's run blocks may load modules, which only init installs.
    const loadsModules = (f: string) => f.endsWith(".tftest.hcl") && /\bmodule\s*\{/.test(fs.readFileSync(path.join(dir, f), "utf8"));
    const configs = fs.readdirSync(dir).filter((f) => f.endsWith(".tf.json") || loadsModules(f));
    if (configs.every((f) => fs.statSync(path.join(dir, f)).mtimeMs <= lockTime)) return;
  }
  const result = await runEngine(engine, dir, ["init", "-backend=false", "-input=false", "-no-color"]);
  if (result.status !== 0) throw new Error(`${engine.name} init failed in ${dir}: ${firstError(result.stderr || result.stdout)}`);
}

/** The first "Error: ..." line of an engine's human output, with its detail. */
export function firstError(text: string): string {
  const lines = text.split("\n").map((l) => l.replace(/^[│╷╵]\s?/, "").trim()).filter(Boolean);
  const at = lines.findIndex((l) => l.startsWith("Error:"));
  return at < 0 ? (lines[0] ?? "(no output)") : lines.slice(at, at + 3).join(" ");
}

/** Runs tasks at most `limit` at a time, keeping their order in the result. */
export async function inParallel<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
