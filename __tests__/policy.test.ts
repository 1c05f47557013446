// The policy rules over synthesized stacks: the shipped environments pass (prod
// with no waiver), and every rule is shown to fail on a config or a
// synthesized stack that breaks it.
import * as fs from "fs";
import * as path from "path";
import { evaluatePolicy, formatReport, reportFails } from "../tools/scan/evaluate";
import { POLICY_RULE_IDS, POLICY_RULES } from "../tools/scan/policy-rules";
import type { SynthesizedEnvironment } from "../tools/scan/synthesized";
import { hardenedConfig, run, shippedEnvironments, writeProject, type Json } from "./helpers";
import { BY_CONFIG, BY_STACK, cluster, configCaseEnv, mutated as mutatedFrom, SECRET, synthEnvironments, synthPolicyFixtures, variant } from "./policy-cases";

const repo = path.resolve(__dirname, "..");
const violated = (env: SynthesizedEnvironment) => evaluatePolicy(env).violations.map((v) => v.rule.id);

describe("every shipped environment", () => {
  const names = shippedEnvironments();
  const shipped = synthEnvironments(Object.fromEntries(names.map((env) => [env, JSON.parse(fs.readFileSync(path.join(repo, "config", `${env}.json`), "utf8"))])));

  test.each(names)("%s breaks only rules it waives, each with a reason, and waives nothing that holds", (env) => {
    const report = evaluatePolicy(shipped[env]);
    expect(report.violations.map((v) => `${v.rule.id}: ${v.findings.join("; ")}`)).toEqual([]);
    expect(report.staleWaivers).toEqual([]);
    expect(report.passed.length + report.waived.length).toBe(POLICY_RULES.length);
  });

  test("those that waive no project rule (prod-like) meet every rule", () => {
    const waivesARule = (env: string) => shipped[env].config.policyWaivers.some((w) => POLICY_RULE_IDS.includes(w.rule));
    expect(names.filter((e) => !waivesARule(e))).toContain("prod");
    for (const env of names.filter((e) => !waivesARule(e))) {
      expect(`${env}: ${evaluatePolicy(shipped[env]).passed.length}`).toBe(`${env}: ${POLICY_RULES.length}`);
    }
  });
});

describe("the policy report", () => {
  test("lists each waiver with its checks and reason", () => {
    const lab = variant("lab", (c) => {
      c.aks.skuTier = "Free";
      c.policyWaivers = [{ rule: "AKS-008", reason: "dev needs no uptime SLA; the Free tier keeps the lab's cost" }];
    });
    const text = formatReport(evaluatePolicy(synthEnvironments({ lab }).lab));
    expect(text.split("\n")[0]).toBe(`policy lab: ${POLICY_RULES.length - 1} rules hold, 1 waived, 0 violated, 0 stale waivers`);
    expect(text).toContain(
      "  waived    AKS-008 (CKV_AZURE_170) A paid SKU tier, for the API server SLA: dev needs no uptime SLA; the Free tier keeps the lab's cost",
    );
  });
});

describe("every rule can fail", () => {
  const environments = synthPolicyFixtures();
  const byConfig = BY_CONFIG;
  const byStack = BY_STACK;
  const envName = configCaseEnv;
  const mutated = (change: (env: Json) => void) => mutatedFrom(environments.base, change);

  test("the hardened config meets every rule (the baseline each case below breaks)", () => {
    expect(violated(environments.base)).toEqual([]);
  });

  test.each(byConfig.map((c, i) => [...c, i] as const))("%s fails on a config with %s", (_rule, _what, _change, expected, index) => {
    expect(violated(environments[envName(index)])).toEqual(expected);
  });

  test.each(byStack)("%s fails on a stack with %s", (rule, _what, change, finding) => {
    const report = evaluatePolicy(mutated(change));
    expect(report.violations.map((v) => v.rule.id)).toEqual([rule]);
    expect(report.violations[0].findings.join("\n")).toMatch(finding);
  });

  test("the secret files' values are searched for as written, JSON-escaped and base64-encoded", () => {
    expect(environments.base.secretValues).toEqual([SECRET, JSON.stringify(SECRET).slice(1, -1), Buffer.from(SECRET).toString("base64")]);
    const base64 = mutated((e) => e.files.push({ path: "g", text: Buffer.from(SECRET).toString("base64") }));
    expect(violated(base64)).toEqual(["OUT-001"]);
  });

  test("a configured deployerObjectId is the deployer's, not a reader's: its wider vault rights break no rule", () => {
    const configured = synthEnvironments({ d: variant("d", (c) => (c.deployerObjectId = "00000000-0000-4000-8000-00000000abcd")) });
    expect(violated(configured.d)).toEqual([]);
  });

  test("every rule has at least one case above", () => {
    const covered = new Set([...byConfig.map(([rule]) => rule), ...byStack.map(([rule]) => rule)]);
    expect(POLICY_RULE_IDS.filter((id) => !covered.has(id))).toEqual([]);
  });

  test("a waiver moves a broken rule out of the violations; a waiver of a rule that holds is stale and fails", () => {
    const broken = mutated((e) => {
      cluster(e).sku_tier = "Free";
      e.config = { ...e.config, policyWaivers: [{ rule: "AKS-008", reason: "no SLA needed here" }, { rule: "AKS-001", reason: "left over from before" }] };
    });
    const report = evaluatePolicy(broken);
    expect(report.violations).toEqual([]);
    expect(report.waived.map((w) => [w.rule.id, w.reason])).toEqual([["AKS-008", "no SLA needed here"]]);
    expect(report.staleWaivers).toEqual([{ rule: "AKS-001", reason: "left over from before" }]);
    expect(reportFails(report)).toBe(true);
    expect(formatReport(report)).toContain("  STALE     AKS-001 is waived but holds: remove it from policyWaivers in config/base.json");
  });
});

describe("npm run policy", () => {
  test("exits 1 and names the rule, the resource and the attribute when a project breaks a rule", () => {
    const config = hardenedConfig("prod");
    config.aks.skuTier = "Free";
    const root = writeProject({ prod: config });
    const result = run(process.execPath, [path.join(repo, "tools", "build", "run-ts.mjs"), path.join(repo, "tools", "scan", "cli.ts")], root);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("policy prod: ");
    expect(result.stdout).toContain("  VIOLATED  AKS-008 (CKV_AZURE_170) A paid SKU tier, for the API server SLA");
    expect(result.stdout).toContain('            - azurerm_kubernetes_cluster.cluster: sku_tier = "Free"; must be "Standard" or "Premium"');
  }, 60_000);
});
