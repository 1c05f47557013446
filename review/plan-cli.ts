// `npm run plan -- --env <name> [--env <name>] [--outdir cdktf.out] [--out plan-output]`
//
// For CI with Azure credentials: after `cdktf synth`, plans every stack of the
// named environments with Terraform, upstream first, and writes
// <out>/<stack>.plan.txt (the plan as Terraform prints it, sensitive values
// redacted) and <out>/summaries.json for the pull request comment. Plans run
// without the state lock: they change nothing, and a reviewer's plan must not
// block a deploy.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parseFlags, type Flags } from "../lib/flags";
import { planEnvironments, type PlanRunner } from "./plan";

function terraform(dir: string, args: string[]): string {
  const result = spawnSync("terraform", [`-chdir=${dir}`, ...args], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (result.error) throw new Error(`terraform could not be run: ${result.error.message}`);
  if (result.status !== 0) {
    const lines = result.stderr.split("\n").map((l) => l.replace(/^[│╷╵]\s?/, "").trim()).filter(Boolean);
    throw new Error(lines.find((l) => l.startsWith("Error:")) ?? lines[0] ?? `terraform ${args[0]} exited ${result.status}`);
  }
  return result.stdout;
}

export function main(args: readonly string[]): number {
  let flags: Flags;
  try {
    flags = parseFlags(args, { values: ["--env", "--outdir", "--out"] }, "usage: npm run plan -- --env <name> [--env <name>] [--outdir cdktf.out] [--out plan-output]");
  } catch (error) {
    process.stderr.write(`plan: ${(error as Error).message}\n`);
    return 2;
  }
  const environments = flags.all("--env");
  const outdir = flags.get("--outdir") ?? "cdktf.out";
  const out = flags.get("--out") ?? "plan-output";
  const manifestFile = path.join(outdir, "manifest.json");
  if (!fs.existsSync(manifestFile)) {
    process.stderr.write(`plan: ${manifestFile} not found; run npx cdktf synth first\n`);
    return 2;
  }
  const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8"));
  fs.mkdirSync(out, { recursive: true });
  const runner: PlanRunner = {
    plan(stack) {
      const dir = path.join(outdir, manifest.stacks[stack].workingDirectory);
      terraform(dir, ["init", "-input=false", "-no-color"]);
      terraform(dir, ["plan", "-input=false", "-lock=false", "-no-color", "-out=tfplan"]);
      fs.writeFileSync(path.join(out, `${stack}.plan.txt`), terraform(dir, ["show", "-no-color", "tfplan"]));
      return JSON.parse(terraform(dir, ["show", "-json", "tfplan"]));
    },
  };
  const summaries = planEnvironments(manifest, environments, runner);
  fs.writeFileSync(path.join(out, "summaries.json"), `${JSON.stringify(summaries, null, 2)}\n`);
  for (const s of summaries) {
    const counts = s.status === "failed" ? `failed: ${s.error}` : `${s.add} add, ${s.change} change, ${s.replace} replace, ${s.destroy} destroy`;
    process.stdout.write(`${s.stack}: ${counts}${s.upstreamPending ? " (planned against the deployed upstream outputs)" : ""}\n`);
  }
  return summaries.some((s) => s.status === "failed") ? 1 : 0;
}
