// `npm run ci:preflight -- --env <name> [--env <name>]... [--github-output <file>]`
//
// The first step of every pipeline that plans, deploys or destroys an
// environment: refuses, one line per problem and exit 1, an environment whose
// state would be lost with the runner or that the runner cannot reach; on
// success prints where each one's jobs run and, with --github-output, appends
// targets=[{"environment": ..., "runs-on": [...], "open-for-runner": ...,
// "kubelogin-mode": ...}] for a matrix, and runs-on=<JSON labels>,
// open-for-runner=<true|false> and kubelogin-mode=<mode> when one environment is named.
import { reportFailure } from "../command";
import * as fs from "fs";
import { ConfigError, loadEnvironments } from "../../config/load";
import { parseFlags, UsageError, type Flags, wantsHelp } from "../flags";
import { preflight } from "./preflight";

const USAGE = "usage: npm run ci:preflight -- --env <name> [--env <name>]... [--github-output <file>]";

export function main(args: readonly string[]): number {
  if (wantsHelp(args)) {
    process.stdout.write(
      `${USAGE}\n\nChecks config/<name>.json before a pipeline job signs in: shared state configured (a backend section),\n` +
        "and a runner that can reach the vault firewall and the API server (ci.runsOn where they admit only listed\n" +
        "addresses). Exit 1 with one line per problem.\n",
    );
    return 0;
  }
  let flags: Flags;
  try {
    flags = parseFlags(args, { values: ["--env", "--github-output"] }, USAGE);
    if (!flags.get("--env")) throw new UsageError(`--env is required; ${USAGE}`);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`preflight: ${error.message}\n`);
    return 2;
  }
  let environments;
  try {
    environments = loadEnvironments(process.cwd()).environments;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return reportFailure("preflight", error, []);
  }
  const targets: { environment: string; "runs-on": readonly string[]; "open-for-runner": boolean; "kubelogin-mode": string }[] = [];
  let failed = false;
  for (const name of flags.all("--env")) {
    const config = environments.find((e) => e.environment === name);
    if (!config) {
      process.stderr.write(`error: no environment ${JSON.stringify(name)} (config/ has ${environments.map((e) => e.environment).join(", ")})\n`);
      failed = true;
      continue;
    }
    const result = preflight(config);
    for (const line of result.problems) process.stderr.write(`error: ${line}\n`);
    if (result.problems.length > 0) failed = true;
    else {
      const opening = result.openForRunner ? "; each job admits the runner's address for its length (ci.hostedRunnerAccess)" : "";
      process.stdout.write(`preflight ${name}: shared state in ${config.backend!.storageAccountName}; jobs run on ${result.runsOn.join(", ")}${opening}\n`);
      targets.push({ environment: name, "runs-on": result.runsOn, "open-for-runner": result.openForRunner, "kubelogin-mode": config.aks.kubeloginMode });
    }
  }
  if (failed) return 1;
  const output = flags.get("--github-output");
  if (output) {
    fs.appendFileSync(output, `targets=${JSON.stringify(targets)}\n`);
    if (targets.length === 1) {
      const [only] = targets;
      fs.appendFileSync(output, `runs-on=${JSON.stringify(only["runs-on"])}\nopen-for-runner=${only["open-for-runner"]}\nkubelogin-mode=${only["kubelogin-mode"]}\n`);
    }
  }
  return 0;
}
