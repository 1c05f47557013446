// `npm run validate [-- --outdir cdktf.out] [--no-synth] [--stack <name>]... [--registry]`
//
// Synthesizes, then runs `init -backend=false` (providers from the local mirror,
// no network) and `validate -json` for every stack with OpenTofu, and with
// Terraform as well where >= 1.11 is on PATH: the engine's own checks
// (references, types, functions) and the providers' (enumerations, ranges,
// conflicting attributes). One line per stack and engine, the diagnostics
// under it with the block path, and a summary; exit 1 on any error, or on any
// warning not accepted in tools/engine/accepted.ts. With --registry (machines that
// reach the Terraform registry, such as GitHub's runners): Terraform from PATH
// with the pinned providers from the registry, no toolchain needed.
//
// Each engine works in <outdir>/validate/<engine>/stacks/<stack>, so the
// stacks' "../../../secrets/..." paths resolve into <outdir>/validate, where
// placeholder files stand in for the secret files: validate needs a file to
// exist, never its value, and never reads secrets/.
import { reportFailure } from "../command";
import * as fs from "fs";
import * as path from "path";
import { ConfigError } from "../../config/load";
import { parseFlags, UsageError, type Flags, wantsHelp } from "../flags";
import { acceptedBy, ACCEPTED_DIAGNOSTICS, diagnosticContext, type AcceptedDiagnostic, type EngineDiagnostic } from "./accepted";
import { findEngines, inParallel, initWithoutBackend, prepareWorkDir, engineOnPath, runEngine, type Engine } from "./engines";
import { describeProviders, loadToolchain, ToolchainError, toolsCacheDir, type BuiltProvider } from "./toolchain";

const USAGE = "usage: npm run validate [-- --outdir cdktf.out] [--no-synth] [--stack <name>]... [--registry]";
const HELP = `${USAGE}

Synthesizes config/*.json (unless --no-synth), then validates every stack in
<outdir>/stacks (or only the --stack ones) with OpenTofu from the toolchain that
npm run tools:terraform builds, and with Terraform too where >= 1.11 is on PATH.
Providers install from the local mirror only. Exit 1 on any error, and on any
warning that tools/engine/accepted.ts does not accept with a reason.

  --registry   Terraform (>= 1.11) or OpenTofu from PATH with the pinned providers
               from the registry, for machines that reach it (GitHub runners).`;

const PLACEHOLDER = "placeholder written by npm run validate: validate needs the file to exist, not its value\n";

export interface StackResult {
  readonly stack: string;
  readonly engine: Engine["name"];
  readonly failing: EngineDiagnostic[];
  readonly accepted: { diagnostic: EngineDiagnostic; by: AcceptedDiagnostic }[];
  /** What was adapted for a stand-in provider (tools/engine/newer-provider.ts). */
  readonly adapted: string[];
  /** init or the engine itself failed before it could validate. */
  readonly error?: string;
}

/** One diagnostic on one line: severity, block path, the engine's or provider's message, and the offending source line. */
export function formatDiagnostic(d: EngineDiagnostic): string {
  const where = diagnosticContext(d);
  const detail = d.detail ? `: ${d.detail.replace(/\s+/g, " ").trim()}` : "";
  const code = d.snippet?.code?.trim().replace(/,$/, "");
  return `${d.severity}: ${where ? `${where}: ` : ""}${d.summary}${detail}${code ? `  [${code}]` : ""}`;
}

/** Writes a placeholder for every file() the stack reads that resolves inside the validate root. */
function placeholderFiles(dir: string, json: string, workRoot: string): void {
  for (const [, relative] of json.matchAll(/file\(\\"([^"\\]+)\\"\)/g)) {
    const file = path.resolve(dir, relative);
    if (!file.startsWith(workRoot + path.sep) || fs.existsSync(file)) continue;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, PLACEHOLDER);
  }
}

interface Setup {
  readonly engines: Engine[];
  readonly providers: readonly BuiltProvider[];
  readonly lines: string[];
}

async function validateStack(outdir: string, stack: string, engine: Engine, setup: Setup): Promise<StackResult> {
  const workRoot = path.join(outdir, "validate");
  const dir = path.join(workRoot, engine.name, "stacks", stack);
  const adapted = prepareWorkDir(path.join(outdir, "stacks", stack, "cdk.tf.json"), dir, setup.providers);
  placeholderFiles(dir, fs.readFileSync(path.join(dir, "cdk.tf.json"), "utf8"), workRoot);
  const base = { stack, engine: engine.name, adapted };
  try {
    await initWithoutBackend(engine, dir);
  } catch (error) {
    return { ...base, failing: [], accepted: [], error: (error as Error).message };
  }
  const result = await runEngine(engine, dir, ["validate", "-json", "-no-color"]);
  let report: { diagnostics?: EngineDiagnostic[] };
  try {
    report = JSON.parse(result.stdout);
  } catch {
    return { ...base, failing: [], accepted: [], error: `${engine.name} validate printed no JSON: ${result.stderr.trim().split("\n")[0]}` };
  }
  const standIns = new Set(setup.providers.filter((p) => p.standIn).map((p) => p.name));
  const failing: EngineDiagnostic[] = [];
  const accepted: StackResult["accepted"] = [];
  for (const diagnostic of report.diagnostics ?? []) {
    const by = acceptedBy(diagnostic, standIns);
    if (by) accepted.push({ diagnostic, by });
    else failing.push(diagnostic);
  }
  return { ...base, failing, accepted };
}

/** The engines and providers to validate with: the toolchain's, or Terraform with the registry's. */
function setupFor(registry: boolean): Setup {
  if (registry) {
    const engine = engineOnPath(process.env);
    if (typeof engine === "string") throw new ToolchainError(engine);
    return { engines: [engine], providers: [], lines: [`engines: ${engine.name} ${engine.version}`, "providers: the pinned releases, from the registry"] };
  }
  const toolchain = loadToolchain(process.cwd(), toolsCacheDir(process.env));
  const { engines, notes } = findEngines(toolchain, process.env);
  return {
    engines,
    providers: toolchain.providers,
    lines: [
      `engines: ${engines.map((e) => `${e.name} ${e.version}`).join(", ")}${notes.length ? ` (${notes.join("; ")})` : ""}`,
      `providers: ${describeProviders(toolchain.providers)}`,
    ],
  };
}

export function stackLine(r: StackResult, width: number): string {
  const name = `${r.stack.padEnd(width)}  ${r.engine.padEnd(9)}`;
  if (r.error) return `${name}  failed: ${r.error}`;
  const errors = r.failing.filter((d) => d.severity === "error").length;
  const warnings = r.failing.length - errors;
  const gaps = r.accepted.length > 0 ? ` (${r.accepted.length} accepted, see below)` : "";
  if (r.failing.length === 0) return `${name}  valid${gaps}`;
  return `${name}  ${errors} error(s), ${warnings} warning(s)${gaps}`;
}

function stacksIn(outdir: string): string[] {
  const manifestFile = path.join(outdir, "manifest.json");
  if (!fs.existsSync(manifestFile)) throw new UsageError(`${manifestFile} not found; run npx cdktf synth first or leave out --no-synth`);
  return Object.keys(JSON.parse(fs.readFileSync(manifestFile, "utf8")).stacks).sort();
}

export async function main(args: readonly string[]): Promise<number> {
  if (wantsHelp(args)) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  let flags: Flags;
  try {
    flags = parseFlags(args, { values: ["--outdir", "--stack"], switches: ["--no-synth", "--registry"] }, USAGE);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return reportFailure("validate", error, []);
  }
  const outdir = path.resolve(flags.get("--outdir") ?? "cdktf.out");
  const started = Date.now();
  // A bad config is reported before a missing toolchain: it is the cheaper fix.
  if (!flags.has("--no-synth")) {
    try {
      // Loaded only now: cdktf and the providers cost about 0.2 s that --help and --no-synth need not pay.
      const { synthesize } = await import("../../stacks/synthesize");
      synthesize(process.cwd(), outdir);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      return reportFailure("validate", error, []);
    }
  }
  let setup: Setup;
  try {
    setup = setupFor(flags.has("--registry"));
  } catch (error) {
    if (!(error instanceof ToolchainError)) throw error;
    return reportFailure("validate", error, [ToolchainError]);
  }
  let stacks: string[];
  try {
    stacks = stacksIn(outdir);
    const unknown = flags.all("--stack").filter((s) => !stacks.includes(s));
    if (unknown.length > 0) throw new UsageError(`no stack ${unknown.join(", ")} in ${outdir} (stacks: ${stacks.join(", ")})`);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`validate: ${error.message}\n`);
    return 2;
  }
  if (flags.all("--stack").length > 0) stacks = stacks.filter((s) => flags.all("--stack").includes(s));

  for (const line of setup.lines) process.stdout.write(`${line}\n`);
  const { engines } = setup;
  const standIns = new Set(setup.providers.filter((p) => p.standIn).map((p) => p.name));
  const jobs = engines.flatMap((engine) => stacks.map((stack) => ({ engine, stack })));
  // Two at a time: the machines this runs on have two cores, and azurerm's schema load is CPU-bound.
  const results = await inParallel(jobs, 2, ({ engine, stack }) => validateStack(outdir, stack, engine, setup));

  const width = Math.max(...stacks.map((s) => s.length));
  for (const r of results) {
    process.stdout.write(`${stackLine(r, width)}\n`);
    for (const d of r.failing) process.stdout.write(`    ${formatDiagnostic(d)}\n`);
  }
  const adapted = [...new Set(results.flatMap((r) => r.adapted.map((a) => `${r.stack}: ${a}`)))];
  if (adapted.length > 0) {
    process.stdout.write(`\nadapted for the stand-in providers (tools/engine/newer-provider.ts; the synthesized stacks are unchanged):\n`);
    for (const line of adapted) process.stdout.write(`  ${line}\n`);
  }
  const accepted = results.flatMap((r) => r.accepted.map((a) => ({ ...a, stack: r.stack, engine: r.engine })));
  if (accepted.length > 0) {
    process.stdout.write(`\naccepted (tools/engine/accepted.ts):\n`);
    for (const a of accepted) process.stdout.write(`  ${a.stack} ${a.engine}: ${formatDiagnostic(a.diagnostic)}\n    because: ${a.by.reason}\n`);
  }
  const used = new Set(accepted.map((a) => a.by));
  const stale = ACCEPTED_DIAGNOSTICS.filter((a) => !used.has(a) && (a.when === "always" || standIns.size > 0));
  if (stale.length > 0 && flags.all("--stack").length === 0) {
    process.stdout.write(`\nnot matched in this run (stale, or for stacks not synthesized here):\n`);
    for (const a of stale) process.stdout.write(`  ${a.severity} ${a.context} ${a.message}: ${a.reason}\n`);
  }
  const bad = results.filter((r) => r.error || r.failing.length > 0);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `\n${results.length - bad.length} of ${results.length} stack validations passed (${stacks.length} stacks x ${engines.length} engine(s)) in ${seconds} s\n`,
  );
  return bad.length > 0 ? 1 : 0;
}
