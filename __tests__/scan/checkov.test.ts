// The scan's own logic, without checkov: the copy checkov reads, its report
// read back, and waivers applied (npm run test:scan runs checkov itself).
import * as fs from "fs";
import * as path from "path";
import { checkovArgs, runCheckov } from "../../tools/scan/checkov-run";
import { tempDir } from "../support/helpers";
import { formatVerdict, readCheckovReport, resourceAddresses, scanCopy, scanVerdict, verdictFails, type CheckovRun } from "../../tools/scan/checkov";

const stack = {
  "//": { metadata: { stackName: "aks-x" } },
  data: { azurerm_client_config: { deployer: {} } },
  resource: {
    azurerm_kubernetes_cluster: { cluster: { name: "aks", sku_tier: "Free" } },
    azurerm_role_assignment: { cluster: { scope: "x" }, other: { scope: "y" } },
  },
  terraform: { backend: { local: { path: "x.tfstate" } }, required_version: ">= 1.11", required_providers: { azurerm: { version: "4.55.0" } } },
};

describe("the copy checkov reads", () => {
  test("drops terraform.required_version, which crashes checkov's terraform_json parser, and nothing else", () => {
    const copy = JSON.parse(scanCopy(stack));
    const expected = structuredClone(stack) as Record<string, any>;
    delete expected.terraform.required_version;
    expect(copy).toEqual(expected);
    expect(stack.terraform.required_version).toBe(">= 1.11");
  });

  test("finds each resource's address by the line it starts on, also where two types share a logical ID", () => {
    const text = scanCopy(stack);
    const lines = text.split("\n");
    const addresses = resourceAddresses(text);
    expect([...addresses.values()]).toEqual([
      "data.azurerm_client_config.deployer",
      "azurerm_kubernetes_cluster.cluster",
      "azurerm_role_assignment.cluster",
      "azurerm_role_assignment.other",
    ]);
    for (const [line, address] of addresses) expect(lines[line - 1].trim()).toMatch(new RegExp(`^"${address.split(".").at(-1)}": \\{`));
  });
});

/** A checkov JSON report with the given results, as `checkov -o json` prints it for one framework. */
function report(failed: [string, string, number][], passed: [string, string, number][] = [], parsingErrors: string[] = []) {
  const entry = ([check, file, line]: [string, string, number]) => ({ check_id: check, check_name: `title of ${check}`, file_path: file, file_line_range: [line, line + 3], resource: "resource.cluster" });
  return { check_type: "terraform_json", results: { failed_checks: failed.map(entry), passed_checks: passed.map(entry), skipped_checks: [], parsing_errors: parsingErrors } };
}

describe("checkov's report read back", () => {
  const text = scanCopy(stack);
  const clusterLine = [...resourceAddresses(text)].find(([, a]) => a === "azurerm_kubernetes_cluster.cluster")![0];
  const roleLine = [...resourceAddresses(text)].find(([, a]) => a === "azurerm_role_assignment.cluster")![0];
  const addressesOf = (dir: string) => (dir === "aks-x" ? resourceAddresses(text) : new Map<number, string>());

  test("names each result by stack and Terraform address, not checkov's resource.<id>", () => {
    const run = readCheckovReport(report([["CKV_AZURE_170", "/aks-x/cdk.tf.json", clusterLine]], [["CKV_AZURE_1", "/aks-x/cdk.tf.json", roleLine]]), addressesOf);
    expect(run.results).toEqual([
      { check: "CKV_AZURE_1", title: "title of CKV_AZURE_1", stack: "aks-x", address: "azurerm_role_assignment.cluster", passed: true },
      { check: "CKV_AZURE_170", title: "title of CKV_AZURE_170", stack: "aks-x", address: "azurerm_kubernetes_cluster.cluster", passed: false },
    ]);
  });

  test("keeps the folder path when the scanned folder holds several environments", () => {
    const run = readCheckovReport(report([["CKV_AZURE_170", "/dev/aks-dev/cdk.tf.json", 9]]), () => new Map([[9, "azurerm_kubernetes_cluster.cluster"]]));
    expect(run.results[0].stack).toBe("dev/aks-dev");
  });

  test("keeps parsing errors (checkov exits 0 on them) and reads checkov's list form", () => {
    const run = readCheckovReport([report([], [], ["/aks-x/cdk.tf.json"]), { check_type: "secrets" }], addressesOf);
    expect(run.parsingErrors).toEqual(["/aks-x/cdk.tf.json"]);
  });
});

describe("waivers", () => {
  const result = (check: string, passed: boolean) => ({ check, title: `title of ${check}`, stack: "aks-x", address: "azurerm_kubernetes_cluster.cluster", passed });
  const run = (...results: ReturnType<typeof result>[]): CheckovRun => ({ results, parsingErrors: [] });
  const waivers = [
    { rule: "CKV_AZURE_170", reason: "dev needs no uptime SLA" },
    { rule: "CKV_AZURE_117", reason: "platform-managed keys in dev" },
    { rule: "CKV_AZURE_8", reason: "left over from an older cluster" },
  ];

  test("move a failure to the skipped list with its reason; an unwaived failure fails; a waiver matching no failure is stale", () => {
    const verdict = scanVerdict(
      "dev",
      waivers,
      run(result("CKV_AZURE_4", true), result("CKV_AZURE_226", false)),
      run(result("CKV_AZURE_170", false), result("CKV_AZURE_117", false), result("CKV_AZURE_8", true)),
    );
    expect(verdict.passed).toBe(1);
    expect(verdict.failed.map((r) => r.check)).toEqual(["CKV_AZURE_226"]);
    expect(verdict.waived.map((r) => [r.check, r.reason])).toEqual([
      ["CKV_AZURE_170", "dev needs no uptime SLA"],
      ["CKV_AZURE_117", "platform-managed keys in dev"],
    ]);
    expect(verdict.stale).toEqual([{ rule: "CKV_AZURE_8", reason: "left over from an older cluster" }]);
    expect(verdictFails(verdict)).toBe(true);
    expect(formatVerdict(verdict).split("\n")).toEqual([
      "checkov dev: 1 passed, 1 failed, 2 skipped (waived), 1 stale waivers",
      "  skipped   CKV_AZURE_170 azurerm_kubernetes_cluster.cluster in aks-x: dev needs no uptime SLA",
      "  skipped   CKV_AZURE_117 azurerm_kubernetes_cluster.cluster in aks-x: platform-managed keys in dev",
      "  FAILED    CKV_AZURE_226 azurerm_kubernetes_cluster.cluster in aks-x: title of CKV_AZURE_226",
      "  STALE     CKV_AZURE_8 is waived but passes: remove it from policyWaivers in config/dev.json",
    ]);
  });

  test("a stack checkov could not parse fails the scan even with nothing failed", () => {
    const verdict = scanVerdict("dev", [], { results: [], parsingErrors: ["/aks-x/cdk.tf.json"] }, run());
    expect(verdictFails(verdict)).toBe(true);
    expect(formatVerdict(verdict)).toContain("  NOT PARSED /aks-x/cdk.tf.json: checkov ran none of its checks");
  });

  test("reach checkov as --skip-check for the verdict and --check for the run that finds stale ones, offline", () => {
    const checks = path.resolve(__dirname, "..", "..", "tools", "scan", "checks");
    expect(checkovArgs("d", { skip: ["CKV_AZURE_170", "CKV_AKSKV_1"] })).toEqual(["-d", "d", "--framework", "terraform_json", "--skip-download", "-o", "json", "--compact", "--external-checks-dir", checks, "--skip-check", "CKV_AZURE_170,CKV_AKSKV_1"]);
    expect(checkovArgs("d", { only: ["CKV_AZURE_170"] }).slice(-2)).toEqual(["--check", "CKV_AZURE_170"]);
  });
});

describe("the project's own checks", () => {
  test("one checkov cannot load fails the scan, naming it, rather than passing unseen", async () => {
    // A checkov that logs what 3.3.30 logs for a check file that raises on import, and otherwise reports nothing failed.
    const bin = path.join(tempDir("akskv-fake-checkov-"), "checkov");
    fs.writeFileSync(bin, `#!/bin/sh\necho "[ERROR]  Cannot load external check 'aks_keyvault' from /x/aks_keyvault.py" >&2\necho '{"results": {"passed_checks": [], "failed_checks": []}}'\n`, { mode: 0o755 });
    await expect(runCheckov(bin, "d", {})).rejects.toThrow(/^checkov could not load the project's check aks_keyvault \(tools\/scan\/checks\/\)/);
  });
});
