// Command-line flags for the project's own commands (review, plan, pr-comment,
// rotation-check): `--name value` pairs and bare `--switch`es, with one-line
// errors that end with the command's usage.

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

export function parseFlags(
  args: readonly string[],
  spec: { readonly values: readonly string[]; readonly switches?: readonly string[] },
  usage: string,
): Flags {
  const values = new Map<string, string[]>();
  const switches = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (spec.switches?.includes(arg)) switches.add(arg);
    else if (spec.values.includes(arg)) {
      const value = args[++i];
      if (value === undefined || value.startsWith("--")) throw new UsageError(`${arg} needs a value; ${usage}`);
      values.set(arg, [...(values.get(arg) ?? []), value]);
    } else throw new UsageError(`unknown argument ${JSON.stringify(arg)}; ${usage}`);
  }
  return {
    get: (flag) => values.get(flag)?.at(-1),
    all: (flag) => values.get(flag) ?? [],
    has: (flag) => switches.has(flag),
  };
}
