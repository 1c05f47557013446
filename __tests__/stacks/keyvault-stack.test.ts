import { KEY_VAULT, KEY_VAULT_SECRET } from "../engine/resource-types";
import { baseConfig, hardenedConfig, resource, resourcesOfType, synthProject, type Json } from "../support/helpers";

const READER = "secrets-provider-access";
const DEPLOYER = "deployer-access";

function synthKeyVault(change: (config: Json) => void = () => undefined) {
  const dev = baseConfig("dev");
  change(dev);
  const project = synthProject({ dev });
  return { text: project.text("keyvault-dev"), json: project.json("keyvault-dev") };
}

describe("Key Vault stack", () => {
  const { text, json } = synthKeyVault();

  test("creates the vault with the tenant from azurerm_client_config, never a literal", () => {
    expect(text).toHaveResourceWithProperties(KEY_VAULT, {
      name: "kv-test-dev-01",
      tenant_id: "${data.azurerm_client_config.deployer.tenant_id}",
      sku_name: "standard",
      purge_protection_enabled: false,
      soft_delete_retention_days: 7,
      rbac_authorization_enabled: false,
    });
  });

  test("gives the add-on identity exactly Get and List on secrets, and nothing on keys, certificates or storage", () => {
    const reader = resource(json, "azurerm_key_vault_access_policy", READER);
    expect(reader.secret_permissions).toEqual(["Get", "List"]);
    expect(reader.key_permissions).toEqual([]);
    expect(reader.certificate_permissions).toEqual([]);
    expect(reader.storage_permissions).toEqual([]);
  });

  test("lets the deploying principal write, delete, purge and recover secrets, and no more", () => {
    const deployer = resource(json, "azurerm_key_vault_access_policy", DEPLOYER);
    expect(deployer.object_id).toBe("${data.azurerm_client_config.deployer.object_id}");
    expect([...deployer.secret_permissions].sort()).toEqual(["Delete", "Get", "List", "Purge", "Recover", "Set"]);
    expect(deployer.key_permissions).toBeUndefined();
    expect(deployer.certificate_permissions).toBeUndefined();
  });

  test("has exactly two access policies, both on this vault", () => {
    const policies = resourcesOfType(json, "azurerm_key_vault_access_policy");
    expect(policies).toHaveLength(2);
    for (const policy of policies) expect(policy.key_vault_id).toBe("${azurerm_key_vault.vault.id}");
  });

  test("writes the secret through the write-only argument, read from its file at apply time", () => {
    expect(text).toHaveResourceWithProperties(KEY_VAULT_SECRET, {
      name: "configurable-secrets",
      key_vault_id: "${azurerm_key_vault.vault.id}",
      content_type: "application/json",
      value_wo: expect.stringMatching(/^\$\{sensitive\(file\(".*\/secrets\/dev\/configurable-secret\.json"\)\)\}$/),
    });
    const secret = resource(json, "azurerm_key_vault_secret", "secret-configurable-secrets");
    expect(secret.value).toBeUndefined();
  });

  test("derives the write-only version from a revision replaced when the file's hash changes, never from the hash itself", () => {
    const secret = resource(json, "azurerm_key_vault_secret", "secret-configurable-secrets");
    const file = /file\("([^"]+)"\)/.exec(secret.value_wo)![1];
    const revision = resource(json, "terraform_data", "secret-configurable-secrets-revision");
    expect(revision.triggers_replace).toEqual({ content: `\${sensitive(sha256(file("${file}")))}` });
    expect(secret.value_wo_version).toBe('${parseint(substr(replace(terraform_data.secret-configurable-secrets-revision.id, "-", ""), 0, 8), 16)}');
    expect(secret.value_wo_version).not.toContain("sha256");
  });

  test("makes secrets depend on the deployer's policy, so destroy removes them before the policy", () => {
    const secret = resource(json, "azurerm_key_vault_secret", "secret-configurable-secrets");
    expect(secret.depends_on).toEqual([`azurerm_key_vault_access_policy.${DEPLOYER}`]);
  });

  test("purges on destroy and recovers on deploy when purge protection is off", () => {
    expect(json.provider.azurerm[0].features[0].key_vault[0]).toEqual({
      purge_soft_delete_on_destroy: true,
      purge_soft_deleted_secrets_on_destroy: true,
      recover_soft_deleted_key_vaults: true,
      recover_soft_deleted_secrets: true,
    });
  });

  test("does not try to purge, and recovers on deploy, when purge protection is on", () => {
    const prod = synthKeyVault((c) => {
      c.keyVault.purgeProtection = true;
      c.keyVault.softDeleteRetentionDays = 90;
    }).json;
    expect(resource(prod, "azurerm_key_vault", "vault").purge_protection_enabled).toBe(true);
    expect(prod.provider.azurerm[0].features[0].key_vault[0]).toEqual({
      purge_soft_delete_on_destroy: false,
      purge_soft_deleted_secrets_on_destroy: false,
      recover_soft_deleted_key_vaults: true,
      recover_soft_deleted_secrets: true,
    });
  });

  test("only maps a secret declared as existing: no azurerm_key_vault_secret and no data source reading its value", () => {
    const { json: existing } = synthKeyVault((c) => {
      c.keyVault.secrets.push({ objectName: "made-elsewhere", objectType: "secret", objectAlias: "other.txt", source: { existing: true } });
    });
    const names = resourcesOfType(existing, "azurerm_key_vault_secret").map((s) => s.name);
    expect(names).toEqual(["configurable-secrets"]);
    expect(existing.data?.azurerm_key_vault_secret).toBeUndefined();
  });

  test("adds Get on keys or certificates only when such objects are mapped", () => {
    const { json: withKey } = synthKeyVault((c) => {
      c.keyVault.secrets.push({ objectName: "signing-key", objectType: "key", objectAlias: "key.pem", source: { existing: true } });
    });
    const reader = resource(withKey, "azurerm_key_vault_access_policy", READER);
    expect(reader.secret_permissions).toEqual(["Get", "List"]);
    expect(reader.key_permissions).toEqual(["Get"]);
    expect(reader.certificate_permissions).toEqual([]);
  });

  test("adds List on certificates (or keys) when one has a version history, which the provider lists", () => {
    const { json } = synthKeyVault((c) => {
      c.keyVault.secrets.push({ objectName: "web", objectType: "cert", objectAlias: "web.crt", source: { existing: true }, objectVersionHistory: 2 });
    });
    const reader = resource(json, "azurerm_key_vault_access_policy", READER);
    expect([reader.key_permissions, reader.certificate_permissions]).toEqual([[], ["Get", "List"]]);
  });
});

describe("Key Vault stack, hardened", () => {
  const prod = hardenedConfig("prod");
  prod.keyVault.secrets[0].expiresAt = "2027-12-31T00:00:00Z";
  const project = synthProject({ prod });
  const json = project.json("keyvault-prod");
  const vault = resource(json, "azurerm_key_vault", "vault");

  test("denies public traffic, admitting the AKS subnet (from the AKS stack) and the configured CIDRs", () => {
    expect(vault.network_acls).toEqual({
      default_action: "Deny",
      bypass: "AzureServices",
      ip_rules: ["198.18.0.7"],
      virtual_network_subnet_ids: [
        "${data.terraform_remote_state.cross-stack-reference-input-aks-prod.outputs.cross-stack-output-azurerm_subnetaks-subnetid}",
      ],
    });
    expect(project.json("aks-prod").output["cross-stack-output-azurerm_subnetaks-subnetid"].value).toBe("${azurerm_subnet.aks-subnet.id}");
  });

  test("admits the subnets keyVault.allowedSubnetIds names after the AKS subnet, so a runner's subnet survives the next apply", () => {
    const runner = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-runners/providers/Microsoft.Network/virtualNetworks/vnet-runners/subnets/runners";
    const withRunner = hardenedConfig("prod");
    withRunner.keyVault.allowedSubnetIds = [runner];
    const acls = resource(synthProject({ prod: withRunner }).json("keyvault-prod"), "azurerm_key_vault", "vault").network_acls;
    expect(acls.virtual_network_subnet_ids).toEqual([vault.network_acls.virtual_network_subnet_ids[0], runner]);
  });

  test("sends AuditEvent logs to the AKS stack's Log Analytics workspace", () => {
    const [setting] = resourcesOfType(json, "azurerm_monitor_diagnostic_setting");
    expect(setting).toMatchObject({ target_resource_id: "${azurerm_key_vault.vault.id}", enabled_log: [{ category: "AuditEvent" }] });
    expect(setting.log_analytics_workspace_id).toMatch(/outputs\.cross-stack-output-azurerm_log_analytics_workspacelog-analyticsid\}$/);
  });

  test("gives secrets their configured expiry", () => {
    expect(resource(json, "azurerm_key_vault_secret", "secret-configurable-secrets").expiration_date).toBe("2027-12-31T00:00:00Z");
  });

  test("grants the workload identity, not the add-on's, read on secrets", () => {
    const reader = resource(json, "azurerm_key_vault_access_policy", READER);
    expect(reader.object_id).toMatch(/outputs\.cross-stack-output-azurerm_user_assigned_identityapp-identityprincipal_id\}$/);
  });
});

describe("Key Vault stack with Azure RBAC", () => {
  const prod = hardenedConfig("prod");
  prod.keyVault.authorization = "rbac";
  const json = synthProject({ prod }).json("keyvault-prod");

  test("turns on RBAC authorization and creates no access policies", () => {
    expect(resource(json, "azurerm_key_vault", "vault").rbac_authorization_enabled).toBe(true);
    expect(resourcesOfType(json, "azurerm_key_vault_access_policy")).toEqual([]);
  });

  test("assigns Key Vault Secrets User to the reader's OBJECT ID on its secret only, and Secrets Officer to the deployer on this vault", () => {
    expect(resource(json, "azurerm_role_assignment", "reads-configurable-secrets")).toMatchObject({
      scope: "${azurerm_key_vault.vault.id}/secrets/configurable-secrets",
      role_definition_name: "Key Vault Secrets User",
      principal_id: expect.stringMatching(/app-identityprincipal_id\}$/),
      // The scope exists once the secret does.
      depends_on: ["azurerm_key_vault_secret.secret-configurable-secrets"],
    });
    expect(resource(json, "azurerm_role_assignment", "deployer-role")).toMatchObject({
      scope: "${azurerm_key_vault.vault.id}",
      role_definition_name: "Key Vault Secrets Officer",
      principal_id: "${data.azurerm_client_config.deployer.object_id}",
    });
  });

  test("gives a key or certificate reader Key Vault Reader (public material only) at the object's scope; a certificate fetched with its key keeps Secrets User", () => {
    const config = hardenedConfig("prod");
    config.keyVault.authorization = "rbac";
    config.keyVault.secrets.push(
      { objectName: "signing-key", objectType: "key", objectAlias: "signing.pem", source: { existing: true } },
      { objectName: "web-cert", objectType: "cert", objectAlias: "web.crt", source: { existing: true } },
      { objectName: "web-cert", objectType: "secret", objectAlias: "web.pem", objectFormat: "pem", source: { existing: true } },
    );
    // The cert's name twice (as cert and as its secret) is refused as a duplicate objectName; the secret gets its own.
    config.keyVault.secrets[3].objectName = "web-tls";
    const kv = synthProject({ prod: config }).json("keyvault-prod");
    const role = (id: string) => resource(kv, "azurerm_role_assignment", id);
    expect(role("reads-signing-key")).toMatchObject({ scope: "${azurerm_key_vault.vault.id}/keys/signing-key", role_definition_name: "Key Vault Reader" });
    expect(role("reads-web-cert")).toMatchObject({ scope: "${azurerm_key_vault.vault.id}/certificates/web-cert", role_definition_name: "Key Vault Reader" });
    expect(role("reads-web-tls")).toMatchObject({ scope: "${azurerm_key_vault.vault.id}/secrets/web-tls", role_definition_name: "Key Vault Secrets User" });
    const roles = resourcesOfType(kv, "azurerm_role_assignment").map((r: Json) => r.role_definition_name);
    expect(roles).not.toContain("Key Vault Crypto User");
    expect(roles).not.toContain("Key Vault Certificate User");
  });

  test("makes secrets wait until the deployer's role is in effect (a bounded data-plane wait after the assignment), so the first write does not race RBAC and destroy removes them first", () => {
    expect(resource(json, "azurerm_key_vault_secret", "secret-configurable-secrets").depends_on).toEqual(["terraform_data.deployer-role-ready"]);
    const ready = resource(json, "terraform_data", "deployer-role-ready");
    expect(ready.depends_on).toEqual(["azurerm_role_assignment.deployer-role"]);
    // A new assignment waits again; an unchanged one never does.
    expect(ready.triggers_replace).toEqual({ role: "${azurerm_role_assignment.deployer-role.id}" });
    expect(ready.provisioner).toEqual([
      { "local-exec": { command: "npm run -s ci:wait-for-vault-access -- --env prod --vault-url ${azurerm_key_vault.vault.vault_uri}", working_dir: expect.stringMatching(/^(\.\.\/)+[^/]*|\.\.$/) } },
    ]);
  });
});

describe("a configured deployerObjectId", () => {
  const DEPLOYER_ID = "00000000-0000-4000-8000-00000000abcd";
  const config = baseConfig("dev");
  config.deployerObjectId = DEPLOYER_ID;
  const project = synthProject({ dev: config });

  test("is who the deployer's vault access and cluster-admin role go to, not whoever runs Terraform", () => {
    expect(resource(project.json("keyvault-dev"), "azurerm_key_vault_access_policy", DEPLOYER).object_id).toBe(DEPLOYER_ID);
    expect(resource(project.json("aks-dev"), "azurerm_role_assignment", "deployer-cluster-admin").principal_id).toBe(DEPLOYER_ID);
  });

  test("in rbac mode too", () => {
    const rbac = baseConfig("dev");
    Object.assign(rbac, { deployerObjectId: DEPLOYER_ID });
    rbac.keyVault.authorization = "rbac";
    expect(resource(synthProject({ dev: rbac }).json("keyvault-dev"), "azurerm_role_assignment", "deployer-role").principal_id).toBe(DEPLOYER_ID);
  });
});

test("synthesizes its terraform_data resources with no engine installed (cdktf's DataResource would run `terraform version` at synth)", () => {
  const before = process.env.TERRAFORM_BINARY_NAME;
  process.env.TERRAFORM_BINARY_NAME = "/nonexistent/terraform";
  try {
    const config = hardenedConfig("prod");
    config.keyVault.authorization = "rbac";
    const project = synthProject({ prod: config });
    expect(Object.keys(project.json("keyvault-prod").resource.terraform_data).sort()).toEqual(["deployer-role-ready", "secret-configurable-secrets-revision"]);
  } finally {
    if (before === undefined) delete process.env.TERRAFORM_BINARY_NAME;
    else process.env.TERRAFORM_BINARY_NAME = before;
  }
});
