// The review as Markdown, for a terminal or a pull request comment. The same
// review always gives the same text.
import type { Action, Review, StackReview } from "./diff";

export const SECURITY_HEADING = "### Security-relevant";

const SYMBOL: Record<Action, string> = { add: "+ add", change: "~ change", destroy: "- destroy", replace: "-/+ replace" };

/** A table cell: pipes and newlines would break the table. */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

function stackSection(stack: StackReview): string[] {
  const lines = [`#### ${stack.stack}`, ""];
  if (stack.resources.length > 0) {
    lines.push("| Action | Resource | Changed attributes |", "| --- | --- | --- |");
    for (const r of stack.resources) {
      const attributes = r.attributes.map((a) => `\`${a.path}\`: \`${a.before}\` → \`${a.after}\``).join("<br>");
      lines.push(`| ${SYMBOL[r.action]} | \`${r.address}\` |${attributes ? ` ${cell(attributes)} ` : " "}|`);
    }
    lines.push("");
  }
  if (stack.wiring.length > 0) {
    lines.push("Cross-stack wiring:", "", ...stack.wiring.map((w) => `- ${w}`), "");
  }
  return lines;
}

function counts(review: Review): string {
  const all = [...review.environments.values()].flat().flatMap((s) => s.resources);
  const count = (action: Action) => all.filter((r) => r.action === action).length;
  return `${count("add")} to add, ${count("change")} to change, ${count("replace")} to replace, ${count("destroy")} to destroy`;
}

export function renderReview(review: Review, baseRef: string): string {
  const lines = ["## Infrastructure review", ""];
  if (review.environments.size === 0 && review.security.length === 0) {
    lines.push(`No changes: the working tree synthesizes the same stacks as \`${baseRef}\`.`);
    return `${lines.join("\n")}\n`;
  }
  const names = [...review.environments.keys()];
  lines.push(`Compared with \`${baseRef}\`: ${counts(review)}, in ${names.length === 1 ? "environment" : "environments"} ${names.map((n) => `\`${n}\``).join(", ")}.`, "");
  lines.push(SECURITY_HEADING, "");
  if (review.security.length === 0) lines.push("Nothing security-relevant changed.");
  else lines.push(...review.security.map((s) => `- ${s}`));
  lines.push("");
  for (const [env, stacks] of review.environments) {
    lines.push(`### ${env}`, "", ...stacks.flatMap(stackSection));
  }
  return `${lines.join("\n").replace(/\n+$/, "")}\n`;
}
