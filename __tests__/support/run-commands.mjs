// For documented-commands.commands.test.ts: runs many of the project's command modules
// one after another in this one process, each through the same main(args) its
// npm script calls (tools/build/run-ts.mjs) in the working directory given, and
// prints each one's exit code and output as JSON. One process instead of one
// per line: most of a command's cost is Node's start and its module loading.
//   node __tests__/support/run-commands.mjs <commands.json>   ([{ "id", "entry", "args" }])
import * as fs from "node:fs";
import { createRequire } from "node:module";
import { entryBundle } from "../../tools/build/build-cache.mjs";

const commands = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const require = createRequire(import.meta.url);
const results = [];
const write = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };
for (const { id, entry, args } of commands) {
  let output = "";
  const capture = (chunk) => ((output += String(chunk)), true);
  process.stdout.write = capture;
  process.stderr.write = capture;
  let status;
  try {
    status = await require(await entryBundle(entry)).main(args);
  } catch (error) {
    output += `unexpected: ${error?.stack ?? error}`;
    status = 1;
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
  results.push({ id, status, output });
}
write.out(`${JSON.stringify(results)}\n`);
