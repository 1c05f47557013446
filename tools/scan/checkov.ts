// What the scan does with checkov, apart from running it: the copy of each
// synthesized stack it reads, its JSON report read back as one verdict per
// check and resource, and the environment's policyWaivers applied to it.
import type { PolicyWaiver } from "../../config/types";
import type { Json } from "./synthesized";

/** Pinned: a newer checkov may add checks, which would fail the scan without a change here. */
export const CHECKOV_VERSION = "3.3.30";

/**
 * The stack as checkov reads it. checkov 3.3.30's terraform_json parser
 * crashes on any scalar in the `terraform` block ("this method receives only
 * dicts"), and cdktf writes `required_version` there; the HCL that
 * `cdktf synth --hcl` writes is no way round it, since cdktf 0.21 renders that
 * same value as the invalid attribute `0 = "required_version"`. The setting
 * holds no resource checkov checks, so the copy leaves it out; nothing else
 * changes. Indented two spaces: resourceAddresses reads the lines back.
 */
export function scanCopy(stack: Json): string {
  const copy = structuredClone(stack);
  if (copy.terraform && typeof copy.terraform === "object") delete copy.terraform.required_version;
  return `${JSON.stringify(copy, null, 2)}\n`;
}

/**
 * Terraform addresses by the line each resource starts on in a scanCopy text.
 * checkov names a resource by its address in graph checks but "resource.<id>"
 * in the others; its line range is what identifies it either way.
 */
export function resourceAddresses(text: string): Map<number, string> {
  const addresses = new Map<number, string>();
  let section = "";
  let type = "";
  text.split("\n").forEach((line, index) => {
    // An empty block ("deployer": {}) sits on one line, with a comma unless it is the last.
    const key = /^( *)"([^"]+)": \{(?:\},?)?$/.exec(line);
    if (!key) return;
    const depth = key[1].length / 2;
    if (depth === 1) section = key[2];
    else if (depth === 2) type = key[2];
    else if (depth === 3 && (section === "resource" || section === "data")) {
      addresses.set(index + 1, `${section === "data" ? "data." : ""}${type}.${key[2]}`);
    }
  });
  return addresses;
}

export interface CheckResult {
  readonly check: string;
  readonly title: string;
  /** The folder of the stack's copy under the scanned one: its stack name when checkov ran over one environment. */
  readonly stack: string;
  readonly address: string;
  readonly passed: boolean;
}

export interface CheckovRun {
  readonly results: readonly CheckResult[];
  /** Files checkov could not parse: their checks never ran, so the scan fails. */
  readonly parsingErrors: readonly string[];
}

/**
 * Reads `checkov -o json` over a folder of `<stack>/cdk.tf.json` copies (or
 * deeper). `addressesOf` gives the line-to-address map (resourceAddresses) of
 * the copy in a folder, relative to the scanned one.
 */
export function readCheckovReport(report: Json, addressesOf: (stack: string) => Map<number, string>): CheckovRun {
  // One framework gives one object; checkov prints a list when several ran.
  const reports: Json[] = Array.isArray(report) ? report : [report];
  const results: CheckResult[] = [];
  const parsingErrors: string[] = [];
  for (const r of reports) {
    if (!r?.results) continue;
    parsingErrors.push(...(r.results.parsing_errors ?? []).map(String));
    for (const [key, passed] of [["passed_checks", true], ["failed_checks", false]] as const) {
      for (const found of r.results[key] ?? []) {
        const stack = String(found.file_path).replace(/^\//, "").split("/").slice(0, -1).join("/");
        const line = found.file_line_range?.[0];
        const resource = String(found.resource);
        const address = addressesOf(stack).get(line) ?? resource;
        results.push({ check: found.check_id, title: found.check_name, stack, address, passed });
      }
    }
  }
  return { results, parsingErrors };
}

export interface ScanVerdict {
  readonly environment: string;
  readonly passed: number;
  readonly failed: readonly CheckResult[];
  /** Failures a waiver covers, with its reason. */
  readonly waived: readonly (CheckResult & { readonly reason: string })[];
  /** Waived checks that fail nowhere: they would hide a future regression. */
  readonly stale: readonly PolicyWaiver[];
  readonly parsingErrors: readonly string[];
}

/**
 * One environment's verdict from two checkov runs: `verdict` with the waived
 * checks skipped (checkov's own answer) and `waivedOnly` with only those
 * checks run, to show what each waiver covers and find stale ones.
 */
export function scanVerdict(environment: string, waivers: readonly PolicyWaiver[], verdict: CheckovRun, waivedOnly: CheckovRun): ScanVerdict {
  const covered = new Map(waivers.map((w) => [w.rule, w.reason]));
  const waived = waivedOnly.results.filter((r) => !r.passed && covered.has(r.check)).map((r) => ({ ...r, reason: covered.get(r.check)! }));
  const stale = waivers.filter((w) => !waived.some((r) => r.check === w.rule));
  return {
    environment,
    passed: verdict.results.filter((r) => r.passed).length,
    failed: verdict.results.filter((r) => !r.passed && !covered.has(r.check)),
    waived,
    stale,
    parsingErrors: [...verdict.parsingErrors, ...waivedOnly.parsingErrors],
  };
}

/** What npm run scan -- --json writes and npm run ci:pr-comment -- --scan reads. */
export interface ScanOutput {
  readonly checkovVersion: string;
  readonly verdicts: readonly ScanVerdict[];
  readonly failed: boolean;
}

export function verdictFails(verdict: ScanVerdict): boolean {
  return verdict.failed.length > 0 || verdict.stale.length > 0 || verdict.parsingErrors.length > 0;
}

const where = (r: CheckResult) => `${r.address} in ${r.stack}`;

/** Plain text for a terminal or a CI log. */
export function formatVerdict(v: ScanVerdict): string {
  const lines = [
    `checkov ${v.environment}: ${v.passed} passed, ${v.failed.length} failed, ${v.waived.length} skipped (waived), ${v.stale.length} stale waivers` +
      (v.parsingErrors.length > 0 ? `, ${v.parsingErrors.length} files not parsed` : ""),
  ];
  for (const r of v.waived) lines.push(`  skipped   ${r.check} ${where(r)}: ${r.reason}`);
  for (const r of v.failed) lines.push(`  FAILED    ${r.check} ${where(r)}: ${r.title}`);
  for (const w of v.stale) lines.push(`  STALE     ${w.rule} is waived but passes: remove it from policyWaivers in config/${v.environment}.json`);
  for (const file of v.parsingErrors) lines.push(`  NOT PARSED ${file}: checkov ran none of its checks`);
  return lines.join("\n");
}
