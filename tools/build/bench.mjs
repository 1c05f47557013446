// `npm run bench [-- --runs N]`: measures what users wait for and prints a
// table of medians. Not a test: it asserts nothing, it reports.
//
// Wall time is measured around the whole command. Peak memory is the largest
// sum of resident memory of the command and all its descendants, sampled from
// /proc every 10 ms (so a spike shorter than that can be missed).
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { scriptArgs } from "./args.mjs";
import { cacheDir, root } from "./build-cache.mjs";

const { values } = scriptArgs(
  "bench",
  "usage: npm run bench [-- --runs <n>] [--write] [--caches]",
  "Measures synth, the app, npm test and npm run validate (medians of n runs, default 5) and prints a table. Takes minutes.\n" +
    "--write also puts the table into docs/benchmarks.md between its bench markers.\n" +
    "--caches instead measures what each cache of .build-cache saves: the app with and without each, npm test with and\n" +
    "without any, and npm run review with and without taking the working tree's cache over for the base.",
  { options: { runs: { type: "string" }, write: { type: "boolean" }, caches: { type: "boolean" } } },
);
const BEGIN = "<!-- bench:begin -->";
const END = "<!-- bench:end -->";
const RUNS = values.runs === undefined ? 5 : Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) {
  process.stderr.write(`bench: --runs = ${JSON.stringify(values.runs)}: must be a whole number, 1 or more\n`);
  process.exit(2);
}
const PAGE = 4096;

function descendantsOf(pid) {
  const children = new Map();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...(children.get(all[i]) ?? []));
  return all;
}

/** Resident memory of a process tree: the sum, and the largest single process. */
function treeRss(pid) {
  let total = 0;
  let largest = 0;
  for (const p of descendantsOf(pid)) {
    try {
      const rss = Number(fs.readFileSync(`/proc/${p}/statm`, "utf8").split(" ")[1]) * PAGE;
      total += rss;
      largest = Math.max(largest, rss);
    } catch {
      // gone
    }
  }
  return { total, largest };
}

/** Runs a command once: { wall seconds, peak bytes (tree), largest process bytes, status }. */
function measure(command, args, { cwd = root, env = {} } = {}) {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    let peak = 0;
    let largest = 0;
    const timer = setInterval(() => {
      const rss = treeRss(child.pid);
      peak = Math.max(peak, rss.total);
      largest = Math.max(largest, rss.largest);
    }, 10);
    child.on("exit", (status) => {
      clearInterval(timer);
      const wall = Number(process.hrtime.bigint() - start) / 1e9;
      if (status !== 0) process.stderr.write(`${command} ${args.join(" ")} exited ${status}:\n${stderr}\n`);
      resolve({ wall, peak, largest, status });
    });
  });
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

let measured = 0;

async function bench(label, runs, once, before = () => undefined) {
  const results = [];
  for (let i = 0; i < runs; i++) {
    process.stderr.write(`bench: ${label}, run ${i + 1} of ${runs} (measurement ${++measured})\n`);
    before();
    results.push(await once());
  }
  const failed = results.filter((r) => r.status !== 0).length;
  return {
    label,
    runs,
    wall: median(results.map((r) => r.wall)),
    peakMb: median(results.map((r) => r.peak)) / 1e6,
    largestMb: median(results.map((r) => r.largest)) / 1e6,
    failed,
  };
}

// Everything the benchmark writes outside the project, removed when it exits, whatever the reason.
const temporary = [];
const tempDir = (prefix) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temporary.push(dir);
  return dir;
};
process.on("exit", () => temporary.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(130));

/** A throwaway project with n copies of config/dev.json under distinct names. */
function projectWithEnvironments(n) {
  const dir = tempDir(`akskv-bench-${n}-`);
  fs.mkdirSync(path.join(dir, "config"));
  const dev = JSON.parse(fs.readFileSync(path.join(root, "config", "dev.json"), "utf8"));
  for (let i = 1; i <= n; i++) {
    const env = structuredClone(dev);
    env.resourceGroupName = `rg-bench-${i}`;
    env.aks.name = `aks-bench-${i}`;
    env.keyVault.name = `kv-bench-${i}`;
    env.keyVault.secrets[0].source.file = `secrets/e${i}/configurable-secret.json`;
    fs.writeFileSync(path.join(dir, "config", `e${i}.json`), JSON.stringify(env));
  }
  return dir;
}

const quiet = { CHECKPOINT_DISABLE: "1" };
const npx = "npx";
const app = [path.join(root, "tools", "build", "app.mjs")];
const rows = [];

if (values.caches) {
  // Each cache removed before every run of the command it serves; the rest stay warm.
  const drop = (...files) => () => files.forEach((f) => fs.rmSync(path.join(cacheDir, f), { recursive: true, force: true }));
  const appOnce = () => measure(process.execPath, app, { env: { ...quiet, CDKTF_OUTDIR: tempDir("akskv-bench-caches-") } });
  await appOnce();
  const cacheRows = [
    await bench("app, every cache warm", RUNS, appOnce),
    await bench("app without the type-check stamp (tsc runs)", Math.min(RUNS, 3), appOnce, drop("typecheck.stamp")),
    await bench("app without the bundle (esbuild runs)", RUNS, appOnce, drop("bundle.stamp", "main.cjs")),
    await bench("app without the validated-config cache (zod runs)", RUNS, appOnce, drop("validated-configs.json")),
    await bench("npm test, .build-cache warm", Math.min(RUNS, 3), () => measure("npm", ["test"], { env: quiet })),
    await bench("npm test, .build-cache empty", Math.min(RUNS, 3), () => measure("npm", ["test"], { env: quiet }), drop("")),
  ];
  // The review: a git repository whose base is HEAD. With the same sources the base takes the working tree's
  // type-check and bundle over; a changed comment in a tool changes the sources' hash, so the base builds its own.
  const repo = tempDir("akskv-bench-review-");
  for (const entry of ["main.ts", "cdktf.json", "config", "lib", "constructs", "stacks", "tools", "tsconfig.json", "tsconfig.app.json", "package.json", "package-lock.json"]) {
    fs.cpSync(path.join(root, entry), path.join(repo, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(root, "node_modules"), path.join(repo, "node_modules"), "dir");
  const git = (...args) => spawnSync("git", args, { cwd: repo, encoding: "utf8" });
  fs.writeFileSync(path.join(repo, ".gitignore"), "node_modules\n.build-cache/\ncdktf.out/\n");
  git("init", "-q");
  git("-c", "user.email=bench@invalid", "-c", "user.name=bench", "add", "-A");
  git("-c", "user.email=bench@invalid", "-c", "user.name=bench", "commit", "-qm", "base");
  const review = () => measure(process.execPath, [path.join(repo, "tools", "build", "run-ts.mjs"), "tools/review/cli.ts", "--base", "HEAD"], { cwd: repo, env: quiet });
  await review();
  cacheRows.push(await bench("npm run review, base takes the cache over", Math.min(RUNS, 3), review));
  // A .ts source: the sources hash covers TypeScript only.
  const marker = path.join(repo, "tools", "command.ts");
  fs.appendFileSync(marker, "\n// bench: a changed source, so the base cannot take the cache over\n");
  cacheRows.push(await bench("npm run review, base builds its own", Math.min(RUNS, 3), review));
  console.log(["", "| what | runs | wall (s) |", "| --- | ---: | ---: |", ...cacheRows.map((r) => `| ${r.label}${r.failed ? ` (${r.failed} failed!)` : ""} | ${r.runs} | ${r.wall.toFixed(2)} |`)].join("\n"));
  process.exit(cacheRows.some((r) => r.failed) ? 1 : 0);
}

// Warm the caches once, as a developer's machine is after the first synth.
await measure(process.execPath, app, { env: { ...quiet, CDKTF_OUTDIR: tempDir("akskv-bench-out-") } });

rows.push(await bench("npx cdktf synth (sources unchanged)", RUNS, () => measure(npx, ["cdktf", "synth"], { env: quiet })));
rows.push(
  await bench(
    "npx cdktf synth after a source change (type-check + bundle)",
    Math.min(RUNS, 3),
    () => measure(npx, ["cdktf", "synth"], { env: quiet }),
    () => fs.rmSync(cacheDir, { recursive: true, force: true }),
  ),
);
const appOut = tempDir("akskv-bench-app-");
rows.push(
  await bench("app alone: node tools/build/app.mjs (dev + prod)", RUNS, () =>
    measure(process.execPath, app, { env: { ...quiet, CDKTF_OUTDIR: appOut } }),
  ),
);
// CDK Terrain side by side (npm run tools:cdktn first; without it the rows say they failed): its CLI on
// Node 22 through npm run synth:cdktn, and its app alone, each against CDKTF's row above.
const terrainOut = tempDir("akskv-bench-cdktn-");
rows.push(await bench("npm run synth:cdktn (CDK Terrain's CLI, sources unchanged)", RUNS, () => measure("npm", ["run", "-s", "synth:cdktn", "--", "--output", terrainOut], { env: quiet })));
rows.push(
  await bench("CDK Terrain's app alone: node tools/build/terrain-app.mjs (dev + prod)", RUNS, () =>
    measure(process.execPath, [path.join(root, "tools", "build", "terrain-app.mjs")], { env: { ...quiet, CDKTF_OUTDIR: terrainOut } }),
  ),
);
const scaling = [];
for (const n of [1, 2, 8]) {
  const dir = projectWithEnvironments(n);
  const row = await bench(`app alone, ${n} environment${n > 1 ? "s" : ""} (${3 * n} stacks)`, RUNS, () =>
    measure(process.execPath, app, { cwd: dir, env: { ...quiet, CDKTF_OUTDIR: path.join(dir, "cdktf.out") } }),
  );
  rows.push(row);
  scaling.push({ n, ...row });
}
rows.push(await bench("npm test (lint + type-check + jest)", Math.min(RUNS, 3), () => measure("npm", ["test"], { env: quiet })));
// Needs the toolchain (npm run tools:terraform); without it the row says it failed and why.
rows.push(await bench("npm run validate (every stack, each engine, warm)", Math.min(RUNS, 3), () => measure("npm", ["run", "-s", "validate"], { env: quiet })));

// Progress as it goes: which measurement runs now, of how many.
const cpu = os.cpus();
const [one, , eight] = scaling;
const lines = [
  `Measured by \`npm run bench -- --write\` on ${new Date().toISOString().slice(0, 10)}: ${cpu.length} cores (${cpu[0]?.model.trim()}), ` +
    `Node ${process.version}, medians of the runs shown.`,
  "",
  "| what | runs | wall (s) | peak memory, all processes (MB) | largest process (MB) |",
  "| --- | ---: | ---: | ---: | ---: |",
  ...rows.map((r) => `| ${r.label}${r.failed ? ` (${r.failed} failed!)` : ""} | ${r.runs} | ${r.wall.toFixed(2)} | ${r.peakMb.toFixed(0)} | ${r.largestMb.toFixed(0)} |`),
  "",
  `Each environment beyond the first adds ${((eight.peakMb - one.peakMb) / 7).toFixed(1)} MB and ` +
    `${((eight.wall - one.wall) / 7).toFixed(3)} s to the app (1 to 8 environments).`,
];
console.log(`\n${lines.join("\n")}`);
if (values.write) {
  const readme = path.join(root, "docs", "benchmarks.md");
  const text = fs.readFileSync(readme, "utf8");
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  if (begin < 0 || end < begin) {
    process.stderr.write(`bench: docs/benchmarks.md has no ${BEGIN} ... ${END} block to write\n`);
    process.exit(1);
  }
  if (rows.some((r) => r.failed)) {
    process.stderr.write("bench: a measured command failed; docs/benchmarks.md left as it was\n");
    process.exit(1);
  }
  fs.writeFileSync(readme, `${text.slice(0, begin + BEGIN.length)}\n${lines.join("\n")}\n${text.slice(end)}`);
  console.log(`\nwrote the table into docs/benchmarks.md`);
}
