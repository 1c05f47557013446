import * as fs from "fs";
import * as path from "path";
import Ajv2020 from "ajv/dist/2020";
import { loadEnvironments } from "../../config/load";
import { docsWithTables, DOCS_FILE, jsonSchemaText, SCHEMA_FILE } from "../../tools/build/config-reference";
import { validateEnvironment } from "../../config/validate";
import { baseConfig, hardenedConfig, shippedEnvironments, writeProject, type Json } from "../support/helpers";

const F = "config/dev.json";
const P = "config/prod.json";
const KV_NAME_RULE =
  "must be 3-24 characters of letters, digits and hyphens, start with a letter, end with a letter or digit, and contain no '--'";
const ALIAS_RULE =
  "must be a plain file name: 1-255 characters of letters, digits, '.', '_' or '-', starting with a letter or digit, with no '/' and no '..'";
const REPLICAS_RULE = "must be a whole number >= 1 (and at most 100)";
const DURATION_RULE = 'must be a Go-style duration of at least 1s, such as "2m", "90s" or "1h30m"';
const IMAGE_RULE =
  'must be an image reference with a fixed tag other than "latest", optionally followed by @sha256:<digest>, such as "sixeyed/configurable:21.04"';
const NAMESPACE_RULE =
  "must be a Kubernetes namespace name (1-63 lowercase letters, digits and '-', starting and ending with a letter or digit) that the stack can own: not default or kube-*";
const FILE_RULE =
  "must be a relative path under secrets/ (which git ignores), made of letters, digits, '.', '_', '-' and '/', with no '..', such as \"secrets/dev/app.json\"";
const SOURCE_RULE =
  'must be {"file": "secrets/<env>/<name>"} (uploaded by Terraform) or {"existing": true} (created out of band)';

function problemsFor(change: (c: Json) => void): string[] {
  const config = baseConfig("dev");
  change(config);
  return validateEnvironment("dev", F, config).problems;
}

const secret = (extra: Json) => ({
  objectName: "other",
  objectType: "secret",
  objectAlias: "other.txt",
  source: { existing: true },
  ...extra,
});

// [what, change to a valid config, the exact lines expected]
const cases: [string, (c: Json) => void, string[]][] = [
  ["vault name too short", (c) => (c.keyVault.name = "kv"), [`${F}: keyVault.name = "kv": ${KV_NAME_RULE}`]],
  ["vault name too long", (c) => (c.keyVault.name = "k".repeat(25)), [`${F}: keyVault.name = "${"k".repeat(25)}": ${KV_NAME_RULE}`]],
  ["vault name starts with a digit", (c) => (c.keyVault.name = "1vault"), [`${F}: keyVault.name = "1vault": ${KV_NAME_RULE}`]],
  ["vault name ends with a hyphen", (c) => (c.keyVault.name = "vault-"), [`${F}: keyVault.name = "vault-": ${KV_NAME_RULE}`]],
  ["vault name with --", (c) => (c.keyVault.name = "kv--bad"), [`${F}: keyVault.name = "kv--bad": ${KV_NAME_RULE}`]],
  ["vault name with _", (c) => (c.keyVault.name = "kv_bad"), [`${F}: keyVault.name = "kv_bad": ${KV_NAME_RULE}`]],
  ["vault name not a string", (c) => (c.keyVault.name = 42), [`${F}: keyVault.name = 42: ${KV_NAME_RULE}`]],
  ["alias with a slash", (c) => (c.keyVault.secrets[0].objectAlias = "dir/secret.json"), [`${F}: keyVault.secrets[0].objectAlias = "dir/secret.json": ${ALIAS_RULE}`]],
  ["alias with ..", (c) => (c.keyVault.secrets[0].objectAlias = "../etc/passwd"), [`${F}: keyVault.secrets[0].objectAlias = "../etc/passwd": ${ALIAS_RULE}`]],
  ["alias ..", (c) => (c.keyVault.secrets[0].objectAlias = ".."), [`${F}: keyVault.secrets[0].objectAlias = "..": ${ALIAS_RULE}`]],
  [
    "duplicate aliases",
    (c) => c.keyVault.secrets.push(secret({ objectAlias: "secret.json" })),
    [`${F}: keyVault.secrets[1].objectAlias = "secret.json": objectAlias (the file name in the mount) must be unique per app; keyVault.secrets[0].objectAlias has it already in configurable's mount`],
  ],
  [
    "duplicate object names, in any case",
    (c) => c.keyVault.secrets.push(secret({ objectName: "Configurable-Secrets" })),
    [`${F}: keyVault.secrets[1].objectName = "Configurable-Secrets": objectName must be unique; keyVault.secrets[0].objectName has it already`],
  ],
  ["replicas 0", (c) => (c.apps[0].replicas = 0), [`${F}: apps[0].replicas = 0: ${REPLICAS_RULE}`]],
  ["replicas 1.5", (c) => (c.apps[0].replicas = 1.5), [`${F}: apps[0].replicas = 1.5: ${REPLICAS_RULE}`]],
  ["replicas as a string", (c) => (c.apps[0].replicas = "2"), [`${F}: apps[0].replicas = "2": ${REPLICAS_RULE}`]],
  ["rotation interval in words", (c) => (c.aks.secretRotationInterval = "2 minutes"), [`${F}: aks.secretRotationInterval = "2 minutes": ${DURATION_RULE}`]],
  ["rotation interval without a unit", (c) => (c.aks.secretRotationInterval = "120"), [`${F}: aks.secretRotationInterval = "120": ${DURATION_RULE}`]],
  ["rotation interval of zero", (c) => (c.aks.secretRotationInterval = "0s"), [`${F}: aks.secretRotationInterval = "0s": ${DURATION_RULE}`]],
  ["object type not secret, key or cert", (c) => (c.keyVault.secrets[0].objectType = "password"), [`${F}: keyVault.secrets[0].objectType = "password": must be one of "secret", "key", "cert"`]],
  ["node count 0", (c) => (c.aks.nodeCount = 0), [`${F}: aks.nodeCount = 0: must be a whole number from 1 to 1000`]],
  ["vm size not a size", (c) => (c.aks.vmSize = "large"), [`${F}: aks.vmSize = "large": must be an Azure VM size such as "Standard_D2s_v5"`]],
  ["image without a tag", (c) => (c.apps[0].image = "sixeyed/configurable"), [`${F}: apps[0].image = "sixeyed/configurable": ${IMAGE_RULE}`]],
  ["image tagged latest", (c) => (c.apps[0].image = "nginx:latest"), [`${F}: apps[0].image = "nginx:latest": ${IMAGE_RULE}`]],
  ["an app named addon, the add-on identity's key", (c) => (c.apps[0].name = "addon"), [`${F}: apps[0].name = "addon": is reserved: "addon" names the add-on's identity and its vault access; pick another name`]],
  [
    "a public LoadBalancer without sourceRanges",
    (c) => (c.apps[0].service = { type: "LoadBalancer" }),
    [`${F}: apps[0].service.sourceRanges = []: must name the addresses a public LoadBalancer admits (its loadBalancerSourceRanges): without them the app, and the secrets it shows, are open to the internet; list your CIDRs, or use "InternalLoadBalancer" or "ClusterIP"`],
  ],
  ["sourceRanges on a ClusterIP", (c) => (c.apps[0].service = { type: "ClusterIP", sourceRanges: ["198.18.0.0/24"] }), [`${F}: apps[0].service.sourceRanges = ["198.18.0.0/24"]: applies to a public "LoadBalancer" only; a ClusterIP has no public address to restrict`]],
  ["namespace default", (c) => (c.apps[0].namespace = "default"), [`${F}: apps[0].namespace = "default": ${NAMESPACE_RULE}`]],
  ["namespace kube-system", (c) => (c.apps[0].namespace = "kube-system"), [`${F}: apps[0].namespace = "kube-system": ${NAMESPACE_RULE}`]],
  ["namespace not a DNS label", (c) => (c.apps[0].namespace = "My_App"), [`${F}: apps[0].namespace = "My_App": ${NAMESPACE_RULE}`]],
  ["location with spaces", (c) => (c.location = "West Europe"), [`${F}: location = "West Europe": must be an Azure region name in lowercase letters and digits, such as "westeurope"`]],
  [
    "unknown top-level key",
    (c) => (c.locaton = "westeurope"),
    [`${F}: locaton = "westeurope": unknown field; known fields here are $schema, location, resourceGroupName, subscriptionId, deployerObjectId, tags, backend, ci, network, aks, keyVault, apps, policyWaivers`],
  ],
  [
    "unknown nested key (a typo)",
    (c) => (c.aks.nodeCont = 3),
    [`${F}: aks.nodeCont = 3: unknown field; known fields here are name, dnsPrefix, kubernetesVersion, nodeCount, vmSize, skuTier, secretRotationInterval, localAccountDisabled, adminGroupObjectIds, kubeloginMode, oidcIssuer, networkPolicy, apiServerAuthorizedIpRanges, privateCluster, azurePolicy, automaticUpgradeChannel, monitoring, logRetentionDays, systemPoolCriticalAddonsOnly, workloadNodeCount, hostEncryption, diskEncryptionSetId, maxPods, osDiskType, osDiskSizeGb`],
  ],
  [
    "unknown key in a secret",
    (c) => (c.keyVault.secrets[0].version = "abc"),
    [`${F}: keyVault.secrets[0].version = "abc": unknown field; known fields here are objectName, objectType, objectAlias, contentType, expiresAt, objectVersion, objectVersionHistory, objectFormat, objectEncoding, env, tlsSecret, app, sharedWith, filePermission, source`],
  ],
  ["missing field", (c) => delete c.aks.vmSize, [`${F}: aks.vmSize is missing: must be an Azure VM size such as "Standard_D2s_v5"`]],
  [
    "missing section",
    (c) => delete c.apps,
    [`${F}: apps is missing: must be a non-empty array of apps, each with namespace, name, image and replicas`],
  ],
  [
    "no secrets",
    (c) => (c.keyVault.secrets = []),
    [`${F}: keyVault.secrets = []: must be a non-empty array of objects with objectName, objectType, objectAlias and source`],
  ],
  ["secret file outside secrets/", (c) => (c.keyVault.secrets[0].source = { file: "config/dev.json" }), [`${F}: keyVault.secrets[0].source.file = "config/dev.json": ${FILE_RULE}`]],
  ["secret file as an absolute path", (c) => (c.keyVault.secrets[0].source = { file: "/etc/passwd" }), [`${F}: keyVault.secrets[0].source.file = "/etc/passwd": ${FILE_RULE}`]],
  ["secret file escaping secrets/", (c) => (c.keyVault.secrets[0].source = { file: "secrets/../main.ts" }), [`${F}: keyVault.secrets[0].source.file = "secrets/../main.ts": ${FILE_RULE}`]],
  ["secret with no source", (c) => delete c.keyVault.secrets[0].source, [`${F}: keyVault.secrets[0].source is missing: ${SOURCE_RULE}`]],
  [
    "secret with both sources",
    (c) => (c.keyVault.secrets[0].source = { file: "secrets/dev/a.json", existing: true }),
    [`${F}: keyVault.secrets[0].source = {"file":"secrets/dev/a.json","existing":true}: ${SOURCE_RULE}`],
  ],
  [
    "key uploaded from a file",
    (c) => c.keyVault.secrets.push(secret({ objectType: "key", source: { file: "secrets/dev/key.pem" } })),
    [`${F}: keyVault.secrets[1].source = {"file":"secrets/dev/key.pem"}: objectType "key" must use {"existing": true}: this stack uploads secrets only; import keys and certificates into the vault yourself`],
  ],
  ["object version not a version ID", (c) => c.keyVault.secrets.push(secret({ source: { existing: true }, objectVersion: "v2" })), [`${F}: keyVault.secrets[1].objectVersion = "v2": must be a Key Vault version ID: 32 lowercase hexadecimal characters, as the object's version list shows`]],
  [
    "a pinned version of a secret uploaded from its file",
    (c) => (c.keyVault.secrets[0].objectVersion = "0123456789abcdef0123456789abcdef"),
    [`${F}: keyVault.secrets[0].objectVersion = "0123456789abcdef0123456789abcdef": is for {"existing": true} objects: a secret uploaded from its file gets a new version on every change, and a pin would keep the mount on an old one; leave objectVersion out`],
  ],
  ["a version history of one", (c) => (c.keyVault.secrets[0].objectVersionHistory = 1), [`${F}: keyVault.secrets[0].objectVersionHistory = 1: must be a whole number from 2 to 20: the latest versions (from objectVersion, if pinned) as files <objectAlias>/0, /1, ...`]],
  [
    "a TLS private key fetched as objectType cert",
    (c) => c.keyVault.secrets.push(secret({ objectType: "cert", objectName: "tls", objectAlias: "tls.pem", source: { existing: true }, objectFormat: "pem" })),
    [`${F}: keyVault.secrets[1].objectFormat = "pem": with objectType "cert" gives the public certificate only, never its private key: for the key, fetch the certificate's name as objectType "secret"; for the public certificate alone, leave objectFormat out`],
  ],
  [
    "a PFX of objectType cert",
    (c) => c.keyVault.secrets.push(secret({ objectType: "cert", objectName: "tls", objectAlias: "tls.pfx", source: { existing: true }, objectFormat: "pfx" })),
    [`${F}: keyVault.secrets[1].objectFormat = "pfx": "pfx" needs objectType "secret" (the provider refuses it otherwise): only the certificate's secret holds the PKCS#12 with its private key; fetch the certificate's name as objectType "secret"`],
  ],
  [
    "a format on a secret this stack uploads",
    (c) => (c.keyVault.secrets[0].objectFormat = "pem"),
    [`${F}: keyVault.secrets[0].objectFormat = "pem": is for a certificate's secret, which its owner imports ({"existing": true}); a secret this stack uploads from a file is a plain value and the format would be ignored`],
  ],
  [
    "an encoding on a key",
    (c) => c.keyVault.secrets.push(secret({ objectType: "key", objectName: "signing", objectAlias: "signing.pem", source: { existing: true }, objectEncoding: "base64" })),
    [`${F}: keyVault.secrets[1].objectEncoding = "base64": applies to objectType "secret" only (the provider refuses it for "key")`],
  ],
  [
    "hex-decoding a PFX",
    (c) => c.keyVault.secrets.push(secret({ objectName: "tls", objectAlias: "tls.pfx", source: { existing: true }, objectFormat: "pfx", objectEncoding: "hex" })),
    [`${F}: keyVault.secrets[1].objectEncoding = "hex": "hex" cannot decode the PFX, which Key Vault holds as base64: use "base64" for the binary PKCS#12, or leave objectEncoding out for its base64 text`],
  ],
  [
    "base64-decoding a PEM",
    (c) => c.keyVault.secrets.push(secret({ objectName: "tls", objectAlias: "tls.pem", source: { existing: true }, objectFormat: "pem", objectEncoding: "base64" })),
    [`${F}: keyVault.secrets[1].objectEncoding = "base64": "base64" would decode the certificate's PEM text, which is not encoded that way: the mount fails; leave objectEncoding out with objectFormat "pem"`],
  ],
  [
    "a file mode the non-root app cannot read",
    (c) => (c.keyVault.secrets[0].filePermission = "0440"),
    [`${F}: keyVault.secrets[0].filePermission = "0440": must be an octal file mode such as "0444" or "0644" that lets others read: the app runs as a non-root user that neither owns the mounted files nor is in their group`],
  ],
  ["a file mode that is not octal", (c) => (c.keyVault.secrets[0].filePermission = "0999"), [`${F}: keyVault.secrets[0].filePermission = "0999": must be an octal file mode such as "0444" or "0644" that lets others read: the app runs as a non-root user that neither owns the mounted files nor is in their group`]],
  ["an unknown format", (c) => (c.keyVault.secrets[0].objectFormat = "der"), [`${F}: keyVault.secrets[0].objectFormat = "der": must be "pem" or "pfx"`]],
  [
    "a variable from a version history",
    (c) => Object.assign(c.keyVault.secrets[0], { env: "APP_CONFIG", objectVersionHistory: 2 }),
    [`${F}: keyVault.secrets[0].env = "APP_CONFIG": takes one value, but with objectVersionHistory the alias is a folder of versions: leave one of them out`],
  ],
  [
    "a variable apps[0].env sets already",
    (c) => Object.assign(c, { apps: [{ ...c.apps[0], env: { APP_CONFIG: "x" } }] }, { keyVault: { ...c.keyVault, secrets: [{ ...c.keyVault.secrets[0], env: "APP_CONFIG" }] } }),
    [`${F}: keyVault.secrets[0].env = "APP_CONFIG": names a variable apps[0].env.APP_CONFIG sets already; each variable gets one value`],
  ],
  ["a variable name with a dash", (c) => (c.keyVault.secrets[0].env = "APP-CONFIG"), [`${F}: keyVault.secrets[0].env = "APP-CONFIG": environment variable names must be letters, digits and '_', not starting with a digit`]],
  [
    "a TLS Secret from a certificate's public part",
    (c) => c.keyVault.secrets.push(secret({ objectType: "cert", objectName: "tls", objectAlias: "tls.pem", source: { existing: true }, tlsSecret: "ingress-tls" })),
    [`${F}: keyVault.secrets[1].tlsSecret = "ingress-tls": needs the certificate with its private key as one PEM: objectType "secret" on the certificate's name, objectFormat "pem", {"existing": true} and no objectVersionHistory`],
  ],
  [
    "two TLS Secrets of one name",
    (c) => c.keyVault.secrets.push(...["a", "b"].map((n) => secret({ objectName: `tls-${n}`, objectAlias: `tls-${n}.pem`, source: { existing: true }, objectFormat: "pem", tlsSecret: "ingress-tls" }))),
    [`${F}: keyVault.secrets[2].tlsSecret = "ingress-tls": must be unique; keyVault.secrets[1].tlsSecret has it already`],
  ],
  [
    "HTTPS from a file the app does not mount",
    (c) => (c.apps[0].https = { certificate: "web.pem" }),
    [`${F}: apps[0].https.certificate = "web.pem": names no file in configurable's mount; its objectAliases: secret.json`],
  ],
  [
    "HTTPS from a certificate's public part, which has no key",
    (c) => ((c.apps[0].https = { certificate: "web.pem" }), c.keyVault.secrets.push(secret({ objectType: "cert", objectName: "web", objectAlias: "web.pem", source: { existing: true } }))),
    [`${F}: apps[0].https.certificate = "web.pem": names keyVault.secrets[1], which holds no private key: fetch the certificate's name as objectType "secret" with objectFormat "pem" or "pfx"`],
  ],
  [
    "HTTPS from a PFX left as base64 text",
    (c) => ((c.apps[0].https = { certificate: "web.pfx" }), c.keyVault.secrets.push(secret({ objectName: "web", objectAlias: "web.pfx", source: { existing: true }, objectFormat: "pfx" }))),
    [`${F}: apps[0].https.certificate = "web.pfx": names keyVault.secrets[1], a PFX left as its base64 text: set its objectEncoding "base64" so the file holds the PKCS#12 a server loads`],
  ],
  [
    "HTTPS from a version history",
    (c) => ((c.apps[0].https = { certificate: "web.pem" }), c.keyVault.secrets.push(secret({ objectName: "web", objectAlias: "web.pem", source: { existing: true }, objectFormat: "pem", objectVersionHistory: 2 }))),
    [`${F}: apps[0].https.certificate = "web.pem": names keyVault.secrets[1], whose objectVersionHistory makes the alias a folder of versions, not one file: leave objectVersionHistory out`],
  ],
  [
    "HTTPS on the plain HTTP port",
    (c) => ((c.apps[0].https = { certificate: "web.pem", port: 8080 }), c.keyVault.secrets.push(secret({ objectName: "web", objectAlias: "web.pem", source: { existing: true }, objectFormat: "pem" }))),
    [`${F}: apps[0].https.port = 8080: is containerPort already; HTTPS needs a port of its own`],
  ],
  ["HTTPS on a privileged port", (c) => (c.apps[0].https = { certificate: "secret.json", port: 443 }), [
    `${F}: apps[0].https.port = 443: must be a whole number from 1024 to 65535 (the pod runs as non-root and cannot bind lower ports)`,
    `${F}: apps[0].https.certificate = "secret.json": names keyVault.secrets[0], which holds no private key: fetch the certificate's name as objectType "secret" with objectFormat "pem" or "pfx"`,
  ]],
  [
    "cluster name that cannot be a DNS prefix",
    (c) => (c.aks.name = "aks_dev"),
    [`${F}: aks.dnsPrefix is missing: aks.name "aks_dev" cannot be the DNS prefix, so set one; it must be 1-54 characters of letters, digits and '-', starting with a letter and ending with a letter or digit (defaults to aks.name)`],
  ],
  [
    "admin group that is not a GUID",
    (c) => (c.aks.adminGroupObjectIds = ["platform-admins"]),
    [`${F}: aks.adminGroupObjectIds[0] = "platform-admins": must be a GUID such as 00000000-0000-0000-0000-000000000000`],
  ],
  ["purge protection not a boolean", (c) => (c.keyVault.purgeProtection = "yes"), [`${F}: keyVault.purgeProtection = "yes": must be true or false`]],
  ["retention outside 7-90 days", (c) => (c.keyVault.softDeleteRetentionDays = 3), [`${F}: keyVault.softDeleteRetentionDays = 3: must be a whole number of days from 7 to 90`]],
  [
    "backend storage account with capitals",
    (c) => (c.backend = { resourceGroupName: "rg-state", storageAccountName: "StState", containerName: "tfstate" }),
    [`${F}: backend.storageAccountName = "StState": must be 3-24 lowercase letters and digits`],
  ],
  ["tag name with a slash", (c) => (c.tags = { "a/b": "x" }), [`${F}: tags.a/b = "a/b": tag names must be 1-512 characters without < > % & \\ ? /`]],
  ["subscription that is not a GUID", (c) => (c.subscriptionId = "my-sub"), [`${F}: subscriptionId = "my-sub": must be a GUID such as 00000000-0000-0000-0000-000000000000`]],
  [
    "an ephemeral OS disk of AKS's default 128 GiB on a 2-vCPU size, whose local disk holds 75",
    (c) => Object.assign(c.aks, { vmSize: "Standard_D2ds_v5", osDiskType: "Ephemeral" }),
    [`${F}: aks.osDiskType = "Ephemeral": needs aks.osDiskSizeGb at most 75 on Standard_D2ds_v5 (its local disk is 75 GiB), not 128; set aks.osDiskSizeGb to 75 or less, or pick a larger size`],
  ],
  [
    "an ephemeral OS disk on a size whose local disk this project does not know",
    (c) => Object.assign(c.aks, { vmSize: "Standard_DS3_v2", osDiskType: "Ephemeral" }),
    [expect.stringMatching(/^config\/dev\.json: aks\.osDiskType = "Ephemeral": is checked against the local disk of the VM size, and aks\.vmSize "Standard_DS3_v2" is not one this project knows \(Standard_D2ds_v5, .*\); use one of those or "Managed"$/)],
  ],
  ["an OS disk below 30 GiB", (c) => (c.aks.osDiskSizeGb = 20), [`${F}: aks.osDiskSizeGb = 20: must be a whole number of GiB from 30 to 2048`]],
  [
    "kubelogin's spn mode, which needs a client secret",
    (c) => (c.aks.kubeloginMode = "spn"),
    [`${F}: aks.kubeloginMode = "spn": must be one of "azurecli", "workloadidentity", "msi" (how kubelogin gets a token for Terraform; "spn" needs a client secret, which this project never uses)`],
  ],
  [
    "kubelogin's msi mode on a GitHub-hosted runner",
    (c) => (c.aks.kubeloginMode = "msi"),
    [`${F}: aks.kubeloginMode = "msi": signs in with the managed identity of the machine, which a GitHub-hosted runner has none of; name a self-hosted runner on an Azure VM in ci.runsOn, or use "azurecli"`],
  ],
  [
    "a vault subnet that is not a subnet ID",
    (c) => (c.keyVault.allowedSubnetIds = ["runners"]),
    [`${F}: keyVault.allowedSubnetIds[0] = "runners": must be the resource ID of a subnet (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<name>)`],
  ],
  ["deployer object ID that is not a GUID", (c) => (c.deployerObjectId = "ci-deployer"), [`${F}: deployerObjectId = "ci-deployer": must be a GUID such as 00000000-0000-0000-0000-000000000000`]],
];

const CIDR_RULE = 'must be an IPv4 address or CIDR such as "203.0.113.7" or "203.0.113.0/24"';
const NETWORK_CIDR_RULE = 'must be an IPv4 CIDR with a prefix of /8 to /29, such as "10.42.0.0/16"';
const READER_RULE = 'must be a built-in role that reads secrets and nothing more: "Key Vault Secrets User"';
const DEPLOYER_RULE =
  'must be a built-in role that can write, delete and purge secrets: "Key Vault Secrets Officer", "Key Vault Administrator"';

/** Changes to hardenedConfig (network, firewall, workload identity) and the exact lines expected. */
const securityCases: [string, (c: Json) => void, string[]][] = [
  ["an authorized IP range that does not parse", (c) => (c.aks.apiServerAuthorizedIpRanges = ["10.0.0.300/24"]), [`${P}: aks.apiServerAuthorizedIpRanges[0] = "10.0.0.300/24": ${CIDR_RULE}`]],
  ["an allowed CIDR that is a name", (c) => (c.keyVault.allowedCidrs = ["office"]), [`${P}: keyVault.allowedCidrs[0] = "office": ${CIDR_RULE}`]],
  ["a prefix longer than /32", (c) => (c.keyVault.allowedCidrs = ["198.18.0.0/33"]), [`${P}: keyVault.allowedCidrs[0] = "198.18.0.0/33": ${CIDR_RULE}`]],
  ["a VNet address space without a prefix", (c) => (c.network.addressSpace = "10.42.0.0"), [`${P}: network.addressSpace = "10.42.0.0": ${NETWORK_CIDR_RULE}`]],
  ["a subnet outside the VNet", (c) => (c.network.aksSubnet = "10.43.0.0/20"), [`${P}: network.aksSubnet = "10.43.0.0/20": must lie inside network.addressSpace "10.42.0.0/16"`]],
  [
    "a VNet overlapping AKS's service CIDR",
    (c) => (c.network = { addressSpace: "10.0.0.0/8", aksSubnet: "10.42.0.0/20" }),
    [
      `${P}: network.addressSpace = "10.0.0.0/8": must not overlap AKS's default service CIDR 10.0.0.0/16`,
      `${P}: network.addressSpace = "10.0.0.0/8": must not overlap AKS's default pod CIDR 10.244.0.0/16`,
    ],
  ],
  [
    "a vault that denies public traffic without a network",
    (c) => delete c.network,
    [`${P}: keyVault.networkDefaultAction = "Deny": needs a network section (pods reach the vault through the AKS subnet's service endpoint); add one or use "Allow"`],
  ],
  ["an unknown authorization mode", (c) => (c.keyVault.authorization = "iam"), [`${P}: keyVault.authorization = "iam": must be "accessPolicy" (as in the lab) or "rbac" (Azure RBAC role assignments)`]],
  ["an RBAC role name that does not exist", (c) => Object.assign(c.keyVault, { authorization: "rbac", readerRole: "Key Vault Secret Reader" }), [`${P}: keyVault.readerRole = "Key Vault Secret Reader": ${READER_RULE}`]],
  ["a reader role that cannot read secret values", (c) => Object.assign(c.keyVault, { authorization: "rbac", readerRole: "Key Vault Reader" }), [`${P}: keyVault.readerRole = "Key Vault Reader": ${READER_RULE}`]],
  ["a reader role that can write secrets", (c) => Object.assign(c.keyVault, { authorization: "rbac", readerRole: "Key Vault Secrets Officer" }), [`${P}: keyVault.readerRole = "Key Vault Secrets Officer": ${READER_RULE}`]],
  ["a deployer role that cannot write secrets", (c) => Object.assign(c.keyVault, { authorization: "rbac", deployerRole: "Key Vault Secrets User" }), [`${P}: keyVault.deployerRole = "Key Vault Secrets User": ${DEPLOYER_RULE}`]],
  [
    "a role with access policies",
    (c) => (c.keyVault.readerRole = "Key Vault Secrets User"),
    [`${P}: keyVault.readerRole = "Key Vault Secrets User": is used only with keyVault.authorization "rbac"; access policies grant fixed permissions`],
  ],
  [
    "workload identity without the OIDC issuer",
    (c) => (c.aks.oidcIssuer = false),
    [`${P}: apps[0].identity = "workload": needs aks.oidcIssuer true (the federated credential trusts the cluster's OIDC issuer)`],
  ],
  ["an unknown identity kind", (c) => (c.apps[0].identity = "pod-identity"), [`${P}: apps[0].identity = "pod-identity": must be "addon" (the add-on's node identity, as in the lab) or "workload" (an identity for this app only)`]],
  [
    "a private cluster with authorized IP ranges",
    (c) => (c.aks.privateCluster = true),
    [`${P}: aks.apiServerAuthorizedIpRanges = ["198.18.0.0/24"]: must be empty when aks.privateCluster is true (AKS allows one or the other)`],
  ],
  ["vault audit logs without a workspace", (c) => (c.aks.monitoring = false), [`${P}: keyVault.diagnostics = true: needs aks.monitoring true (audit logs go to its Log Analytics workspace)`]],
  ["an unknown network policy engine", (c) => (c.aks.networkPolicy = "weave"), [`${P}: aks.networkPolicy = "weave": must be one of "calico", "cilium", "none"`]],
  ["running as root", (c) => (c.apps[0].runAsUser = 0), [`${P}: apps[0].runAsUser = 0: must be a whole number from 10000 to 65535 (a non-root user that no image account is likely to share)`]],
  ["a privileged port", (c) => (c.apps[0].containerPort = 80), [`${P}: apps[0].containerPort = 80: must be a whole number from 1024 to 65535 (the pod runs as non-root and cannot bind lower ports)`]],
  ["a memory limit without a unit", (c) => (c.apps[0].resources = { memoryLimit: "256" }), [`${P}: apps[0].resources.memoryLimit = "256": must be a Kubernetes memory quantity such as "128Mi" or "1Gi"`]],
  ["an expiry without a time", (c) => (c.keyVault.secrets[0].expiresAt = "2027-12-31"), [`${P}: keyVault.secrets[0].expiresAt = "2027-12-31": must be a UTC time in RFC 3339 form, such as "2027-12-31T00:00:00Z"`]],
  [
    "a waiver of something that is not a checkov ID",
    (c) => (c.policyWaivers = [{ rule: "CKV_AZURE", reason: "we really need this one" }]),
    [`${P}: policyWaivers[0].rule = "CKV_AZURE": must be a checkov check ID, such as CKV_AZURE_117, or one of this project's own, such as CKV_AKSKV_1 (docs/security.md)`],
  ],
  [
    "a waiver of a retired project rule, with the checks that replaced it",
    (c) => (c.policyWaivers = [{ rule: "AKS-003", reason: "laptops with changing addresses" }]),
    [`${P}: policyWaivers[0].rule = "AKS-003": is a retired project rule; checkov runs it now as CKV_AZURE_6, CKV_AKSKV_8: waive those of them that fail (npm run scan names them)`],
  ],
  [
    "a waiver of a retired project rule the stacks now always meet",
    (c) => (c.policyWaivers = [{ rule: "OUT-001", reason: "we really need this one" }]),
    [`${P}: policyWaivers[0].rule = "OUT-001": is a retired project rule; the stacks now always meet it, so there is nothing to waive: remove this waiver`],
  ],
  [
    "an ephemeral OS disk on a size without a local disk",
    (c) => Object.assign(c.aks, { vmSize: "Standard_D4s_v5", osDiskType: "Ephemeral" }),
    [`${P}: aks.osDiskType = "Ephemeral": needs a VM size with a local disk, and aks.vmSize "Standard_D4s_v5" has none; use its "d" variant (e.g. Standard_D4ds_v5) or "Managed"`],
  ],
  ["an OS disk type Azure does not have", (c) => (c.aks.osDiskType = "Premium"), [`${P}: aks.osDiskType = "Premium": must be "Managed" or "Ephemeral"`]],
  ["more pods per node than AKS allows", (c) => (c.aks.maxPods = 500), [`${P}: aks.maxPods = 500: must be a whole number from 10 to 250 (AKS's range of pods per node)`]],
  ["a waiver without a reason", (c) => (c.policyWaivers = [{ rule: "CKV_AZURE_170", reason: "cost" }]), [`${P}: policyWaivers[0].reason = "cost": must say why, in at least 15 characters`]],
  [
    "a rule waived twice",
    (c) => (c.policyWaivers = [{ rule: "CKV_AZURE_170", reason: "no SLA needed here" }, { rule: "CKV_AZURE_170", reason: "no SLA needed here" }]),
    [`${P}: policyWaivers[1].rule = "CKV_AZURE_170": is waived twice`],
  ],
];

describe("identity, network and policy settings", () => {
  test("the hardened config used below is valid", () => {
    expect(validateEnvironment("prod", P, hardenedConfig("prod")).problems).toEqual([]);
  });

  test.each(securityCases)("%s", (_what, change, expected) => {
    const config = hardenedConfig("prod");
    change(config);
    expect(validateEnvironment("prod", P, config).problems).toEqual(expected);
  });

  test("documentation ranges left in an allow-list are a warning at synth, naming the field", () => {
    const prod = hardenedConfig("prod");
    prod.keyVault.allowedCidrs = ["203.0.113.7"];
    const { warnings } = loadEnvironments(writeProject({ prod }, { "secrets/prod/configurable-secret.json": "{}" }));
    expect(warnings).toEqual([
      'config/prod.json: keyVault.allowedCidrs[0] = "203.0.113.7": a documentation range (RFC 5737) used as a placeholder; replace it with your deployers\' public IPs before deploying prod (see docs/configuration.md)',
    ]);
  });
});

describe("environment file validation", () => {
  test("the base config used below is valid", () => {
    expect(problemsFor(() => undefined)).toEqual([]);
  });

  test.each(cases)("%s", (_what, change, expected) => {
    expect(problemsFor(change)).toEqual(expected);
  });

  test("reports every problem of a file at once, one line each, in field order", () => {
    const lines = problemsFor((c) => {
      c.keyVault.name = "kv--bad";
      c.apps[0].replicas = 0;
      c.aks.secretRotationInterval = "soon";
    });
    expect(lines).toEqual([
      `${F}: aks.secretRotationInterval = "soon": ${DURATION_RULE}`,
      `${F}: keyVault.name = "kv--bad": ${KV_NAME_RULE}`,
      `${F}: apps[0].replicas = 0: ${REPLICAS_RULE}`,
    ]);
  });

  test("applies safe defaults for optional fields", () => {
    const config = baseConfig("dev");
    delete config.keyVault.purgeProtection;
    delete config.keyVault.softDeleteRetentionDays;
    delete config.keyVault.networkDefaultAction;
    config.network = { addressSpace: "10.42.0.0/16", aksSubnet: "10.42.0.0/20" };
    const result = validateEnvironment("dev", F, config);
    expect(result.config).toMatchObject({
      aks: {
        localAccountDisabled: true,
        skuTier: "Free",
        dnsPrefix: "aks-test-dev",
        kubeloginMode: "azurecli",
        oidcIssuer: true,
        networkPolicy: "calico",
        azurePolicy: true,
        automaticUpgradeChannel: "patch",
        monitoring: true,
        systemPoolCriticalAddonsOnly: true,
        privateCluster: false,
      },
      keyVault: {
        purgeProtection: true,
        softDeleteRetentionDays: 90,
        sku: "standard",
        authorization: "accessPolicy",
        networkDefaultAction: "Deny",
        diagnostics: true,
      },
      apps: [{ name: "configurable", containerPort: 8080, identity: "addon", runAsUser: 10001, probePath: "/" }],
    });
  });
});

describe("loading config/*.json", () => {
  test("names the file when its JSON is broken", () => {
    const root = writeProject({ dev: baseConfig("dev"), prod: '{\n  "location": "westeurope",\n}\n' });
    expect(() => loadEnvironments(root)).toThrow(/^config\/prod\.json: is not valid JSON: .* at line 3, column 1$/);
  });

  test("refuses an environment file name that cannot end a stack name", () => {
    const root = writeProject({ "Dev-1": baseConfig("dev") });
    expect(() => loadEnvironments(root)).toThrow(
      "config/Dev-1.json: the file name must be 1-10 lowercase letters or digits, starting with a letter (it ends every stack name)",
    );
  });

  test("refuses two environments that share a vault name or a resource group", () => {
    const prod = baseConfig("prod");
    prod.keyVault.name = "KV-TEST-DEV-01";
    prod.resourceGroupName = "rg-test-dev";
    const root = writeProject({ dev: baseConfig("dev"), prod });
    let problems: readonly string[] = [];
    try {
      loadEnvironments(root);
    } catch (error) {
      problems = (error as { problems: string[] }).problems;
    }
    expect(problems).toEqual([
      'config/prod.json: keyVault.name = "KV-TEST-DEV-01": vault names are global in Azure and must differ per environment; config/dev.json uses it already',
      'config/prod.json: resourceGroupName = "rg-test-dev": each environment owns its resource group (destroying one would delete the other\'s); config/dev.json uses it already',
    ]);
  });

  test("refuses a project with no environment files", () => {
    const root = writeProject({});
    expect(() => loadEnvironments(root)).toThrow("config/: no environment files (*.json) found; copy config/dev.json to start");
  });

  test("warns, without failing, when a secret's file does not exist yet", () => {
    const dev = baseConfig("dev");
    dev.apps[0].service = { type: "ClusterIP" };
    const root = writeProject({ dev });
    const { environments, warnings } = loadEnvironments(root);
    expect(environments.map((e) => e.environment)).toEqual(["dev"]);
    expect(warnings).toEqual([
      'config/dev.json: keyVault.secrets[0].source.file = "secrets/dev/configurable-secret.json": the file does not exist yet; synth goes on, but deploying dev fails until you create it (see secrets/README.md)',
    ]);
  });

  test("an environment with shared state and no deployerObjectId is warned about, naming the field and why", () => {
    const shared = baseConfig("dev");
    shared.apps[0].service = { type: "ClusterIP" };
    shared.backend = { resourceGroupName: "rg-tfstate", storageAccountName: "sttfstate01", containerName: "tfstate" };
    const root = writeProject({ dev: shared }, { "secrets/dev/configurable-secret.json": "{}" });
    expect(loadEnvironments(root).warnings).toEqual([
      "config/dev.json: deployerObjectId is not set: the deployer's cluster-admin role and vault access go to whoever runs Terraform, " +
        "so a plan by another identity (a pull request's) shows them replaced; set it to the object ID of the identity that deploys dev",
    ]);
    shared.deployerObjectId = "00000000-0000-4000-8000-00000000abcd";
    fs.writeFileSync(path.join(root, "config", "dev.json"), JSON.stringify(shared));
    expect(loadEnvironments(root).warnings).toEqual([]);
  });

  test("a public LoadBalancer is warned about: the demo app shows its secrets to the addresses it admits; ClusterIP is not", () => {
    const dev = baseConfig("dev");
    const root = writeProject({ dev }, { "secrets/dev/configurable-secret.json": "{}" });
    expect(loadEnvironments(root).warnings).toEqual([
      'config/dev.json: apps[0].service.type = "LoadBalancer": configurable gets a public address admitting 198.18.0.0/24; the demo app shows the secrets it mounts to anyone there. Keep it to a lab, or use "ClusterIP"',
    ]);
    dev.apps[0].service = { type: "InternalLoadBalancer" };
    fs.writeFileSync(path.join(root, "config", "dev.json"), JSON.stringify(dev));
    expect(loadEnvironments(root).warnings).toEqual([]);
  });

  test("every shipped environment is valid", () => {
    const { environments } = loadEnvironments(process.cwd());
    expect(environments.map((e) => e.environment).sort()).toEqual(shippedEnvironments());
  });
});

describe("the JSON Schema for editors (config/schema/environment.schema.json)", () => {
  const repo = path.resolve(__dirname, "..", "..");
  const committed = JSON.parse(fs.readFileSync(path.join(repo, SCHEMA_FILE), "utf8"));
  // ajv: the standard JSON Schema validator editors' checks agree with (draft 2020-12).
  // "x-default" is an annotation (a computed default in words), which JSON Schema allows and editors show or ignore.
  const validate = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true }).addKeyword({ keyword: "x-default", schemaType: "string" }).compile(committed);

  test("is what config/schema.ts generates, and so are the field tables of docs/configuration.md", () => {
    expect(fs.readFileSync(path.join(repo, SCHEMA_FILE), "utf8")).toBe(jsonSchemaText());
    const docs = fs.readFileSync(path.join(repo, DOCS_FILE), "utf8");
    expect(docs).toBe(docsWithTables(docs));
  });

  test.each(shippedEnvironments())("config/%s.json points to it and is valid under it", (env) => {
    const config = JSON.parse(fs.readFileSync(path.join(repo, "config", `${env}.json`), "utf8"));
    expect(config.$schema).toBe("./schema/environment.schema.json");
    expect(validate(config) ? [] : validate.errors).toEqual([]);
  });

  // A problem an editor can show while typing: the file's shape, not a rule about a value.
  const structural = /unknown field|is missing: must|must be true or false|must be one of|must be an object|must be an array|must be "/;
  const structuralCases = cases.filter(([, , expected]) => expected.length === 1 && typeof expected[0] === "string" && structural.test(expected[0]));

  test("the structural cases of the bad-config table are among them", () => {
    expect(structuralCases.length).toBeGreaterThanOrEqual(8);
  });

  // What JSON Schema cannot say: uniqueness across items by one field, a duration's value, rules across fields.
  const refinementsOnly = [
    "duplicate aliases",
    "duplicate object names, in any case",
    "rotation interval of zero",
    // Rules across fields (the app name reserved for the add-on, sourceRanges by type): refinements.
    "an app named addon, the add-on identity's key",
    "a public LoadBalancer without sourceRanges",
    "sourceRanges on a ClusterIP",
    "secret with both sources",
    "key uploaded from a file",
    "a pinned version of a secret uploaded from its file",
    "a TLS private key fetched as objectType cert",
    "a PFX of objectType cert",
    "a format on a secret this stack uploads",
    "an encoding on a key",
    "hex-decoding a PFX",
    "base64-decoding a PEM",
    "a variable from a version history",
    "a variable apps[0].env sets already",
    "a TLS Secret from a certificate's public part",
    "two TLS Secrets of one name",
    "HTTPS from a file the app does not mount",
    "HTTPS from a certificate's public part, which has no key",
    "HTTPS from a PFX left as base64 text",
    "HTTPS from a version history",
    "HTTPS on the plain HTTP port",
    "cluster name that cannot be a DNS prefix",
    "an ephemeral OS disk of AKS's default 128 GiB on a 2-vCPU size, whose local disk holds 75",
    "an ephemeral OS disk on a size whose local disk this project does not know",
    "kubelogin's msi mode on a GitHub-hosted runner",
  ];

  test("an editor flags every other case of the bad-config table too: the value rules travel with the schema (patterns, ranges, integers, enums)", () => {
    const missed = cases.filter(([, change, expected]) => {
      const config = baseConfig("dev");
      change(config);
      return expected.length > 0 && validate(config);
    });
    expect(missed.map(([what]) => what)).toEqual(refinementsOnly);
  });

  test.each([
    ["aks.nodeCount", 1.5],
    ["aks.nodeCount", 0],
    ["aks.nodeCount", 5000],
    ["keyVault.name", "kv--double"],
    ["apps.0.replicas", 101],
  ])("rejects %s = %s as an editor would", (field, value) => {
    const config = baseConfig("dev");
    const keys = field.split(".");
    const parent = keys.slice(0, -1).reduce((at, key) => at[key], config);
    parent[keys.at(-1)!] = value;
    expect(validate(config)).toBe(false);
  });

  test.each(structuralCases)("rejects it too: %s", (_what, change) => {
    const config = baseConfig("dev");
    change(config);
    expect(validate(config)).toBe(false);
  });
});
