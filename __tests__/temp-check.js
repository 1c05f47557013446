// jest globalSetup and globalTeardown: a full run must leave the system temp
// folder as it found it. The setup lists the project's akskv-* entries; the
// teardown fails the run, naming them, if any new one is left.
const fs = require("fs");
const os = require("os");

const ours = () => fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith("akskv-"));

module.exports.setup = async () => {
  globalThis.__akskvTempBefore = new Set(ours());
};

module.exports.teardown = async () => {
  const left = ours().filter((name) => !globalThis.__akskvTempBefore.has(name));
  if (left.length > 0) throw new Error(`the tests left ${left.length} folder(s) in ${os.tmpdir()}: ${left.slice(0, 5).join(", ")}${left.length > 5 ? ", ..." : ""}`);
};
