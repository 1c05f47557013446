// The environment file (config/<env>.json), defined once. From this one
// definition come the TypeScript types the stacks use (types.ts), the
// validation at synth (validate.ts), the JSON Schema editors read
// (config/schema/environment.schema.json) and the field reference in docs/configuration.md.
//
// zod 4: its JSON Schema export is built in (no second library to keep in
// step), it reports every problem at once with a path, and its refinements
// take the rules' own sentences, so the messages stay those of rules.ts.
import * as z from "zod";
import { DEPLOYER_ROLES, READER_ROLES } from "./access";
import { AKS_RESERVED_CIDRS, cidrContains, cidrOverlaps, ephemeralOsDiskProblem, lacksLocalDisk, mountsObject } from "./domain";
import * as rules from "./rules";
import { CHECKOV_ID } from "./waivers";
import type { Choice, Rule } from "./rules";


const BOOLEAN = "must be true or false";

/** A string rule as zod's own checks, which the JSON Schema export carries; a refinement only for the rest. */
function checkedString(rule: Rule<string>) {
  const error = rule.describe;
  if (rule.values) return z.enum(rule.values as [string, ...string[]], { error });
  let schema = z.string({ error });
  if (rule.pattern) schema = schema.regex(rule.pattern, { error });
  if (rule.minLength !== undefined) schema = schema.min(rule.minLength, { error });
  if (rule.maxLength !== undefined) schema = schema.max(rule.maxLength, { error });
  return rule.also ? schema.refine(rule.also, { error }) : schema;
}

function text(rule: Rule<string>, doc: string) {
  return checkedString(rule).meta({ description: doc });
}

function whole(rule: Rule<number>, doc: string) {
  const error = rule.describe;
  let schema = rule.integer ? z.int({ error }) : z.number({ error });
  if (rule.minimum !== undefined) schema = schema.min(rule.minimum, { error });
  if (rule.maximum !== undefined) schema = schema.max(rule.maximum, { error });
  return (rule.also ? schema.refine(rule.also, { error }) : schema).meta({ description: doc });
}

/** An enumeration, its values and message from its rule: editors offer the values. */
function oneOf<const T extends readonly [string, ...string[]]>(rule: Choice<T>, doc: string) {
  return z.enum(rule.values, { error: rule.describe }).meta({ description: doc });
}

function flag(fallback: boolean, doc: string) {
  return z.boolean({ error: BOOLEAN }).default(fallback).meta({ description: doc });
}

function list(rule: Rule<string>, doc: string) {
  return z
    .array(checkedString(rule), { error: `must be an array of strings; each ${rule.describe}` })
    .default([])
    .meta({ description: doc });
}

function map(key: Rule<string>, value: Rule<string>, doc: string) {
  return z.record(checkedString(key) as z.ZodString, checkedString(value), { error: "must be an object of string values" }).default({}).meta({ description: doc });
}

/** An object whose unknown keys are errors: a typo such as "nodeCont" must not be ignored. */
function section<S extends z.ZodRawShape>(shape: S) {
  // A field that is only there to be refused with its replacement (z.never) is no field to offer.
  const fields = Object.keys(shape)
    .filter((key) => !(shape[key] instanceof z.ZodOptional && shape[key].unwrap() instanceof z.ZodNever))
    .join(", ");
  return z.strictObject(shape, {
    error: (issue) => (issue.code === "unrecognized_keys" ? `unknown field; known fields here are ${fields}` : `must be an object with the fields ${fields}`),
  });
}

/** A default that is computed or has a meaning, in words: the docs' Default column, and editors' hover, via "x-default". */
function defaulted<T extends z.ZodType>(schema: T, text: string): T {
  return schema.meta({ "x-default": text }) as T;
}

const backend = section({
  resourceGroupName: text(rules.resourceGroupName, "as `resourceGroupName`"),
  storageAccountName: text(rules.storageAccountName, "3-24 lowercase letters and digits"),
  containerName: text(rules.containerName, "3-63 lowercase letters, digits and `-`, starting with a letter or digit, no `--`"),
});

const ci = section({
  runsOn: defaulted(
    list(rules.runnerLabel, "GitHub runner labels (1-100 letters, digits, `-`, `_`, `.`) for this environment's plan and deploy jobs; needed where the vault firewall denies by default or the API server admits only listed ranges (see [ci.md](ci.md#runners))"),
    '`["ubuntu-latest"]` (GitHub-hosted)',
  ),
  hostedRunnerAccess: flag(false, "`true`: each job on a GitHub-hosted runner admits the runner's public address to the vault firewall and the API server's ranges for its own length (synth adds `AKSKV_RUNNER_IP`; `npm run ci:runner-access -- open --env <env> --address <ip>` opens, `npm run ci:runner-access -- close --env <env>` closes). Not with `ci.runsOn`, nor with a private cluster"),
  protected: flag(false, "`true`: the deploy workflow deploys it after the unprotected environments a push changed; give its GitHub environment required reviewers"),
}).superRefine((ci, ctx) => {
  if (ci.hostedRunnerAccess && ci.runsOn.length > 0) {
    ctx.addIssue({ code: "custom", path: ["hostedRunnerAccess"], input: true, message: "is for GitHub-hosted runners; leave it out when ci.runsOn names the runner" });
  }
});

const network = section({
  addressSpace: text(rules.networkCidr, "IPv4 CIDR, prefix /8 to /29, e.g. `10.42.0.0/16`; must not overlap AKS's default service CIDR `10.0.0.0/16` or pod CIDR `10.244.0.0/16`"),
  aksSubnet: text(rules.networkCidr, "IPv4 CIDR inside `network.addressSpace`, e.g. `10.42.0.0/20`; one address per node plus a surge node per pool"),
}).superRefine(({ addressSpace, aksSubnet }, ctx) => {
  // zod runs this after a field's own rule failed too; a rule about a broken value is noise.
  if (!rules.networkCidr.test(addressSpace)) return;
  if (rules.networkCidr.test(aksSubnet) && !cidrContains(addressSpace, aksSubnet)) {
    ctx.addIssue({ code: "custom", path: ["aksSubnet"], input: aksSubnet, message: `must lie inside network.addressSpace ${JSON.stringify(addressSpace)}` });
  }
  for (const [what, reserved] of Object.entries(AKS_RESERVED_CIDRS)) {
    if (cidrOverlaps(addressSpace, reserved)) {
      ctx.addIssue({ code: "custom", path: ["addressSpace"], input: addressSpace, message: `must not overlap AKS's default ${what} ${reserved}` });
    }
  }
});

const aks = section({
  name: text(rules.aksName, "1-63 letters, digits, `-`, `_`, starting and ending with a letter or digit"),
  dnsPrefix: defaulted(text(rules.dnsPrefix, "1-54 letters, digits, `-`, starting with a letter, ending with a letter or digit").optional(), "`aks.name`"),
  kubernetesVersion: defaulted(text(rules.kubernetesVersion, "e.g. `1.33` or `1.33.2`").optional(), "the AKS default"),
  nodeCount: whole(rules.nodeCount, "whole number 1-1000 (system node pool)"),
  vmSize: text(rules.vmSize, "e.g. `Standard_D2s_v5`"),
  skuTier: oneOf(rules.skuTier, "`Free`, `Standard` (uptime SLA) or `Premium`").default("Free"),
  secretRotationInterval: text(rules.rotationInterval, "Go-style duration of at least 1s, e.g. `2m`, `90s`, `1h30m`: how often the add-on polls Key Vault"),
  localAccountDisabled: flag(true, "`true` or `false`; `false` brings back the static admin kubeconfig"),
  adminGroupObjectIds: list(rules.guid, "Entra ID group object IDs (GUIDs) that get cluster admin"),
  kubeloginMode: oneOf(rules.kubeloginMode, "`azurecli` (the Azure CLI's sign-in), `workloadidentity` (a federated token; the workflows write GitHub's) or `msi` (the managed identity of a self-hosted runner on an Azure VM; needs `ci.runsOn`): how `kubelogin` gets Terraform's token").default("azurecli"),
  oidcIssuer: flag(true, 'OIDC issuer and workload identity; `apps[].identity: "workload"` needs it'),
  networkPolicy: oneOf(rules.networkPolicy, "`calico`, `cilium` (also selects the Cilium data plane) or `none`; Azure CNI overlay either way").default("calico"),
  apiServerAuthorizedIpRanges: defaulted(
    list(rules.cidr, "IPv4 addresses or CIDRs allowed to reach the API server: your deployers' and CI runners' public IPs"),
    "`[]` (API server open to the internet, Entra ID token still required)",
  ),
  privateCluster: flag(false, "API server on a private IP only; then `cdktf deploy` of `app-<env>` must run from inside the VNet. Not with `apiServerAuthorizedIpRanges`"),
  azurePolicy: flag(true, "the Azure Policy add-on"),
  automaticUpgradeChannel: oneOf(rules.upgradeChannel, "`patch`, `stable`, `rapid`, `node-image` or `none`").default("patch"),
  monitoring: flag(true, "a Log Analytics workspace, Container Insights (with its data collection rule) and the vault's audit logs"),
  logRetentionDays: whole(rules.logRetentionDays, "whole number 30-730").default(30),
  systemPoolCriticalAddonsOnly: flag(true, "taints the system pool `CriticalAddonsOnly` and adds a `workload` user pool for apps"),
  workloadNodeCount: defaulted(whole(rules.nodeCount, "whole number 1-1000: nodes in the `workload` pool").optional(), "`aks.nodeCount`"),
  hostEncryption: flag(false, "encryption at host on every pool; the subscription must have the `Microsoft.Compute/EncryptionAtHost` feature registered"),
  diskEncryptionSetId: defaulted(text(rules.diskEncryptionSetId, "resource ID of a disk encryption set for customer-managed keys on OS disks").optional(), "none (platform-managed keys)"),
  maxPods: whole(rules.maxPods, "whole number 10-250: pods per node on every pool, set explicitly so a plan and the scanner show it (checkov CKV_AZURE_168 wants 50 or more)").default(110),
  osDiskType: oneOf(rules.osDiskType, "`Managed` or `Ephemeral`: the OS disk on the VM's local disk (faster, no disk to pay for, gone on reimage); needs a size with one large enough for `aks.osDiskSizeGb`, e.g. `Standard_D4ds_v5` (150 GiB) rather than `Standard_D4s_v5` (none) or `Standard_D2ds_v5` (75 GiB)").default("Managed"),
  osDiskSizeGb: whole(rules.osDiskSizeGb, "whole number 30-2048: GiB of every pool's OS disk, set explicitly; with `Ephemeral` at most the VM size's local disk").default(128),
})
  .superRefine((aks, ctx) => {
    if (aks.privateCluster && aks.apiServerAuthorizedIpRanges.length > 0) {
      ctx.addIssue({ code: "custom", path: ["apiServerAuthorizedIpRanges"], input: aks.apiServerAuthorizedIpRanges, message: "must be empty when aks.privateCluster is true (AKS allows one or the other)" });
    }
    if (aks.osDiskType === "Ephemeral" && lacksLocalDisk(aks.vmSize)) {
      ctx.addIssue({
        code: "custom",
        path: ["osDiskType"],
        input: aks.osDiskType,
        message: `needs a VM size with a local disk, and aks.vmSize ${JSON.stringify(aks.vmSize)} has none; use its "d" variant (e.g. Standard_D4ds_v5) or "Managed"`,
      });
    } else if (aks.osDiskType === "Ephemeral" && rules.vmSize.test(aks.vmSize) && rules.osDiskSizeGb.test(aks.osDiskSizeGb)) {
      const problem = ephemeralOsDiskProblem(aks.vmSize, aks.osDiskSizeGb);
      if (problem) ctx.addIssue({ code: "custom", path: ["osDiskType"], input: aks.osDiskType, message: problem });
    }
    // The cluster name doubles as DNS prefix unless it breaks the stricter DNS rule.
    if (aks.dnsPrefix === undefined && rules.aksName.test(aks.name) && !rules.dnsPrefix.test(aks.name)) {
      ctx.addIssue({ code: "custom", path: ["dnsPrefix"], params: { missing: true }, message: `aks.name ${JSON.stringify(aks.name)} cannot be the DNS prefix, so set one; it ${rules.dnsPrefix.describe}` });
    }
  })
  .transform((aks) => ({ ...aks, dnsPrefix: aks.dnsPrefix ?? aks.name, workloadNodeCount: aks.workloadNodeCount ?? aks.nodeCount }));

const SOURCE_RULE = 'must be {"file": "secrets/<env>/<name>"} (uploaded by Terraform) or {"existing": true} (created out of band)';

/**
 * What the Azure provider (v1.7.0, pkg/provider/validate.go) refuses at mount time, and combinations it
 * accepts but that silently give something else than asked: each as [field, message with the fix].
 */
type OptionField = "objectVersion" | "objectFormat" | "objectEncoding" | "env" | "tlsSecret";

function objectOptionProblems(s: { objectType: string; source: { file?: string; existing?: boolean }; objectVersion?: string; objectVersionHistory?: number; objectFormat?: string; objectEncoding?: string; env?: string; tlsSecret?: string }): [OptionField, string][] {
  const problems: [OptionField, string][] = [];
  // The driver splits a PEM holding the key and the chain into tls.key and tls.crt; nothing else has both.
  if (s.tlsSecret !== undefined && (s.objectType !== "secret" || s.objectFormat !== "pem" || s.source.file !== undefined || s.objectVersionHistory !== undefined)) {
    problems.push(["tlsSecret", 'needs the certificate with its private key as one PEM: objectType "secret" on the certificate\'s name, objectFormat "pem", {"existing": true} and no objectVersionHistory']);
  }
  const uploaded = s.source.file !== undefined;
  if (s.objectVersion !== undefined && uploaded) {
    problems.push(["objectVersion", 'is for {"existing": true} objects: a secret uploaded from its file gets a new version on every change, and a pin would keep the mount on an old one; leave objectVersion out']);
  }
  if (s.objectFormat === "pfx" && s.objectType !== "secret") {
    problems.push(["objectFormat", `"pfx" needs objectType "secret" (the provider refuses it otherwise): only the certificate's secret holds the PKCS#12 with its private key; fetch the certificate's name as objectType "secret"`]);
  } else if (s.objectFormat !== undefined && s.objectType === "cert") {
    problems.push(["objectFormat", 'with objectType "cert" gives the public certificate only, never its private key: for the key, fetch the certificate\'s name as objectType "secret"; for the public certificate alone, leave objectFormat out']);
  } else if (s.objectFormat !== undefined && s.objectType === "key") {
    problems.push(["objectFormat", 'does not apply to objectType "key", which Key Vault returns as the public key (PEM): for a certificate\'s private key, fetch the certificate\'s name as objectType "secret"']);
  } else if (s.objectFormat !== undefined && uploaded) {
    problems.push(["objectFormat", 'is for a certificate\'s secret, which its owner imports ({"existing": true}); a secret this stack uploads from a file is a plain value and the format would be ignored']);
  }
  if (s.env !== undefined && s.objectVersionHistory !== undefined) {
    problems.push(["env", "takes one value, but with objectVersionHistory the alias is a folder of versions: leave one of them out"]);
  }
  if (s.objectEncoding !== undefined && s.objectType !== "secret") {
    problems.push(["objectEncoding", `applies to objectType "secret" only (the provider refuses it for "${s.objectType}")`]);
  } else if (s.objectEncoding === "hex" && s.objectFormat === "pfx") {
    problems.push(["objectEncoding", '"hex" cannot decode the PFX, which Key Vault holds as base64: use "base64" for the binary PKCS#12, or leave objectEncoding out for its base64 text']);
  } else if (s.objectEncoding !== undefined && s.objectEncoding !== "utf-8" && s.objectFormat === "pem") {
    problems.push(["objectEncoding", `"${s.objectEncoding}" would decode the certificate's PEM text, which is not encoded that way: the mount fails; leave objectEncoding out with objectFormat "pem"`]);
  }
  return problems;
}

const secret = section({
  objectName: text(rules.objectName, "1-127 letters, digits and `-`; the name in Key Vault; unique (case-insensitive)"),
  objectType: oneOf(rules.objectType, "`secret`, `key` or `cert`"),
  objectAlias: text(rules.objectAlias, "the file name in the mount: 1-255 letters, digits, `.`, `_`, `-`, starting with a letter or digit, no `/` and no `..`; unique"),
  contentType: text(rules.contentType, "up to 255 characters, e.g. `application/json`; checkov's CKV_AZURE_114 expects one").optional(),
  expiresAt: text(rules.expiresAt, "UTC time, e.g. `2027-12-31T00:00:00Z`: Key Vault refuses to serve the secret after it, so pods stop getting it; rotate before").optional(),
  objectVersion: text(rules.objectVersion, "with `existing` only: pin this version (32 hex characters) instead of following the latest; rotation then never changes the file").optional(),
  objectVersionHistory: whole(rules.objectVersionHistory, "whole number 2-20: mount the latest versions (from `objectVersion`, if pinned) as `<objectAlias>/0` (newest), `/1`, ...; the alias becomes a folder").optional(),
  objectFormat: oneOf(rules.objectFormat, "with `existing` only: a certificate fetched with its private key (`objectType: \"secret\"` on the certificate's name) as `pem` (key and chain in one file) or `pfx` (base64 PKCS#12, e.g. for Kestrel; with `objectEncoding: \"base64\"` the file holds the binary)").optional(),
  objectEncoding: oneOf(rules.objectEncoding, "`objectType: \"secret\"` only: how the value is encoded in Key Vault; the file gets it decoded (binary for `hex`/`base64`)").optional(),
  env: text(rules.envName, "also give the value to the app as this environment variable, through a Kubernetes Secret the driver syncs (`secretObjects`); it changes only when the pods restart (see [rotation.md](rotation.md))").optional(),
  tlsSecret: text(rules.kubernetesSecretName, 'also sync the certificate to a `kubernetes.io/tls` Secret of this name (`tls.crt`, `tls.key`) for an ingress controller: a certificate with its key, i.e. `objectType: "secret"`, `objectFormat: "pem"`, `existing`').optional(),
  app: text(rules.appName, "the `apps[].name` that reads it; may be left out while there is one app").optional(),
  sharedWith: list(rules.appName, "other `apps[].name`s that read it too, on purpose: each gets it in its own mount"),
  filePermission: text(rules.filePermission, 'octal mode of the mounted file, e.g. `"0444"`; the default is the driver\'s `0644`. Others must keep read: the app\'s non-root user does not own the files').optional(),
  source: z
    .strictObject(
      { file: text(rules.secretFile, "a file under `secrets/`").optional(), existing: z.boolean({ error: BOOLEAN }).optional() },
      { error: (issue) => (issue.code === "unrecognized_keys" ? "unknown field; known fields here are file, existing" : SOURCE_RULE) },
    )
    .meta({ description: '`{"file": "secrets/<env>/<name>"}` or `{"existing": true}`' }),
})
  .superRefine((s, ctx) => {
    // Neither or both: the value must come from exactly one place.
    if ((s.source.file !== undefined) === (s.source.existing === true)) {
      ctx.addIssue({ code: "custom", path: ["source"], input: s.source, message: SOURCE_RULE });
    } else if (s.source.file !== undefined && (s.objectType === "key" || s.objectType === "cert")) {
      ctx.addIssue({
        code: "custom",
        path: ["source"],
        input: s.source,
        message: `objectType "${s.objectType}" must use {"existing": true}: this stack uploads secrets only; import keys and certificates into the vault yourself`,
      });
    }
    objectOptionProblems(s).forEach(([field, message]) => ctx.addIssue({ code: "custom", path: [field], input: s[field], message }));
  })
  .transform(({ source, ...rest }) => ({ ...rest, source: source.file !== undefined ? { kind: "file" as const, file: source.file } : { kind: "existing" as const } }));

const SECRETS_RULE = "must be a non-empty array of objects with objectName, objectType, objectAlias and source";

/** Reports duplicates of one field across the secrets, case-insensitively; secrets without the field are skipped. */
function requireUnique(secrets: readonly z.output<typeof secret>[], key: "objectName" | "objectAlias" | "tlsSecret", what: string, ctx: z.RefinementCtx): void {
  const seen = new Map<string, number>();
  secrets.forEach((s, index) => {
    const value = s[key];
    if (value === undefined) return;
    const first = seen.get(value.toLowerCase());
    const message = `${what ? `${what} ` : ""}must be unique; keyVault.secrets[${first}].${key} has it already`;
    if (first !== undefined) ctx.addIssue({ code: "custom", path: ["secrets", index, key], input: value, message });
    else seen.set(value.toLowerCase(), index);
  });
}

const keyVault = section({
  name: text(rules.keyVaultName, "3-24 letters, digits, `-`; starts with a letter, ends with a letter or digit, no `--`. Global in Azure: pick your own"),
  sku: oneOf(rules.keyVaultSku, "`standard` or `premium`").default("standard"),
  purgeProtection: flag(true, "`true` or `false`. Off: destroy purges the vault and secrets. On: they stay soft-deleted and the next deploy recovers them"),
  softDeleteRetentionDays: whole(rules.softDeleteRetentionDays, "whole number 7-90").default(90),
  authorization: oneOf(rules.authorization, "`accessPolicy` (as in the lab) or `rbac`: Azure RBAC role assignments on the vault instead").default("accessPolicy"),
  // Defaulted by the transform below, not .default(): a role given without "rbac" must stay visible to the rule there.
  readerRole: defaulted(text(rules.readerRole, "with `rbac` only: the role of the identity that reads for pods; only `Key Vault Secrets User` reads values and nothing more").optional(), `\`${READER_ROLES[0]}\``),
  deployerRole: defaulted(text(rules.deployerRole, "with `rbac` only: the deployer's role; `Key Vault Secrets Officer` or `Key Vault Administrator`").optional(), `\`${DEPLOYER_ROLES[0]}\``),
  networkDefaultAction: oneOf(rules.networkDefaultAction, "`Deny` (only the AKS subnet and `allowedCidrs` reach the vault; needs `network`) or `Allow`").default("Deny"),
  allowedCidrs: list(rules.cidr, "IPv4 addresses or CIDRs of whoever runs `cdktf deploy`: Terraform writes secrets through the vault's data plane"),
  allowedSubnetIds: list(rules.subnetId, "resource IDs of subnets outside this project that the vault firewall admits besides the AKS subnet, e.g. a self-hosted runner's (it needs the `Microsoft.KeyVault` service endpoint); a subnet added by hand is removed by the next apply"),
  diagnostics: flag(true, "`AuditEvent` logs to the `aks.monitoring` workspace (needs `aks.monitoring`)"),
  secrets: z.array(secret, { error: SECRETS_RULE }).min(1, { error: SECRETS_RULE }).meta({ description: "non-empty array of objects, below" }),
})
  .superRefine((kv, ctx) => {
    for (const key of ["readerRole", "deployerRole"] as const) {
      if (kv[key] !== undefined && kv.authorization !== "rbac") {
        ctx.addIssue({ code: "custom", path: [key], input: kv[key], message: 'is used only with keyVault.authorization "rbac"; access policies grant fixed permissions' });
      }
    }
    requireUnique(kv.secrets, "objectName", "objectName", ctx);
    // Kubernetes names are lowercase already: comparing case-insensitively changes nothing for them.
    requireUnique(kv.secrets, "tlsSecret", "", ctx);
  })
  .transform((kv) => ({ ...kv, readerRole: kv.readerRole ?? READER_ROLES[0], deployerRole: kv.deployerRole ?? DEPLOYER_ROLES[0] }));

const resources = section({
  cpuRequest: text(rules.cpuQuantity, "Kubernetes CPU quantity").default("100m"),
  memoryRequest: text(rules.memoryQuantity, "Kubernetes memory quantity (`Ki`, `Mi`, `Gi`)").default("128Mi"),
  cpuLimit: text(rules.cpuQuantity, "Kubernetes CPU quantity").default("500m"),
  memoryLimit: text(rules.memoryQuantity, "Kubernetes memory quantity").default("256Mi"),
});

const https = section({
  certificate: text(rules.objectAlias, 'the `objectAlias` of a certificate with its private key in this app\'s mount: `objectType: "secret"` on the certificate\'s name, `objectFormat` `"pem"` or `"pfx"` (with `objectEncoding: "base64"`)'),
  port: whole(rules.unprivilegedPort, "the container port the app serves HTTPS on (1024-65535, not `containerPort`); the Service listens on 443 and forwards here").default(8443),
});

const PUBLIC_WITHOUT_RANGES =
  'must name the addresses a public LoadBalancer admits (its loadBalancerSourceRanges): without them the app, and the secrets it shows, are open to the internet; list your CIDRs, or use "InternalLoadBalancer" or "ClusterIP"';

const service = section({
  type: oneOf(rules.serviceType, "`ClusterIP` (no address outside the cluster; verify port-forwards through the API server), `InternalLoadBalancer` (a private address in the cluster's VNet) or `LoadBalancer` (a public address, only for `sourceRanges`)").default("ClusterIP"),
  sourceRanges: list(rules.cidr, "with `LoadBalancer` only, and required there: the IPv4 addresses or CIDRs the public address admits (`loadBalancerSourceRanges`)"),
}).superRefine((svc, ctx) => {
  if (svc.type === "LoadBalancer" && svc.sourceRanges.length === 0) ctx.addIssue({ code: "custom", path: ["sourceRanges"], input: svc.sourceRanges, message: PUBLIC_WITHOUT_RANGES });
  if (svc.type !== "LoadBalancer" && svc.sourceRanges.length > 0) ctx.addIssue({ code: "custom", path: ["sourceRanges"], input: svc.sourceRanges, message: `applies to a public "LoadBalancer" only; a ${svc.type} has no public address to restrict` });
});

const appEntry = section({
  namespace: text(rules.namespace, "Kubernetes namespace name the stack creates and owns: not `default` or `kube-*`"),
  name: text(rules.appName, "1-63 lowercase letters, digits, `-`; names the Deployment and Service").default("configurable"),
  image: text(rules.image, "image with a fixed tag other than `latest`, optionally `@sha256:<digest>`, e.g. `sixeyed/configurable:21.04`"),
  replicas: whole(rules.replicas, "whole number 1-100"),
  containerPort: whole(rules.unprivilegedPort, '1024-65535 (the pod runs as non-root); the Service listens on 80 and forwards here (with `https`, on 443 to `https.port` only). Make the app listen here, e.g. `"env": {"ASPNETCORE_URLS": "http://+:8080"}`').default(8080),
  identity: oneOf(rules.appIdentity,
    "`addon`: the add-on's node identity reads the vault (as in the lab; any pod on the node can use it). `workload`: a user-assigned identity federated with this app's service account only (needs `aks.oidcIssuer`)",
  ).default("addon"),
  runAsUser: whole(rules.runAsUser, "whole number 10000-65535: UID and GID of the container").default(10001),
  resources: defaulted(resources.default(resources.parse({})).meta({ description: "CPU and memory requests and limits" }), "see below"),
  probePath: text(rules.probePath, "HTTP path for the liveness and readiness probes").default("/"),
  env: map(rules.envName, rules.envValue, "environment variables, names of letters, digits and `_`; never secrets (those belong in Key Vault)"),
  https: https.optional().meta({
    description:
      "serve the app over HTTPS from a certificate in its mount: the Service listens on 443 only and the probes use HTTPS, so a pod that does not serve it never becomes ready. The app reads the file itself, e.g. Kestrel: `ASPNETCORE_URLS` `https://+:8443` and `ASPNETCORE_Kestrel__Certificates__Default__Path` (and `__KeyPath`) `/app/secrets/<certificate>`",
  }),
  service: defaulted(service.default(service.parse({})).meta({ description: "how the app is reached: the Service's type and, for a public one, whom it admits; see below" }), '`{"type": "ClusterIP"}`'),
  rolloutOnSecretChange: flag(true, "the pod template carries the Key Vault version of each secret this project uploads, so a deploy that changes one rolls the pods (see [rotation.md](rotation.md))"),
});

const waiver = section({
  rule: z
    .string({ error: rules.waiverRule.describe })
    .superRefine((v, ctx) => {
      // A retired project rule ID gets its replacement named; anything else, the pattern's message.
      const message = rules.retiredRuleProblem(v) ?? (rules.waiverRule.test(v) ? undefined : rules.waiverRule.describe);
      if (message) ctx.addIssue({ code: "custom", input: v, message });
    })
    .meta({ pattern: CHECKOV_ID.source, description: "a checkov check ID, checkov's own (`CKV_AZURE_117`) or this project's (`CKV_AKSKV_1`, see [security.md](security.md)); each at most once" }),
  reason: text(rules.waiverReason, "why, in at least 15 characters; printed with every scan"),
});

const policyWaivers = z
  .array(waiver, { error: 'must be an array of {"rule": "<checkov ID>", "reason": "<why>"}' })
  .default([])
  .superRefine((waivers, ctx) => {
    waivers.forEach((w, index) => {
      if (waivers.findIndex((other) => other.rule === w.rule) < index) ctx.addIssue({ code: "custom", path: [index, "rule"], input: w.rule, message: "is waived twice" });
    });
  })
  .meta({ description: "checkov checks this environment does not meet, each with a reason; see below" });

/** What the app's HTTPS needs of the certificate it names: one file in its mount holding the certificate and its key. */
function httpsProblems(a: z.output<typeof appEntry>, appIndex: number, reads: { s: z.output<typeof secret>; index: number }[]): [PropertyKey[], unknown, string][] {
  const { certificate, port } = a.https!;
  const where = ["apps", appIndex, "https"];
  const problems: [PropertyKey[], unknown, string][] = [];
  if (port === a.containerPort) problems.push([[...where, "port"], port, `is containerPort already; HTTPS needs a port of its own`]);
  const found = reads.find(({ s }) => s.objectAlias.toLowerCase() === certificate.toLowerCase());
  if (!found) {
    problems.push([[...where, "certificate"], certificate, `names no file in ${a.name}'s mount; its objectAliases: ${reads.map(({ s }) => s.objectAlias).join(", ") || "none"}`]);
    return problems;
  }
  const { s, index } = found;
  const object = `keyVault.secrets[${index}]`;
  if (s.objectType !== "secret" || s.objectFormat === undefined) {
    problems.push([[...where, "certificate"], certificate, `names ${object}, which holds no private key: fetch the certificate's name as objectType "secret" with objectFormat "pem" or "pfx"`]);
  } else if (s.objectVersionHistory !== undefined) {
    problems.push([[...where, "certificate"], certificate, `names ${object}, whose objectVersionHistory makes the alias a folder of versions, not one file: leave objectVersionHistory out`]);
  } else if (s.objectFormat === "pfx" && s.objectEncoding !== "base64") {
    problems.push([[...where, "certificate"], certificate, `names ${object}, a PFX left as its base64 text: set its objectEncoding "base64" so the file holds the PKCS#12 a server loads`]);
  }
  return problems;
}

type AppsInput = { apps: z.output<typeof appEntry>[]; keyVault: z.output<typeof keyVault>; aks: z.output<typeof aks> };

/**
 * What spans the apps and their objects, each as [path, value, message]: names and namespaces unique,
 * each object read by apps that exist, and per app (its own objects and those shared with it) one file
 * per alias and one value per environment variable.
 */
function appProblems(config: AppsInput): [PropertyKey[], unknown, string][] {
  const problems: [PropertyKey[], unknown, string][] = [];
  const names = config.apps.map((a) => a.name);
  for (const key of ["name", "namespace"] as const) {
    config.apps.forEach((a, index) => {
      const first = config.apps.findIndex((other) => other[key] === a[key]);
      if (first < index) problems.push([["apps", index, key], a[key], `must be unique; apps[${first}].${key} has it already (each app gets its own ${key === "name" ? "Deployment, Service and identity" : "namespace"})`]);
    });
  }
  const secrets = config.keyVault.secrets;
  secrets.forEach((s, index) => {
    if (s.app === undefined && config.apps.length > 1) {
      problems.push([["keyVault", "secrets", index, "app"], undefined, `is needed with several apps: which one reads it (${names.join(", ")}); share it with others on purpose through sharedWith`]);
    } else if (s.app !== undefined && !names.includes(s.app)) {
      problems.push([["keyVault", "secrets", index, "app"], s.app, `names no app; apps here: ${names.join(", ")}`]);
    }
    s.sharedWith.forEach((other, k) => {
      if (!names.includes(other)) problems.push([["keyVault", "secrets", index, "sharedWith", k], other, `names no app; apps here: ${names.join(", ")}`]);
      else if (other === (s.app ?? names[0])) problems.push([["keyVault", "secrets", index, "sharedWith", k], other, "is the app that owns it already"]);
    });
  });
  config.apps.forEach((a, appIndex) => {
    // The add-on's identity carries "addon" in its resources' logical IDs, where an app carries its name.
    if (a.name === "addon") problems.push([["apps", appIndex, "name"], a.name, 'is reserved: "addon" names the add-on\'s identity and its vault access; pick another name']);
    if (a.identity === "workload" && !config.aks.oidcIssuer) {
      problems.push([["apps", appIndex, "identity"], "workload", "needs aks.oidcIssuer true (the federated credential trusts the cluster's OIDC issuer)"]);
    }
    const reads = secrets.map((s, index) => ({ s, index })).filter(({ s }) => mountsObject(a.name, { ...s, app: s.app ?? names[0] }));
    // One file per alias in this app's mount.
    const aliases = new Map<string, number>();
    for (const { s, index } of reads) {
      const first = aliases.get(s.objectAlias.toLowerCase());
      if (first !== undefined) problems.push([["keyVault", "secrets", index, "objectAlias"], s.objectAlias, `objectAlias (the file name in the mount) must be unique per app; keyVault.secrets[${first}].objectAlias has it already in ${a.name}'s mount`]);
      else aliases.set(s.objectAlias.toLowerCase(), index);
    }
    // One name, one value: a variable from Key Vault must not also be set by the app's env or another object.
    const envFrom = new Map(Object.keys(a.env).map((name) => [name, `apps[${appIndex}].env.${name}`]));
    for (const { s, index } of reads) {
      if (s.env === undefined) continue;
      const taken = envFrom.get(s.env);
      if (taken) problems.push([["keyVault", "secrets", index, "env"], s.env, `names a variable ${taken} sets already; each variable gets one value`]);
      else envFrom.set(s.env, `keyVault.secrets[${index}].env`);
    }
    if (a.https) problems.push(...httpsProblems(a, appIndex, reads));
    for (const { s, index } of reads) {
      if (s.tlsSecret === `${a.name}-keyvault-env`) problems.push([["keyVault", "secrets", index, "tlsSecret"], s.tlsSecret, "is the name of the Secret the driver syncs for env objects; pick another"]);
    }
  });
  return problems;
}

const APPS_RULE = "must be a non-empty array of apps, each with namespace, name, image and replicas";

/** One environment file, as written. */
export const environmentFile = section({
  $schema: z.string({ error: "must be the path of the JSON Schema, such as \"./schema/environment.schema.json\"" }).optional().meta({ description: "for editors: `./schema/environment.schema.json`" }),
  location: text(rules.location, "Azure region name in lowercase letters and digits, e.g. `westeurope`"),
  resourceGroupName: text(rules.resourceGroupName, "1-90 letters, digits, `_ - . ( )`, not ending with `.`; owned by the `aks-<env>` stack"),
  subscriptionId: defaulted(text(rules.guid, "a GUID").optional(), "`ARM_SUBSCRIPTION_ID` from the deployer's environment"),
  deployerObjectId: defaulted(
    text(rules.guid, "a GUID: the object ID of the identity that deploys; gets cluster admin and the vault's deployer access. Unset, a plan by another identity shows that access replaced; synth warns when a `backend` is set without it. Set it where a pipeline deploys").optional(),
    "whoever runs Terraform (`azurerm_client_config`)",
  ),
  tags: map(rules.tagKey, rules.tagValue, "object of string values; names 1-512 chars without `< > % & \\ ? /`, values up to 256 chars"),
  backend: defaulted(backend.optional().meta({ description: "see below; the pipeline's preflight refuses an environment without one" }), "local state files"),
  ci: defaulted(ci.default(ci.parse({})), "GitHub-hosted, unprotected").meta({ description: "where the pipeline runs this environment: `ci.runsOn` or `ci.hostedRunnerAccess`" }),
  network: defaulted(network.optional().meta({ description: 'see below; needed for `keyVault.networkDefaultAction: "Deny"`' }), "none: nodes in an AKS-managed VNet"),
  aks: aks.meta({ description: "see below" }),
  keyVault: keyVault.meta({ description: "see below" }),
  apps: z
    .array(appEntry, { error: APPS_RULE })
    .min(1, { error: APPS_RULE })
    .meta({ description: "the workloads, each with its own namespace, service account, identity and objects; see below" }),
  app: z
    .never({ error: 'is now "apps", a list: write "apps": [ <this object> ], and the logical IDs stay those of app (docs/configuration.md#from-app-to-apps)' })
    .optional()
    .meta({ description: "replaced by `apps`: `\"apps\": [ <the former app> ]`" }),
  policyWaivers,
})
  .superRefine((config, ctx) => {
    // Rules that span sections: each names the field to change.
    const fail = (path: string, input: unknown, message: string) => ctx.addIssue({ code: "custom", path: path.split("."), input, message });
    if (config.keyVault.networkDefaultAction === "Deny" && !config.network) {
      fail("keyVault.networkDefaultAction", "Deny", 'needs a network section (pods reach the vault through the AKS subnet\'s service endpoint); add one or use "Allow"');
    }
    if (config.keyVault.diagnostics && !config.aks.monitoring) fail("keyVault.diagnostics", true, "needs aks.monitoring true (audit logs go to its Log Analytics workspace)");
    if (config.ci.hostedRunnerAccess && config.aks.privateCluster) {
      fail("ci.hostedRunnerAccess", true, "a private API server cannot be opened to a runner's address; run the jobs inside the network (ci.runsOn)");
    }
    if (config.aks.kubeloginMode === "msi" && config.ci.runsOn.length === 0) {
      fail("aks.kubeloginMode", "msi", "signs in with the managed identity of the machine, which a GitHub-hosted runner has none of; name a self-hosted runner on an Azure VM in ci.runsOn, or use \"azurecli\"");
    }
    appProblems(config).forEach(([where, input, message]) => ctx.addIssue({ code: "custom", path: where, input, message }));
  })
  .transform(({ $schema: _editorsOnly, app: _replaced, ci, ...config }) => {
    // Absent runsOn: a GitHub-hosted runner.
    const runsOn: string[] | undefined = ci.runsOn.length > 0 ? ci.runsOn : undefined;
    // Each object names its app from here on: the only one, where the file leaves it out.
    const secrets = config.keyVault.secrets.map((secret) => ({ ...secret, app: secret.app ?? config.apps[0].name }));
    return { ...config, ci: { ...ci, runsOn }, keyVault: { ...config.keyVault, secrets } };
  });
