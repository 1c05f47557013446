// `npm run plan -- --env <name> [--env <name>] [--outdir cdktf.out] [--out plan-output]`
//
// For CI with Azure credentials: after `cdktf synth`, plans every stack of the
// named environments with the engine on PATH ($TERRAFORM_BINARY_NAME, else
// terraform, else tofu), upstream first, and writes <out>/<stack>.plan.txt
// (the plan as the engine prints it, sensitive values redacted) and
// <out>/summaries.json for the pull request comment. Plans run without the
// state lock: they change nothing, and a reviewer's plan must not block a deploy.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { engineOnPath, type Engine } from "../engine/engines";
import { parseFlags, UsageError, wantsHelp } from "../flags";
import { environmentOf, STACK_KINDS } from "../../lib/names";
import { inScope, planEnvironments, type PlanSummary, type PlanRunner } from "./plan";

const USAGE = "usage: npm run plan -- --env <name> [--env <name>] [--kind aks|keyvault|app ...] [--outdir cdktf.out] [--out plan-output]";

/** Runs the engine in a stack's directory; on failure throws with the engine's whole error, not only its first line. */
function runEngine(engine: Engine, dir: string, args: string[]): string {
  const result = spawnSync(engine.binary, [`-chdir=${dir}`, ...args], { encoding: "utf8", env: engine.env, maxBuffer: 256 * 1024 * 1024 });
  if (result.error) throw new Error(`${engine.name} could not be run: ${result.error.message}`);
  if (result.status !== 0) {
    const lines = result.stderr.split("\n").map((l) => l.replace(/^[│╷╵]\s?/, "").trim()).filter(Boolean);
    const from = lines.findIndex((l) => l.startsWith("Error:"));
    throw new Error((from < 0 ? lines : lines.slice(from)).join(" ") || `${engine.name} ${args[0]} exited ${result.status}`);
  }
  return result.stdout;
}

export function main(args: readonly string[]): number {
  if (wantsHelp(args)) {
    process.stdout.write(`${USAGE}\n\nPlans every stack of the named environments, upstream first, after npx cdktf synth. Needs Azure credentials\nand terraform (>= 1.11) or tofu on PATH. With --kind, only those stacks, added to the summaries an earlier\nrun left in --out (the pull-request workflow plans the app stack after a fresh sign-in this way).\n`);
    return 0;
  }
  let environments: string[];
  let kinds: string[];
  let outdir: string;
  let out: string;
  let manifest;
  try {
    const flags = parseFlags(args, { values: ["--env", "--outdir", "--out", "--kind"] }, USAGE);
    environments = flags.all("--env");
    kinds = flags.all("--kind");
    const badKind = kinds.find((k) => !(STACK_KINDS as readonly string[]).includes(k));
    if (badKind !== undefined) throw new UsageError(`--kind ${JSON.stringify(badKind)}: must be aks, keyvault or app; ${USAGE}`);
    if (environments.length === 0) throw new UsageError(`--env is required; ${USAGE}`);
    outdir = flags.get("--outdir") ?? "cdktf.out";
    out = flags.get("--out") ?? "plan-output";
    const manifestFile = path.join(outdir, "manifest.json");
    if (!fs.existsSync(manifestFile)) throw new UsageError(`${manifestFile} not found; run npx cdktf synth first`);
    manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8"));
    const known = [...new Set(Object.keys(manifest.stacks).filter((s) => s !== "bootstrap").map(environmentOf))].sort();
    const unknown = environments.filter((e) => !known.includes(e));
    if (unknown.length > 0) throw new UsageError(`no environment ${unknown.join(", ")} in ${manifestFile} (it has ${known.join(", ")})`);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`plan: ${error.message}\n`);
    return 2;
  }
  const engine = engineOnPath(process.env);
  if (typeof engine === "string") {
    process.stderr.write(`plan: ${engine}\n`);
    return 1;
  }
  fs.mkdirSync(out, { recursive: true });
  const summariesFile = path.join(out, "summaries.json");
  const earlier: PlanSummary[] = kinds.length > 0 && fs.existsSync(summariesFile) ? JSON.parse(fs.readFileSync(summariesFile, "utf8")) : [];
  const total = Object.keys(manifest.stacks).filter((s) => inScope(s, environments, kinds)).length;
  let done = 0;
  const runner: PlanRunner = {
    plan(stack) {
      process.stdout.write(`planning ${stack} (${++done} of ${total}) with ${engine.name} ${engine.version}...\n`);
      const dir = path.join(outdir, manifest.stacks[stack].workingDirectory);
      runEngine(engine, dir, ["init", "-input=false", "-no-color"]);
      runEngine(engine, dir, ["plan", "-input=false", "-lock=false", "-no-color", "-out=tfplan"]);
      fs.writeFileSync(path.join(out, `${stack}.plan.txt`), runEngine(engine, dir, ["show", "-no-color", "tfplan"]));
      return JSON.parse(runEngine(engine, dir, ["show", "-json", "tfplan"]));
    },
  };
  const summaries = planEnvironments(manifest, environments, runner, kinds.length > 0 ? { kinds, earlier } : {});
  fs.writeFileSync(summariesFile, `${JSON.stringify(summaries, null, 2)}\n`);
  for (const s of summaries.filter((x) => inScope(x.stack, environments, kinds))) {
    const counts = s.status === "failed" ? `failed: ${s.error}` : s.status === "waits" ? String(s.error) : `${s.add} add, ${s.change} change, ${s.replace} replace, ${s.destroy} destroy`;
    process.stdout.write(`${s.stack}: ${counts}${s.upstreamPending ? " (planned against the deployed upstream outputs)" : ""}\n`);
  }
  return summaries.some((s) => s.status === "failed") ? 1 : 0;
}
