// Facts about Azure, AKS and Kubernetes that the config's rules check and the
// stacks and tools build on: one home each, importing nothing, so rules.ts
// keeps only the rules and their sentences.

/**
 * The kubelogin login modes this project offers, and what each reads besides
 * its arguments (kubelogin's docs, "login modes"). Only modes that work in the
 * shipped workflows: `spn` needs a client secret, and this project uses none.
 */
export const KUBELOGIN_MODES = {
  /** The Azure CLI's sign-in (az login; azure/login in the workflows). */
  azurecli: { env: [] as string[], signIn: "az login (the workflows: azure/login)" },
  /** A federated token in a file: the workflows write GitHub's OIDC token there. */
  workloadidentity: {
    env: ["AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_AUTHORITY_HOST"],
    signIn: "AZURE_CLIENT_ID, AZURE_TENANT_ID and a federated token in AZURE_FEDERATED_TOKEN_FILE",
  },
  /** The managed identity of the machine: a self-hosted runner on an Azure VM. */
  msi: { env: [] as string[], signIn: "the managed identity of the Azure VM this runs on (a self-hosted runner)" },
} as const;

export type KubeloginMode = keyof typeof KUBELOGIN_MODES;
export const KUBELOGIN_MODE_NAMES = Object.keys(KUBELOGIN_MODES) as [KubeloginMode, ...KubeloginMode[]];

export const GO_DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;
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

/** How an app is reached: only from inside the cluster, from the VNet, or from listed public addresses. */
export const SERVICE_TYPES = ["ClusterIP", "InternalLoadBalancer", "LoadBalancer"] as const;

/** Whether an app mounts an object: it is the object's app, or one the object is shared with. */
export function mountsObject(appName: string, secret: { readonly app?: string; readonly sharedWith: readonly string[] }): boolean {
  return secret.app === appName || secret.sharedWith.includes(appName);
}
