// `npm run ci:runner-access -- open|close --env <name> [--address <IPv4>]`
//
// For environments with ci.hostedRunnerAccess: `open` before the job's first
// Terraform call, `close` in a step that always runs. The address defaults to
// AKSKV_RUNNER_IP, the same value synth admits. Exit 1, with one line per
// problem, if anything could not be opened or closed.
import { reportFailure } from "../command";
import { spawn } from "child_process";
import { ConfigError, loadEnvironments, runnerAddress } from "../../config/load";
import { parseFlags, UsageError, wantsHelp } from "../flags";
import { closeForRunner, openForRunner, type AzureCli } from "./runner-access";

const USAGE = "usage: npm run ci:runner-access -- open|close --env <name> [--address <IPv4>]";

const azureCli: AzureCli = {
  run: (args) =>
    new Promise((resolve) => {
      const child = spawn("az", [...args], { stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c) => (stdout += c));
      child.stderr.on("data", (c) => (stderr += c));
      child.on("error", (error) => resolve({ status: 127, stdout, stderr: `az could not be run: ${error.message}` }));
      child.on("close", (status) => resolve({ status: status ?? 1, stdout, stderr }));
    }),
};

export async function main(args: readonly string[], az: AzureCli = azureCli): Promise<number> {
  if (wantsHelp(args)) {
    process.stdout.write(
      `${USAGE}\n\nFor ci.hostedRunnerAccess: admits (open) or removes (close) the runner's public IPv4 address in the\n` +
        "vault firewall and the API server's authorized ranges. --address defaults to AKSKV_RUNNER_IP.\n",
    );
    return 0;
  }
  const [action, ...rest] = args;
  try {
    if (action?.startsWith("-")) throw new UsageError(`unknown argument ${JSON.stringify(action)}; ${USAGE}`);
    if (action !== "open" && action !== "close") throw new UsageError(`the first argument must be open or close; ${USAGE}`);
    const flags = parseFlags(rest, { values: ["--env", "--address"] }, USAGE);
    const env = flags.get("--env");
    if (!env) throw new UsageError(`--env is required; ${USAGE}`);
    const address = runnerAddress(flags.get("--address") ?? process.env.AKSKV_RUNNER_IP);
    if (!address) throw new UsageError(`no address: pass --address or set AKSKV_RUNNER_IP; ${USAGE}`);
    const config = loadEnvironments(process.cwd()).environments.find((e) => e.environment === env);
    if (!config) throw new UsageError(`no environment ${JSON.stringify(env)} in config/`);
    if (!config.ci.hostedRunnerAccess) throw new UsageError(`${config.file}: ci.hostedRunnerAccess is not true; nothing to ${action}`);
    const log = (line: string) => process.stdout.write(`runner-access: ${line}\n`);
    const problems = await (action === "open" ? openForRunner : closeForRunner)(config, address, az, log);
    for (const line of problems) process.stderr.write(`runner-access: ${line}\n`);
    return problems.length > 0 ? 1 : 0;
  } catch (error) {
    if (!(error instanceof ConfigError) && !(error instanceof UsageError)) throw error;
    return reportFailure("runner-access", error, []);
  }
}
