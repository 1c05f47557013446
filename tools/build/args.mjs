// The command line of the plain-JavaScript scripts, on Node's util.parseArgs
// as tools/flags.ts does for the TypeScript commands: --help or -h prints the
// usage and exits 0 before any work; anything unknown exits 2 with the usage.
import { parseArgs } from "node:util";

export function scriptArgs(name, usage, help, { options = {}, positionals = false } = {}) {
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${usage}\n\n${help}\n`);
    process.exit(0);
  }
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: positionals });
  } catch (error) {
    process.stderr.write(`${name}: ${error.message.split("\n")[0]}; ${usage}\n`);
    process.exit(2);
  }
}
