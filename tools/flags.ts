// Command-line flags for the project's own commands, on Node's util.parseArgs
// (built in, strict): `--name value` pairs and bare `--switch`es, with one-line
// errors that end with the command's usage, and `--help`/`-h` recognized the
// same way by every command.
import { parseArgs } from "util";

/** Bad command-line input; the message is one line and ends with the usage. */
export class UsageError extends Error {}

export interface Flags {
  /** The last value given for a flag. */
  get(flag: string): string | undefined;
  /** Every value given for a repeatable flag, in order. */
  all(flag: string): string[];
  /** Whether a switch was given. */
  has(flag: string): boolean;
}

/** --help or -h anywhere: the command prints its help and does nothing else. */
export function wantsHelp(args: readonly string[]): boolean {
  return args.includes("--help") || args.includes("-h");
}

export function parseFlags(
  args: readonly string[],
  spec: { readonly values: readonly string[]; readonly switches?: readonly string[] },
  usage: string,
): Flags {
  const name = (flag: string) => flag.replace(/^--/, "");
  const options: Record<string, { type: "string" | "boolean"; multiple?: boolean }> = {};
  for (const flag of spec.values) options[name(flag)] = { type: "string", multiple: true };
  for (const flag of spec.switches ?? []) options[name(flag)] = { type: "boolean" };
  // A value that looks like a flag is a forgotten value, not the next flag's name.
  for (let i = 0; i < args.length; i++) {
    if (spec.values.includes(args[i]) && (args[i + 1] === undefined || args[i + 1].startsWith("--"))) {
      throw new UsageError(`${args[i]} needs a value; ${usage}`);
    }
  }
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options, strict: true, allowPositionals: false });
  } catch (error) {
    const unknown = /'([^']+)'/.exec((error as Error).message)?.[1];
    throw new UsageError(`unknown argument ${JSON.stringify(unknown ?? String(args[0]))}; ${usage}`);
  }
  const values = parsed.values as Record<string, string[] | boolean | undefined>;
  return {
    get: (flag) => (values[name(flag)] as string[] | undefined)?.at(-1),
    all: (flag) => [...((values[name(flag)] as string[] | undefined) ?? [])],
    has: (flag) => values[name(flag)] === true,
  };
}

/** A flag's whole number of seconds, 1 or more, or the fallback when it is not given. */
export function seconds(raw: string | undefined, flag: string, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} = ${JSON.stringify(raw)}: must be a whole number of seconds, 1 or more`);
  return n;
}
