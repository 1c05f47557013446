// Entry point of `cdktf synth` (run through tools/build/app.mjs). Configuration
// enters here, once, validated, and flows down to the stacks as props.
import * as path from "path";
import { ConfigError, runnerAddress } from "./config/load";
import { EXIT } from "./lib/exit-codes";
import { removeSynthesizedStacks, synthesize } from "./stacks/synthesize";

const outdir = process.env.CDKTF_OUTDIR ?? "cdktf.out";
// Set by tools/build/app.mjs: the hash of the app's sources, which keys the validated-config cache.
const sourcesHash = process.env.AKSKV_SOURCES_HASH;
try {
  const { warnings } = synthesize(process.cwd(), outdir, {
    runnerAddress: runnerAddress(process.env.AKSKV_RUNNER_IP),
    validatedCache: sourcesHash ? { file: path.join(process.cwd(), ".build-cache", "validated-configs.json"), key: sourcesHash } : undefined,
  });
  // stdout: cdktf shows what the app writes to stderr as [ERROR], even on success.
  for (const line of warnings) process.stdout.write(`warning: ${line}\n`);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  removeSynthesizedStacks(outdir);
  for (const line of error.problems) process.stderr.write(`error: ${line}\n`);
  process.stderr.write(`${error.problems.length} configuration problem(s); nothing was synthesized\n`);
  process.exit(EXIT.badInput);
}
