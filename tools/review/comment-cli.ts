// `npm run ci:pr-comment -- --review <review.md> [--plans <summaries.json>]... [--scan <scan.json>] [--no-plan-reason <text>] [--artifact-url <url>]`
// Prints the pull request comment body (see tools/review/comment.ts).
import * as fs from "fs";
import { parseFlags, wantsHelp, type Flags } from "../flags";
import { renderComment } from "./comment";
import type { PlanSummary } from "./plan";

const USAGE = "usage: npm run ci:pr-comment -- --review <file> [--plans <file>]... [--scan <file>] [--no-plan-reason <text>] [--artifact-url <url>]";

export function main(args: readonly string[]): number {
  if (wantsHelp(args)) {
    process.stdout.write(`${USAGE}\n\nPrints the pull request comment: each environment's plan summary, checkov's failures (--scan, from npm run scan -- --json) and the offline review.\n`);
    return 0;
  }
  let options: Flags;
  try {
    options = parseFlags(
      args,
      { values: ["--review", "--plans", "--scan", "--no-plan-reason", "--artifact-url"] },
      USAGE,
    );
  } catch (error) {
    process.stderr.write(`pr-comment: ${(error as Error).message}\n`);
    return 2;
  }
  const reviewFile = options.get("--review");
  if (!reviewFile) {
    process.stderr.write(`pr-comment: --review is required; ${USAGE}\n`);
    return 2;
  }
  if (!fs.existsSync(reviewFile)) {
    process.stderr.write(`pr-comment: --review file ${JSON.stringify(reviewFile)} not found\n`);
    return 2;
  }
  // One --plans per environment's plan job; a file a failed job never wrote is left out.
  const plans: PlanSummary[] = options
    .all("--plans")
    .filter((file) => fs.existsSync(file))
    .flatMap((file) => JSON.parse(fs.readFileSync(file, "utf8")));
  // A scan that never wrote its file (a failed install) leaves the section out; its job failed loudly.
  const scanFile = options.get("--scan");
  const scan = scanFile && fs.existsSync(scanFile) ? JSON.parse(fs.readFileSync(scanFile, "utf8")) : undefined;
  process.stdout.write(
    renderComment({
      review: fs.readFileSync(reviewFile, "utf8"),
      plans,
      scan,
      noPlanReason: options.get("--no-plan-reason"),
      artifactUrl: options.get("--artifact-url"),
    }),
  );
  return 0;
}
