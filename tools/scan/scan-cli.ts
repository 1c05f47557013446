// `npm run scan [-- --env <name>]... [--json <file>]`
//
// checkov, the scanner security reviewers run on Terraform, with the project's
// own checks, over every synthesized stack of every environment, with each environment's
// policyWaivers passed to it as skips. Installs the pinned checkov on first use
// (see checkov-run.ts). Exit 1 on a failure no waiver covers, a stale waiver,
// or a stack checkov could not read.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { reportFailure } from "../command";
import { parseFlags, UsageError, wantsHelp } from "../flags";
import { STATE_STACK, stackName } from "../../lib/names";
import { CHECKOV_VERSION, formatVerdict, verdictFails, type ScanOutput } from "./checkov";
import { checkovDir, CheckovError, ensureCheckov } from "./checkov-run";
import { scanTargets, type ScanTarget } from "./scan";

const USAGE = "usage: npm run scan [-- --env <name>]... [--json <file>]";
const HELP = `${USAGE}

Synthesizes config/*.json and runs checkov ${CHECKOV_VERSION} (terraform_json, offline) over
every stack of every environment (or only the --env ones), with checkov's own
checks and the project's (tools/scan/checks/, CKV_AKSKV_n), skipping the checks
each environment waives in its policyWaivers. Prints per environment what passed,
what failed (check, resource, stack) and what was skipped with its reason.
Exit 1 on a failure no waiver covers, a waiver that no longer matches a failure,
a stack checkov could not parse, or a project check checkov could not load.

checkov is installed on first use from PyPI into
  $AKSKV_CHECKOV_CACHE, else \${XDG_CACHE_HOME:-~/.cache}/aks-keyvault-cdktf/checkov-${CHECKOV_VERSION}

  --env <name>   scan only this environment (repeatable)
  --json <file>  also write the verdicts as JSON (for the pull request comment)`;

export async function main(args: readonly string[] = []): Promise<number> {
  if (wantsHelp(args)) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "akskv-scan-"));
  try {
    const flags = parseFlags(args, { values: ["--env", "--json"] }, USAGE);
    const bin = await ensureCheckov(checkovDir(process.env), log);
    const projectRoot = process.cwd();
    log("Synthesizing every environment...");
    const { synthesize } = await import("../../stacks/synthesize");
    const { environments } = synthesize(projectRoot, path.join(outdir, "synth"));
    const known = environments.map((e) => e.config.environment);
    const wanted = flags.all("--env");
    for (const env of wanted) {
      if (!known.includes(env)) throw new UsageError(`--env ${JSON.stringify(env)} is not in config/ (there: ${known.join(", ")}); ${USAGE}`);
    }
    const stackJson = (stack: string) => JSON.parse(fs.readFileSync(path.join(outdir, "synth", "stacks", stack, "cdk.tf.json"), "utf8"));
    const targets: ScanTarget[] = environments
      .filter((e) => wanted.length === 0 || wanted.includes(e.config.environment))
      .map(({ config }) => ({
        environment: config.environment,
        waivers: config.policyWaivers,
        stacks: Object.fromEntries((["aks", "keyvault", "app"] as const).map((kind) => [stackName(kind, config.environment), stackJson(stackName(kind, config.environment))])),
      }));
    // The shared state storage belongs to no one environment: no environment's waivers apply to it.
    if (wanted.length === 0 && fs.existsSync(path.join(outdir, "synth", "stacks", STATE_STACK))) {
      targets.push({ environment: STATE_STACK, waivers: [], stacks: { [STATE_STACK]: stackJson(STATE_STACK) } });
    }
    log(`Running checkov ${CHECKOV_VERSION} over ${targets.map((t) => t.environment).join(", ")}...`);
    const verdicts = await scanTargets(bin, path.join(outdir, "scan"), targets, log);
    for (const verdict of verdicts) log(formatVerdict(verdict));
    const failed = verdicts.some(verdictFails);
    const jsonFile = flags.get("--json");
    if (jsonFile) fs.writeFileSync(jsonFile, `${JSON.stringify({ checkovVersion: CHECKOV_VERSION, verdicts, failed } satisfies ScanOutput, null, 2)}\n`);
    if (failed) process.stderr.write("scan: checkov failures, stale waivers or unread stacks above; fix the stacks or the config, or waive with a reason in policyWaivers\n");
    return failed ? 1 : 0;
  } catch (error) {
    return reportFailure("scan", error, [CheckovError]);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}
