// What `cdktf synth` runs, and the two caches keyed by its content: the
// type-check stamp and the esbuild bundle. A content hash, not timestamps, so
// synth never runs stale output and never skips a needed type-check.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const cacheDir = path.join(root, ".build-cache");

// Everything that can change what the app does or whether it type-checks.
const APP_DIRS = ["config", "lib", "constructs", "stacks", "tools"];
const APP_FILES = ["main.ts", "tsconfig.json", "tsconfig.app.json", "package-lock.json"];

function tsFilesUnder(dir) {
  const full = path.join(root, dir);
  if (!fs.existsSync(full)) return [];
  return fs.readdirSync(full, { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) return tsFilesUnder(relative);
    return entry.name.endsWith(".ts") ? [relative] : [];
  });
}

export function appSourcesHash() {
  const hash = createHash("sha256");
  for (const file of [...APP_FILES, ...APP_DIRS.flatMap(tsFilesUnder)].sort()) {
    hash.update(`${file}\0`);
    hash.update(fs.existsSync(path.join(root, file)) ? fs.readFileSync(path.join(root, file)) : "");
    hash.update("\0");
  }
  return hash.digest("hex");
}

function readFileOrUndefined(file) {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

function readStampIn(dir, name) {
  return readFileOrUndefined(path.join(dir, `${name}.stamp`))?.toString("utf8");
}

export function readStamp(name) {
  return readStampIn(cacheDir, name);
}

/** Writes through a temporary file and a rename, so concurrent runs never see half a file. */
export function writeAtomically(file, content) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, content);
  fs.renameSync(temporary, file);
}

export function writeStamp(name, value) {
  writeAtomically(path.join(cacheDir, `${name}.stamp`), value);
}

/**
 * Another checkout's .build-cache, named by AKSKV_SYNTH_CACHE_FROM: `npm run
 * review` points the base worktree at the working tree's, so a base with the
 * same sources skips its type-check and bundle.
 */
function otherCacheDir() {
  const other = process.env.AKSKV_SYNTH_CACHE_FROM;
  return other && path.resolve(other) !== cacheDir ? other : undefined;
}

/**
 * Takes over a cached step from the other checkout: only when that step's stamp
 * there equals this checkout's hash, before and after its files are read.
 * Returns whether it did.
 */
export function adoptStep(name, hash, files = []) {
  const other = otherCacheDir();
  if (!other || readStampIn(other, name) !== hash) return false;
  const contents = files.map((file) => readFileOrUndefined(path.join(other, file)));
  if (contents.includes(undefined) || readStampIn(other, name) !== hash) return false;
  files.forEach((file, i) => writeAtomically(path.join(cacheDir, file), contents[i]));
  writeStamp(name, hash);
  return true;
}

/** The other checkout's validated configs, when this one has none yet: each entry is keyed by the sources hash and the file's text. */
export function adoptValidatedConfigs() {
  const other = otherCacheDir();
  const own = path.join(cacheDir, "validated-configs.json");
  if (!other || fs.existsSync(own)) return;
  const content = readFileOrUndefined(path.join(other, "validated-configs.json"));
  if (content) writeAtomically(own, content);
}

/**
 * The `app` command's three steps, for either engine: type-check when the sources changed since the
 * last successful check (a type error removes cdktf.out's stacks, so nothing stale is left to deploy by
 * mistake, and exits 1), bundle when they changed, run. `adopt` takes either step over from
 * AKSKV_SYNTH_CACHE_FROM's checkout where its stamp matches.
 */
export async function runApp({ stamp, tsconfig, outfile, hash, engine, adopt = false, bundleOptions = {} }) {
  if (readStamp(`typecheck${stamp}`) !== hash && !(adopt && adoptStep("typecheck", hash))) {
    process.stdout.write(`Type-checking the stacks${engine ? ` against ${engine}` : ""} (their sources changed since the last check)...\n`);
    if (typecheck(tsconfig) !== 0) {
      const outdir = process.env.CDKTF_OUTDIR ?? "cdktf.out";
      fs.rmSync(path.join(outdir, "stacks"), { recursive: true, force: true });
      fs.rmSync(path.join(outdir, "manifest.json"), { force: true });
      process.stderr.write(`synth${engine ? ` on ${engine}` : ""} stopped: fix the type errors above; nothing was synthesized\n`);
      process.exit(1);
    }
    writeStamp(`typecheck${stamp}`, hash);
  }
  if ((readStamp(`bundle${stamp}`) !== hash || !fs.existsSync(outfile)) && !(adopt && adoptStep("bundle", hash, [path.basename(outfile)]))) {
    await bundle("main.ts", outfile, bundleOptions);
    writeStamp(`bundle${stamp}`, hash);
  }
  process.env.AKSKV_SOURCES_HASH = hash;
  createRequire(import.meta.url)(outfile);
}

/** Runs tsc --noEmit on a tsconfig; its report goes to stderr. Returns the exit status. */
export function typecheck(project) {
  const typescript = path.dirname(createRequire(import.meta.url).resolve("typescript/package.json"));
  const tsc = path.join(typescript, "bin", "tsc");
  const result = spawnSync(process.execPath, [tsc, "--noEmit", "--pretty", "false", "-p", path.join(root, project)], {
    stdio: ["ignore", 2, 2],
  });
  return result.status ?? 1;
}

/**
 * Bundles one entry point of the project's own TypeScript into a CommonJS file
 * (packages stay external and load from node_modules), written atomically.
 */
/** The bundle of one command module (entry relative to the project root), built once per source hash. */
export async function entryBundle(entry) {
  const name = entry.replace(/\.ts$/, "").replace(/[^\w]+/g, "-");
  const outfile = path.join(cacheDir, `${name}-${appSourcesHash().slice(0, 16)}.cjs`);
  if (!fs.existsSync(outfile)) await bundle(entry, outfile);
  return outfile;
}

export async function bundle(entry, outfile, options = {}) {
  const { buildSync } = await import("esbuild");
  const result = buildSync({
    ...options,
    entryPoints: [path.join(root, entry)],
    outfile,
    write: false,
    bundle: true,
    packages: "external",
    platform: "node",
    target: "node20",
    format: "cjs",
    // Used only when asked for: NODE_OPTIONS=--enable-source-maps npx cdktf synth.
    // Always on, it costs ~200 ms: cdktf captures a stack trace for every token.
    sourcemap: "inline",
    logLevel: "warning",
  });
  writeAtomically(outfile, result.outputFiles[0].contents);
}
