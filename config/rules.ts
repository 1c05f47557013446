// Naming and value rules, each with the sentence a user sees when a value breaks it.
// Azure's rules come from its resource naming documentation; Kubernetes' from
// the API conventions (RFC 1123 labels).

import { DEPLOYER_ROLES, OBJECT_TYPES, READER_ROLES } from "./access";
import { durationSeconds, GO_DURATION, KUBELOGIN_MODE_NAMES, parseCidr, SERVICE_TYPES } from "./domain";
import { CHECKOV_ID, RETIRED_RULES } from "./waivers";

/**
 * A value rule. What JSON Schema can say is said declaratively, so the exported
 * schema carries it and an editor flags a bad value as it is typed; `also` holds
 * only what JSON Schema cannot say (CIDR arithmetic, durations, digests).
 */
export interface RuleParts<T> {
  /** What a valid value looks like, as shown in the error message. */
  readonly describe: string;
  readonly pattern?: RegExp;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly values?: readonly string[];
  readonly integer?: boolean;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly also?: (value: T) => boolean;
}

export interface Rule<T> extends RuleParts<T> {
  /** The whole rule, for code that checks a value outside the schema. */
  readonly test: (value: T) => boolean;
}

function holds<T>(parts: RuleParts<T>, value: T): boolean {
  if (typeof value === "string") {
    if (parts.pattern && !parts.pattern.test(value)) return false;
    if (parts.minLength !== undefined && value.length < parts.minLength) return false;
    if (parts.maxLength !== undefined && value.length > parts.maxLength) return false;
    if (parts.values && !parts.values.includes(value)) return false;
  }
  if (typeof value === "number") {
    if (parts.integer && !Number.isInteger(value)) return false;
    if (parts.minimum !== undefined && value < parts.minimum) return false;
    if (parts.maximum !== undefined && value > parts.maximum) return false;
  }
  return parts.also ? parts.also(value) : true;
}

function rule<T>(parts: RuleParts<T>): Rule<T> {
  return { ...parts, test: (value) => holds(parts, value) };
}

/** A rule that allows a fixed list of values: the schema offers them to editors, and the config's types narrow to them. */
export interface Choice<T extends readonly [string, ...string[]]> extends Rule<string> {
  readonly values: T;
}

/** The values written out once: `must be "a" or "b"`, `must be one of "a", "b", "c"`, unless the rule says more. */
function choice<const T extends readonly [string, ...string[]]>(values: T, describe?: string): Choice<T> {
  const quoted = values.map((v) => `"${v}"`);
  const listed = quoted.length === 2 ? `must be ${quoted.join(" or ")}` : `must be one of ${quoted.join(", ")}`;
  return { ...rule<string>({ describe: describe ?? listed, values }), values };
}

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const environmentName = rule<string>({
  describe: "the file name must be 1-10 lowercase letters or digits, starting with a letter (it ends every stack name)",
  pattern: /^[a-z][a-z0-9]{0,9}$/,
});

export const location = rule<string>({
  describe: 'must be an Azure region name in lowercase letters and digits, such as "westeurope"',
  pattern: /^[a-z][a-z0-9]{1,39}$/,
});

export const resourceGroupName = rule<string>({
  describe: "must be 1-90 characters of letters, digits, '_', '-', '.', '(' or ')', not ending with '.'",
  pattern: /^[-\w.()]{0,89}[-\w()]$/,
});

export const guid = rule<string>({
  describe: "must be a GUID such as 00000000-0000-0000-0000-000000000000",
  pattern: GUID,
});

export const tagKey = rule<string>({
  describe: "tag names must be 1-512 characters without < > % & \\ ? /",
  minLength: 1, maxLength: 512, pattern: /^[^<>%&\\?/]*$/,
});

export const tagValue = rule<string>({
  describe: "tag values must be strings of at most 256 characters",
  maxLength: 256,
});

export const aksName = rule<string>({
  describe: "must be 1-63 characters of letters, digits, '-' or '_', starting and ending with a letter or digit",
  pattern: /^[a-zA-Z0-9]([-\w]{0,61}[a-zA-Z0-9])?$/,
});

export const dnsPrefix = rule<string>({
  describe:
    "must be 1-54 characters of letters, digits and '-', starting with a letter and ending with a letter or digit (defaults to aks.name)",
  pattern: /^[a-zA-Z]([-a-zA-Z0-9]{0,52}[a-zA-Z0-9])?$/,
});

export const kubernetesVersion = rule<string>({
  describe: 'must be a Kubernetes version such as "1.33" or "1.33.2", or be left out for the AKS default',
  pattern: /^\d+\.\d+(\.\d+)?$/,
});

export const nodeCount = rule<number>({
  describe: "must be a whole number from 1 to 1000",
  integer: true, minimum: 1, maximum: 1000,
});

export const vmSize = rule<string>({
  describe: 'must be an Azure VM size such as "Standard_D2s_v5"',
  pattern: /^Standard_[A-Za-z0-9_]+$/,
});

export const skuTier = choice(["Free", "Standard", "Premium"]);

export const rotationInterval = rule<string>({
  describe: 'must be a Go-style duration of at least 1s, such as "2m", "90s" or "1h30m"',
  pattern: GO_DURATION, also: (v) => durationSeconds(v) >= 1,
});

export const kubeloginMode = choice(KUBELOGIN_MODE_NAMES, `must be one of ${KUBELOGIN_MODE_NAMES.map((m) => `"${m}"`).join(", ")} (how kubelogin gets a token for Terraform; "spn" needs a client secret, which this project never uses)`);

export const keyVaultName = rule<string>({
  describe:
    "must be 3-24 characters of letters, digits and hyphens, start with a letter, end with a letter or digit, and contain no '--'",
  pattern: /^(?!.*--)[a-zA-Z][-a-zA-Z0-9]{1,22}[a-zA-Z0-9]$/,
});

export const keyVaultSku = choice(["standard", "premium"]);

export const softDeleteRetentionDays = rule<number>({
  describe: "must be a whole number of days from 7 to 90",
  integer: true, minimum: 7, maximum: 90,
});

export const objectName = rule<string>({
  describe: "must be 1-127 characters of letters, digits and hyphens (Key Vault object names)",
  pattern: /^[a-zA-Z0-9-]{1,127}$/,
});

export const objectType = choice(OBJECT_TYPES);

export const objectAlias = rule<string>({
  describe:
    "must be a plain file name: 1-255 characters of letters, digits, '.', '_' or '-', starting with a letter or digit, with no '/' and no '..'",
  pattern: /^(?!.*\.\.)[a-zA-Z0-9][\w.-]{0,254}$/,
});

export const objectVersion = rule<string>({
  describe: "must be a Key Vault version ID: 32 lowercase hexadecimal characters, as the object's version list shows",
  pattern: /^[0-9a-f]{32}$/,
});

export const objectVersionHistory = rule<number>({
  describe: "must be a whole number from 2 to 20: the latest versions (from objectVersion, if pinned) as files <objectAlias>/0, /1, ...",
  integer: true,
  minimum: 2,
  maximum: 20,
});

export const objectFormat = choice(["pem", "pfx"]);

export const objectEncoding = choice(["utf-8", "hex", "base64"], 'must be "utf-8", "hex" or "base64"');

export const kubernetesSecretName = rule<string>({
  describe: "must be a Kubernetes Secret name: 1-253 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit",
  maxLength: 253,
  pattern: /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/,
});

/** The mounted files belong to root: the driver's inline volumes get no fsGroup, and the app runs as app.runAsUser. */
export const filePermission = rule<string>({
  describe: 'must be an octal file mode such as "0444" or "0644" that lets others read: the app runs as a non-root user that neither owns the mounted files nor is in their group',
  pattern: /^0?[0-7]{2}[4-7]$/,
});

export const contentType = rule<string>({
  describe: "must be at most 255 characters, such as \"application/json\"",
  minLength: 1, maxLength: 255,
});

export const secretFile = rule<string>({
  describe:
    "must be a relative path under secrets/ (which git ignores), made of letters, digits, '.', '_', '-' and '/', with no '..', such as \"secrets/dev/app.json\"",
  pattern: /^secrets(\/(?!\.\.?(\/|$))[\w.-]+)+$/,
});

export const namespace = rule<string>({
  describe:
    "must be a Kubernetes namespace name (1-63 lowercase letters, digits and '-', starting and ending with a letter or digit) that the stack can own: not default or kube-*",
  maxLength: 63, pattern: /^(?!default$)(?!kube-)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
});

export const appName = rule<string>({
  describe: "must be 1-63 lowercase letters, digits and '-', starting and ending with a letter or digit",
  maxLength: 63, pattern: DNS_LABEL,
});

const IMAGE_REF =
  /^(?:[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*:(?!latest(?:@|$))[\w][\w.-]{0,127}(?:@sha256:[a-f0-9]{64})?$/;

export const image = rule<string>({
  describe:
    'must be an image reference with a fixed tag other than "latest", optionally followed by @sha256:<digest>, such as "sixeyed/configurable:21.04"',
  pattern: IMAGE_REF,
});

export const replicas = rule<number>({
  describe: "must be a whole number >= 1 (and at most 100)",
  integer: true, minimum: 1, maximum: 100,
});

export const runnerLabel = rule<string>({
  describe: "must be a GitHub runner label: 1-100 letters, digits, '-', '_' and '.'",
  pattern: /^[A-Za-z0-9._-]{1,100}$/,
});

export const storageAccountName = rule<string>({
  describe: "must be 3-24 lowercase letters and digits",
  pattern: /^[a-z0-9]{3,24}$/,
});

export const containerName = rule<string>({
  describe: "must be 3-63 lowercase letters, digits and '-', starting with a letter or digit, with no '--'",
  pattern: /^(?!.*--)[a-z0-9][-a-z0-9]{1,61}[a-z0-9]$/,
});

export const cidr = rule<string>({
  describe: 'must be an IPv4 address or CIDR such as "203.0.113.7" or "203.0.113.0/24"',
  pattern: /^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/,
  also: (v) => parseCidr(v) !== undefined,
});

export const networkCidr = rule<string>({
  describe: 'must be an IPv4 CIDR with a prefix of /8 to /29, such as "10.42.0.0/16"',
  pattern: /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/,
  also: (v) => (parseCidr(v)?.[1] ?? 0) >= 8 && (parseCidr(v)?.[1] ?? 99) <= 29,
});

export const networkPolicy = choice(["calico", "cilium", "none"]);

export const upgradeChannel = choice(["patch", "stable", "rapid", "node-image", "none"]);

export const logRetentionDays = rule<number>({
  describe: "must be a whole number of days from 30 to 730",
  integer: true, minimum: 30, maximum: 730,
});

export const maxPods = rule<number>({
  describe: "must be a whole number from 10 to 250 (AKS's range of pods per node)",
  integer: true, minimum: 10, maximum: 250,
});

export const osDiskType = choice(["Managed", "Ephemeral"]);

export const osDiskSizeGb = rule<number>({
  describe: "must be a whole number of GiB from 30 to 2048",
  integer: true, minimum: 30, maximum: 2048,
});

export const subnetId = rule<string>({
  describe: "must be the resource ID of a subnet (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<name>)",
  pattern: /^\/subscriptions\/[0-9a-fA-F-]{36}\/resourceGroups\/[-\w.()]+\/providers\/Microsoft\.Network\/virtualNetworks\/[-\w.]+\/subnets\/[-\w.]+$/,
});

export const diskEncryptionSetId = rule<string>({
  describe: "must be the resource ID of a disk encryption set (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Compute/diskEncryptionSets/<name>)",
  pattern: /^\/subscriptions\/[0-9a-fA-F-]{36}\/resourceGroups\/[-\w.()]+\/providers\/Microsoft\.Compute\/diskEncryptionSets\/[-\w]+$/,
});

export const authorization = choice(["accessPolicy", "rbac"], 'must be "accessPolicy" (as in the lab) or "rbac" (Azure RBAC role assignments)');

export const readerRole = choice(READER_ROLES, `must be a built-in role that reads secrets and nothing more: ${READER_ROLES.map((r) => `"${r}"`).join(", ")}`);

export const deployerRole = choice(DEPLOYER_ROLES, `must be a built-in role that can write, delete and purge secrets: ${DEPLOYER_ROLES.map((r) => `"${r}"`).join(", ")}`);

export const networkDefaultAction = choice(["Deny", "Allow"], 'must be "Deny" (only the AKS subnet and allowedCidrs reach the vault) or "Allow"');

export const expiresAt = rule<string>({
  describe: 'must be a UTC time in RFC 3339 form, such as "2027-12-31T00:00:00Z"',
  pattern: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/, also: (v) => !Number.isNaN(Date.parse(v)),
});

export const appIdentity = choice(["addon", "workload"], 'must be "addon" (the add-on\'s node identity, as in the lab) or "workload" (an identity for this app only)');

export const serviceType = choice(SERVICE_TYPES, 'must be "ClusterIP" (inside the cluster only), "InternalLoadBalancer" (a private address in the VNet) or "LoadBalancer" (a public address, with sourceRanges)');

export const runAsUser = rule<number>({
  describe: "must be a whole number from 10000 to 65535 (a non-root user that no image account is likely to share)",
  integer: true, minimum: 10000, maximum: 65535,
});

export const unprivilegedPort = rule<number>({
  describe: "must be a whole number from 1024 to 65535 (the pod runs as non-root and cannot bind lower ports)",
  integer: true, minimum: 1024, maximum: 65535,
});

export const cpuQuantity = rule<string>({
  describe: 'must be a Kubernetes CPU quantity such as "100m" or "1"',
  pattern: /^(\d+m|\d+(\.\d+)?)$/,
});

export const memoryQuantity = rule<string>({
  describe: 'must be a Kubernetes memory quantity such as "128Mi" or "1Gi"',
  pattern: /^\d+(Ki|Mi|Gi)$/,
});

export const probePath = rule<string>({
  describe: 'must be an HTTP path starting with "/"',
  pattern: /^\/[\w./~%-]*$/,
});

export const envName = rule<string>({
  describe: "environment variable names must be letters, digits and '_', not starting with a digit",
  pattern: /^[A-Za-z_][A-Za-z0-9_]*$/,
});

export const envValue = rule<string>({
  describe: "environment variable values must be strings (never secrets: those belong in Key Vault)",
});

export const waiverRule = rule<string>({
  describe: "must be a checkov check ID, such as CKV_AZURE_117, or one of this project's own, such as CKV_AKSKV_1 (docs/security.md)",
  pattern: CHECKOV_ID,
});

/** What to say of a waiver that still names a retired project rule (AKS-008): the checks to waive instead. */
export function retiredRuleProblem(id: string): string | undefined {
  const checks = RETIRED_RULES[id];
  if (!checks) return undefined;
  return checks.length > 0
    ? `is a retired project rule; checkov runs it now as ${checks.join(", ")}: waive those of them that fail (npm run scan names them)`
    : "is a retired project rule; the stacks now always meet it, so there is nothing to waive: remove this waiver";
}

export const waiverReason = rule<string>({
  describe: "must say why, in at least 15 characters",
  also: (v) => v.trim().length >= 15,
});
