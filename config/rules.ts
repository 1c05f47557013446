// Naming and value rules, each with the sentence a user sees when a value breaks it.
// Azure's rules come from its resource naming documentation; Kubernetes' from
// the API conventions (RFC 1123 labels).

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
  describe: 'must be one of "azurecli", "workloadidentity", "spn", "msi" (how kubelogin gets a token for Terraform)',
  test: (v) => ["azurecli", "workloadidentity", "spn", "msi"].includes(v),
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

export const port: Rule<number> = {
  describe: "must be a whole number from 1 to 65535",
  test: (v) => Number.isInteger(v) && v >= 1 && v <= 65535,
};

export const storageAccountName: Rule<string> = {
  describe: "must be 3-24 lowercase letters and digits",
  test: (v) => /^[a-z0-9]{3,24}$/.test(v),
};

export const containerName: Rule<string> = {
  describe: "must be 3-63 lowercase letters, digits and '-', starting with a letter or digit, with no '--'",
  test: (v) => /^[a-z0-9][-a-z0-9]{2,62}$/.test(v) && !v.includes("--") && !v.endsWith("-"),
};

export const anyBoolean: Rule<boolean> = { describe: "must be true or false", test: () => true };
