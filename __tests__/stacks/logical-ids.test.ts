// Terraform addresses of what the stacks manage. A changed address makes
// Terraform destroy the old resource and create a new one: for the cluster,
// the vault and its secrets that loses data or names (soft delete reserves a
// vault's name). Change this list only with a `terraform state mv` plan.
import { baseConfig, hardenedConfig, synthProject } from "../support/helpers";

function addresses(stack: { resource?: Record<string, Record<string, unknown>> }): string[] {
  return Object.entries(stack.resource ?? {})
    .flatMap(([type, byId]) => Object.keys(byId).map((id) => `${type}.${id}`))
    .sort();
}

describe("logical IDs", () => {
  const dev = baseConfig("dev");
  dev.keyVault.secrets.push({ objectName: "db-password", objectType: "secret", objectAlias: "db.txt", source: { file: "secrets/dev/db.txt" } });
  const prod = hardenedConfig("prod");
  prod.keyVault.authorization = "rbac";
  const project = synthProject({ dev, prod });

  test("of the cluster and its resource group are pinned", () => {
    expect(addresses(project.json("aks-dev"))).toEqual([
      "azurerm_kubernetes_cluster.cluster",
      "azurerm_kubernetes_cluster_node_pool.workload-pool",
      "azurerm_log_analytics_workspace.log-analytics",
      "azurerm_monitor_data_collection_rule.container-insights_rule_C7014ED0",
      "azurerm_monitor_data_collection_rule_association.container-insights_association_038AE2C8",
      "azurerm_resource_group.resource-group",
      "azurerm_role_assignment.deployer-cluster-admin",
    ]);
  });

  test("of the network and the app's workload identity are pinned (a new identity has a new client ID)", () => {
    expect(addresses(project.json("aks-prod"))).toEqual([
      "azurerm_federated_identity_credential.app-identity-federation",
      "azurerm_kubernetes_cluster.cluster",
      "azurerm_kubernetes_cluster_node_pool.workload-pool",
      "azurerm_log_analytics_workspace.log-analytics",
      "azurerm_monitor_data_collection_rule.container-insights_rule_C7014ED0",
      "azurerm_monitor_data_collection_rule_association.container-insights_association_038AE2C8",
      "azurerm_resource_group.resource-group",
      "azurerm_role_assignment.cluster-subnet-network-contributor",
      "azurerm_role_assignment.deployer-cluster-admin",
      "azurerm_subnet.aks-subnet",
      "azurerm_user_assigned_identity.app-identity",
      "azurerm_virtual_network.network",
    ]);
  });

  test("of the vault, its access policies and its secrets are pinned; a secret's ID follows its objectName", () => {
    expect(addresses(project.json("keyvault-dev"))).toEqual([
      "azurerm_key_vault.vault",
      "azurerm_key_vault_access_policy.deployer-access",
      "azurerm_key_vault_access_policy.secrets-provider-access",
      "azurerm_key_vault_secret.secret-configurable-secrets",
      "azurerm_key_vault_secret.secret-db-password",
      "azurerm_monitor_diagnostic_setting.vault-audit-logs",
      // A renamed revision writes its secret once more (a new version), nothing lost; pinned so it is seen.
      "terraform_data.secret-configurable-secrets-revision",
      "terraform_data.secret-db-password-revision",
    ]);
  });

  test("of the vault in RBAC mode and its role assignments are pinned", () => {
    expect(addresses(project.json("keyvault-prod"))).toEqual([
      "azurerm_key_vault.vault",
      "azurerm_key_vault_secret.secret-configurable-secrets",
      "azurerm_monitor_diagnostic_setting.vault-audit-logs",
      "azurerm_role_assignment.deployer-role",
      "azurerm_role_assignment.reads-configurable-secrets",
      // Stateless (the wait for the deployer's role); pinned so a rename is seen: it would wait once more.
      "terraform_data.deployer-role-ready",
      "terraform_data.secret-configurable-secrets-revision",
    ]);
  });

  test("of the Kubernetes objects are pinned", () => {
    expect(addresses(project.json("app-dev"))).toEqual([
      "kubernetes_deployment_v1.deployment",
      "kubernetes_manifest.secret-provider-class_manifest_D94227CE",
      "kubernetes_namespace_v1.namespace",
      "kubernetes_service_account_v1.service-account",
      "kubernetes_service_v1.service",
    ]);
  });
});
