// Turns the parsed JSON of one environment file into an EnvironmentConfig, or
// into a list of one-line problems: "<file>: <field path> = <value>: <rule>".
// Every problem in the file is reported, not only the first, so one run fixes all.

import * as rules from "./rules";
import type { Rule } from "./rules";
import { CHECKOV_ID } from "../policy/checkov";
import { POLICY_RULE_IDS, POLICY_RULES } from "../policy/rules";
import type {
  AksConfig,
  AppConfig,
  AppResources,
  BackendConfig,
  CiConfig,
  EnvironmentConfig,
  KeyVaultConfig,
  NetworkConfig,
  ObjectType,
  PolicyWaiver,
  SecretConfig,
} from "./types";

type JsonObject = Record<string, unknown>;

/** Collects problems for one file. */
export class Problems {
  readonly lines: string[] = [];
  constructor(readonly file: string) {}

  invalid(path: string, value: unknown, rule: string): void {
    this.lines.push(`${this.file}: ${path} = ${show(value)}: ${rule}`);
  }

  missing(path: string, rule: string): void {
    this.lines.push(`${this.file}: ${path} is missing: ${rule}`);
  }
}

/** A value as the user wrote it, short enough for one line. */
export function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function join(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

/**
 * Reads the fields of one JSON object. Unknown keys are reported as soon as it
 * is created: a typo such as "nodeCont" must not be silently ignored.
 */
class Fields {
  constructor(
    readonly raw: JsonObject,
    private readonly path: string,
    private readonly problems: Problems,
    known: readonly string[],
  ) {
    for (const key of Object.keys(raw)) {
      if (!known.includes(key)) {
        problems.invalid(join(path, key), raw[key], `unknown field; known fields here are ${known.join(", ")}`);
      }
    }
  }

  private has(key: string): boolean {
    return this.raw[key] !== undefined;
  }

  string(key: string, rule: Rule<string>): string;
  string(key: string, rule: Rule<string>, fallback: string): string;
  string(key: string, rule: Rule<string>, fallback: undefined): string | undefined;
  string(key: string, rule: Rule<string>, ...fallback: [string?]): string | undefined {
    const path = join(this.path, key);
    if (!this.has(key)) {
      if (fallback.length === 0) this.problems.missing(path, rule.describe);
      return fallback[0];
    }
    const value = this.raw[key];
    if (typeof value !== "string" || !rule.test(value)) {
      this.problems.invalid(path, value, rule.describe);
      return fallback[0];
    }
    return value;
  }

  number(key: string, rule: Rule<number>, fallback?: number): number {
    const path = join(this.path, key);
    if (!this.has(key)) {
      if (fallback === undefined) this.problems.missing(path, rule.describe);
      return fallback ?? NaN;
    }
    const value = this.raw[key];
    if (typeof value !== "number" || !rule.test(value)) {
      this.problems.invalid(path, value, rule.describe);
      return fallback ?? NaN;
    }
    return value;
  }

  boolean(key: string, fallback: boolean): boolean {
    if (!this.has(key)) return fallback;
    const value = this.raw[key];
    if (typeof value !== "boolean") {
      this.problems.invalid(join(this.path, key), value, "must be true or false");
      return fallback;
    }
    return value;
  }

  /** A nested object; undefined (and reported when required) when absent or not an object. */
  object(key: string, known: readonly string[], required: boolean): Fields | undefined {
    const path = join(this.path, key);
    const value = this.raw[key];
    if (value === undefined) {
      if (required) this.problems.missing(path, `must be an object with the fields ${known.join(", ")}`);
      return undefined;
    }
    if (!isObject(value)) {
      this.problems.invalid(path, value, `must be an object with the fields ${known.join(", ")}`);
      return undefined;
    }
    return new Fields(value, path, this.problems, known);
  }

  /** The elements of an array field, each with its path; a required array must not be empty. */
  array(key: string, describe: string, required: boolean): { value: unknown; path: string }[] {
    const path = join(this.path, key);
    const value = this.raw[key];
    if (value === undefined) {
      if (required) this.problems.missing(path, describe);
      return [];
    }
    if (!Array.isArray(value) || (required && value.length === 0)) {
      this.problems.invalid(path, value, describe);
      return [];
    }
    return value.map((element, index) => ({ value: element, path: join(path, index) }));
  }

  /** An array of strings, each checked against a rule. */
  stringArray(key: string, rule: Rule<string>): string[] {
    const result: string[] = [];
    for (const { value, path } of this.array(key, `must be an array of strings; each ${rule.describe}`, false)) {
      if (typeof value === "string" && rule.test(value)) result.push(value);
      else this.problems.invalid(path, value, rule.describe);
    }
    return result;
  }

  /** A map of string to string, such as tags. */
  stringMap(key: string, keyRule: Rule<string>, valueRule: Rule<string>): Record<string, string> {
    const path = join(this.path, key);
    const value = this.raw[key];
    if (value === undefined) return {};
    if (!isObject(value)) {
      this.problems.invalid(path, value, "must be an object of string values");
      return {};
    }
    const result: Record<string, string> = {};
    for (const [name, entry] of Object.entries(value)) {
      if (!keyRule.test(name)) this.problems.invalid(join(path, name), name, keyRule.describe);
      else if (typeof entry !== "string" || !valueRule.test(entry)) {
        this.problems.invalid(join(path, name), entry, valueRule.describe);
      } else result[name] = entry;
    }
    return result;
  }

  /** Reports a field that is optional on its own but needed here. */
  require(key: string, rule: string): void {
    this.problems.missing(join(this.path, key), rule);
  }

  /** Reports a rule that spans fields, against one field. */
  fail(key: string, value: unknown, rule: string): void {
    this.problems.invalid(join(this.path, key), value, rule);
  }
}

/** Reports duplicates of one field across the elements of an array. */
function requireUnique(
  problems: Problems,
  items: { path: string; value: string | undefined }[],
  what: string,
): void {
  const seen = new Map<string, string>();
  for (const { path, value } of items) {
    if (value === undefined) continue;
    const key = value.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) problems.invalid(path, value, `${what} must be unique; ${first} has it already`);
    else seen.set(key, path);
  }
}

const ROOT_FIELDS = [
  "location",
  "resourceGroupName",
  "subscriptionId",
  "deployerObjectId",
  "tags",
  "backend",
  "ci",
  "network",
  "aks",
  "keyVault",
  "app",
  "policyWaivers",
];
const AKS_FIELDS = [
  "name",
  "dnsPrefix",
  "kubernetesVersion",
  "nodeCount",
  "vmSize",
  "skuTier",
  "secretRotationInterval",
  "localAccountDisabled",
  "adminGroupObjectIds",
  "kubeloginMode",
  "oidcIssuer",
  "networkPolicy",
  "apiServerAuthorizedIpRanges",
  "privateCluster",
  "azurePolicy",
  "automaticUpgradeChannel",
  "monitoring",
  "logRetentionDays",
  "systemPoolCriticalAddonsOnly",
  "workloadNodeCount",
  "hostEncryption",
  "diskEncryptionSetId",
  "maxPods",
  "osDiskType",
];
const KEY_VAULT_FIELDS = [
  "name",
  "sku",
  "purgeProtection",
  "softDeleteRetentionDays",
  "authorization",
  "readerRole",
  "deployerRole",
  "networkDefaultAction",
  "allowedCidrs",
  "diagnostics",
  "secrets",
];
const SECRET_FIELDS = ["objectName", "objectType", "objectAlias", "contentType", "expiresAt", "source"];
const SOURCE_FIELDS = ["file", "existing"];
const APP_FIELDS = [
  "namespace",
  "name",
  "image",
  "replicas",
  "containerPort",
  "identity",
  "runAsUser",
  "resources",
  "probePath",
  "env",
  "rolloutOnSecretChange",
];
const RESOURCES_FIELDS = ["cpuRequest", "memoryRequest", "cpuLimit", "memoryLimit"];
const NETWORK_FIELDS = ["addressSpace", "aksSubnet"];
const WAIVER_FIELDS = ["rule", "reason"];
const BACKEND_FIELDS = ["resourceGroupName", "storageAccountName", "containerName"];
const CI_FIELDS = ["runsOn", "hostedRunnerAccess", "protected"];

/** Every field an environment file may have, as docs/configuration.md names them. */
export const KNOWN_FIELDS: readonly string[] = [
  ...ROOT_FIELDS,
  ...BACKEND_FIELDS.map((f) => `backend.${f}`),
  ...CI_FIELDS.map((f) => `ci.${f}`),
  ...AKS_FIELDS.map((f) => `aks.${f}`),
  ...KEY_VAULT_FIELDS.map((f) => `keyVault.${f}`),
  ...SECRET_FIELDS,
  ...SOURCE_FIELDS,
  ...APP_FIELDS.map((f) => `app.${f}`),
  ...RESOURCES_FIELDS.map((f) => `app.resources.${f}`),
  ...NETWORK_FIELDS.map((f) => `network.${f}`),
  ...WAIVER_FIELDS,
];

function readAks(fields: Fields | undefined, problems: Problems): AksConfig | undefined {
  if (!fields) return undefined;
  const name = fields.string("name", rules.aksName);
  const dnsPrefix = fields.string("dnsPrefix", rules.dnsPrefix, undefined) ?? defaultDnsPrefix(name, fields);
  const kubernetesVersion = fields.string("kubernetesVersion", rules.kubernetesVersion, undefined);
  const nodeCount = fields.number("nodeCount", rules.nodeCount);
  const vmSize = fields.string("vmSize", rules.vmSize);
  const skuTier = fields.string("skuTier", rules.skuTier, "Free") as AksConfig["skuTier"];
  const secretRotationInterval = fields.string("secretRotationInterval", rules.rotationInterval);
  const localAccountDisabled = fields.boolean("localAccountDisabled", true);
  const admins = fields.array("adminGroupObjectIds", "must be an array of Entra ID group object IDs (GUIDs)", false);
  const adminGroupObjectIds: string[] = [];
  for (const { value, path } of admins) {
    if (typeof value === "string" && rules.guid.test(value)) adminGroupObjectIds.push(value);
    else problems.invalid(path, value, rules.guid.describe);
  }
  const kubeloginMode = fields.string("kubeloginMode", rules.kubeloginMode, "azurecli") as AksConfig["kubeloginMode"];
  const oidcIssuer = fields.boolean("oidcIssuer", true);
  const networkPolicy = fields.string("networkPolicy", rules.networkPolicy, "calico") as AksConfig["networkPolicy"];
  const apiServerAuthorizedIpRanges = fields.stringArray("apiServerAuthorizedIpRanges", rules.cidr);
  const privateCluster = fields.boolean("privateCluster", false);
  if (privateCluster && apiServerAuthorizedIpRanges.length > 0) {
    fields.fail("apiServerAuthorizedIpRanges", apiServerAuthorizedIpRanges, "must be empty when aks.privateCluster is true (AKS allows one or the other)");
  }
  const azurePolicy = fields.boolean("azurePolicy", true);
  const automaticUpgradeChannel = fields.string("automaticUpgradeChannel", rules.upgradeChannel, "patch") as AksConfig["automaticUpgradeChannel"];
  const monitoring = fields.boolean("monitoring", true);
  const logRetentionDays = fields.number("logRetentionDays", rules.logRetentionDays, 30);
  const systemPoolCriticalAddonsOnly = fields.boolean("systemPoolCriticalAddonsOnly", true);
  const workloadNodeCount = fields.number("workloadNodeCount", rules.nodeCount, nodeCount);
  const hostEncryption = fields.boolean("hostEncryption", false);
  const diskEncryptionSetId = fields.string("diskEncryptionSetId", rules.diskEncryptionSetId, undefined);
  const maxPods = fields.number("maxPods", rules.maxPods, 110);
  const osDiskType = fields.string("osDiskType", rules.osDiskType, "Managed") as AksConfig["osDiskType"];
  if (osDiskType === "Ephemeral" && vmSize !== undefined && rules.lacksLocalDisk(vmSize)) {
    fields.fail("osDiskType", osDiskType, `needs a VM size with a local disk, and aks.vmSize ${JSON.stringify(vmSize)} has none; use its "d" variant (e.g. Standard_D4ds_v5) or "Managed"`);
  }
  return {
    name,
    dnsPrefix,
    kubernetesVersion,
    nodeCount,
    vmSize,
    skuTier,
    secretRotationInterval,
    localAccountDisabled,
    adminGroupObjectIds,
    kubeloginMode,
    oidcIssuer,
    networkPolicy,
    apiServerAuthorizedIpRanges,
    privateCluster,
    azurePolicy,
    automaticUpgradeChannel,
    monitoring,
    logRetentionDays,
    systemPoolCriticalAddonsOnly,
    workloadNodeCount,
    hostEncryption,
    diskEncryptionSetId,
    maxPods,
    osDiskType,
  };
}

/** The cluster name doubles as DNS prefix unless it breaks the stricter DNS rule. */
function defaultDnsPrefix(name: string | undefined, fields: Fields): string {
  if (name !== undefined && rules.aksName.test(name) && !rules.dnsPrefix.test(name)) {
    fields.require("dnsPrefix", `aks.name ${show(name)} cannot be the DNS prefix, so set one; it ${rules.dnsPrefix.describe}`);
  }
  return name ?? "";
}

function readSecret(value: unknown, path: string, problems: Problems): SecretConfig | undefined {
  if (!isObject(value)) {
    problems.invalid(path, value, `must be an object with the fields ${SECRET_FIELDS.join(", ")}`);
    return undefined;
  }
  const fields = new Fields(value, path, problems, SECRET_FIELDS);
  const objectName = fields.string("objectName", rules.objectName);
  const objectType = fields.string("objectType", rules.objectType) as ObjectType;
  const objectAlias = fields.string("objectAlias", rules.objectAlias);
  const contentType = fields.string("contentType", rules.contentType, undefined);
  const expiresAt = fields.string("expiresAt", rules.expiresAt, undefined);
  const sourceRule = 'must be {"file": "secrets/<env>/<name>"} (uploaded by Terraform) or {"existing": true} (created out of band)';
  const sourceFields = fields.object("source", SOURCE_FIELDS, false);
  if (!sourceFields) {
    if (value.source === undefined) problems.missing(`${path}.source`, sourceRule);
    return undefined;
  }
  const hasFile = value.source !== null && (value.source as JsonObject).file !== undefined;
  const existing = sourceFields.boolean("existing", false);
  if (hasFile === existing) {
    // Neither or both: the value must come from exactly one place.
    problems.invalid(`${path}.source`, value.source, sourceRule);
    return undefined;
  }
  if (existing) return { objectName, objectType, objectAlias, contentType, expiresAt, source: { kind: "existing" } };
  const file = sourceFields.string("file", rules.secretFile);
  if (objectType === "key" || objectType === "cert") {
    fields.fail(
      "source",
      value.source,
      `objectType "${objectType}" must use {"existing": true}: this stack uploads secrets only; import keys and certificates into the vault yourself`,
    );
  }
  return { objectName, objectType, objectAlias, contentType, expiresAt, source: { kind: "file", file } };
}

function readKeyVault(fields: Fields | undefined, problems: Problems): KeyVaultConfig | undefined {
  if (!fields) return undefined;
  const name = fields.string("name", rules.keyVaultName);
  const sku = fields.string("sku", rules.keyVaultSku, "standard") as KeyVaultConfig["sku"];
  const purgeProtection = fields.boolean("purgeProtection", true);
  const softDeleteRetentionDays = fields.number("softDeleteRetentionDays", rules.softDeleteRetentionDays, 90);
  const authorization = fields.string("authorization", rules.authorization, "accessPolicy") as KeyVaultConfig["authorization"];
  const readerRole = fields.string("readerRole", rules.readerRole, rules.READER_ROLES[0]);
  const deployerRole = fields.string("deployerRole", rules.deployerRole, rules.DEPLOYER_ROLES[0]);
  for (const key of ["readerRole", "deployerRole"]) {
    const value = (fields.raw as JsonObject)[key];
    if (value !== undefined && authorization !== "rbac") {
      fields.fail(key, value, 'is used only with keyVault.authorization "rbac"; access policies grant fixed permissions');
    }
  }
  const networkDefaultAction = fields.string("networkDefaultAction", rules.networkDefaultAction, "Deny") as KeyVaultConfig["networkDefaultAction"];
  const allowedCidrs = fields.stringArray("allowedCidrs", rules.cidr);
  const diagnostics = fields.boolean("diagnostics", true);
  const secretsRule = "must be a non-empty array of objects with objectName, objectType, objectAlias and source";
  const entries = fields.array("secrets", secretsRule, true);
  const secrets: SecretConfig[] = [];
  for (const { value, path } of entries) {
    const secret = readSecret(value, path, problems);
    if (secret) secrets.push(secret);
  }
  requireUnique(
    problems,
    entries.map(({ value, path }) => ({ path: `${path}.objectName`, value: stringField(value, "objectName") })),
    "objectName",
  );
  requireUnique(
    problems,
    entries.map(({ value, path }) => ({ path: `${path}.objectAlias`, value: stringField(value, "objectAlias") })),
    "objectAlias (the file name in the mount)",
  );
  return {
    name,
    sku,
    purgeProtection,
    softDeleteRetentionDays,
    authorization,
    readerRole,
    deployerRole,
    networkDefaultAction,
    allowedCidrs,
    diagnostics,
    secrets,
  };
}

function stringField(value: unknown, key: string): string | undefined {
  return isObject(value) && typeof value[key] === "string" ? (value[key] as string) : undefined;
}

const DEFAULT_RESOURCES: AppResources = { cpuRequest: "100m", memoryRequest: "128Mi", cpuLimit: "500m", memoryLimit: "256Mi" };

function readResources(fields: Fields | undefined): AppResources {
  if (!fields) return DEFAULT_RESOURCES;
  return {
    cpuRequest: fields.string("cpuRequest", rules.cpuQuantity, DEFAULT_RESOURCES.cpuRequest),
    memoryRequest: fields.string("memoryRequest", rules.memoryQuantity, DEFAULT_RESOURCES.memoryRequest),
    cpuLimit: fields.string("cpuLimit", rules.cpuQuantity, DEFAULT_RESOURCES.cpuLimit),
    memoryLimit: fields.string("memoryLimit", rules.memoryQuantity, DEFAULT_RESOURCES.memoryLimit),
  };
}

function readApp(fields: Fields | undefined): AppConfig | undefined {
  if (!fields) return undefined;
  return {
    namespace: fields.string("namespace", rules.namespace),
    name: fields.string("name", rules.appName, "configurable"),
    image: fields.string("image", rules.image),
    replicas: fields.number("replicas", rules.replicas),
    containerPort: fields.number("containerPort", rules.unprivilegedPort, 8080),
    identity: fields.string("identity", rules.appIdentity, "addon") as AppConfig["identity"],
    runAsUser: fields.number("runAsUser", rules.runAsUser, 10001),
    resources: readResources(fields.object("resources", RESOURCES_FIELDS, false)),
    probePath: fields.string("probePath", rules.probePath, "/"),
    env: fields.stringMap("env", rules.envName, rules.envValue),
    rolloutOnSecretChange: fields.boolean("rolloutOnSecretChange", true),
  };
}

function readNetwork(fields: Fields | undefined): NetworkConfig | undefined {
  if (!fields) return undefined;
  const addressSpace = fields.string("addressSpace", rules.networkCidr);
  const aksSubnet = fields.string("aksSubnet", rules.networkCidr);
  if (addressSpace && aksSubnet && rules.networkCidr.test(addressSpace) && rules.networkCidr.test(aksSubnet)) {
    if (!rules.cidrContains(addressSpace, aksSubnet)) {
      fields.fail("aksSubnet", aksSubnet, `must lie inside network.addressSpace ${show(addressSpace)}`);
    }
  }
  if (addressSpace && rules.networkCidr.test(addressSpace)) {
    for (const [what, reserved] of Object.entries(rules.AKS_RESERVED_CIDRS)) {
      if (rules.cidrOverlaps(addressSpace, reserved)) {
        fields.fail("addressSpace", addressSpace, `must not overlap AKS's default ${what} ${reserved}`);
      }
    }
  }
  return { addressSpace, aksSubnet };
}

function readWaivers(root: Fields, problems: Problems, knownRules: readonly string[]): PolicyWaiver[] {
  const describe = "must be an array of {\"rule\": \"<rule ID>\", \"reason\": \"<why>\"}";
  const waivers: PolicyWaiver[] = [];
  const paths: string[] = [];
  for (const { value, path } of root.array("policyWaivers", describe, false)) {
    if (!isObject(value)) {
      problems.invalid(path, value, describe);
      continue;
    }
    const fields = new Fields(value, path, problems, WAIVER_FIELDS);
    const rule = fields.string("rule", {
      describe: `must be a policy rule ID (${knownRules.join(", ")}) or a checkov check ID such as CKV_AZURE_117`,
      test: (v) => knownRules.includes(v) || CHECKOV_ID.test(v),
    });
    const reason = fields.string("reason", rules.waiverReason);
    if (rule !== undefined && waivers.some((w) => w.rule === rule)) fields.fail("rule", rule, "is waived twice");
    else if (rule !== undefined && reason !== undefined) {
      waivers.push({ rule, reason });
      paths.push(path);
    }
  }
  // One concern, one waiver: a waived project rule already skips the checkov checks it mirrors.
  waivers.forEach((waiver, index) => {
    const mirroredBy = POLICY_RULES.find((r) => r.checks.includes(waiver.rule) && waivers.some((w) => w.rule === r.id));
    if (mirroredBy) problems.invalid(`${paths[index]}.rule`, waiver.rule, `is already waived by ${mirroredBy.id}, which mirrors it; remove this waiver`);
  });
  return waivers;
}

/** Rules that span sections: each names the field to change. */
function crossSectionProblems(problems: Problems, config: Omit<EnvironmentConfig, "environment" | "file">): void {
  const { aks, keyVault, app, network } = config;
  if (keyVault.networkDefaultAction === "Deny" && !network) {
    problems.invalid(
      "keyVault.networkDefaultAction",
      "Deny",
      'needs a network section (pods reach the vault through the AKS subnet\'s service endpoint); add one or use "Allow"',
    );
  }
  if (keyVault.diagnostics && !aks.monitoring) {
    problems.invalid("keyVault.diagnostics", true, "needs aks.monitoring true (audit logs go to its Log Analytics workspace)");
  }
  if (config.ci.hostedRunnerAccess && aks.privateCluster) {
    problems.invalid("ci.hostedRunnerAccess", true, "a private API server cannot be opened to a runner's address; run the jobs inside the network (ci.runsOn)");
  }
  if (app.identity === "workload" && !aks.oidcIssuer) {
    problems.invalid("app.identity", "workload", "needs aks.oidcIssuer true (the federated credential trusts the cluster's OIDC issuer)");
  }
}

function readCi(fields: Fields | undefined): CiConfig {
  if (!fields) return { hostedRunnerAccess: false, protected: false };
  const runsOn = fields.stringArray("runsOn", rules.runnerLabel);
  const hostedRunnerAccess = fields.boolean("hostedRunnerAccess", false);
  if (hostedRunnerAccess && runsOn.length > 0) {
    fields.fail("hostedRunnerAccess", true, "is for GitHub-hosted runners; leave it out when ci.runsOn names the runner");
  }
  const isProtected = fields.boolean("protected", false);
  return runsOn.length > 0 ? { runsOn, hostedRunnerAccess, protected: isProtected } : { hostedRunnerAccess, protected: isProtected };
}

function readBackend(fields: Fields | undefined): BackendConfig | undefined {
  if (!fields) return undefined;
  return {
    resourceGroupName: fields.string("resourceGroupName", rules.resourceGroupName),
    storageAccountName: fields.string("storageAccountName", rules.storageAccountName),
    containerName: fields.string("containerName", rules.containerName),
  };
}

/**
 * Validates one environment file's parsed JSON.
 * Returns the config, or the problems found (never both).
 */
export function validateEnvironment(
  environment: string,
  file: string,
  raw: unknown,
): { config: EnvironmentConfig; problems: [] } | { config: undefined; problems: string[] } {
  const problems = new Problems(file);
  if (!rules.environmentName.test(environment)) {
    problems.lines.push(`${file}: ${rules.environmentName.describe}`);
  }
  if (!isObject(raw)) {
    problems.lines.push(`${file}: the file must hold one JSON object`);
    return { config: undefined, problems: problems.lines };
  }
  const root = new Fields(raw, "", problems, ROOT_FIELDS);
  const location = root.string("location", rules.location);
  const resourceGroupName = root.string("resourceGroupName", rules.resourceGroupName);
  const subscriptionId = root.string("subscriptionId", rules.guid, undefined);
  const deployerObjectId = root.string("deployerObjectId", rules.guid, undefined);
  const tags = root.stringMap("tags", rules.tagKey, rules.tagValue);
  const backend = readBackend(root.object("backend", BACKEND_FIELDS, false));
  const ci = readCi(root.object("ci", CI_FIELDS, false));
  const network = readNetwork(root.object("network", NETWORK_FIELDS, false));
  const aks = readAks(root.object("aks", AKS_FIELDS, true), problems);
  const keyVault = readKeyVault(root.object("keyVault", KEY_VAULT_FIELDS, true), problems);
  const app = readApp(root.object("app", APP_FIELDS, true));
  const policyWaivers = readWaivers(root, problems, POLICY_RULE_IDS);

  if (problems.lines.length > 0 || !aks || !keyVault || !app) {
    return { config: undefined, problems: problems.lines };
  }
  const config = { location, resourceGroupName, subscriptionId, deployerObjectId, tags, backend, ci, network, aks, keyVault, app, policyWaivers };
  crossSectionProblems(problems, config);
  if (problems.lines.length > 0) return { config: undefined, problems: problems.lines };
  return { config: { environment, file, ...config }, problems: [] };
}

/**
 * Rules across environments: names that Azure treats as global or shared must
 * differ, or one environment's deploy or destroy would act on another's resources.
 */
export function crossEnvironmentProblems(configs: readonly EnvironmentConfig[]): string[] {
  const lines: string[] = [];
  const check = (what: string, pick: (c: EnvironmentConfig) => string, rule: string) => {
    const seen = new Map<string, EnvironmentConfig>();
    for (const config of configs) {
      const value = pick(config).toLowerCase();
      const first = seen.get(value);
      if (first) lines.push(`${config.file}: ${what} = ${show(pick(config))}: ${rule}; ${first.file} uses it already`);
      else seen.set(value, config);
    }
  };
  check("keyVault.name", (c) => c.keyVault.name, "vault names are global in Azure and must differ per environment");
  check(
    "resourceGroupName",
    (c) => c.resourceGroupName,
    "each environment owns its resource group (destroying one would delete the other's)",
  );
  const accounts = new Map<string, EnvironmentConfig>();
  for (const config of configs) {
    if (!config.backend) continue;
    const name = config.backend.storageAccountName;
    const first = accounts.get(name);
    if (first && first.backend!.resourceGroupName !== config.backend.resourceGroupName) {
      lines.push(
        `${config.file}: backend.resourceGroupName = ${show(config.backend.resourceGroupName)}: ` +
          `${first.file} puts storage account ${show(name)} in ${show(first.backend!.resourceGroupName)}; one account lives in one group`,
      );
    } else if (!first) accounts.set(name, config);
    const owner = configs.find((c) => c.resourceGroupName.toLowerCase() === config.backend!.resourceGroupName.toLowerCase());
    if (owner) {
      lines.push(
        `${config.file}: backend.resourceGroupName = ${show(config.backend.resourceGroupName)}: must not be an environment's resource group ` +
          `(${owner.file} owns it; destroying ${owner.environment} would delete every environment's state)`,
      );
    }
  }
  return lines;
}
