// Compares two synthesized projects (a base ref and the working tree) stack by
// stack, without Terraform or Azure: what would be added, removed, changed or
// replaced, what crosses stacks, and which changes a security review must see.

import { environmentOf } from "../../lib/names";
import { list, type Json } from "../scan/synthesized";

export type { Json };

export interface SynthesizedProject {
  /** Stack name -> parsed cdk.tf.json, in deploy order. */
  readonly stacks: ReadonlyMap<string, Json>;
  /** Environment name -> parsed config/<env>.json (for waivers); absent when the file does not parse. */
  readonly configs: ReadonlyMap<string, Json>;
}

export interface AttributeChange {
  readonly path: string;
  /** As shown: masked when secret-looking, shortened when long. */
  readonly before: string;
  readonly after: string;
  /** The values themselves, for the security checks; never shown. */
  readonly from: Json;
  readonly to: Json;
}

export type Action = "add" | "change" | "destroy" | "replace";

export interface ResourceChange {
  readonly address: string;
  readonly action: Action;
  readonly attributes: readonly AttributeChange[];
}

export interface StackReview {
  readonly stack: string;
  readonly resources: readonly ResourceChange[];
  /** Values this stack passes to, or reads from, other stacks, as changed. */
  readonly wiring: readonly string[];
}

export interface Review {
  /** Environment -> its stacks with changes, in deploy order. */
  readonly environments: ReadonlyMap<string, readonly StackReview[]>;
  readonly security: readonly string[];
  /** A stateful resource would be destroyed (alone or to be recreated). */
  readonly destructive: boolean;
}

/** Resources whose loss loses data, names or identities. */
const STATEFUL: Record<string, string> = {
  azurerm_key_vault: "the vault and every secret in it are deleted; soft delete keeps the old name reserved",
  azurerm_key_vault_secret: "the secret and all its versions are deleted",
  azurerm_kubernetes_cluster: "the cluster and everything running on it are deleted",
  azurerm_resource_group: "every resource in the group is deleted",
  azurerm_user_assigned_identity: "the identity gets a new client ID and object ID",
  azurerm_log_analytics_workspace: "collected logs are deleted",
  azurerm_storage_account: "every blob in it, Terraform state included, is deleted",
  azurerm_storage_container: "every blob in it, Terraform state included, is deleted",
};

/** Attributes whose change makes the provider replace the resource (ForceNew), for the types that matter. */
const FORCE_NEW: Record<string, readonly string[]> = {
  azurerm_key_vault: ["name", "location", "resource_group_name"],
  azurerm_key_vault_secret: ["name", "key_vault_id"],
  azurerm_kubernetes_cluster: ["name", "location", "resource_group_name", "dns_prefix", "private_cluster_enabled", "disk_encryption_set_id"],
  azurerm_resource_group: ["name", "location"],
  azurerm_user_assigned_identity: ["name", "location", "resource_group_name"],
  azurerm_log_analytics_workspace: ["name", "location", "resource_group_name"],
  azurerm_storage_account: ["name", "location", "resource_group_name"],
  azurerm_storage_container: ["name", "storage_account_id"],
  azurerm_virtual_network: ["name", "location", "resource_group_name"],
  azurerm_subnet: ["name", "resource_group_name", "virtual_network_name"],
  kubernetes_namespace_v1: ["metadata.name"],
};

/** Attribute names whose values are never shown. */
const SENSITIVE = /(^|_)(value|value_wo|password|secret|token|content|connection_string|private_key|client_key)$|certificate$/;

const MAX_VALUE = 80;

function display(path: string, value: Json): string {
  if (value === undefined) return "(none)";
  const last = path.split(".").pop()!.replace(/\[\d+\]$/, "");
  if (SENSITIVE.test(last)) return "(sensitive)";
  const text = JSON.stringify(value);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 3)}...` : text;
}

/** Drops cdktf's "//" metadata, which changes with construct paths but deploys nothing. */
function withoutMetadata(value: Json): Json {
  if (Array.isArray(value)) return value.map(withoutMetadata);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).filter(([k]) => k !== "//").map(([k, v]) => [k, withoutMetadata(v)]));
  }
  return value;
}

/** Leaf paths of a resource body: objects by key, arrays of objects by index, arrays of scalars whole. */
function flatten(value: Json, path = "", into = new Map<string, Json>()): Map<string, Json> {
  const isObjectArray = Array.isArray(value) && value.some((v) => v && typeof v === "object");
  if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, path ? `${path}.${k}` : k, into);
  } else if (isObjectArray) {
    value.forEach((v: Json, i: number) => flatten(v, `${path}[${i}]`, into));
  } else into.set(path, value);
  return into;
}

/**
 * For multi-line strings (YAML in a manifest), only the lines that differ,
 * joined with ⏎; for long strings with a common start, what follows it.
 */
function changedLines(before: Json, after: Json): [Json, Json] {
  if (typeof before !== "string" || typeof after !== "string") return [before, after];
  if (!(before.includes("\n") || after.includes("\n"))) {
    if (before.length + 2 <= MAX_VALUE && after.length + 2 <= MAX_VALUE) return [before, after];
    let common = 0;
    while (common < before.length && before[common] === after[common]) common++;
    // Keep a little of the shared start for context.
    const from = Math.max(0, common - 12);
    return from === 0 ? [before, after] : [`…${before.slice(from)}`, `…${after.slice(from)}`];
  }
  const [removed, added] = lineDiff(before.split("\n"), after.split("\n"));
  const join = (lines: string[]) => lines.map((l) => l.trim()).join(" ⏎ ");
  return [join(removed), join(added)];
}

/** Lines only in a and lines only in b, by longest common subsequence (repeated lines count). */
function lineDiff(a: string[], b: string[]): [string[], string[]] {
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => Array.from({ length: b.length + 1 }, () => 0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const removed: string[] = [];
  const added: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      i++;
      j++;
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) removed.push(a[i++]);
    else added.push(b[j++]);
  }
  return [[...removed, ...a.slice(i)], [...added, ...b.slice(j)]];
}

function attributeChanges(before: Json, after: Json): AttributeChange[] {
  const a = flatten(before);
  const b = flatten(after);
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  return paths
    .filter((p) => JSON.stringify(a.get(p)) !== JSON.stringify(b.get(p)))
    .map((p) => {
      const [old, now] = changedLines(a.get(p), b.get(p));
      return { path: p, before: display(p, old), after: display(p, now), from: a.get(p), to: b.get(p) };
    });
}

function resourcesOf(stack: Json): Map<string, Json> {
  const result = new Map<string, Json>();
  for (const [type, byId] of Object.entries(stack?.resource ?? {})) {
    for (const [id, body] of Object.entries(byId as Record<string, Json>)) result.set(`${type}.${id}`, withoutMetadata(body));
  }
  return result;
}

const typeOf = (address: string) => address.split(".")[0];

function resourceChanges(before: Json, after: Json): ResourceChange[] {
  const a = resourcesOf(before);
  const b = resourcesOf(after);
  const changes: ResourceChange[] = [];
  for (const [address, body] of b) {
    const old = a.get(address);
    if (old === undefined) {
      changes.push({ address, action: "add", attributes: [] });
      continue;
    }
    const attributes = attributeChanges(old, body);
    if (attributes.length === 0) continue;
    const forceNew = FORCE_NEW[typeOf(address)] ?? [];
    const replaced = attributes.some((c) => forceNew.includes(c.path));
    changes.push({ address, action: replaced ? "replace" : "change", attributes });
  }
  for (const address of a.keys()) if (!b.has(address)) changes.push({ address, action: "destroy", attributes: [] });
  return changes.sort((x, y) => x.address.localeCompare(y.address));
}

/** Cross-stack outputs and remote-state reads that appeared, went or changed. */
function wiringChanges(before: Json, after: Json): string[] {
  const lines: string[] = [];
  // What another stack reads: cdktf names those outputs; a stack's own named outputs are no wiring.
  const outputs = (s: Json) => new Map(Object.entries(s?.output ?? {}).filter(([k]) => k.startsWith("cross-stack-output-")).map(([k, v]) => [k, (v as Json).value]));
  const a = outputs(before);
  const b = outputs(after);
  for (const name of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    if (!a.has(name)) lines.push(`passes on \`${b.get(name)}\` (output \`${name}\`)`);
    else if (!b.has(name)) lines.push(`no longer passes on \`${a.get(name)}\` (output \`${name}\`)`);
    else if (JSON.stringify(a.get(name)) !== JSON.stringify(b.get(name))) {
      lines.push(`output \`${name}\`: \`${a.get(name)}\` → \`${b.get(name)}\``);
    }
  }
  const reads = (s: Json) => new Set(Object.keys(s?.data?.terraform_remote_state ?? {}));
  const ra = reads(before);
  const rb = reads(after);
  for (const name of [...rb].filter((n) => !ra.has(n)).sort()) lines.push(`now reads remote state \`${name}\``);
  for (const name of [...ra].filter((n) => !rb.has(n)).sort()) lines.push(`no longer reads remote state \`${name}\``);
  return lines;
}

const PERMISSION_LISTS = ["secret_permissions", "key_permissions", "certificate_permissions", "storage_permissions"];

/** Protections whose loss a reviewer must see: [attribute name, value that protects]. */
const PROTECTIONS: [string, Json][] = [
  ["purge_protection_enabled", true],
  ["local_account_disabled", true],
  ["secret_rotation_enabled", true],
  ["azure_policy_enabled", true],
  ["azure_rbac_enabled", true],
  ["only_critical_addons_enabled", true],
  ["host_encryption_enabled", true],
  ["read_only_root_filesystem", true],
  ["run_as_non_root", true],
  ["allow_privilege_escalation", false],
  ["privileged", false],
  ["automount_service_account_token", false],
  ["read_only", true],
  ["https_traffic_only_enabled", true],
  ["shared_access_key_enabled", false],
  ["allow_nested_items_to_be_public", false],
];

/** Entries of list `to` that list `from` lacks. */
const addedEntries = (from: Json, to: Json): string[] => {
  const old = new Set<string>(list(from));
  return (list(to) as string[]).filter((entry) => !old.has(entry));
};

function securityFindings(stack: string, change: ResourceChange, after: Json): string[] {
  const type = typeOf(change.address);
  const where = `\`${change.address}\` in \`${stack}\``;
  const findings: string[] = [];
  if ((change.action === "destroy" || change.action === "replace") && STATEFUL[type]) {
    const verb = change.action === "replace" ? "destroys and recreates" : "destroys";
    const cause = change.attributes
      .filter((c) => (FORCE_NEW[type] ?? []).includes(c.path))
      .map((c) => `${c.path} ${c.before} → ${c.after}`)
      .join(", ");
    findings.push(`**Destructive**: this ${verb} ${where}${cause ? ` (${cause})` : ""}: ${STATEFUL[type]}.`);
  }
  if (change.action === "add" && (type === "azurerm_key_vault_access_policy" || type === "azurerm_role_assignment")) {
    findings.push(`**Access granted**: new ${type === "azurerm_role_assignment" ? "role assignment" : "access policy"} ${where}.`);
  }
  if (change.action === "add" && type === "kubernetes_service_v1" && JSON.stringify(after).includes('"type":"LoadBalancer"')) {
    findings.push(`**Public exposure**: new LoadBalancer service ${where}.`);
  }
  for (const c of change.action === "change" || change.action === "replace" ? change.attributes : []) {
    const name = c.path.split(".").pop()!.replace(/\[\d+\]$/, "");
    if (PERMISSION_LISTS.includes(name)) {
      const added = addedEntries(c.from, c.to);
      if (added.length > 0) findings.push(`**Wider Key Vault permissions**: ${where} adds ${added.join(", ")} to \`${c.path}\`.`);
    }
    if (name === "role_definition_name") findings.push(`**Role changed**: ${where} \`${c.path}\` ${c.before} → ${c.after}.`);
    if (name === "default_action" && c.to === "Allow") findings.push(`**Public exposure**: ${where} firewall \`${c.path}\` ${c.before} → ${c.after}.`);
    if (name === "ip_rules" || name === "authorized_ip_ranges") {
      const added = addedEntries(c.from, c.to);
      if (added.length > 0) findings.push(`**Public exposure**: ${where} admits ${added.join(", ")} (\`${c.path}\`).`);
      if (list(c.to).length === 0) findings.push(`**Public exposure**: ${where} drops its allow-list \`${c.path}\`: open to every address.`);
    }
    if (name === "type" && c.to === "LoadBalancer") findings.push(`**Public exposure**: ${where} becomes a LoadBalancer.`);
    for (const [protection, safe] of PROTECTIONS) {
      if (name === protection && c.from === safe) {
        findings.push(`**Protection disabled**: ${where} \`${c.path}\` ${c.before} → ${c.after}.`);
      }
    }
    if (name === "soft_delete_retention_days" && Number(c.to) < Number(c.from)) {
      findings.push(`**Protection reduced**: ${where} \`${c.path}\` ${c.before} → ${c.after}.`);
    }
  }
  return findings;
}

function waiverFindings(base: SynthesizedProject, head: SynthesizedProject): string[] {
  const findings: string[] = [];
  for (const [env, config] of head.configs) {
    const old = new Set(((base.configs.get(env)?.policyWaivers ?? []) as Json[]).map((w) => w?.rule));
    for (const waiver of (config?.policyWaivers ?? []) as Json[]) {
      if (!old.has(waiver?.rule)) findings.push(`**Policy waiver added** in \`config/${env}.json\`: ${waiver?.rule} ("${waiver?.reason}").`);
    }
  }
  return findings;
}

/** Stack names of both projects in deploy order: the head's order, then stacks only the base has. */
function stackOrder(base: SynthesizedProject, head: SynthesizedProject): string[] {
  return [...new Set([...head.stacks.keys(), ...base.stacks.keys()])];
}

/** Findings in order of how much a reviewer must care; stable within a kind. */
const RANKS = ["**Destructive**", "**Protection", "**Wider", "**Access", "**Role", "**Public", "**Policy"];
const rank = (finding: string) => RANKS.findIndex((prefix) => finding.startsWith(prefix));

export function reviewChanges(base: SynthesizedProject, head: SynthesizedProject): Review {
  const environments = new Map<string, StackReview[]>();
  const security: string[] = [];
  let destructive = false;
  for (const stack of stackOrder(base, head)) {
    const before = base.stacks.get(stack);
    const after = head.stacks.get(stack);
    const resources = resourceChanges(before, after);
    const wiring = wiringChanges(before, after);
    if (resources.length === 0 && wiring.length === 0) continue;
    const env = environmentOf(stack);
    environments.set(env, [...(environments.get(env) ?? []), { stack, resources, wiring }]);
    const b = resourcesOf(after);
    for (const change of resources) {
      security.push(...securityFindings(stack, change, b.get(change.address)));
      if ((change.action === "destroy" || change.action === "replace") && STATEFUL[typeOf(change.address)]) destructive = true;
    }
  }
  security.push(...waiverFindings(base, head));
  security.sort((x, y) => rank(x) - rank(y));
  return { environments: new Map([...environments].sort(([x], [y]) => x.localeCompare(y))), security, destructive };
}

/** Stacks in deploy order from a cdktf manifest: each after the stacks it depends on, ties by name. */
export function deployOrder(manifest: Json): string[] {
  const stacks: Record<string, Json> = manifest?.stacks ?? {};
  const order: string[] = [];
  const visit = (name: string, seen: Set<string>) => {
    if (order.includes(name) || seen.has(name) || !stacks[name]) return;
    seen.add(name);
    for (const dependency of [...(stacks[name].dependencies ?? [])].sort()) visit(dependency, seen);
    order.push(name);
  };
  for (const name of Object.keys(stacks).sort()) visit(name, new Set());
  return order;
}
