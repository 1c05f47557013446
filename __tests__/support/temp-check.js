// jest globalSetup and globalTeardown: a run leaves the system temp folder as
// it found it. The setup makes this run's own temp root and points TMPDIR at
// it, so the workers and every process they start make their temporary
// folders there; the teardown fails the run, naming them, if anything is left
// in it, then removes it. Two runs side by side each look only at their own.
const fs = require("fs");
const os = require("os");
const path = require("path");

module.exports.setup = async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "akskv-run-"));
  globalThis.__akskvTempRoot = root;
  process.env.TMPDIR = root;
  // A run ended by SIGTERM or SIGINT (a CI timeout, Ctrl-C) never reaches the teardown: the root goes on exit.
  // A test file that cleans up on the signal first (the lab) exits itself; otherwise this ends the run.
  process.once("exit", () => fs.rmSync(root, { recursive: true, force: true }));
  for (const signal of ["SIGTERM", "SIGINT"]) {
    process.once(signal, () => {
      if (process.listenerCount(signal) === 0) process.exit(130);
    });
  }
};

module.exports.teardown = async () => {
  const root = globalThis.__akskvTempRoot;
  // The project's own folders (tempDir's akskv-* prefix); tools' scratch files go with the root.
  const left = fs.readdirSync(root).filter((name) => name.startsWith("akskv-"));
  fs.rmSync(root, { recursive: true, force: true });
  if (left.length > 0) throw new Error(`the tests left ${left.length} entr(ies) in their temp folder ${root}: ${left.slice(0, 5).join(", ")}${left.length > 5 ? ", ..." : ""}`);
};
