// Every command line users and the pipeline run: each `npx cdktf ...` and
// `npm run ...` in the workflows' run steps, the README, `help` and docs/
// (fenced blocks, inline code, help's command column), with its file and line,
// split into words as the shell would and with the environment filled in.
// documented-commands.commands.test.ts runs them as far as they get without a toolchain,
// documented-commands.terraform.test.ts the cdktf ones on to the Azure sign-in.
import * as fs from "fs";
import * as path from "path";
import { load } from "js-yaml";
import { shippedEnvironments, type Json } from "../support/helpers";

const repo = path.resolve(__dirname, "..", "..");

export interface DocumentedCommand {
  /** Where it is written: "docs/ci.md:42". */
  readonly where: string;
  /** The line as written. */
  readonly text: string;
  /** The environment it was filled in with (or the one it names). */
  readonly environment: string;
  /** Environment assignments before the command (TERRAFORM_BINARY_NAME=tofu). */
  readonly assignments: Record<string, string>;
  /** The words, placeholders filled in: ["npx", "cdktf", "deploy", "*-dev"] or ["npm", "run", "verify", "--", ...]. */
  readonly argv: string[];
}

/** Values for the workflows' shell variables and the docs' placeholders; one that is not here fails the collection. */
export function placeholders(environment: string, files: { output: string; valueFile: string }): Record<string, string> {
  return {
    ENVIRONMENT: environment,
    "<env>": environment,
    "<name>": environment,
    // A review's base: the workflows' refs; the docs say main.
    BASE_REF: "HEAD",
    BEFORE: "HEAD",
    GITHUB_OUTPUT: files.output,
    address: "198.51.100.7",
    args: `--env ${environment}`,
    "plans[@]": "",
    NO_PLAN: "no environment changed",
    RUN_URL: "https://github.invalid/run",
    "<file>": files.valueFile,
    "<ip>": "198.51.100.7",
    "<ref>": "main",
    F: files.valueFile,
  };
}

/**
 * Where a command of ours starts in a line of shell: at a command position (the
 * line's start, after ; | & ( or then/else/do), outside quotes.
 */
function commandIn(line: string): string | undefined {
  for (const match of line.matchAll(/(?:[A-Z_][A-Z0-9_]*=\S+\s+)*(?:npx cdktf|npm run)\s/g)) {
    const before = line.slice(0, match.index);
    const quotes = (before.match(/"/g) ?? []).length + (before.match(/'/g) ?? []).length;
    if (quotes % 2 === 0 && /(^|[;|&(]|\b(then|else|do))\s*$/.test(before)) return line.slice(match.index).trim();
  }
  return undefined;
}

/**
 * Splits one shell command into words: quotes, $VAR and ${VAR} (from vars),
 * stopping at the first unquoted |, ||, &&, ;, >, ) or #. Throws on a variable it has no value for.
 */
export function shellWords(line: string, vars: Record<string, string>): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  const add = (text: string) => (word = (word ?? "") + text);
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else add(c);
      continue;
    }
    if (c === "$" && /[{A-Za-z_]/.test(line[i + 1] ?? "")) {
      const match = /^\$(?:\{([^}]+)\}|([A-Za-z_]\w*))/.exec(line.slice(i))!;
      const name = match[1] ?? match[2];
      if (!(name in vars)) throw new Error(`no value for $${name} in: ${line}`);
      // "${plans[@]}" expands to no word at all when empty.
      if (vars[name] === "" && quote === '"' && line[i - 1] === '"' && line[i + match[0].length] === '"') word = undefined;
      else if (quote === '"') add(vars[name]);
      else {
        // Unquoted: the shell splits the value into words.
        const parts = vars[name].split(/\s+/).filter(Boolean);
        parts.forEach((part, k) => {
          if (k > 0) {
            words.push(word!);
            word = undefined;
          }
          add(part);
        });
      }
      i += match[0].length - 1;
      continue;
    }
    if (quote === '"') {
      if (c === "\\" && /["\\$`]/.test(line[i + 1] ?? "")) add(line[++i]);
      else if (c === '"') quote = undefined;
      else add(c);
      continue;
    }
    // 2>&1 and the like: a redirection, not a word.
    if (/\d/.test(c) && word === undefined && line[i + 1] === ">") break;
    if (c === '"' || c === "'") {
      quote = c;
      word ??= "";
      continue;
    }
    if (/[|;&>)#]/.test(c)) break;
    if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
      continue;
    }
    add(c);
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** The docs' <placeholder>s, filled in before the shell reads the line (their < and > are not redirections). */
function fillPlaceholders(text: string, vars: Record<string, string>): string {
  return text.replace(/<[a-z]+>/g, (p) => {
    if (!(p in vars)) throw new Error(`no value for the placeholder ${p} in: ${text}`);
    return vars[p];
  });
}

interface Found {
  where: string;
  text: string;
}

/** Lines of the workflows' run steps that run a command of ours. */
function fromWorkflows(): Found[] {
  const dir = path.join(repo, ".github", "workflows");
  const found: Found[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    const text = fs.readFileSync(path.join(dir, name), "utf8");
    const lines = text.split("\n");
    const workflow = load(text) as Json;
    for (const job of Object.values(workflow.jobs) as Json[]) {
      for (const step of job.steps ?? []) {
        for (const runLine of String(step.run ?? "").split("\n")) {
          const command = commandIn(runLine);
          if (!command) continue;
          const at = lines.findIndex((l) => l.includes(runLine.trim()));
          found.push({ where: `.github/workflows/${name}:${at + 1}`, text: command });
        }
      }
    }
  }
  return found;
}

/** Fenced-block lines and inline code that start with one of our commands. */
function fromMarkdown(file: string): Found[] {
  const found: Found[] = [];
  let fenced = false;
  fs.readFileSync(path.join(repo, file), "utf8").split("\n").forEach((line, index) => {
    const where = `${file}:${index + 1}`;
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return;
    }
    if (fenced) {
      const text = line.trim().replace(/^\$ /, "");
      if (/^(?:[A-Z_][A-Z0-9_]*=\S+\s+)*(?:npx cdktf|npm run)\s/.test(text)) found.push({ where, text: text.replace(/\s+#.*$/, "") });
      return;
    }
    for (const [, code] of line.matchAll(/`([^`]+)`/g)) {
      if (/^(?:[A-Z_][A-Z0-9_]*=\S+\s+)*(?:npx cdktf|npm run)\s/.test(code)) found.push({ where, text: code });
    }
  });
  return found;
}

/** help's command column: an indented command, then two or more spaces and what it does. */
function fromHelp(): Found[] {
  const found: Found[] = [];
  fs.readFileSync(path.join(repo, "help"), "utf8").split("\n").forEach((line, index) => {
    const match = /^\s+((?:npx cdktf|npm run)\s.*?)(?:\s{2,}|$)/.exec(line);
    if (match) found.push({ where: `help:${index + 1}`, text: match[1] });
  });
  return found;
}

/** Every documented command line, once per environment when it has a placeholder for one. */
export function documentedCommands(files: { output: string; valueFile: string }): DocumentedCommand[] {
  const docs = ["README.md", ...fs.readdirSync(path.join(repo, "docs")).filter((f) => f.endsWith(".md")).sort().map((f) => `docs/${f}`)];
  const found = [...fromWorkflows(), ...docs.flatMap(fromMarkdown), ...fromHelp()];
  const environments = shippedEnvironments();
  const commands: DocumentedCommand[] = [];
  for (const { where, text } of found) {
    const generic = /\$ENVIRONMENT|\$\{ENVIRONMENT\}|<env>|<name>|\$args/.test(text);
    const named = environments.find((e) => new RegExp(`(^|[-\\s'"])${e}($|[\\s'"])|-${e}\\b`).test(text)) ?? environments[0];
    for (const environment of generic ? environments : [named]) {
      const vars = placeholders(environment, files);
      const words = shellWords(fillPlaceholders(text, vars), vars).map((w) => (w === "F" ? vars.F : w));
      const first = words.findIndex((w) => w === "npx" || w === "npm");
      const assignments = Object.fromEntries(words.slice(0, first).map((w) => [w.slice(0, w.indexOf("=")), w.slice(w.indexOf("=") + 1)]));
      commands.push({ where, text, environment, assignments, argv: words.slice(first) });
    }
  }
  return commands;
}

/** One run per distinct command: the same line in three files runs once, every place it stands is named. */
export function distinct(commands: readonly DocumentedCommand[]): { argv: string[]; assignments: Record<string, string>; environment: string; where: string[] }[] {
  const byKey = new Map<string, { argv: string[]; assignments: Record<string, string>; environment: string; where: string[] }>();
  for (const c of commands) {
    const key = JSON.stringify([c.assignments, c.argv]);
    const entry = byKey.get(key) ?? { argv: c.argv, assignments: c.assignments, environment: c.environment, where: [] };
    entry.where.push(c.where);
    byKey.set(key, entry);
  }
  return [...byKey.values()];
}
