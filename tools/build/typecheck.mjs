// `npm run ci:typecheck`: tsc over the whole project, tests included. A pass also
// covers the stacks, so it records the stamp that lets `cdktf synth` skip its
// own check until the sources change.
import { scriptArgs } from "./args.mjs";
import { appSourcesHash, typecheck, writeStamp } from "./build-cache.mjs";

scriptArgs("typecheck", "usage: npm run ci:typecheck", "tsc --noEmit over the whole project, tests included (TypeScript 7); records the stamp that lets synth skip its own check.");

const hash = appSourcesHash(); // before tsc runs: an edit made meanwhile is checked next time
const status = typecheck("tsconfig.json");
if (status === 0) writeStamp("typecheck", hash);
process.exit(status);
