// How the project's commands end: one exit-code table for every npm script,
// (lib/exit-codes.ts), and on an error one line each.
import { ConfigError } from "../config/load";
import { EXIT } from "../lib/exit-codes";
import { parseFlags, UsageError, wantsHelp } from "./flags";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ErrorClass = new (...args: any[]) => Error;


/**
 * Reports a command's failure on stderr and returns its exit code: 2 for a bad
 * config or bad usage, 1 for a failure the command expects (one of
 * `expected`), 1 with "unexpected:" for anything else.
 */
export function reportFailure(command: string, error: unknown, expected: readonly ErrorClass[]): number {
  if (error instanceof ConfigError) {
    for (const line of error.problems) process.stderr.write(`error: ${line}\n`);
    process.stderr.write(`${command}: ${error.problems.length} configuration problem(s); nothing was done\n`);
    return EXIT.badInput;
  }
  if (error instanceof UsageError) {
    process.stderr.write(`${command}: ${error.message}\n`);
    return EXIT.badInput;
  }
  const known = expected.some((kind) => error instanceof kind);
  process.stderr.write(`${command}: ${known ? (error as Error).message : `unexpected: ${(error as Error).message}`}\n`);
  return EXIT.failed;
}

/** The wall clock, for commands that wait. */
export const wallClock = { now: () => Date.now(), sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)) };

/**
 * A `tools:*` command: `--help`, no other flag, the build's progress lines on stdout, one line when ready,
 * and reportFailure's exit codes. `help` follows the usage line; `build` returns the ready line.
 */
export function toolsCommand(name: string, help: string, expected: readonly ErrorClass[], build: (log: (line: string) => void) => Promise<string>) {
  const usage = `usage: npm run ${name} [-- --help]`;
  return async (args: readonly string[] = []): Promise<number> => {
    if (wantsHelp(args)) {
      process.stdout.write(`${usage}\n\n${help}`);
      return 0;
    }
    try {
      parseFlags(args, { values: [] }, usage);
      const log = (line: string) => process.stdout.write(`${line}\n`);
      log(await build(log));
      return 0;
    } catch (error) {
      return reportFailure(name, error, expected);
    }
  };
}
