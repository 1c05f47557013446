// `npm run review -- --base <git-ref> [--fail-on-destructive] [--same] [--json <file>]`
//
// Synthesizes the base ref (in a temporary git worktree, with its own code and
// config) and the working tree, and prints the review as Markdown. Needs git
// and node_modules; no Azure credentials, no Terraform.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseFlags, UsageError, wantsHelp } from "../flags";
import { deployOrder, reviewChanges, type Json, type SynthesizedProject } from "./diff";
import { renderReview } from "./markdown";

export interface ReviewOptions {
  readonly base: string;
  readonly failOnDestructive: boolean;
  /** A refactor's guard: fail unless every stack synthesizes byte for byte as at the base. */
  readonly same: boolean;
  readonly json?: string;
}

export const USAGE = "usage: npm run review -- --base <git-ref> [--fail-on-destructive] [--same] [--json <file>]";

/** Parses the command line; throws a one-line message on bad input. */
export function parseArgs(args: readonly string[]): ReviewOptions {
  const flags = parseFlags(args, { values: ["--base", "--json"], switches: ["--fail-on-destructive", "--same"] }, USAGE);
  const base = flags.get("--base");
  if (base === undefined) throw new UsageError(`--base is required; ${USAGE}`);
  return { base, failOnDestructive: flags.has("--fail-on-destructive"), same: flags.has("--same"), json: flags.get("--json") };
}

function git(args: string[], cwd: string): string {
  const result = spawnSync("git", args, { cwd, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`git ${args.join(" ")}: ${(result.stderr || result.stdout).trim()}`);
  return result.stdout.trim();
}

/**
 * Runs a checkout's own `app` command from its cdktf.json, writing to outdir;
 * cacheFrom names another checkout's synth cache it may reuse (tools/build/app.mjs).
 */
function synthesizeCheckout(dir: string, outdir: string, label: string, cacheFrom?: string): void {
  const cdktfJson = path.join(dir, "cdktf.json");
  if (!fs.existsSync(cdktfJson)) throw new Error(`${label} has no cdktf.json: nothing to synthesize`);
  const app: string = JSON.parse(fs.readFileSync(cdktfJson, "utf8")).app;
  const result = spawnSync(app, {
    cwd: dir,
    shell: true,
    encoding: "utf8",
    env: { ...process.env, CDKTF_OUTDIR: outdir, CHECKPOINT_DISABLE: "1", ...(cacheFrom && { AKSKV_SYNTH_CACHE_FROM: cacheFrom }) },
  });
  if (result.status !== 0) {
    throw new Error(`${label} does not synthesize (${app} exited ${result.status}):\n${result.stderr.trim()}`);
  }
}

/** Reads a synthesized outdir and the checkout's config files. */
export function readProject(dir: string, outdir: string): SynthesizedProject {
  const manifestFile = path.join(outdir, "manifest.json");
  const manifest: Json = fs.existsSync(manifestFile) ? JSON.parse(fs.readFileSync(manifestFile, "utf8")) : { stacks: {} };
  const stacks = new Map<string, Json>();
  for (const name of deployOrder(manifest)) {
    stacks.set(name, JSON.parse(fs.readFileSync(path.join(outdir, manifest.stacks[name].synthesizedStackPath), "utf8")));
  }
  const configs = new Map<string, Json>();
  const configDir = path.join(dir, "config");
  for (const file of fs.existsSync(configDir) ? fs.readdirSync(configDir).filter((f) => f.endsWith(".json")).sort() : []) {
    try {
      configs.set(path.basename(file, ".json"), JSON.parse(fs.readFileSync(path.join(configDir, file), "utf8")));
    } catch {
      // An unparsable file cannot synthesize either; the synth error says why.
    }
  }
  return { stacks, configs };
}

export interface ReviewOutcome {
  readonly markdown: string;
  readonly destructive: boolean;
  readonly environments: string[];
  /** The stacks whose synthesized JSON is not byte for byte the base's (added and removed ones too). */
  readonly differing: string[];
}

/** The stacks of two outdirs whose cdk.tf.json files differ in any byte, or exist on one side only. */
export function differingStacks(baseOut: string, headOut: string): string[] {
  const files = (outdir: string) => {
    const manifestFile = path.join(outdir, "manifest.json");
    const manifest: Json = fs.existsSync(manifestFile) ? JSON.parse(fs.readFileSync(manifestFile, "utf8")) : { stacks: {} };
    return new Map(Object.entries(manifest.stacks as Record<string, Json>).map(([name, stack]) => [name, fs.readFileSync(path.join(outdir, stack.synthesizedStackPath), "utf8")]));
  };
  const base = files(baseOut);
  const head = files(headOut);
  return [...new Set([...base.keys(), ...head.keys()])].filter((name) => base.get(name) !== head.get(name)).sort();
}

/** Synthesizes the base ref and the working tree of the project at root, and reviews the difference. */
export function reviewAgainst(root: string, base: string): ReviewOutcome {
  const sha = git(["rev-parse", "--verify", "--quiet", `${base}^{commit}`], root);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "akskv-review-"));
  const worktree = path.join(tmp, "base");
  try {
    git(["worktree", "add", "--detach", "--quiet", worktree, sha], root);
    // The base uses the working tree's packages: reviews compare code and config, not dependency upgrades.
    fs.symlinkSync(path.join(root, "node_modules"), path.join(worktree, "node_modules"), "dir");
    // Each checkout synthesizes into a directory at the same depth inside itself, so
    // paths relative to the project root (secret files) come out the same on both sides.
    const outdirOf = (dir: string) => path.join(dir, ".build-cache", `review-${process.pid}`);
    const headOut = outdirOf(root);
    try {
      // The working tree first: a base with the same code (a config-only change)
      // then skips its own type-check and bundle.
      synthesizeCheckout(root, headOut, "the working tree");
      synthesizeCheckout(worktree, outdirOf(worktree), `base ${base}`, path.join(root, ".build-cache"));
      const review = reviewChanges(readProject(worktree, outdirOf(worktree)), readProject(root, headOut));
      const environments = [...review.environments.keys()];
      return { markdown: renderReview(review, base), destructive: review.destructive, environments, differing: differingStacks(outdirOf(worktree), headOut) };
    } finally {
      fs.rmSync(headOut, { recursive: true, force: true });
    }
  } finally {
    spawnSync("git", ["worktree", "remove", "--force", worktree], { cwd: root });
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** The command: prints the review; returns the exit code (2: bad input or nothing to compare). */
export function main(args: readonly string[]): number {
  if (wantsHelp(args)) {
    process.stdout.write(
      `${USAGE}\n\nWhat the working tree changes per stack against <git-ref>, offline: resources, wiring, and a\nsecurity-relevant section. --fail-on-destructive exits 1 when a stateful resource would be destroyed.\n` +
        "--same exits 1 unless every stack's cdk.tf.json is byte for byte the base's: the guard for a refactor.\n",
    );
    return 0;
  }
  let options: ReviewOptions;
  try {
    options = parseArgs(args);
  } catch (error) {
    process.stderr.write(`review: ${(error as Error).message}\n`);
    return 2;
  }
  try {
    const outcome = reviewAgainst(process.cwd(), options.base);
    process.stdout.write(outcome.markdown);
    if (options.json) {
      const summary = { base: options.base, destructive: outcome.destructive, environments: outcome.environments };
      fs.writeFileSync(options.json, `${JSON.stringify(summary, null, 2)}\n`);
    }
    if (options.same && outcome.differing.length > 0) {
      process.stderr.write(`review: --same: ${outcome.differing.join(", ")} synthesize${outcome.differing.length === 1 ? "s" : ""} differently from ${options.base}\n`);
      return 1;
    }
    if (options.failOnDestructive && outcome.destructive) {
      process.stderr.write("review: a stateful resource would be destroyed (see Security-relevant); failing as --fail-on-destructive asks\n");
      return 1;
    }
    return 0;
  } catch (error) {
    const message = (error as Error).message;
    process.stderr.write(`review: ${message.startsWith("git rev-parse") ? `no such git ref: ${options.base}` : message}\n`);
    return 2;
  }
}

