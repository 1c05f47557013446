// The pull request comment: Terraform plan summaries per stack, then the
// offline review. One comment per pull request, found again by its marker and
// updated in place; always under GitHub's size limit; the same input always
// gives the same text.
import type { ScanOutput } from "../scan/checkov";
import { SECURITY_HEADING } from "./markdown";
import type { PlanSummary } from "./plan";

/** The first line of the comment: how the workflow finds it to update it. */
export const COMMENT_MARKER = "<!-- aks-keyvault-cdktf: plan review -->";

/** GitHub refuses comment bodies over 65,536 characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;

export interface CommentInput {
  /** The offline review's Markdown (renderReview). */
  readonly review: string;
  /** Terraform plan summaries in deploy order; empty when no plan could run. */
  readonly plans: readonly PlanSummary[];
  /** Why there are no plans, when there are none (e.g. a fork has no Azure credentials). */
  readonly noPlanReason?: string;
  /** npm run scan's verdicts on the pull request's head, when it ran. */
  readonly scan?: ScanOutput;
  /** Where the full plans and review are (the workflow run's artifacts). */
  readonly artifactUrl?: string;
  readonly limit?: number;
}

function planTable(input: CommentInput): string[] {
  if (input.plans.length === 0) {
    return [`No Terraform plan: ${input.noPlanReason ?? "none was run"}. The offline review below needs no credentials.`, ""];
  }
  const lines = ["| Stack | Plan | Add | Change | Replace | Destroy |", "| --- | --- | ---: | ---: | ---: | ---: |"];
  for (const p of input.plans) {
    const status =
      p.status === "failed"
        ? `failed: ${p.error ?? "see the job log"}`
        : p.status === "waits"
          ? (p.error ?? "waits for its upstream stack's apply")
          : p.upstreamPending
          ? "planned against the deployed upstream outputs (its upstream stack has pending changes)"
          : p.status === "no-changes"
            ? "no changes"
            : "changes";
    const n = (value: number) => (p.status === "failed" || p.status === "waits" ? "-" : String(value));
    lines.push(`| \`${p.stack}\` | ${status.replace(/\|/g, "\\|").replace(/\n/g, " ")} | ${n(p.add)} | ${n(p.change)} | ${n(p.replace)} | ${n(p.destroy)} |`);
  }
  return [...lines, ""];
}

/**
 * checkov's failures on the head. main passes the scan (CI runs it on every
 * change), so every failure no waiver covers is one this pull request brings;
 * a waiver it adds shows in the review's security section.
 */
function scanSection(scan: ScanOutput | undefined): string[] {
  if (!scan) return [];
  const lines = [`### checkov ${scan.checkovVersion}`, ""];
  const problems = scan.verdicts.flatMap((v) => [
    ...v.failed.map((r) => `- **${r.check}** \`${r.address}\` in \`${r.stack}\`: ${r.title}`),
    ...v.stale.map((w) => `- **Stale waiver** ${w.rule} in \`config/${v.environment}.json\`: it passes now; remove the waiver.`),
    ...v.parsingErrors.map((file) => `- **Not scanned**: checkov could not parse \`${file}\` (${v.environment}).`),
  ]);
  const counts = scan.verdicts.map((v) => `${v.environment} ${v.passed} passed, ${v.waived.length} waived`).join("; ");
  lines.push(problems.length === 0 ? `No failure outside the waivers (${counts}).` : `Failures no waiver covers (${counts}):`, ...problems, "");
  return lines;
}

function pointer(input: CommentInput, cut: number): string {
  const where = input.artifactUrl ? `the [plan-review artifact](${input.artifactUrl})` : "the workflow run's plan-review artifact";
  return `\n\n_Truncated: ${cut} more characters did not fit in a comment. The full review and every plan are in ${where}._\n`;
}

/** Cuts text to at most max characters, at a line end. */
function cutAtLine(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const end = cut.lastIndexOf("\n");
  return end > 0 ? cut.slice(0, end) : cut;
}

export function renderComment(input: CommentInput): string {
  const limit = input.limit ?? GITHUB_COMMENT_LIMIT;
  const head = `${[COMMENT_MARKER, "", ...planTable(input), ...scanSection(input.scan)].join("\n")}\n`;
  const body = `${head}${input.review}`;
  if (body.length <= limit) return body;

  // Keep the plans and the security section; cut the per-environment details first.
  const start = input.review.indexOf(SECURITY_HEADING);
  const afterSecurity = start < 0 ? -1 : input.review.indexOf("\n### ", start + SECURITY_HEADING.length);
  const essential = afterSecurity < 0 ? input.review : input.review.slice(0, afterSecurity);
  const reserve = pointer(input, body.length).length;
  const room = limit - head.length - reserve;
  const kept = essential.length <= room ? `${essential}${cutAtLine(input.review.slice(essential.length), room - essential.length)}` : cutAtLine(essential, room);
  return `${head}${kept.replace(/\n+$/, "")}${pointer(input, input.review.length - kept.length)}`;
}
