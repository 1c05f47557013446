// `npm run policy`: synthesizes every environment of the project into a
// temporary directory, checks it against the policy rules, prints each
// environment's report (waivers with their reasons) and exits 1 on any
// violation or stale waiver. Part of `npm test`.
import { reportFailure } from "../command";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError } from "../../config/load";
import { wantsHelp } from "../flags";
import { evaluatePolicy, formatReport, reportFails } from "./evaluate";
import { readSynthesizedEnvironment } from "./read";

const USAGE = "usage: npm run policy";

/** The command: returns 1 on any violation or stale waiver. */
export async function main(args: readonly string[] = []): Promise<number> {
  if (wantsHelp(args)) {
    process.stdout.write(`${USAGE}\n\nChecks every environment in config/ against the policy rules (docs/security.md) and lists its waivers.\nExit 1 on a violation or a stale waiver.\n`);
    return 0;
  }
  if (args.length > 0) {
    process.stderr.write(`policy: unknown argument ${JSON.stringify(args[0])}; ${USAGE}\n`);
    return 2;
  }
  const projectRoot = process.cwd();
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "akskv-policy-"));
  try {
    // Loaded once the arguments are read: cdktf and the providers cost about 0.2 s that --help need not pay.
    const { synthesize } = await import("../../stacks/synthesize");
    const { environments } = synthesize(projectRoot, outdir);
    let failed = false;
    for (const { config } of environments) {
      const report = evaluatePolicy(readSynthesizedEnvironment(outdir, projectRoot, config));
      process.stdout.write(`${formatReport(report)}\n`);
      failed ||= reportFails(report);
    }
    if (failed) process.stderr.write("policy: violations or stale waivers above; fix the config or the stacks, or waive with a reason\n");
    return failed ? 1 : 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return reportFailure("policy", error, []);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}
