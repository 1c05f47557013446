// Runs every rule over one environment and applies its waivers.
import type { PolicyWaiver } from "../../config/types";
import { POLICY_RULES, type PolicyRule } from "./policy-rules";
import type { SynthesizedEnvironment } from "./synthesized";

export interface RuleResult {
  readonly rule: PolicyRule;
  readonly findings: readonly string[];
}

export interface PolicyReport {
  readonly environment: string;
  readonly passed: readonly PolicyRule[];
  /** Broken, and waived with a reason. */
  readonly waived: readonly (RuleResult & { readonly reason: string })[];
  /** Broken and not waived: these fail `npm test`. */
  readonly violations: readonly RuleResult[];
  /** Waivers of rules that hold: they would hide a future regression, so they fail too. */
  readonly staleWaivers: readonly PolicyWaiver[];
}

export function evaluatePolicy(env: SynthesizedEnvironment, rules: readonly PolicyRule[] = POLICY_RULES): PolicyReport {
  const waivers = new Map(env.config.policyWaivers.map((w) => [w.rule, w]));
  const passed: PolicyRule[] = [];
  const waived: (RuleResult & { reason: string })[] = [];
  const violations: RuleResult[] = [];
  const staleWaivers: PolicyWaiver[] = [];
  for (const rule of rules) {
    const findings = rule.evaluate(env);
    const waiver = waivers.get(rule.id);
    if (findings.length === 0) {
      passed.push(rule);
      if (waiver) staleWaivers.push(waiver);
    } else if (waiver) waived.push({ rule, findings, reason: waiver.reason });
    else violations.push({ rule, findings });
  }
  return { environment: env.config.environment, passed, waived, violations, staleWaivers };
}

export function reportFails(report: PolicyReport): boolean {
  return report.violations.length > 0 || report.staleWaivers.length > 0;
}

function label(rule: PolicyRule): string {
  const all = [...rule.checks, ...(rule.manifestChecks ?? [])];
  const checks = all.length > 0 ? ` (${all.join(", ")})` : "";
  return `${rule.id}${checks} ${rule.title}`;
}

/** Plain text for a terminal or a CI log: every waiver with its reason, every violation with its findings. */
export function formatReport(report: PolicyReport): string {
  const lines = [
    `policy ${report.environment}: ${report.passed.length} rules hold, ${report.waived.length} waived, ` +
      `${report.violations.length} violated, ${report.staleWaivers.length} stale waivers`,
  ];
  for (const { rule, reason } of report.waived) lines.push(`  waived    ${label(rule)}: ${reason}`);
  for (const { rule, findings } of report.violations) {
    lines.push(`  VIOLATED  ${label(rule)}: ${rule.rationale}`);
    for (const finding of findings) lines.push(`            - ${finding}`);
  }
  for (const waiver of report.staleWaivers) {
    lines.push(`  STALE     ${waiver.rule} is waived but holds: remove it from policyWaivers in config/${report.environment}.json`);
  }
  return lines.join("\n");
}
