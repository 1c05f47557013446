// `npm run validate [-- --outdir cdktf.out] [--no-synth] [--stack <name>]...`
//
// Synthesizes, then runs `init -backend=false` (providers from the local mirror,
// no network) and `validate -json` for every stack with OpenTofu, and with
// Terraform as well where >= 1.11 is on PATH: the engine's own checks
// (references, types, functions) and the providers' (enumerations, ranges,
// conflicting attributes). One line per stack and engine, the diagnostics
// under it with the block path, and a summary; exit 1 on any error, or on any
// warning not accepted in engine/accepted.ts.
import * as fs from "fs";
import * as path from "path";
import { ConfigError } from "../config/load";
import { parseFlags, UsageError, type Flags } from "../lib/flags";
import { synthesize } from "../lib/synth";
import { acceptedBy, ACCEPTED_DIAGNOSTICS, diagnosticContext, type AcceptedDiagnostic, type EngineDiagnostic } from "./accepted";
import { findEngines, inParallel, initFromMirror, prepareWorkDir, runEngine, type Engine } from "./engines";
import { describeProviders, loadToolchain, ToolchainError, toolsCacheDir, type Toolchain } from "./toolchain";

const USAGE = "usage: npm run validate [-- --outdir cdktf.out] [--no-synth] [--stack <name>]...";
const HELP = `${USAGE}

Synthesizes config/*.json (unless --no-synth), then validates every stack in
<outdir>/stacks (or only the --stack ones) with OpenTofu from the toolchain that
npm run tools:terraform builds, and with Terraform too where >= 1.11 is on PATH.
Providers install from the local mirror only. Exit 1 on any error, and on any
warning that engine/accepted.ts does not accept with a reason.`;

export interface StackResult {
  readonly stack: string;
  readonly engine: Engine["name"];
  readonly failing: EngineDiagnostic[];
  readonly accepted: { diagnostic: EngineDiagnostic; by: AcceptedDiagnostic }[];
  /** init or the engine itself failed before it could validate. */
  readonly error?: string;
}

/** One diagnostic on one line: severity, block path, the engine's or provider's message, and the offending source line. */
export function formatDiagnostic(d: EngineDiagnostic): string {
  const where = diagnosticContext(d);
  const detail = d.detail ? `: ${d.detail.replace(/\s+/g, " ").trim()}` : "";
  const code = d.snippet?.code?.trim();
  return `${d.severity}: ${where ? `${where}: ` : ""}${d.summary}${detail}${code ? `  [${code}]` : ""}`;
}

async function validateStack(outdir: string, stack: string, engine: Engine, toolchain: Toolchain, standIns: ReadonlySet<string>): Promise<StackResult> {
  const dir = prepareWorkDir(outdir, stack, engine, toolchain);
  try {
    await initFromMirror(engine, dir);
  } catch (error) {
    return { stack, engine: engine.name, failing: [], accepted: [], error: (error as Error).message };
  }
  const result = await runEngine(engine, dir, ["validate", "-json", "-no-color"]);
  let report: { diagnostics?: EngineDiagnostic[] };
  try {
    report = JSON.parse(result.stdout);
  } catch {
    return { stack, engine: engine.name, failing: [], accepted: [], error: `${engine.name} validate printed no JSON: ${result.stderr.trim().split("\n")[0]}` };
  }
  const failing: EngineDiagnostic[] = [];
  const accepted: StackResult["accepted"] = [];
  for (const diagnostic of report.diagnostics ?? []) {
    const by = acceptedBy(diagnostic, standIns);
    if (by) accepted.push({ diagnostic, by });
    else failing.push(diagnostic);
  }
  return { stack, engine: engine.name, failing, accepted };
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
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  let flags: Flags;
  let toolchain: Toolchain;
  try {
    flags = parseFlags(args, { values: ["--outdir", "--stack"], switches: ["--no-synth"] }, USAGE);
    toolchain = loadToolchain(process.cwd(), toolsCacheDir(process.env));
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof ToolchainError)) throw error;
    process.stderr.write(`validate: ${error.message}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
  const outdir = path.resolve(flags.get("--outdir") ?? "cdktf.out");
  const started = Date.now();
  if (!flags.has("--no-synth")) {
    try {
      synthesize(process.cwd(), outdir);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const line of error.problems) process.stderr.write(`error: ${line}\n`);
      process.stderr.write(`validate: ${error.problems.length} configuration problem(s); nothing was validated\n`);
      return 1;
    }
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

  const { engines, notes } = findEngines(toolchain, process.env);
  const standIns = new Set(toolchain.providers.filter((p) => p.standIn).map((p) => p.name));
  process.stdout.write(`engines: ${engines.map((e) => `${e.name} ${e.version}`).join(", ")}${notes.length ? ` (${notes.join("; ")})` : ""}\n`);
  process.stdout.write(`providers: ${describeProviders(toolchain.providers)}\n`);

  const jobs = engines.flatMap((engine) => stacks.map((stack) => ({ engine, stack })));
  // Two at a time: the machines this runs on have two cores, and azurerm's schema load is CPU-bound.
  const results = await inParallel(jobs, 2, ({ engine, stack }) => validateStack(outdir, stack, engine, toolchain, standIns));

  const width = Math.max(...stacks.map((s) => s.length));
  for (const r of results) {
    process.stdout.write(`${stackLine(r, width)}\n`);
    for (const d of r.failing) process.stdout.write(`    ${formatDiagnostic(d)}\n`);
  }
  const accepted = results.flatMap((r) => r.accepted.map((a) => ({ ...a, stack: r.stack, engine: r.engine })));
  if (accepted.length > 0) {
    process.stdout.write(`\naccepted (engine/accepted.ts):\n`);
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
