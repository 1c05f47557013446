// npm run ci:timings: .ci/run's own step records, turned into docs/benchmarks.md's table, and its refusals.
import * as fs from "fs";
import * as path from "path";
import { run, tempDir } from "../support/helpers";

const repo = path.resolve(__dirname, "..", "..");
const tool = path.join(repo, "tools", "build", "ci-timings.mjs");

function recorded(lines: object[]): string {
  const file = path.join(tempDir("akskv-ci-timings-"), "ci-timings.jsonl");
  fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
  return file;
}

const header = { run: true, date: "2026-12-04", commit: "abc1234", node: "v20.20.2" };

describe("npm run ci:timings", () => {
  test("prints each step .ci/run recorded, in minutes from two on, and the run's total and exit", () => {
    const file = recorded([header, { step: "npm ci --no-audit --no-fund", seconds: 31.2 }, { step: "npm run tools:terraform", seconds: 1005.7 }, { finished: true, status: 0, seconds: 1040 }]);
    const result = run(process.execPath, [tool, "--file", file], repo);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Recorded by `.ci\/run` on 2026-12-04 at `abc1234`: \d+ cores, Node v20.20.2; exit 0 after 17.3 min\.\n/);
    expect(result.stdout).toContain("| `npm ci --no-audit --no-fund` | 31 s |\n| `npm run tools:terraform` | 16.8 min |\n| **.ci/run** | **17.3 min** |");
  });

  test("names the step a failed run stopped in, and refuses to write a failed or unlabelled run into the docs", () => {
    const file = recorded([header, { step: "npm test", seconds: 20 }, { finished: true, status: 1, seconds: 25, during: "npm run test:commands" }]);
    const before = fs.readFileSync(path.join(repo, "docs", "benchmarks.md"), "utf8");
    expect(run(process.execPath, [tool, "--file", file], repo).stdout).toContain("exit 1 after 25 s, in `npm run test:commands`.");
    const unlabelled = run(process.execPath, [tool, "--file", file, "--write"], repo);
    expect([unlabelled.status, unlabelled.stderr.split(";")[0]]).toEqual([2, "ci:timings: --write needs --label, saying what kind of run it was"]);
    const failed = run(process.execPath, [tool, "--file", file, "--write", "--label", "cold"], repo);
    expect([failed.status, failed.stderr]).toEqual([1, "ci:timings: the last .ci/run did not finish with exit 0; docs/benchmarks.md left as it was\n"]);
    expect(fs.readFileSync(path.join(repo, "docs", "benchmarks.md"), "utf8")).toBe(before);
  });

  test("no record: exit 1 saying no .ci/run recorded its steps here", () => {
    const result = run(process.execPath, [tool, "--file", path.join(tempDir("akskv-ci-timings-"), "none.jsonl")], repo);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/does not exist: no \.ci\/run has recorded its steps on this machine\n$/);
  });

  test(".ci/run records every step it runs through one wrapper, into the file ci:timings reads", () => {
    const script = fs.readFileSync(path.join(repo, ".ci", "run"), "utf8");
    const commands = script.split("\n").filter((line) => /^(step )?npm /.test(line));
    expect(commands.filter((line) => !line.startsWith("step "))).toEqual([]);
    expect(script).toContain('TIMINGS="${AKSKV_CI_TIMINGS:-${XDG_CACHE_HOME:-$HOME/.cache}/aks-keyvault-cdktf/ci-timings.jsonl}"');
  });

  test("a step that outlives its bound is stopped, named, and ends the run with its status in the record", () => {
    // .ci/run's own wrapper, in front of one step that hangs.
    const script = fs.readFileSync(path.join(repo, ".ci", "run"), "utf8");
    const wrapper = script.slice(0, script.indexOf("\nstep npm "));
    const dir = tempDir("akskv-ci-step-");
    fs.mkdirSync(path.join(dir, ".ci"));
    fs.writeFileSync(path.join(dir, ".ci", "run"), `${wrapper}\nstep sleep 30\nstep echo not reached\n`);
    const timings = path.join(dir, "timings.jsonl");
    const result = run("bash", [path.join(dir, ".ci", "run")], dir, { AKSKV_CI_TIMINGS: timings, AKSKV_STEP_LIMIT_SECONDS: "1" });
    expect([result.status, result.stderr.trim(), result.stdout]).toEqual([124, "ci: step 'sleep 30' did not finish within 1 s (AKSKV_STEP_LIMIT_SECONDS); it was stopped", ""]);
    const last = JSON.parse(fs.readFileSync(timings, "utf8").trim().split("\n").pop()!);
    expect([last.finished, last.status, last.during]).toEqual([true, 124, "sleep 30"]);
  });
});
