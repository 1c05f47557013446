// checkov itself (npm run test:scan; installs the pinned checkov on first use):
// the shipped project passes npm run scan with its waivers, the scan fails on
// what it must, and checkov's verdict agrees with the project's rules on the
// shipped environments and on every way policy.test.ts breaks a rule.
import * as fs from "fs";
import * as path from "path";
import type { CheckResult } from "../tools/scan/checkov";
import { checkovDir, ensureCheckov, runCheckov } from "../tools/scan/checkov-run";
import { readCheckovReport } from "../tools/scan/checkov";
import { POLICY_RULES } from "../tools/scan/policy-rules";
import { writeScanCopies, type ScanTarget } from "../tools/scan/scan";
import type { SynthesizedEnvironment } from "../tools/scan/synthesized";
import { run, shippedEnvironments, tempDir, writeProject, type Json } from "./helpers";
import { BY_CONFIG, BY_STACK, configCaseEnv, mutated, SECRET, synthEnvironments, synthPolicyFixtures } from "./policy-cases";

const repo = path.resolve(__dirname, "..");
const scanCommand = [path.join(repo, "tools", "build", "run-ts.mjs"), path.join(repo, "tools", "scan", "scan-cli.ts")];

let bin = "";
beforeAll(async () => {
  bin = await ensureCheckov(checkovDir(process.env), (line) => process.stdout.write(`${line}\n`));
}, 600_000);

describe("npm run scan", () => {
  test("passes on the shipped project: every failure waived with its reason, no stale waiver", () => {
    const result = run(process.execPath, scanCommand, repo);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    for (const env of shippedEnvironments()) {
      const config = JSON.parse(fs.readFileSync(path.join(repo, "config", `${env}.json`), "utf8"));
      expect(result.stdout).toMatch(new RegExp(`^checkov ${env}: \\d+ passed, 0 failed, \\d+ skipped \\(waived\\), 0 stale waivers$`, "m"));
      for (const waiver of config.policyWaivers.filter((w: Json) => w.rule.startsWith("CKV"))) {
        expect(result.stdout).toContain(`  skipped   ${waiver.rule} `);
      }
    }
  }, 180_000);

  test("exits 1 naming the check, resource and stack of an unwaived failure, and names a stale waiver", () => {
    const prod = JSON.parse(fs.readFileSync(path.join(repo, "config", "prod.json"), "utf8"));
    prod.policyWaivers = prod.policyWaivers.filter((w: Json) => w.rule !== "CKV_K8S_43");
    prod.policyWaivers.push({ rule: "CKV_AZURE_8", reason: "left over from an older cluster" });
    const root = writeProject({ prod }, { "secrets/prod/configurable-secret.json": SECRET });
    const result = run(process.execPath, scanCommand, root);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("  FAILED    CKV_K8S_43 kubernetes_deployment_v1.deployment in app-prod: Image should use digest");
    expect(result.stdout).toContain("  STALE     CKV_AZURE_8 is waived but passes: remove it from policyWaivers in config/prod.json");
    expect(result.stderr).toContain("scan: checkov failures, stale waivers or unread stacks above");
  }, 180_000);

  test("refuses an environment config/ does not have, naming those it has", () => {
    const result = run(process.execPath, [...scanCommand, "--env", "staging"], repo);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^scan: --env "staging" is not in config\/ \(there: dev, prod\); usage: npm run scan/);
  }, 120_000);
});

/**
 * Cases that break a rule where it is stricter than the checkov checks it
 * mirrors: checkov passes them, and the rule is what catches them.
 */
const BEYOND_CHECKOV: Record<string, string> = {
  "AKS-002: Azure RBAC off": "CKV_AZURE_5 asks for Kubernetes RBAC, which stays on; Azure RBAC for it is the project's own demand",
  "AKS-003: API server open through 0.0.0.0/0": "CKV_AZURE_6 asks for a list of ranges, not what is in it",
  "AKS-007: no data collection rule association": "CKV_AZURE_4 sees the agent, not whether it may send anything",
  "AKS-009: a critical-only system pool and no user pool": "CKV_AZURE_232 sees the taint, not where the apps would go",
  "AKS-010: a disk encryption set asked for but not set": "CKV_AZURE_227 is encryption at host; the set is checked where configured only",
  "KV-003: an allowed range wider than /10": "checkov asks for a default of Deny, not which ranges are allowed",
  "KV-003: a foreign subnet admitted": "checkov asks for a default of Deny, not which subnets are allowed",
  "POD-004: a capability added": "CKV_K8S_28 and CKV_K8S_37 read the drop list only, not what is added back",
  "POD-009: a namespace named default": "checkov reads the Deployment's namespace as the reference it is, not the name it resolves to",
  "POD-008: a configured digest dropped": "CKV_K8S_14 asks for a fixed tag; the configured digest is the project's own rule",
};

interface Fixture {
  readonly name: string;
  readonly env: SynthesizedEnvironment;
  /** The case's rule and what breaks it; none for the baseline and the shipped environments. */
  readonly breaks?: { readonly rule: string; readonly what: string };
}

describe("checkov agrees with the project's rules", () => {
  const mirroring = POLICY_RULES.filter((rule) => rule.checks.length > 0);
  let fixtures: Fixture[] = [];
  let results: readonly CheckResult[] = [];

  beforeAll(async () => {
    const environments = synthPolicyFixtures();
    const shipped = synthEnvironments(Object.fromEntries(shippedEnvironments().map((env) => [env, JSON.parse(fs.readFileSync(path.join(repo, "config", `${env}.json`), "utf8"))])));
    fixtures = [
      ...Object.entries(shipped).map(([name, env]) => ({ name: `shipped-${name}`, env })),
      { name: "base", env: environments.base },
      ...BY_CONFIG.map(([rule, what], i) => ({ name: `config-${i}`, env: environments[configCaseEnv(i)], breaks: { rule, what } })),
      ...BY_STACK.map(([rule, what, change], i) => ({ name: `stack-${i}`, env: mutated(environments.base, change), breaks: { rule, what } })),
    ];
    const targets: ScanTarget[] = fixtures.map(({ name, env }) => ({
      environment: name,
      waivers: [],
      stacks: { [`aks-${env.config.environment}`]: env.aks, [`keyvault-${env.config.environment}`]: env.keyVault, [`app-${env.config.environment}`]: env.app },
    }));
    const work = tempDir("akskv-agree-");
    const addresses = writeScanCopies(work, targets);
    // One run over every fixture, only the mirrored checks: about 10 s instead of one run each.
    const { report } = await runCheckov(bin, work, { only: [...new Set(mirroring.flatMap((rule) => rule.checks))] });
    const read = readCheckovReport(report, (dir) => addresses.get(dir) ?? new Map());
    expect(read.parsingErrors).toEqual([]);
    results = read.results;
  }, 300_000);

  const verdictOf = (fixture: string, checks: readonly string[]) => results.filter((r) => r.stack.split("/")[0] === fixture && checks.includes(r.check));

  test("where a rule holds, checkov passes every check it mirrors (shipped environments, baseline and every case)", () => {
    const disagreements: string[] = [];
    for (const { name, env } of fixtures) {
      for (const rule of mirroring) {
        const found = verdictOf(name, rule.checks);
        const missing = rule.checks.filter((check) => !found.some((r) => r.check === check));
        if (missing.length > 0) disagreements.push(`${name}: checkov evaluated none of ${missing.join(", ")} (${rule.id})`);
        if (rule.evaluate(env).length > 0) continue;
        for (const r of found.filter((f) => !f.passed)) disagreements.push(`${name}: ${rule.id} holds but checkov fails ${r.check} on ${r.address}`);
      }
    }
    expect(disagreements).toEqual([]);
  });

  test("where a case breaks what a mirrored check looks at, checkov fails it too", () => {
    const disagreements: string[] = [];
    for (const { name, env, breaks } of fixtures) {
      const rule = mirroring.find((r) => r.id === breaks?.rule);
      if (!breaks || !rule) continue;
      const key = `${breaks.rule}: ${breaks.what}`;
      expect(`${key}: ${rule.evaluate(env).length > 0}`).toBe(`${key}: true`);
      const checkovFails = verdictOf(name, rule.checks).some((r) => !r.passed);
      if (!checkovFails && !(key in BEYOND_CHECKOV)) disagreements.push(`${key}: the rule fails, checkov passes ${rule.checks.join(", ")}`);
      if (checkovFails && key in BEYOND_CHECKOV) disagreements.push(`${key}: listed as beyond checkov, but checkov fails it now; remove it from BEYOND_CHECKOV`);
    }
    expect(disagreements).toEqual([]);
  });

  test("every rule that names checkov checks has a case checkov catches", () => {
    const caught = new Set(
      fixtures.filter((f) => f.breaks && !(`${f.breaks.rule}: ${f.breaks.what}` in BEYOND_CHECKOV)).map((f) => f.breaks!.rule),
    );
    expect(mirroring.map((r) => r.id).filter((id) => !caught.has(id))).toEqual([]);
  });
});
