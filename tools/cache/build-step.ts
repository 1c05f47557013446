// Runs an install or build step (go, pip, apt-get) to its end, for the tool
// caches: progress line by line while it runs, and on failure one error with
// the last lines it printed, which is where such tools say what went wrong.
import { spawn } from "child_process";

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Each line the command prints, on stdout or stderr, as it comes. */
  readonly onLine?: (line: string) => void;
  /** The error class a failure is reported as (the caller's, so its command reports it as expected). */
  readonly errorClass?: new (message: string) => Error;
}

/** Resolves with the command's stdout; rejects when it cannot start or exits non-zero. */
export function runCollecting(command: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  const fail = (message: string) => new (options.errorClass ?? Error)(message);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let tail = "";
    // A line can arrive in two chunks; each stream keeps its unfinished one.
    const partial = { stdout: "", stderr: "" };
    const take = (stream: "stdout" | "stderr") => (chunk: Buffer) => {
      const text = chunk.toString();
      if (stream === "stdout") stdout += text;
      tail = (tail + text).slice(-3000);
      const lines = (partial[stream] + text).split("\n");
      partial[stream] = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) options.onLine?.(line);
    };
    child.stdout.on("data", take("stdout"));
    child.stderr.on("data", take("stderr"));
    child.on("error", (error) => reject(fail(`${command} could not start: ${error.message}`)));
    child.on("close", (code) => {
      for (const rest of Object.values(partial)) if (rest.trim()) options.onLine?.(rest);
      if (code === 0) resolve(stdout);
      else reject(fail(`${command} ${args.join(" ")} failed (exit ${code})${options.cwd ? ` in ${options.cwd}` : ""}: ${tail.trim().split("\n").slice(-3).join(" ")}`));
    });
  });
}
