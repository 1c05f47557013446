// checkov itself: installed once from PyPI, at the pinned version, into a
// Python virtual environment in a cache outside the repository, and run
// offline (no platform key, no download of checks or of newer versions).
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { runCollecting } from "../cache/build-step";
import { toolCacheDir } from "../cache/tool-cache";
import { CHECKOV_VERSION } from "./checkov";
import type { Json } from "./synthesized";

export class CheckovError extends Error {}

/** Where the virtual environment lives: $AKSKV_CHECKOV_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/aks-keyvault-cdktf/checkov-<version>. */
export function checkovDir(env: NodeJS.ProcessEnv): string {
  return toolCacheDir(env, "AKSKV_CHECKOV_CACHE", `checkov-${CHECKOV_VERSION}`);
}

/** Written last by an install that finished: a folder without it is an interrupted install. */
const MARKER = "installed.json";

const binary = (dir: string) => path.join(dir, "bin", "checkov");

/** One install step, showing checkov's own dependencies as they download, then the install; a failure is a CheckovError. */
function run(command: string, args: string[], log: (line: string) => void): Promise<string> {
  const onLine = (raw: string) => {
    const line = raw.trim();
    if ((line.startsWith("Collecting") && !line.includes("(from")) || line.startsWith("Installing collected")) log(`  ${line.slice(0, 100)}`);
  };
  return runCollecting(command, args, { env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: "1" }, onLine, errorClass: CheckovError });
}

/**
 * The path of the pinned checkov, installing it first when the cache has no
 * finished install. A venv cannot be moved once made, so it is made in place
 * and trusted only once its marker is written; a leftover without one is
 * removed and made again.
 */
export async function ensureCheckov(dir: string, log: (line: string) => void): Promise<string> {
  if (fs.existsSync(path.join(dir, MARKER)) && fs.existsSync(binary(dir))) return binary(dir);
  const python = spawnSync("python3", ["-c", "import sys, venv; print('%d.%d' % sys.version_info[:2])"], { encoding: "utf8" });
  if (python.error || python.status !== 0) {
    throw new CheckovError("python3 with the venv module is needed to install checkov (Debian: apt install python3 python3-venv)");
  }
  const started = Date.now();
  log(`Installing checkov ${CHECKOV_VERSION} from PyPI into ${dir} (once; about 30 s)...`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  try {
    await run("python3", ["-m", "venv", dir], log);
    await run(path.join(dir, "bin", "pip"), ["install", "--no-input", `checkov==${CHECKOV_VERSION}`], log);
    const version = spawnSync(binary(dir), ["--version"], { encoding: "utf8", env: checkovEnv() }).stdout.trim();
    if (version !== CHECKOV_VERSION) throw new CheckovError(`the installed checkov reports version ${JSON.stringify(version)}, not ${CHECKOV_VERSION}`);
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  fs.writeFileSync(path.join(dir, MARKER), `${JSON.stringify({ version: CHECKOV_VERSION, python: python.stdout.trim() })}\n`);
  log(`checkov ${CHECKOV_VERSION} installed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return binary(dir);
}

/** Offline: no update check, no check download, no platform. */
function checkovEnv(): NodeJS.ProcessEnv {
  return { ...process.env, CKV_SKIP_PACKAGE_UPDATE_CHECK: "true", BC_SKIP_MAPPING: "TRUE", LOG_LEVEL: "WARNING" };
}

/**
 * This project's own checks (tools/scan/checks/), beside this module in the source tree or beside the
 * bundle run-ts makes of it (.build-cache/ at the project root).
 */
export function customChecksDir(): string {
  const candidates = [path.resolve(__dirname, "checks"), path.resolve(__dirname, "..", "tools", "scan", "checks")];
  const found = candidates.find((dir) => fs.existsSync(path.join(dir, "__init__.py")));
  if (!found) throw new CheckovError(`the project's checkov checks are missing: no __init__.py in ${candidates.join(" or ")}`);
  return found;
}

export interface CheckovSelection {
  /** Checks not to run (--skip-check). */
  readonly skip?: readonly string[];
  /** Only these checks (--check). */
  readonly only?: readonly string[];
}

/** checkov's arguments for one folder of stack copies. */
export function checkovArgs(dir: string, selection: CheckovSelection): string[] {
  const args = ["-d", dir, "--framework", "terraform_json", "--skip-download", "-o", "json", "--compact", "--external-checks-dir", customChecksDir()];
  if (selection.skip && selection.skip.length > 0) args.push("--skip-check", selection.skip.join(","));
  if (selection.only && selection.only.length > 0) args.push("--check", selection.only.join(","));
  return args;
}

/** Runs checkov over a folder and returns its JSON report; exit 1 only means "a check failed". */
export function runCheckov(bin: string, dir: string, selection: CheckovSelection): Promise<{ report: Json; exitCode: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, checkovArgs(dir, selection), { stdio: ["ignore", "pipe", "pipe"], env: checkovEnv() });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", (error) => reject(new CheckovError(`checkov could not start: ${error.message}`)));
    child.on("close", (code) => {
      // checkov logs a custom check it cannot load and goes on without it: that check would pass unseen.
      const unloaded = /Cannot load external check '([^']+)'/.exec(stderr);
      if (unloaded) {
        reject(new CheckovError(`checkov could not load the project's check ${unloaded[1]} (tools/scan/checks/): ${stderr.trim().split("\n").at(-1) ?? ""}`));
        return;
      }
      if (code !== 0 && code !== 1) {
        reject(new CheckovError(`checkov failed on ${dir} (exit ${code}): ${stderr.trim().split("\n").at(-1) ?? ""}`));
        return;
      }
      try {
        resolve({ report: JSON.parse(stdout), exitCode: code });
      } catch {
        reject(new CheckovError(`checkov printed no JSON report for ${dir}: ${(stderr || stdout).trim().split("\n").at(-1) ?? ""}`));
      }
    });
  });
}
