// Every npm script behaves the same way at the command line: --help prints a
// usage and exits 0 without doing the work; an unknown flag is refused.
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { copyOfProject, run } from "../support/helpers";

const repo = path.resolve(__dirname, "..", "..");
// A jest script that ran the suite instead of refusing a flag would run this file again, and so on.
if (process.env.AKSKV_COMMANDS_TEST) throw new Error("commands.commands.test.ts ran inside itself: a script ran jest despite an unknown flag");
const scripts: Record<string, string> = JSON.parse(fs.readFileSync(path.join(repo, "package.json"), "utf8")).scripts;

/** Scripts that are a third-party tool with the project's defaults: it judges its own flags (jest and oxlint exit 1). */
const THIRD_PARTY = ["ci:lint", "test:unit", "test:commands", "test:terraform", "test:azure", "test:scan", "test:cluster", "test:lab", "test:cdktn"];
/** cdktf accepts flags it does not know and synthesizes anyway: a bogus flag cannot be refused without wrapping cdktf. */
const ACCEPTS_UNKNOWN_FLAGS = ["synth"];

function runScript(name: string, extra: string): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn("sh", ["-c", `${scripts[name]} ${extra}`], {
      cwd: repo,
      env: { ...process.env, PATH: `${path.join(repo, "node_modules", ".bin")}${path.delimiter}${process.env.PATH}`, CHECKPOINT_DISABLE: "1", AKSKV_COMMANDS_TEST: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (c) => (output += c));
    child.stderr.on("data", (c) => (output += c));
    child.on("close", (status) => resolve({ status, output }));
  });
}

/** Runs every script with the same extra arguments, four at a time. */
async function runAll(extra: string, skip: readonly string[] = []): Promise<Record<string, { status: number | null; output: string }>> {
  const names = Object.keys(scripts).filter((name) => !skip.includes(name));
  const results: Record<string, { status: number | null; output: string }> = {};
  let next = 0;
  const worker = async () => {
    while (next < names.length) {
      const name = names[next++];
      results[name] = await runScript(name, extra);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return results;
}

describe("every npm script", () => {
  test("--help prints a usage and exits 0", async () => {
    const results = await runAll("--help");
    const bad = Object.entries(results).filter(([, r]) => r.status !== 0 || !/usage|^Options:/im.test(r.output)).map(([name, r]) => `${name}: exit ${r.status}: ${r.output.slice(0, 200)}`);
    expect(bad).toEqual([]);
  }, 120_000);

  test("an unknown flag is refused: exit 2 with the usage for the project's own commands, the tool's own error for jest and oxlint", async () => {
    const results = await runAll("--bogus-flag-xyz", ACCEPTS_UNKNOWN_FLAGS);
    const bad: string[] = [];
    for (const [name, r] of Object.entries(results)) {
      if (ACCEPTS_UNKNOWN_FLAGS.includes(name)) continue;
      if (THIRD_PARTY.includes(name)) {
        if (r.status === 0) bad.push(`${name}: exit 0`);
      } else if (r.status !== 2 || !/bogus-flag-xyz/.test(r.output) || !/usage/i.test(r.output)) {
        bad.push(`${name}: exit ${r.status}: ${r.output.slice(0, 200)}`);
      }
    }
    expect(bad).toEqual([]);
    expect(Object.keys(scripts).filter((s) => ACCEPTS_UNKNOWN_FLAGS.includes(s))).toEqual(["synth"]);
  }, 120_000);
});

describe("every command that reads config/", () => {
  // One broken field: each command must stop at it with exit 2 and the field's one-line message, and do nothing.
  const project = copyOfProject("akskv-commands-bad-config-");
  const file = path.join(project, "config", "dev.json");
  const config = JSON.parse(fs.readFileSync(file, "utf8"));
  config.aks.nodeCount = 1.5;
  fs.writeFileSync(file, JSON.stringify(config));
  const valueFile = path.join(project, "new-value.json");
  fs.writeFileSync(valueFile, "{}");

  const READS_CONFIG: Record<string, string[]> = {
    "ci:preflight": ["--env", "dev"],
    "ci:environments": [],
    "ci:runner-access": ["close", "--env", "dev", "--address", "198.51.100.7"],
    "ci:wait-for-cluster-access": ["--env", "dev", "--timeout", "1"],
    verify: ["--env", "dev"],
    "rotation-check": ["--env", "dev", "--value-file", valueFile],
    validate: [],
  };

  // All at once, as runAll does: each is a node start and a config load.
  const results = new Map<string, Promise<{ status: number | null; stderr: string }>>();
  beforeAll(() => {
    for (const [script, args] of Object.entries(READS_CONFIG)) {
      const entry = /^node tools\/build\/run-ts\.mjs (\S+)$/.exec(scripts[script])![1];
      results.set(
        script,
        new Promise((resolve) => {
          const child = spawn(process.execPath, [path.join(project, "tools", "build", "run-ts.mjs"), entry, ...args], { cwd: project, env: { ...process.env, CHECKPOINT_DISABLE: "1" }, stdio: ["ignore", "ignore", "pipe"] });
          let stderr = "";
          child.stderr.on("data", (c) => (stderr += c));
          child.on("close", (status) => resolve({ status, stderr }));
        }),
      );
    }
  });

  test.each(Object.keys(READS_CONFIG))("npm run %s exits 2 naming the field, the value and the rule", async (script) => {
    const result = await results.get(script)!;
    expect(`${result.status}: ${result.stderr.split("\n")[0]}`).toBe("2: error: config/dev.json: aks.nodeCount = 1.5: must be a whole number from 1 to 1000");
  }, 60_000);

  test("cdktf synth's app exits 2 too, and leaves no stack behind", () => {
    const result = run(process.execPath, [path.join(project, "tools", "build", "app.mjs")], project);
    expect(result.status).toBe(2);
    expect(fs.existsSync(path.join(project, "cdktf.out", "stacks"))).toBe(false);
  });
});
