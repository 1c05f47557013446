// Every command line in the workflows, the README, `help` and docs/ runs here
// as far as it gets without a toolchain or Azure. cdktf's: the options its
// own --help lists for the verb, and its stack selection and dependency checks
// (the functions the CLI calls, from the @cdktf/cli-core it bundles) over the
// stacks this project synthesizes. Ours: the command itself, in a copy of the
// project, where it must end with 0 or with a check that failed (1), never
// with bad usage or config (2) or a crash. A line that fails names its file
// and line. npm run test:terraform takes the cdktf lines on through init and plan.
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { distinct, documentedCommands } from "./documented-commands";
import { copyOfProject, removeTempDirs, shippedEnvironments, synthProject, tempDir, type Json } from "../support/helpers";

const repo = path.resolve(__dirname, "..", "..");
const scratch = tempDir("akskv-doc-commands-");
const files = { output: path.join(scratch, "github-output"), valueFile: path.join(scratch, "new-value.json") };
const commands = (() => {
  try {
    return documentedCommands(files);
  } catch (error) {
    // The file fails before any hook runs: leave nothing behind.
    removeTempDirs();
    throw error;
  }
})();

/** Scripts not run here, each with the reason: they build, measure or run a suite of their own. */
const NOT_RUN_HERE: Record<string, string> = {
  test: "the offline suite; npm run test:commands, this file's own, runs after it in .ci/run",
  "test:commands": "the suite this file is part of",
  "test:unit": "jest over the offline suite, which npm test runs",
  "ci:lint": "npm test runs it first",
  "ci:typecheck": "npm test runs it first",
  "ci:lint-workflows": "npm test runs it (workflows.test.ts)",
  "tools:terraform": "builds OpenTofu and the providers (minutes); .ci/run runs it",
  "tools:cluster": "builds the control plane (minutes); .ci/run runs it",
  validate: "needs the toolchain (or, with --registry, a Terraform registry); .ci/run runs npm run validate",
  "test:terraform": "needs the toolchain; .ci/run runs it",
  "test:azure": "needs the toolchain and minutes; .ci/run runs it",
  "test:cluster": "needs the control plane; .ci/run runs it",
  "tools:lab": "builds the lab's node (minutes); .ci/run runs it",
  "test:lab": "needs the lab's node; .ci/run runs it",
  "lab:rotation": "runs the lab's node for minutes; rotation-docs.test.ts checks the table it wrote",
  scan: "needs checkov from PyPI; .ci/run runs it",
  "test:scan": "needs checkov; .ci/run runs it",
  bench: "measures for minutes, and --write rewrites docs/benchmarks.md's table",
  "tools:cdktn": "installs Node 22 and the second install (a minute); .ci/run runs it",
  "synth:cdktn": "needs the second install; npm run test:cdktn runs it (terrain/equivalence.cdktn.test.ts)",
  "test:cdktn": "needs the second install; .ci/run runs it",
  review: "synthesizes two checkouts of a git repository; documented-commands.terraform.test.ts runs it",
};

/** The scripts of package.json. */
const scripts: Record<string, string> = JSON.parse(fs.readFileSync(path.join(repo, "package.json"), "utf8")).scripts;

const ours = commands.filter((c) => c.argv[0] === "npm");
const cdktf = commands.filter((c) => c.argv[0] === "npx");
const label = (c: { where: string[] | string; argv: string[] }) => `${[c.where].flat().join(", ")}: ${c.argv.join(" ")}`;

test("the collection finds the command lines of every kind of file, and each is ours or cdktf's", () => {
  const where = (prefix: string) => commands.some((c) => c.where.startsWith(prefix));
  for (const prefix of [".github/workflows/environment.yml", ".github/workflows/pull-request.yml", "README.md", "help", "docs/ci.md"]) expect(`${prefix}: ${where(prefix)}`).toBe(`${prefix}: true`);
  expect(commands.filter((c) => c.argv[0] !== "npm" && c.argv[0] !== "npx").map((c) => label(c))).toEqual([]);
  // The deploy workflow's two deploy steps, as GitHub runs them.
  const deploys = cdktf.filter((c) => c.where.startsWith(".github/workflows/environment.yml") && c.argv[2] === "deploy").map((c) => c.argv.join(" "));
  for (const env of shippedEnvironments()) {
    expect(deploys).toContain(`npx cdktf deploy aks-${env} keyvault-${env} --auto-approve`);
    expect(deploys).toContain(`npx cdktf deploy app-${env} --ignore-missing-stack-dependencies --auto-approve`);
  }
});

describe("every documented cdktf command line passes cdktf's own argument and stack-dependency checks", () => {
  // The stacks as cdktf sees them, with a backend so that the bootstrap stack exists as the docs say.
  const withBackend: Record<string, Json> = {};
  for (const env of shippedEnvironments()) {
    const config = JSON.parse(fs.readFileSync(path.join(repo, "config", `${env}.json`), "utf8"));
    config.backend = { resourceGroupName: "rg-tfstate", storageAccountName: "sttfstate01", containerName: "tfstate" };
    withBackend[env] = config;
  }
  const files: Record<string, string> = {};
  for (const env of shippedEnvironments()) files[`secrets/${env}/configurable-secret.json`] = "{}";
  const stacks = Object.values(synthProject(withBackend, files).manifest.stacks) as { name: string; dependencies: string[] }[];

  // What the CLI itself calls for these checks (cdktf-cli 0.21.0 bundles this @cdktf/cli-core 0.21.0).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const helpers = require("@cdktf/cli-core/src/lib/helpers/stack-helpers");

  /** The options `cdktf <verb> --help` lists: the CLI accepts others silently, so a typo would be ignored. */
  const options = new Map<string, { flags: Set<string>; booleans: Set<string> }>();
  beforeAll(async () => {
    const verbs = [...new Set(cdktf.map((c) => c.argv[2]))];
    await Promise.all(
      verbs.map(
        (verb) =>
          new Promise<void>((resolve) => {
            const child = spawn(process.execPath, [path.join(repo, "node_modules", "cdktf-cli", "bundle", "bin", "cdktf"), verb, "--help"], { cwd: repo, env: { ...process.env, CHECKPOINT_DISABLE: "1", CI: "true" } });
            let text = "";
            child.stdout.on("data", (c) => (text += c));
            child.on("close", () => {
              const flags = new Set([...text.matchAll(/^\s+(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]));
              const booleans = new Set([...text.matchAll(/^\s+(?:-\w, )?(--[\w-]+).*\[boolean\]/gm)].map((m) => m[1]));
              options.set(verb, { flags, booleans });
              resolve();
            });
          }),
      ),
    );
  }, 60_000);

  /** cdktf's verdict on one command line: undefined when it passes, else the CLI's message. */
  function check(argv: string[]): string | undefined {
    const [, , verb, ...rest] = argv;
    const known = options.get(verb);
    if (!known || known.flags.size === 0) return `cdktf has no command ${JSON.stringify(verb)}`;
    const positional: string[] = [];
    for (let i = 0; i < rest.length; i++) {
      const flag = rest[i].split("=")[0];
      if (!flag.startsWith("--")) positional.push(rest[i]);
      else if (!known.flags.has(flag)) return `cdktf ${verb} has no option ${flag} (cdktf ignores unknown options, so it would do nothing)`;
      else if (!known.booleans.has(flag) && !rest[i].includes("=")) i++;
    }
    try {
      if (verb === "diff") helpers.getSingleStack(stacks, positional[0], verb);
      else if (["deploy", "destroy", "output"].includes(verb)) {
        const selected = helpers.getMultipleStacks(stacks, positional, verb);
        if (!rest.includes("--ignore-missing-stack-dependencies")) {
          if (verb === "deploy") helpers.checkIfAllDependenciesAreIncluded(selected);
          if (verb === "destroy") helpers.checkIfAllDependantsAreIncluded(selected, stacks);
        }
      } else if (positional.length > 0) return `cdktf ${verb} takes no stacks`;
    } catch (error) {
      return (error as Error).message;
    }
    return undefined;
  }

  test.each(distinct(cdktf).map((c) => [label(c), c] as const))("%s", (_label, c) => {
    expect(check(c.argv)).toBeUndefined();
  });

  test("the check refuses what the review found: the app stack alone, the app with Key Vault only, a misspelt option, a stack that does not exist", () => {
    expect(check(["npx", "cdktf", "deploy", "app-dev", "--auto-approve"])).toMatch(/^Usage Error: The following dependencies are not included in the stacks to run: keyvault-dev, aks-dev\./);
    expect(check(["npx", "cdktf", "deploy", "keyvault-dev", "app-dev"])).toMatch(/^Usage Error: The following dependencies are not included in the stacks to run: aks-dev\./);
    expect(check(["npx", "cdktf", "destroy", "aks-dev"])).toMatch(/^Usage Error: The following dependant stacks are not included in the stacks to run: app-dev, keyvault-dev\./);
    expect(check(["npx", "cdktf", "deploy", "*-dev", "--ignore-missing-dependencies"])).toBe("cdktf deploy has no option --ignore-missing-dependencies (cdktf ignores unknown options, so it would do nothing)");
    expect(check(["npx", "cdktf", "diff", "aks-staging"])).toMatch(/Could not find stack: aks-staging/);
  });
});

describe("every documented npm run line runs as far as it gets here: it ends with 0 or a failed check (1), never bad usage (2) or a crash", () => {
  const project = copyOfProject("akskv-doc-run-");
  // config-schema rewrites the docs' field tables.
  fs.cpSync(path.join(repo, "docs"), path.join(project, "docs"), { recursive: true });
  // The runner-access steps run only where ci.hostedRunnerAccess is on (their if: open-for-runner): so it is here.
  for (const name of shippedEnvironments()) {
    const file = path.join(project, "config", `${name}.json`);
    const config = JSON.parse(fs.readFileSync(file, "utf8"));
    config.ci = { ...config.ci, runsOn: undefined, hostedRunnerAccess: true };
    fs.writeFileSync(file, JSON.stringify(config, null, 2));
  }
  const bin = path.join(project, "stand-in-bin");
  fs.mkdirSync(bin);
  // Nothing here is signed in to Azure, and no command may reach it.
  fs.writeFileSync(path.join(bin, "az"), "#!/bin/sh\necho \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1\n", { mode: 0o755 });
  fs.writeFileSync(files.valueFile, '{"rotated": true}');
  const recorded = [{ run: true, date: "2026-12-04", commit: "abc1234", node: process.version }, { step: "npm test", seconds: 20 }, { finished: true, status: 0, seconds: 21 }];
  fs.writeFileSync(path.join(scratch, "ci-timings.jsonl"), recorded.map((r) => JSON.stringify(r)).join("\n") + "\n");
  // What the pull request workflow's review step leaves for the comment (the scan needs checkov, so it
  // leaves no scan.json here, and the comment leaves its section out, as after a failed install).
  fs.writeFileSync(path.join(project, "review.md"), "<!-- aks-keyvault-cdktf: plan review -->\n# Review\n");
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(ARM_|AZURE_|IDENTITY_|MSI_)/.test(name)));
  Object.assign(env, {
    PATH: `${bin}${path.delimiter}${path.join(repo, "node_modules", ".bin")}${path.delimiter}${process.env.PATH}`,
    KUBECONFIG: path.join(project, "no-kubeconfig"),
    TERRAFORM_BINARY_NAME: path.join(project, "no-terraform"),
    SECRET_FILES: JSON.stringify({ "secrets/dev/configurable-secret.json": '{"from": "ci"}' }),
    CHECKPOINT_DISABLE: "1",
    // What npm run ci:timings reads: a run .ci/run recorded.
    AKSKV_CI_TIMINGS: path.join(scratch, "ci-timings.jsonl"),
    // The workflow's open step exports it (GITHUB_ENV) for the steps after it, close among them.
    AKSKV_RUNNER_IP: "198.51.100.7",
  });

  /** The line's script and arguments: what `npm run -s <script> -- <args>` passes on. */
  function scriptAndArgs(argv: string[]): { script: string; args: string[] } {
    const [script, ...rest] = argv.slice(2).filter((w) => w !== "-s");
    return { script, args: rest[0] === "--" ? rest.slice(1) : rest };
  }

  const scriptOf = (c: { argv: string[] }) => (c.argv[2] === "-s" ? c.argv[3] : c.argv[2]);
  const runnable = distinct(ours).filter((c) => !(scriptOf(c) in NOT_RUN_HERE));

  test("every script a line names exists, and those not run here are on the list with a reason", () => {
    expect(distinct(ours).map((c) => scriptOf(c)).filter((s) => !(s in scripts))).toEqual([]);
    const skipped = [...new Set(distinct(ours).map(scriptOf).filter((s) => s in NOT_RUN_HERE))].sort();
    expect(skipped.filter((s) => !(s in scripts))).toEqual([]);
    // The list stays short: what it names are builds, suites and measurements.
    expect(Object.keys(NOT_RUN_HERE).length).toBeLessThanOrEqual(22);
  });

  // Every line through the main(args) its npm script calls, in one process (most of a run's cost is
  // Node's start); each test reads its result.
  const results = new Map<string, { status: number | null; output: string }>();
  beforeAll(() => {
    // What the pull request workflow's plan step finds: a synthesized project.
    const synth = spawnSync(process.execPath, [path.join(project, "tools", "build", "app.mjs")], { cwd: project, env: { ...env, CDKTF_OUTDIR: path.join(project, "cdktf.out"), AKSKV_SYNTH_CACHE_FROM: path.join(repo, ".build-cache") }, encoding: "utf8" });
    if (synth.status !== 0) throw new Error(`synth in the copy failed: ${synth.stdout}${synth.stderr}`);
    const list: { id: string; entry: string; args: string[] }[] = [];
    for (const c of runnable) {
      const { script, args } = scriptAndArgs(c.argv);
      const entry = /^node tools\/build\/run-ts\.mjs (\S+)$/.exec(scripts[script])?.[1];
      if (entry) list.push({ id: label(c), entry, args });
      else {
        // A plain Node script (node tools/…/x.mjs) runs as npm would run it: its own process.
        const file = /^node (tools\/\S+\.mjs)$/.exec(scripts[script])?.[1];
        if (!file) throw new Error(`${label(c)}: npm run ${script} is neither a command module (node tools/build/run-ts.mjs <entry>) nor a node script; run it another way or list it`);
        const own = spawnSync(process.execPath, [path.join(project, file), ...args], { cwd: project, env, encoding: "utf8", timeout: 30_000 });
        results.set(label(c), { status: own.status, output: `${own.stdout}${own.stderr}` });
      }
    }
    const file = path.join(scratch, "commands.json");
    fs.writeFileSync(file, JSON.stringify(list));
    const ran = spawnSync(process.execPath, [path.join(__dirname, "..", "support", "run-commands.mjs"), file], { cwd: project, env, encoding: "utf8", timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
    if (ran.status !== 0) throw new Error(`run-commands.mjs failed (${ran.status}): ${ran.stderr.slice(-800)}`);
    for (const r of JSON.parse(ran.stdout)) results.set(r.id, r);
  }, 180_000);

  test.each(runnable.map((c) => [label(c)] as const))("%s", (name) => {
    const result = results.get(name)!;
    const ok = result.status === 0 || (result.status === 1 && !/unexpected:|usage:/i.test(result.output));
    expect(ok ? "ran as far as it gets" : `exit ${result.status}: ${result.output.trim().split("\n").slice(-3).join(" | ")}`).toBe("ran as far as it gets");
  });

  afterAll(() => {
    // A check must have run: the runnable list cannot quietly be empty.
    expect(runnable.length).toBeGreaterThan(10);
  });
});
