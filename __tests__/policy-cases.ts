// The ways of breaking each policy rule, shared by the tests of the project's
// verdict (policy.test.ts) and of checkov's on the same stacks (checkov.scan.test.ts).
import { validateEnvironment } from "../config/validate";
import { readSynthesizedEnvironment } from "../tools/scan/read";
import type { SynthesizedEnvironment } from "../tools/scan/synthesized";
import { hardenedConfig, synthProject, type Json } from "./helpers";

export const SECRET = '{"apiKey": "s3cr3t-value-that-must-not-leak"}';

/** Synthesizes several environments in one app and reads each back as the rules see it. */
export function synthEnvironments(configs: Record<string, Json>): Record<string, SynthesizedEnvironment> {
  const files: Record<string, string> = {};
  for (const env of Object.keys(configs)) files[`secrets/${env}/configurable-secret.json`] = SECRET;
  const project = synthProject(configs, files);
  const result: Record<string, SynthesizedEnvironment> = {};
  for (const [env, raw] of Object.entries(configs)) {
    const { config } = validateEnvironment(env, `config/${env}.json`, raw);
    if (!config) throw new Error(`config for ${env} is invalid`);
    result[env] = readSynthesizedEnvironment(project.outdir, project.root, config);
  }
  return result;
}

/** A config like hardenedConfig with its names changed, so many fit in one app. */
export function variant(env: string, change: (c: Json) => void): Json {
  const config = hardenedConfig(env);
  config.resourceGroupName = `rg-${env}`;
  config.keyVault.name = `kv-policy-${env}`;
  config.keyVault.secrets[0].source = { file: `secrets/${env}/configurable-secret.json` };
  change(config);
  return config;
}

// Rules a config can break: [rule, what, change to the hardened config, every rule expected to break].
export const BY_CONFIG: [string, string, (c: Json) => void, string[]][] = [
  ["AKS-002", "local accounts on", (c) => (c.aks.localAccountDisabled = false), ["AKS-002"]],
  ["AKS-003", "API server open to the internet", (c) => (c.aks.apiServerAuthorizedIpRanges = []), ["AKS-003"]],
  ["AKS-003", "API server open through 0.0.0.0/0", (c) => (c.aks.apiServerAuthorizedIpRanges = ["0.0.0.0/0"]), ["AKS-003"]],
  ["AKS-004", "no network policy", (c) => (c.aks.networkPolicy = "none"), ["AKS-004"]],
  ["AKS-005", "no Azure Policy", (c) => (c.aks.azurePolicy = false), ["AKS-005"]],
  ["AKS-006", "no upgrade channel", (c) => (c.aks.automaticUpgradeChannel = "none"), ["AKS-006"]],
  ["AKS-007", "no monitoring", (c) => Object.assign(c.aks, { monitoring: false }) && (c.keyVault.diagnostics = false), ["AKS-007", "KV-004"]],
  ["AKS-008", "Free tier", (c) => (c.aks.skuTier = "Free"), ["AKS-008"]],
  ["AKS-009", "apps on the system pool", (c) => (c.aks.systemPoolCriticalAddonsOnly = false), ["AKS-009"]],
  ["AKS-010", "no encryption at host", (c) => (c.aks.hostEncryption = false), ["AKS-010"]],
  ["KV-001", "no purge protection", (c) => (c.keyVault.purgeProtection = false), ["KV-001"]],
  ["KV-002", "7-day retention", (c) => (c.keyVault.softDeleteRetentionDays = 7), ["KV-002"]],
  ["KV-003", "vault open to every network", (c) => (c.keyVault.networkDefaultAction = "Allow"), ["KV-003"]],
  ["KV-003", "an allowed range wider than /10", (c) => (c.keyVault.allowedCidrs = ["0.0.0.0/0"]), ["KV-003"]],
  ["KV-004", "no vault audit logs", (c) => (c.keyVault.diagnostics = false), ["KV-004"]],
  ["KV-005", "a secret without a content type", (c) => delete c.keyVault.secrets[0].contentType, ["KV-005"]],
  ["POD-011", "the add-on's node identity", (c) => (c.app.identity = "addon"), ["POD-011"]],
];

/** Environment name of BY_CONFIG[index] in synthPolicyFixtures().environments. */
export const configCaseEnv = (index: number) => `v${index}`;

/** The hardened baseline ("base") and one environment per BY_CONFIG case, synthesized in one app. */
export function synthPolicyFixtures(): Record<string, SynthesizedEnvironment> {
  return synthEnvironments(
    Object.fromEntries([["base", variant("base", () => undefined)], ...BY_CONFIG.map(([, , change], i) => [configCaseEnv(i), variant(configCaseEnv(i), change)])]),
  );
}

/** A deep copy of the baseline with its synthesized JSON (or what the rules read with it) changed. */
export function mutated(base: SynthesizedEnvironment, change: (env: Json) => void): SynthesizedEnvironment {
  const env = structuredClone(base) as Json;
  change(env);
  return env;
}

export const cluster = (env: Json) => env.aks.resource.azurerm_kubernetes_cluster.cluster;
const container = (env: Json) => env.app.resource.kubernetes_deployment_v1.deployment.spec.template.spec.container[0];
const pod = (env: Json) => env.app.resource.kubernetes_deployment_v1.deployment.spec.template.spec;
const readerPolicy = (env: Json) => env.keyVault.resource.azurerm_key_vault_access_policy["secrets-provider-access"];

// Rules no config can break (the stacks always comply): shown on a changed synthesized stack.
export const BY_STACK: [string, string, (env: Json) => void, RegExp][] = [
  ["AKS-001", "rotation off", (e) => (cluster(e).key_vault_secrets_provider.secret_rotation_enabled = false), /secret_rotation_enabled = false; must be true/],
  ["AKS-002", "Azure RBAC off", (e) => (cluster(e).azure_active_directory_role_based_access_control.azure_rbac_enabled = false), /azure_rbac_enabled = false/],
  ["AKS-007", "no data collection rule association", (e) => delete e.aks.resource.azurerm_monitor_data_collection_rule_association, /would collect nothing/],
  ["AKS-009", "a critical-only system pool and no user pool", (e) => delete e.aks.resource.azurerm_kubernetes_cluster_node_pool, /no user node pool/],
  ["AKS-010", "host encryption off on the system pool", (e) => (cluster(e).default_node_pool.host_encryption_enabled = false), /default_node_pool: host_encryption_enabled = false/],
  ["AKS-010", "host encryption off on the workload pool", (e) => (e.aks.resource.azurerm_kubernetes_cluster_node_pool["workload-pool"].host_encryption_enabled = false), /workload-pool: host_encryption_enabled = false/],
  ["AKS-010", "a disk encryption set asked for but not set", (e) => (e.config = { ...e.config, aks: { ...e.config.aks, diskEncryptionSetId: "/subscriptions/x/des" } }), /disk_encryption_set_id = absent; must be aks.diskEncryptionSetId/],
  ["AKS-011", "no Network Contributor on the subnet", (e) => delete e.aks.resource.azurerm_role_assignment["cluster-subnet-network-contributor"], /nodes in "\$\{azurerm_subnet.aks-subnet.id\}", but no azurerm_role_assignment gives/],
  ["AKS-011", "Network Contributor on another scope", (e) => (e.aks.resource.azurerm_role_assignment["cluster-subnet-network-contributor"].scope = "${azurerm_virtual_network.network.id}"), /no azurerm_role_assignment gives \$\{azurerm_kubernetes_cluster.cluster.identity\[0\].principal_id\} "Network Contributor"/],
  ["KV-003", "a foreign subnet admitted", (e) => e.keyVault.resource.azurerm_key_vault.vault.network_acls.virtual_network_subnet_ids.push("/subscriptions/x/subnets/other"), /only the AKS stack's subnet/],
  ["KV-006", "a configured expiry missing", (e) => (e.config = { ...e.config, keyVault: { ...e.config.keyVault, secrets: [{ ...e.config.keyVault.secrets[0], expiresAt: "2027-12-31T00:00:00Z" }] } }), /expiration_date = absent; must be 2027-12-31T00:00:00Z/],
  ["KV-007", "the reader may set secrets", (e) => readerPolicy(e).secret_permissions.push("Set"), /secret_permissions = \["Get","List","Set"\]; a reader may hold only/],
  ["KV-007", "the reader may purge keys", (e) => (readerPolicy(e).key_permissions = ["Get", "Purge"]), /key_permissions/],
  [
    "KV-007",
    "the reader holds Secrets Officer",
    (e) => (e.keyVault.resource.azurerm_role_assignment = { r: { principal_id: "${data.terraform_remote_state.x.outputs.y}", role_definition_name: "Key Vault Secrets Officer" } }),
    /role_definition_name = "Key Vault Secrets Officer"/,
  ],
  ["POD-001", "runs as root", (e) => (container(e).security_context.run_as_user = "0"), /run_as_user = "0"; must be 10000 or more/],
  ["POD-001", "root allowed", (e) => { delete container(e).security_context.run_as_non_root; delete pod(e).security_context.run_as_non_root; }, /run_as_non_root = absent/],
  ["POD-002", "writable root filesystem", (e) => (container(e).security_context.read_only_root_filesystem = false), /read_only_root_filesystem/],
  ["POD-003", "privilege escalation", (e) => (container(e).security_context.allow_privilege_escalation = true), /allow_privilege_escalation = true/],
  ["POD-003", "privileged", (e) => (container(e).security_context.privileged = true), /privileged = true/],
  ["POD-004", "capabilities kept", (e) => (container(e).security_context.capabilities = { drop: [] }), /capabilities.drop = \[\]/],
  ["POD-004", "a capability added", (e) => (container(e).security_context.capabilities.add = ["NET_ADMIN"]), /capabilities.add = \["NET_ADMIN"\]/],
  ["POD-005", "no seccomp profile", (e) => delete pod(e).security_context.seccomp_profile, /seccomp_profile.type = absent/],
  ["POD-006", "no memory limit", (e) => delete container(e).resources.limits.memory, /resources.limits.memory = absent/],
  ["POD-007", "no readiness probe", (e) => delete container(e).readiness_probe, /readiness_probe = absent/],
  ["POD-008", "image tagged latest", (e) => (container(e).image = "sixeyed/configurable:latest"), /must carry a fixed tag/],
  ["POD-008", "image without a tag", (e) => (container(e).image = "sixeyed/configurable"), /must carry a fixed tag/],
  ["POD-008", "a configured digest dropped", (e) => (e.config = { ...e.config, app: { ...e.config.app, image: `sixeyed/configurable:21.04@sha256:${"a".repeat(64)}` } }), /must carry the digest/],
  ["POD-009", "a namespace named default", (e) => (e.app.resource.kubernetes_namespace_v1.namespace.metadata.name = "default"), /kubernetes_deployment_v1.deployment: namespace = "default"/],
  ["POD-009", "an object with no namespace", (e) => delete e.app.resource.kubernetes_service_v1.service.metadata.namespace, /kubernetes_service_v1.service: namespace = "default"/],
  ["POD-010", "API token mounted", (e) => (pod(e).automount_service_account_token = true), /automount_service_account_token = true; must be false/],
  ["POD-012", "secrets mounted writable", (e) => (container(e).volume_mount[0].read_only = false), /volume_mount \/app\/secrets read_only = false/],
  ["OUT-001", "a secret value in a synthesized file", (e) => e.files.push({ path: "stacks/app-base/cdk.tf.json", text: `{"x": ${JSON.stringify(SECRET)}}` }), /stacks\/app-base\/cdk.tf.json: holds the content of a secret file/],
  ["OUT-001", "the admin kubeconfig passed between stacks", (e) => e.files.push({ path: "stacks/aks-base/cdk.tf.json", text: '"${azurerm_kubernetes_cluster.cluster.kube_admin_config[0].client_key}"' }), /refers to the cluster's admin kubeconfig/],
  ["OUT-001", "client credentials of the kubeconfig", (e) => e.files.push({ path: "f", text: "${azurerm_kubernetes_cluster.cluster.kube_config[0].client_key}" }), /f: refers to kubeconfig client credentials/],
  ["OUT-001", "an Azure client secret in a provider", (e) => e.files.push({ path: "f", text: '{"provider": {"azurerm": [{"client_secret": "x"}]}}' }), /refers to an Azure client secret/],
];
