import { KUBERNETES_CLUSTER, RESOURCE_GROUP, ROLE_ASSIGNMENT } from "./resource-types";
import { baseConfig, resource, synthProject, type SynthesizedProject } from "./helpers";

describe("AKS stack", () => {
  let project: SynthesizedProject;
  let aks: string;

  beforeAll(() => {
    const dev = baseConfig("dev");
    dev.aks.secretRotationInterval = "90s";
    dev.aks.adminGroupObjectIds = ["11111111-2222-3333-4444-555555555555"];
    project = synthProject({ dev });
    aks = project.text("aks-dev");
  });

  test("creates the resource group from the config", () => {
    expect(aks).toHaveResourceWithProperties(RESOURCE_GROUP, { name: "rg-test-dev", location: "westeurope" });
  });

  test("enables the Key Vault secrets provider add-on with rotation at the configured interval", () => {
    expect(aks).toHaveResourceWithProperties(KUBERNETES_CLUSTER, {
      name: "aks-test-dev",
      key_vault_secrets_provider: { secret_rotation_enabled: true, secret_rotation_interval: "90s" },
    });
  });

  test("uses a system-assigned managed identity and enables the OIDC issuer and workload identity", () => {
    expect(aks).toHaveResourceWithProperties(KUBERNETES_CLUSTER, {
      identity: { type: "SystemAssigned" },
      oidc_issuer_enabled: true,
      workload_identity_enabled: true,
    });
  });

  test("authenticates people with Entra ID and Azure RBAC, local accounts disabled by default", () => {
    expect(aks).toHaveResourceWithProperties(KUBERNETES_CLUSTER, {
      local_account_disabled: true,
      role_based_access_control_enabled: true,
      azure_active_directory_role_based_access_control: {
        azure_rbac_enabled: true,
        tenant_id: "${data.azurerm_client_config.deployer.tenant_id}",
        admin_group_object_ids: ["11111111-2222-3333-4444-555555555555"],
      },
    });
  });

  test("grants the deploying principal cluster admin through a role assignment on the cluster", () => {
    expect(aks).toHaveResourceWithProperties(ROLE_ASSIGNMENT, {
      scope: "${azurerm_kubernetes_cluster.cluster.id}",
      role_definition_name: "Azure Kubernetes Service RBAC Cluster Admin",
      principal_id: "${data.azurerm_client_config.deployer.object_id}",
    });
  });

  test("sizes the default node pool from the config", () => {
    const cluster = resource(project.json("aks-dev"), "azurerm_kubernetes_cluster", "cluster");
    expect(cluster.default_node_pool).toMatchObject({ node_count: 2, vm_size: "Standard_D2s_v5" });
    expect(cluster.sku_tier).toBe("Free");
  });

  test("outputs the add-on identity's client and object IDs for people to read", () => {
    const outputs = project.json("aks-dev").output;
    expect(outputs.secrets_provider_client_id.value).toBe(
      "${azurerm_kubernetes_cluster.cluster.key_vault_secrets_provider[0].secret_identity[0].client_id}",
    );
    expect(outputs.secrets_provider_object_id.value).toBe(
      "${azurerm_kubernetes_cluster.cluster.key_vault_secrets_provider[0].secret_identity[0].object_id}",
    );
  });

  test("requires a Terraform version with write-only arguments", () => {
    expect(project.json("aks-dev").terraform.required_version).toBe(">= 1.11.0");
  });
});
