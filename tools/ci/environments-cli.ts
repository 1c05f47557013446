// `npm run ci:environments [-- --only <JSON list>] [--github-output <file>]`
//
// The environments config/ holds, split by ci.protected, for the deploy
// workflow's matrices: unprotected ones first, then the protected ones. With
// --only, just those (the ones a push changed); a name config/ does not hold
// is an error.
import { reportFailure } from "../command";
import * as fs from "fs";
import { ConfigError, loadEnvironments } from "../../config/load";
import { parseFlags, UsageError, wantsHelp } from "../flags";

const USAGE = "usage: npm run ci:environments [-- --only <JSON list>] [--github-output <file>]";

export function main(args: readonly string[]): number {
  if (wantsHelp(args)) {
    process.stdout.write(`${USAGE}\n\nPrints {"unprotected": [...], "protected": [...]}: the environments in config/ split by ci.protected.\n`);
    return 0;
  }
  try {
    const flags = parseFlags(args, { values: ["--only", "--github-output"] }, USAGE);
    const all = loadEnvironments(process.cwd()).environments;
    let only: string[] | undefined;
    if (flags.get("--only") !== undefined) {
      try {
        only = JSON.parse(flags.get("--only")!);
      } catch {
        throw new UsageError(`--only must be a JSON list of names such as ["dev"]; ${USAGE}`);
      }
      if (!Array.isArray(only)) throw new UsageError(`--only must be a JSON list of names such as ["dev"]; ${USAGE}`);
      const unknown = only.filter((name) => !all.some((e) => e.environment === name));
      if (unknown.length > 0) throw new UsageError(`no environment ${unknown.join(", ")} (config/ has ${all.map((e) => e.environment).join(", ")})`);
    }
    const chosen = all.filter((e) => !only || only.includes(e.environment));
    const split = {
      unprotected: chosen.filter((e) => !e.ci.protected).map((e) => e.environment),
      protected: chosen.filter((e) => e.ci.protected).map((e) => e.environment),
    };
    process.stdout.write(`${JSON.stringify(split)}\n`);
    const output = flags.get("--github-output");
    if (output) fs.appendFileSync(output, `unprotected=${JSON.stringify(split.unprotected)}\nprotected=${JSON.stringify(split.protected)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) return reportFailure("environments", error, []);
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`environments: ${error.message}\n`);
    return 2;
  }
}
