// Jest gives every test file a fresh module registry, so each file would load
// cdktf and the provider modules again. This environment instead loads the
// synth code (stacks/synthesize.ts, bundled by esbuild exactly as `cdktf synth` runs
// it) once per worker, in the worker's own Node realm, and hands test files a
// function that synthesizes a project to disk. Tests read the JSON it writes.
const path = require("path");
const { TestEnvironment } = require("jest-environment-node");

let synthesizeInWorker; // one per worker process

async function loadSynthesize() {
  if (synthesizeInWorker) return synthesizeInWorker;
  const cache = await import(path.join(__dirname, "..", "..", "tools", "build", "build-cache.mjs"));
  const fs = require("fs");
  const bundle = path.join(cache.cacheDir, `test-synth-${cache.appSourcesHash().slice(0, 16)}.cjs`);
  if (!fs.existsSync(bundle)) await cache.bundle(path.join("stacks", "synthesize.ts"), bundle);
  const { synthesize } = require(bundle);
  synthesizeInWorker = (projectRoot, outdir) => {
    const { warnings } = synthesize(projectRoot, outdir);
    return { warnings: [...warnings] };
  };
  return synthesizeInWorker;
}

class SynthEnvironment extends TestEnvironment {
  async setup() {
    await super.setup();
    this.global.__synthesizeInWorker = await loadSynthesize();
    // A test file's `process` is jest's copy, on which a signal listener never fires: a file that must clean
    // up when SIGTERM or SIGINT ends the run (a CI timeout, Ctrl-C) listens on the real one through this.
    this.signalListeners = [];
    this.global.__onSignal = (signal, listener) => {
      process.once(signal, listener);
      this.signalListeners.push([signal, listener]);
    };
  }

  async teardown() {
    for (const [signal, listener] of this.signalListeners ?? []) process.removeListener(signal, listener);
    await super.teardown();
  }
}

module.exports = SynthEnvironment;
