// `npm run pr-comment -- --review <review.md> [--plans <summaries.json>] [--no-plan-reason <text>] [--artifact-url <url>]`
// Prints the pull request comment body (see review/comment.ts).
import * as fs from "fs";
import { renderComment } from "./comment";
import type { PlanSummary } from "./plan";

export function main(args: readonly string[]): number {
  const options = new Map<string, string>();
  for (let i = 0; i < args.length; i += 2) {
    if (!["--review", "--plans", "--no-plan-reason", "--artifact-url"].includes(args[i]) || args[i + 1] === undefined) {
      process.stderr.write(`pr-comment: bad argument ${JSON.stringify(args[i])}; usage: npm run pr-comment -- --review <file> [--plans <file>] [--no-plan-reason <text>] [--artifact-url <url>]\n`);
      return 2;
    }
    options.set(args[i], args[i + 1]);
  }
  const reviewFile = options.get("--review");
  if (!reviewFile || !fs.existsSync(reviewFile)) {
    process.stderr.write(`pr-comment: --review file ${JSON.stringify(reviewFile ?? "")} not found\n`);
    return 2;
  }
  const plansFile = options.get("--plans");
  const plans: PlanSummary[] = plansFile && fs.existsSync(plansFile) ? JSON.parse(fs.readFileSync(plansFile, "utf8")) : [];
  process.stdout.write(
    renderComment({
      review: fs.readFileSync(reviewFile, "utf8"),
      plans,
      noPlanReason: options.get("--no-plan-reason"),
      artifactUrl: options.get("--artifact-url"),
    }),
  );
  return 0;
}
