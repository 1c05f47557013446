// checkov itself (npm run test:scan; installs the pinned checkov on first use):
// the shipped project passes npm run scan with its waivers, the scan fails on
// what it must, and each of the project's own checks (tools/scan/checks/)
// passes the hardened baseline and fails each of its cases.
import * as fs from "fs";
import * as path from "path";
import type { CheckResult } from "../../tools/scan/checkov";
import { checkovDir, ensureCheckov, runCheckov } from "../../tools/scan/checkov-run";
import { readCheckovReport } from "../../tools/scan/checkov";
import { writeScanCopies, type ScanTarget } from "../../tools/scan/scan";
import { hardenedConfig, run, shippedEnvironments, synthProject, tempDir, writeProject, type Json } from "../support/helpers";
import { PROJECT_CHECKS } from "./project-checks";

const SECRET = '{"apiKey": "s3cr3t-value-that-must-not-leak"}';

const repo = path.resolve(__dirname, "..", "..");
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

/** The synthesized stacks of one environment, by kind. */
type Stacks = { aks: Json; keyVault: Json; app: Json };

const cluster = (s: Stacks) => s.aks.resource.azurerm_kubernetes_cluster.cluster;
const vault = (s: Stacks) => s.keyVault.resource.azurerm_key_vault.vault;
const pod = (s: Stacks) => s.app.resource.kubernetes_deployment_v1.deployment.spec.template.spec;
const container = (s: Stacks) => pod(s).container[0];
const spc = (s: Stacks) => Object.values(s.app.resource.kubernetes_manifest as Record<string, Json>)[0].manifest;
const diagnostics = (s: Stacks) => Object.values(s.keyVault.resource.azurerm_monitor_diagnostic_setting as Record<string, Json>)[0];

// Each project check's failing cases: [check, what, change to the hardened baseline's stacks]. The baseline passes them all.
const FAILING: [string, string, (s: Stacks) => void][] = [
  ["CKV_AKSKV_1", "a 7-day soft-delete retention", (s) => (vault(s).soft_delete_retention_days = 7)],
  ["CKV_AKSKV_2", "a container running as UID 0", (s) => (container(s).security_context.run_as_user = "0")],
  ["CKV_AKSKV_2", "root allowed", (s) => (delete container(s).security_context.run_as_non_root, delete pod(s).security_context.run_as_non_root)],
  ["CKV_AKSKV_3", "no seccomp profile", (s) => delete pod(s).security_context.seccomp_profile],
  ["CKV_AKSKV_4", "the API token mounted into the pod", (s) => (pod(s).automount_service_account_token = true)],
  ["CKV_AKSKV_4", "the service account mounting its token", (s) => (s.app.resource.kubernetes_service_account_v1["service-account"].automount_service_account_token = true)],
  ["CKV_AKSKV_5", "the nodes' identity (useVMManagedIdentity)", (s) => (spc(s).spec.parameters.useVMManagedIdentity = "true")],
  ["CKV_AKSKV_5", "no clientID", (s) => delete spc(s).spec.parameters.clientID],
  ["CKV_AKSKV_6", "the secrets mounted writable", (s) => (container(s).volume_mount.find((m: Json) => m.mount_path === "/app/secrets").read_only = false)],
  ["CKV_AKSKV_6", "a writable CSI volume", (s) => (pod(s).volume.find((v: Json) => v.csi).csi.read_only = false)],
  ["CKV_AKSKV_7", "the vault firewall admitting 0.0.0.0/0", (s) => vault(s).network_acls.ip_rules.push("0.0.0.0/0")],
  ["CKV_AKSKV_7", "the vault firewall admitting a /8", (s) => (vault(s).network_acls.ip_rules = ["10.0.0.0/8"])],
  ["CKV_AKSKV_8", "the API server open to 0.0.0.0/0", (s) => (cluster(s).api_server_access_profile.authorized_ip_ranges = ["0.0.0.0/0"])],
  ["CKV_AKSKV_9", "a capability added back", (s) => (container(s).security_context.capabilities.add = ["NET_ADMIN"])],
  ["CKV_AKSKV_10", "Azure RBAC off", (s) => (cluster(s).azure_active_directory_role_based_access_control.azure_rbac_enabled = false)],
  ["CKV2_AKSKV_1", "no diagnostic setting on the vault", (s) => delete s.keyVault.resource.azurerm_monitor_diagnostic_setting],
  ["CKV2_AKSKV_1", "a diagnostic setting without the audit logs", (s) => (diagnostics(s).enabled_log = [{ category: "AzurePolicyEvaluationDetails" }])],
  ["CKV2_AKSKV_1", "a diagnostic setting sending nowhere queryable", (s) => (delete diagnostics(s).log_analytics_workspace_id, (diagnostics(s).storage_account_id = "/subscriptions/x/storageAccounts/y"))],
];

describe("the project's own checks (tools/scan/checks/), run by checkov itself", () => {
  const ids = PROJECT_CHECKS.map((c) => c.id);
  let results: readonly CheckResult[] = [];

  beforeAll(async () => {
    const project = synthProject({ base: { ...hardenedConfig("base"), resourceGroupName: "rg-base" } }, { "secrets/base/configurable-secret.json": SECRET });
    const base: Stacks = { aks: project.json("aks-base"), keyVault: project.json("keyvault-base"), app: project.json("app-base") };
    const cases: [string, Stacks][] = [
      ["baseline", base],
      ...FAILING.map(([, , change], i): [string, Stacks] => {
        const changed = structuredClone(base);
        change(changed);
        return [`case-${i}`, changed];
      }),
    ];
    const targets: ScanTarget[] = cases.map(([name, stacks]) => ({ environment: name, waivers: [], stacks: { "aks-base": stacks.aks, "keyvault-base": stacks.keyVault, "app-base": stacks.app } }));
    const work = tempDir("akskv-checks-");
    const addresses = writeScanCopies(work, targets);
    // One run over every case, only the project's checks.
    const { report } = await runCheckov(bin, work, { only: ids });
    const read = readCheckovReport(report, (dir) => addresses.get(dir) ?? new Map());
    expect(read.parsingErrors).toEqual([]);
    results = read.results;
  }, 300_000);

  const failedIn = (name: string) => [...new Set(results.filter((r) => r.stack.split("/")[0] === name && !r.passed).map((r) => r.check))];

  test("the hardened baseline passes every one of them, and checkov ran each", () => {
    const ran = new Set(results.filter((r) => r.stack.startsWith("baseline/")).map((r) => r.check));
    expect(ids.filter((id) => !ran.has(id))).toEqual([]);
    expect(failedIn("baseline")).toEqual([]);
  });

  test.each(FAILING.map(([check, what], i) => [check, what, i] as const))("%s fails on %s, and no other project check does", (check, _what, i) => {
    expect(failedIn(`case-${i}`)).toEqual([check]);
  });

  test("every project check has a failing case", () => {
    expect(ids.filter((id) => !FAILING.some(([check]) => check === id))).toEqual([]);
  });
});
