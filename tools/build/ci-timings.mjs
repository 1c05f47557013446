// `npm run ci:timings [-- --write --label <text>]`: the step-by-step times of the last `.ci/run` on this
// machine, which `.ci/run` records as it goes, as a table; --write puts it into docs/benchmarks.md between
// its ci-timings markers, so no figure there is typed by hand. Not a test: it reports.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { scriptArgs } from "./args.mjs";
import { root } from "./build-cache.mjs";

const USAGE = "usage: npm run ci:timings [-- --write --label <text>] [--file <jsonl>]";
const { values } = scriptArgs(
  "ci:timings",
  USAGE,
  "Prints the step times of the last .ci/run on this machine (recorded in $AKSKV_CI_TIMINGS, else\n" +
    "${XDG_CACHE_HOME:-~/.cache}/aks-keyvault-cdktf/ci-timings.jsonl). --write puts the table into docs/benchmarks.md,\n" +
    'with --label saying what kind of run it was (e.g. "cold: fresh clone, empty HOME").',
  { options: { write: { type: "boolean" }, label: { type: "string" }, file: { type: "string" } } },
);
const BEGIN = "<!-- ci-timings:begin -->";
const END = "<!-- ci-timings:end -->";

/** Where .ci/run records its steps: the same rule as .ci/run's own. */
export function timingsFile(env = process.env) {
  return env.AKSKV_CI_TIMINGS || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "aks-keyvault-cdktf", "ci-timings.jsonl");
}

const file = values.file ?? timingsFile();
if (!fs.existsSync(file)) {
  process.stderr.write(`ci:timings: ${file} does not exist: no .ci/run has recorded its steps on this machine\n`);
  process.exit(1);
}
const records = fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map((line) => JSON.parse(line));
const run = records.find((r) => r.run);
const steps = records.filter((r) => r.step);
const finished = records.find((r) => r.finished);
if (!run || steps.length === 0) {
  process.stderr.write(`ci:timings: ${file} holds no run: it has no header or no step\n`);
  process.exit(1);
}
if (values.write && values.label === undefined) {
  process.stderr.write(`ci:timings: --write needs --label, saying what kind of run it was; ${USAGE}\n`);
  process.exit(2);
}
const format = (seconds) => (seconds >= 120 ? `${(seconds / 60).toFixed(1)} min` : `${seconds.toFixed(0)} s`);
const total = finished ? finished.seconds : steps.reduce((sum, s) => sum + s.seconds, 0);
const lines = [
  `Recorded by \`.ci/run\` on ${run.date} at \`${run.commit}\`${values.label ? `, ${values.label}` : ""}: ${os.cpus().length} cores, ` +
    `Node ${run.node}; ${finished ? `exit ${finished.status} after ${format(total)}${finished.during ? `, in \`${finished.during}\`` : ""}` : `unfinished: ${steps.length} steps, ${format(total)}`}.`,
  "",
  "| step | wall |",
  "| --- | ---: |",
  ...steps.map((s) => `| \`${s.step}\` | ${format(s.seconds)} |`),
  `| **.ci/run** | **${format(total)}** |`,
];
console.log(lines.join("\n"));
if (values.write) {
  const target = path.join(root, "docs", "benchmarks.md");
  const text = fs.readFileSync(target, "utf8");
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (begin < 0 || end < begin) {
    process.stderr.write(`ci:timings: docs/benchmarks.md has no ${BEGIN} ... ${END} block to write\n`);
    process.exit(1);
  }
  if (!finished || finished.status !== 0) {
    process.stderr.write("ci:timings: the last .ci/run did not finish with exit 0; docs/benchmarks.md left as it was\n");
    process.exit(1);
  }
  fs.writeFileSync(target, `${text.slice(0, begin + BEGIN.length)}\n${lines.join("\n")}\n${text.slice(end)}`);
  console.log("\nwrote the table into docs/benchmarks.md");
}
