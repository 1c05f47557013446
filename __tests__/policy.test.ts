// The policy rules over synthesized stacks: the shipped environments pass (prod
// with no waiver), and every rule is shown to fail on a config or a
// synthesized stack that breaks it.
import * as fs from "fs";
import * as path from "path";
import { validateEnvironment } from "../config/validate";
import { evaluatePolicy, formatReport, reportFails } from "../policy/evaluate";
import { readSynthesizedEnvironment } from "../policy/read";
import { POLICY_RULE_IDS, POLICY_RULES } from "../policy/rules";
import type { SynthesizedEnvironment } from "../policy/synthesized";
import { hardenedConfig, run, shippedEnvironments, synthProject, writeProject, type Json } from "./helpers";

const repo = path.resolve(__dirname, "..");
const SECRET = '{"apiKey": "s3cr3t-value-that-must-not-leak"}';

/** Synthesizes several environments in one app and reads each back as the rules see it. */
function synthEnvironments(configs: Record<string, Json>): Record<string, SynthesizedEnvironment> {
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

const violated = (env: SynthesizedEnvironment) => evaluatePolicy(env).violations.map((v) => v.rule.id);

/** A config like hardenedConfig with its names changed, so many fit in one app. */
function variant(env: string, change: (c: Json) => void): Json {
  const config = hardenedConfig(env);
  config.resourceGroupName = `rg-${env}`;
  config.keyVault.name = `kv-policy-${env}`;
  config.keyVault.secrets[0].source = { file: `secrets/${env}/configurable-secret.json` };
  change(config);
  return config;
}

describe("every shipped environment", () => {
  const names = shippedEnvironments();
  const shipped = synthEnvironments(Object.fromEntries(names.map((env) => [env, JSON.parse(fs.readFileSync(path.join(repo, "config", `${env}.json`), "utf8"))])));

  test.each(names)("%s breaks only rules it waives, each with a reason, and waives nothing that holds", (env) => {
    const report = evaluatePolicy(shipped[env]);
    expect(report.violations.map((v) => `${v.rule.id}: ${v.findings.join("; ")}`)).toEqual([]);
    expect(report.staleWaivers).toEqual([]);
    expect(report.passed.length + report.waived.length).toBe(POLICY_RULES.length);
  });

  test("those that waive no project rule (prod-like) meet every rule", () => {
    const waivesARule = (env: string) => shipped[env].config.policyWaivers.some((w) => POLICY_RULE_IDS.includes(w.rule));
    expect(names.filter((e) => !waivesARule(e))).toContain("prod");
    for (const env of names.filter((e) => !waivesARule(e))) {
      expect(`${env}: ${evaluatePolicy(shipped[env]).passed.length}`).toBe(`${env}: ${POLICY_RULES.length}`);
    }
  });
});

describe("the policy report", () => {
  test("lists each waiver with its checks and reason", () => {
    const lab = variant("lab", (c) => {
      c.aks.skuTier = "Free";
      c.policyWaivers = [{ rule: "AKS-008", reason: "dev needs no uptime SLA; the Free tier keeps the lab's cost" }];
    });
    const text = formatReport(evaluatePolicy(synthEnvironments({ lab }).lab));
    expect(text.split("\n")[0]).toBe(`policy lab: ${POLICY_RULES.length - 1} rules hold, 1 waived, 0 violated, 0 stale waivers`);
    expect(text).toContain(
      "  waived    AKS-008 (CKV_AZURE_170) A paid SKU tier, for the API server SLA: dev needs no uptime SLA; the Free tier keeps the lab's cost",
    );
  });
});

describe("every rule can fail", () => {
  // Rules a config can break: [rule, what, change to the hardened config, every rule expected to break].
  const byConfig: [string, string, (c: Json) => void, string[]][] = [
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
  const envName = (index: number) => `v${index}`;
  const environments = synthEnvironments(
    Object.fromEntries([["base", variant("base", () => undefined)], ...byConfig.map(([, , change], i) => [envName(i), variant(envName(i), change)])]),
  );

  test("the hardened config meets every rule (the baseline each case below breaks)", () => {
    expect(violated(environments.base)).toEqual([]);
  });

  test.each(byConfig.map((c, i) => [...c, i] as const))("%s fails on a config with %s", (_rule, _what, _change, expected, index) => {
    expect(violated(environments[envName(index)])).toEqual(expected);
  });

  /** A deep copy of the baseline whose synthesized JSON a case may change. */
  function mutated(change: (env: Json) => void): SynthesizedEnvironment {
    const env = structuredClone(environments.base) as Json;
    change(env);
    return env;
  }
  const cluster = (env: Json) => env.aks.resource.azurerm_kubernetes_cluster.cluster;
  const container = (env: Json) => env.app.resource.kubernetes_deployment_v1.deployment.spec.template.spec.container[0];
  const pod = (env: Json) => env.app.resource.kubernetes_deployment_v1.deployment.spec.template.spec;
  const readerPolicy = (env: Json) => env.keyVault.resource.azurerm_key_vault_access_policy["secrets-provider-access"];

  // Rules no config can break (the stacks always comply): shown on a changed synthesized stack.
  const byStack: [string, string, (env: Json) => void, RegExp][] = [
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

  test.each(byStack)("%s fails on a stack with %s", (rule, _what, change, finding) => {
    const report = evaluatePolicy(mutated(change));
    expect(report.violations.map((v) => v.rule.id)).toEqual([rule]);
    expect(report.violations[0].findings.join("\n")).toMatch(finding);
  });

  test("the secret files' values are searched for as written, JSON-escaped and base64-encoded", () => {
    expect(environments.base.secretValues).toEqual([SECRET, JSON.stringify(SECRET).slice(1, -1), Buffer.from(SECRET).toString("base64")]);
    const base64 = mutated((e) => e.files.push({ path: "g", text: Buffer.from(SECRET).toString("base64") }));
    expect(violated(base64)).toEqual(["OUT-001"]);
  });

  test("a configured deployerObjectId is the deployer's, not a reader's: its wider vault rights break no rule", () => {
    const configured = synthEnvironments({ d: variant("d", (c) => (c.deployerObjectId = "00000000-0000-4000-8000-00000000abcd")) });
    expect(violated(configured.d)).toEqual([]);
  });

  test("every rule has at least one case above", () => {
    const covered = new Set([...byConfig.map(([rule]) => rule), ...byStack.map(([rule]) => rule)]);
    expect(POLICY_RULE_IDS.filter((id) => !covered.has(id))).toEqual([]);
  });

  test("a waiver moves a broken rule out of the violations; a waiver of a rule that holds is stale and fails", () => {
    const broken = mutated((e) => {
      cluster(e).sku_tier = "Free";
      e.config = { ...e.config, policyWaivers: [{ rule: "AKS-008", reason: "no SLA needed here" }, { rule: "AKS-001", reason: "left over from before" }] };
    });
    const report = evaluatePolicy(broken);
    expect(report.violations).toEqual([]);
    expect(report.waived.map((w) => [w.rule.id, w.reason])).toEqual([["AKS-008", "no SLA needed here"]]);
    expect(report.staleWaivers).toEqual([{ rule: "AKS-001", reason: "left over from before" }]);
    expect(reportFails(report)).toBe(true);
    expect(formatReport(report)).toContain("  STALE     AKS-001 is waived but holds: remove it from policyWaivers in config/base.json");
  });
});

describe("npm run policy", () => {
  test("exits 1 and names the rule, the resource and the attribute when a project breaks a rule", () => {
    const config = hardenedConfig("prod");
    config.aks.skuTier = "Free";
    const root = writeProject({ prod: config });
    const result = run(process.execPath, [path.join(repo, "scripts", "run-ts.mjs"), path.join(repo, "policy", "cli.ts")], root);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("policy prod: ");
    expect(result.stdout).toContain("  VIOLATED  AKS-008 (CKV_AZURE_170) A paid SKU tier, for the API server SLA");
    expect(result.stdout).toContain('            - azurerm_kubernetes_cluster.cluster: sku_tier = "Free"; must be "Standard" or "Premium"');
  }, 60_000);
});
