// Naming and value rules, each with the sentence a user sees when a value breaks it.
// Azure's rules come from its resource naming documentation; Kubernetes' from
// the API conventions (RFC 1123 labels).

import { KUBELOGIN_MODE_NAMES } from "../lib/kubelogin";

export interface Rule<T> {
  /** What a valid value looks like, as shown in the error message. */
  readonly describe: string;
  readonly test: (value: T) => boolean;
}

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const environmentName: Rule<string> = {
  describe: "the file name must be 1-10 lowercase letters or digits, starting with a letter (it ends every stack name)",
  test: (v) => /^[a-z][a-z0-9]{0,9}$/.test(v),
};

export const location: Rule<string> = {
  describe: 'must be an Azure region name in lowercase letters and digits, such as "westeurope"',
  test: (v) => /^[a-z][a-z0-9]{1,39}$/.test(v),
};

export const resourceGroupName: Rule<string> = {
  describe: "must be 1-90 characters of letters, digits, '_', '-', '.', '(' or ')', not ending with '.'",
  test: (v) => /^[-\w.()]{1,90}$/.test(v) && !v.endsWith("."),
};

export const guid: Rule<string> = {
  describe: "must be a GUID such as 00000000-0000-0000-0000-000000000000",
  test: (v) => GUID.test(v),
};

export const tagKey: Rule<string> = {
  describe: "tag names must be 1-512 characters without < > % & \\ ? /",
  test: (v) => v.length >= 1 && v.length <= 512 && !/[<>%&\\?/]/.test(v),
};

export const tagValue: Rule<string> = {
  describe: "tag values must be strings of at most 256 characters",
  test: (v) => v.length <= 256,
};

export const aksName: Rule<string> = {
  describe: "must be 1-63 characters of letters, digits, '-' or '_', starting and ending with a letter or digit",
  test: (v) => /^[a-zA-Z0-9]([-\w]{0,61}[a-zA-Z0-9])?$/.test(v),
};

export const dnsPrefix: Rule<string> = {
  describe:
    "must be 1-54 characters of letters, digits and '-', starting with a letter and ending with a letter or digit (defaults to aks.name)",
  test: (v) => /^[a-zA-Z]([-a-zA-Z0-9]{0,52}[a-zA-Z0-9])?$/.test(v),
};

export const kubernetesVersion: Rule<string> = {
  describe: 'must be a Kubernetes version such as "1.33" or "1.33.2", or be left out for the AKS default',
  test: (v) => /^\d+\.\d+(\.\d+)?$/.test(v),
};

export const nodeCount: Rule<number> = {
  describe: "must be a whole number from 1 to 1000",
  test: (v) => Number.isInteger(v) && v >= 1 && v <= 1000,
};

export const vmSize: Rule<string> = {
  describe: 'must be an Azure VM size such as "Standard_D2s_v5"',
  test: (v) => /^Standard_[A-Za-z0-9_]+$/.test(v),
};

export const skuTier: Rule<string> = {
  describe: 'must be one of "Free", "Standard", "Premium"',
  test: (v) => ["Free", "Standard", "Premium"].includes(v),
};

const GO_DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;
const UNIT_SECONDS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/** Seconds in a Go-style duration ("1h30m" -> 5400); NaN when it is not one. */
export function durationSeconds(value: string): number {
  if (!GO_DURATION.test(value)) return NaN;
  let total = 0;
  for (const [, amount, , unit] of value.matchAll(/(\d+(\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(amount) * UNIT_SECONDS[unit];
  }
  return total;
}

export const rotationInterval: Rule<string> = {
  describe: 'must be a Go-style duration of at least 1s, such as "2m", "90s" or "1h30m"',
  test: (v) => durationSeconds(v) >= 1,
};

export const kubeloginMode: Rule<string> = {
  describe: `must be one of ${KUBELOGIN_MODE_NAMES.map((m) => `"${m}"`).join(", ")} (how kubelogin gets a token for Terraform; "spn" needs a client secret, which this project never uses)`,
  test: (v) => (KUBELOGIN_MODE_NAMES as readonly string[]).includes(v),
};

export const keyVaultName: Rule<string> = {
  describe:
    "must be 3-24 characters of letters, digits and hyphens, start with a letter, end with a letter or digit, and contain no '--'",
  test: (v) => /^[a-zA-Z][-a-zA-Z0-9]{1,22}[a-zA-Z0-9]$/.test(v) && !v.includes("--"),
};

export const keyVaultSku: Rule<string> = {
  describe: 'must be "standard" or "premium"',
  test: (v) => v === "standard" || v === "premium",
};

export const softDeleteRetentionDays: Rule<number> = {
  describe: "must be a whole number of days from 7 to 90",
  test: (v) => Number.isInteger(v) && v >= 7 && v <= 90,
};

export const objectName: Rule<string> = {
  describe: "must be 1-127 characters of letters, digits and hyphens (Key Vault object names)",
  test: (v) => /^[a-zA-Z0-9-]{1,127}$/.test(v),
};

export const objectType: Rule<string> = {
  describe: 'must be one of "secret", "key", "cert"',
  test: (v) => ["secret", "key", "cert"].includes(v),
};

export const objectAlias: Rule<string> = {
  describe:
    "must be a plain file name: 1-255 characters of letters, digits, '.', '_' or '-', starting with a letter or digit, with no '/' and no '..'",
  test: (v) => /^[a-zA-Z0-9][\w.-]{0,254}$/.test(v) && !v.includes(".."),
};

export const contentType: Rule<string> = {
  describe: "must be at most 255 characters, such as \"application/json\"",
  test: (v) => v.length >= 1 && v.length <= 255,
};

export const secretFile: Rule<string> = {
  describe:
    "must be a relative path under secrets/ (which git ignores), made of letters, digits, '.', '_', '-' and '/', with no '..', such as \"secrets/dev/app.json\"",
  test: (v) => /^secrets\/[\w./-]+$/.test(v) && !v.split("/").some((part) => part === ".." || part === "." || part === ""),
};

export const namespace: Rule<string> = {
  describe:
    "must be a Kubernetes namespace name (1-63 lowercase letters, digits and '-', starting and ending with a letter or digit) that the stack can own: not default or kube-*",
  test: (v) => v.length <= 63 && DNS_LABEL.test(v) && v !== "default" && !v.startsWith("kube-"),
};

export const appName: Rule<string> = {
  describe: "must be 1-63 lowercase letters, digits and '-', starting and ending with a letter or digit",
  test: (v) => v.length <= 63 && DNS_LABEL.test(v),
};

const IMAGE_REF =
  /^(?:[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*:([\w][\w.-]{0,127})(?:@sha256:[a-f0-9]{64})?$/;

export const image: Rule<string> = {
  describe:
    'must be an image reference with a fixed tag other than "latest", optionally followed by @sha256:<digest>, such as "sixeyed/configurable:21.04"',
  test: (v) => {
    const match = IMAGE_REF.exec(v);
    return match !== null && match[1] !== "latest";
  },
};

export const replicas: Rule<number> = {
  describe: "must be a whole number >= 1 (and at most 100)",
  test: (v) => Number.isInteger(v) && v >= 1 && v <= 100,
};

export const runnerLabel: Rule<string> = {
  describe: "must be a GitHub runner label: 1-100 letters, digits, '-', '_' and '.'",
  test: (v) => /^[A-Za-z0-9._-]{1,100}$/.test(v),
};

export const storageAccountName: Rule<string> = {
  describe: "must be 3-24 lowercase letters and digits",
  test: (v) => /^[a-z0-9]{3,24}$/.test(v),
};

export const containerName: Rule<string> = {
  describe: "must be 3-63 lowercase letters, digits and '-', starting with a letter or digit, with no '--'",
  test: (v) => /^[a-z0-9][-a-z0-9]{2,62}$/.test(v) && !v.includes("--") && !v.endsWith("-"),
};

/** An IPv4 address or CIDR as [network address as a number, prefix length]; undefined when it does not parse. */
export function parseCidr(value: string): [number, number] | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(value);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const prefix = match[5] === undefined ? 32 : Number(match[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  return [address, prefix];
}

/** Whether inner (a CIDR) lies inside outer. */
export function cidrContains(outer: string, inner: string): boolean {
  const a = parseCidr(outer);
  const b = parseCidr(inner);
  if (!a || !b || b[1] < a[1]) return false;
  const size = 2 ** (32 - a[1]);
  return Math.floor(a[0] / size) === Math.floor(b[0] / size);
}

/** Whether two CIDRs share any address. */
export function cidrOverlaps(a: string, b: string): boolean {
  return cidrContains(a, b) || cidrContains(b, a);
}

/** AKS's defaults with Azure CNI overlay: a VNet overlapping them fails to deploy. */
export const AKS_RESERVED_CIDRS = { "service CIDR": "10.0.0.0/16", "pod CIDR": "10.244.0.0/16" };

/** RFC 5737 documentation ranges: fine in examples, useless as a real allow-list. */
export const DOCUMENTATION_CIDRS = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"];

export const cidr: Rule<string> = {
  describe: 'must be an IPv4 address or CIDR such as "203.0.113.7" or "203.0.113.0/24"',
  test: (v) => parseCidr(v) !== undefined,
};

export const networkCidr: Rule<string> = {
  describe: 'must be an IPv4 CIDR with a prefix of /8 to /29, such as "10.42.0.0/16"',
  test: (v) => /\/\d{1,2}$/.test(v) && (parseCidr(v)?.[1] ?? 0) >= 8 && (parseCidr(v)?.[1] ?? 99) <= 29,
};

export const networkPolicy: Rule<string> = {
  describe: 'must be one of "calico", "cilium", "none"',
  test: (v) => ["calico", "cilium", "none"].includes(v),
};

export const upgradeChannel: Rule<string> = {
  describe: 'must be one of "patch", "stable", "rapid", "node-image", "none"',
  test: (v) => ["patch", "stable", "rapid", "node-image", "none"].includes(v),
};

export const logRetentionDays: Rule<number> = {
  describe: "must be a whole number of days from 30 to 730",
  test: (v) => Number.isInteger(v) && v >= 30 && v <= 730,
};

export const maxPods: Rule<number> = {
  describe: "must be a whole number from 10 to 250 (AKS's range of pods per node)",
  test: (v) => Number.isInteger(v) && v >= 10 && v <= 250,
};

export const osDiskType: Rule<string> = {
  describe: 'must be "Managed" or "Ephemeral"',
  test: (v) => v === "Managed" || v === "Ephemeral",
};

/**
 * v5 and later general-purpose sizes have a local disk only when their name
 * says "d" ("Standard_D4ds_v5" has one, "Standard_D4s_v5" none), and an
 * ephemeral OS disk lives there. Older series put it in the cache; Azure
 * itself judges those at deploy time.
 */
export function lacksLocalDisk(vmSize: string): boolean {
  const match = /^Standard_[A-Z]+\d+([a-z]*)_v(\d+)$/.exec(vmSize);
  return match !== null && Number(match[2]) >= 5 && !match[1].includes("d");
}

export const osDiskSizeGb: Rule<number> = {
  describe: "must be a whole number of GiB from 30 to 2048",
  test: (v) => Number.isInteger(v) && v >= 30 && v <= 2048,
};

/**
 * The largest ephemeral OS disk each VM size the docs suggest can hold: its
 * local (temp) disk in GiB, from Azure's size tables. AKS's default OS disk is
 * 128 GiB, which the 2-vCPU sizes cannot hold: AKS refuses those at deploy.
 */
export const EPHEMERAL_OS_DISK_GIB: Record<string, number> = {
  Standard_D2ds_v5: 75,
  Standard_D4ds_v5: 150,
  Standard_D8ds_v5: 300,
  Standard_D16ds_v5: 600,
  Standard_D2ads_v5: 75,
  Standard_D4ads_v5: 150,
  Standard_D8ads_v5: 300,
  Standard_D16ads_v5: 600,
  Standard_E2ds_v5: 75,
  Standard_E4ds_v5: 150,
  Standard_E8ds_v5: 300,
  Standard_E16ds_v5: 600,
};

/** Why an ephemeral OS disk of this size cannot go on this VM size, or undefined when it fits. */
export function ephemeralOsDiskProblem(vmSize: string, sizeGb: number): string | undefined {
  const local = EPHEMERAL_OS_DISK_GIB[vmSize];
  if (local === undefined) {
    return `is checked against the local disk of the VM size, and aks.vmSize ${JSON.stringify(vmSize)} is not one this project knows (${Object.keys(EPHEMERAL_OS_DISK_GIB).join(", ")}); use one of those or "Managed"`;
  }
  if (sizeGb > local) {
    return `needs aks.osDiskSizeGb at most ${local} on ${vmSize} (its local disk is ${local} GiB), not ${sizeGb}; set aks.osDiskSizeGb to ${local} or less, or pick a larger size`;
  }
  return undefined;
}

export const subnetId: Rule<string> = {
  describe: "must be the resource ID of a subnet (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<name>)",
  test: (v) => /^\/subscriptions\/[0-9a-fA-F-]{36}\/resourceGroups\/[-\w.()]+\/providers\/Microsoft\.Network\/virtualNetworks\/[-\w.]+\/subnets\/[-\w.]+$/.test(v),
};

export const diskEncryptionSetId: Rule<string> = {
  describe: "must be the resource ID of a disk encryption set (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Compute/diskEncryptionSets/<name>)",
  test: (v) => /^\/subscriptions\/[0-9a-fA-F-]{36}\/resourceGroups\/[-\w.()]+\/providers\/Microsoft\.Compute\/diskEncryptionSets\/[-\w]+$/.test(v),
};

export const authorization: Rule<string> = {
  describe: 'must be "accessPolicy" (as in the lab) or "rbac" (Azure RBAC role assignments)',
  test: (v) => v === "accessPolicy" || v === "rbac",
};

/** Built-in Key Vault roles that read secret values and nothing more. */
export const READER_ROLES = ["Key Vault Secrets User"];
/** Built-in Key Vault roles that can write, delete, recover and purge secrets. */
export const DEPLOYER_ROLES = ["Key Vault Secrets Officer", "Key Vault Administrator"];

export const readerRole: Rule<string> = {
  describe: `must be a built-in role that reads secrets and nothing more: ${READER_ROLES.map((r) => `"${r}"`).join(", ")}`,
  test: (v) => READER_ROLES.includes(v),
};

export const deployerRole: Rule<string> = {
  describe: `must be a built-in role that can write, delete and purge secrets: ${DEPLOYER_ROLES.map((r) => `"${r}"`).join(", ")}`,
  test: (v) => DEPLOYER_ROLES.includes(v),
};

export const networkDefaultAction: Rule<string> = {
  describe: 'must be "Deny" (only the AKS subnet and allowedCidrs reach the vault) or "Allow"',
  test: (v) => v === "Deny" || v === "Allow",
};

export const expiresAt: Rule<string> = {
  describe: 'must be a UTC time in RFC 3339 form, such as "2027-12-31T00:00:00Z"',
  test: (v) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(v) && !Number.isNaN(Date.parse(v)),
};

export const appIdentity: Rule<string> = {
  describe: 'must be "addon" (the add-on\'s node identity, as in the lab) or "workload" (an identity for this app only)',
  test: (v) => v === "addon" || v === "workload",
};

export const runAsUser: Rule<number> = {
  describe: "must be a whole number from 10000 to 65535 (a non-root user that no image account is likely to share)",
  test: (v) => Number.isInteger(v) && v >= 10000 && v <= 65535,
};

export const unprivilegedPort: Rule<number> = {
  describe: "must be a whole number from 1024 to 65535 (the pod runs as non-root and cannot bind lower ports)",
  test: (v) => Number.isInteger(v) && v >= 1024 && v <= 65535,
};

export const cpuQuantity: Rule<string> = {
  describe: 'must be a Kubernetes CPU quantity such as "100m" or "1"',
  test: (v) => /^(\d+m|\d+(\.\d+)?)$/.test(v),
};

export const memoryQuantity: Rule<string> = {
  describe: 'must be a Kubernetes memory quantity such as "128Mi" or "1Gi"',
  test: (v) => /^\d+(Ki|Mi|Gi)$/.test(v),
};

export const probePath: Rule<string> = {
  describe: 'must be an HTTP path starting with "/"',
  test: (v) => /^\/[\w./~%-]*$/.test(v),
};

export const envName: Rule<string> = {
  describe: "environment variable names must be letters, digits and '_', not starting with a digit",
  test: (v) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(v),
};

export const envValue: Rule<string> = {
  describe: "environment variable values must be strings (never secrets: those belong in Key Vault)",
  test: () => true,
};

export const waiverReason: Rule<string> = {
  describe: "must say why, in at least 15 characters",
  test: (v) => v.trim().length >= 15,
};
