import * as fs from "fs";
import * as path from "path";
import { RESOURCE_PROVIDERS } from "../../lib/azure-provider";
import { KUBERNETES_CLUSTER, RESOURCE_GROUP, ROLE_ASSIGNMENT } from "../engine/resource-types";
import { baseConfig, hardenedConfig, resource, resourcesOfType, synthProject, type Json, type SynthesizedProject } from "../support/helpers";

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

  test("states the pod limit (110) and managed OS disks, which a plan and the scanner can then show", () => {
    const pool = project.json("aks-dev").resource.azurerm_kubernetes_cluster.cluster.default_node_pool;
    expect(pool).toMatchObject({ max_pods: 110, os_disk_type: "Managed" });
  });

  test("requires a Terraform version with write-only arguments", () => {
    expect(project.json("aks-dev").terraform.required_version).toBe(">= 1.11.0");
  });

  test("states the OS disk size (AKS's 128 GiB) and every upgrade setting, so a value set outside Terraform is put back, never unset (unsetting the drain timeout replaces the cluster)", () => {
    const pool = project.json("aks-dev").resource.azurerm_kubernetes_cluster.cluster.default_node_pool;
    expect(pool.os_disk_size_gb).toBe(128);
    expect(pool.upgrade_settings).toEqual({ max_surge: "10%", drain_timeout_in_minutes: 30, node_soak_duration_in_minutes: 0 });
  });
});

describe("the azurerm provider of every stack", () => {
  const dev = baseConfig("dev");
  dev.backend = { resourceGroupName: "rg-tfstate", storageAccountName: "sttfstate01", containerName: "tfstate" };
  const project = synthProject({ dev });
  const docs = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "ci.md"), "utf8");

  test.each(["aks-dev", "keyvault-dev", "bootstrap"])("%s registers only the resource providers the stacks use, not azurerm's 'legacy' set of about 50 that a Reader-only plan identity may not register", (stack) => {
    const [provider] = project.json(stack).provider.azurerm;
    expect(provider.resource_provider_registrations).toBe("none");
    expect(provider.resource_providers_to_register).toEqual(RESOURCE_PROVIDERS);
  });

  test("docs/ci.md's first-run checklist has exactly those pre-registered", () => {
    const step = docs.slice(docs.indexOf("**Resource providers.**"), docs.indexOf("\n3. "));
    expect([...step.matchAll(/`(Microsoft\.\w+)`/g)].map((m) => m[1]).sort()).toEqual([...RESOURCE_PROVIDERS].sort());
  });
});

describe("AKS stack with a disk encryption set", () => {
  const prod = hardenedConfig("prod");
  prod.aks.diskEncryptionSetId = "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg-keys/providers/Microsoft.Compute/diskEncryptionSets/des-aks";
  const cluster = resource(synthProject({ prod }).json("aks-prod"), "azurerm_kubernetes_cluster", "cluster");

  test("encrypts the cluster's disks with the configured set (checkov's CKV_AZURE_117 asks only that some set is named)", () => {
    expect(cluster.disk_encryption_set_id).toBe(prod.aks.diskEncryptionSetId);
  });
});

describe("AKS stack, hardened (the shape of config/prod.json)", () => {
  const prod = hardenedConfig("prod");
  Object.assign(prod.aks, { hostEncryption: true, workloadNodeCount: 4, networkPolicy: "cilium", vmSize: "Standard_D4ds_v5", osDiskType: "Ephemeral", maxPods: 60 });
  const project = synthProject({ prod });
  const json = project.json("aks-prod");
  const cluster = resource(json, "azurerm_kubernetes_cluster", "cluster");

  test("puts the nodes in a subnet of its own VNet, with the Key Vault service endpoint", () => {
    expect(resource(json, "azurerm_virtual_network", "network").address_space).toEqual(["10.42.0.0/16"]);
    expect(resource(json, "azurerm_subnet", "aks-subnet")).toMatchObject({
      address_prefixes: ["10.42.0.0/20"],
      service_endpoints: ["Microsoft.KeyVault"],
      virtual_network_name: "${azurerm_virtual_network.network.name}",
    });
    expect(cluster.default_node_pool.vnet_subnet_id).toBe("${azurerm_subnet.aks-subnet.id}");
  });

  test("gives the cluster's identity Network Contributor on that subnet, so LoadBalancer Services get an address", () => {
    expect(resource(json, "azurerm_role_assignment", "cluster-subnet-network-contributor")).toMatchObject({
      scope: "${azurerm_subnet.aks-subnet.id}",
      role_definition_name: "Network Contributor",
      principal_id: "${azurerm_kubernetes_cluster.cluster.identity[0].principal_id}",
    });
  });

  test("limits the API server to the configured ranges and runs the chosen network policy on Azure CNI overlay", () => {
    expect(cluster.api_server_access_profile).toEqual({ authorized_ip_ranges: ["198.18.0.0/24"] });
    expect(cluster.private_cluster_enabled).toBe(false);
    expect(cluster.network_profile).toEqual({
      network_plugin: "azure",
      network_plugin_mode: "overlay",
      network_policy: "cilium",
      network_data_plane: "cilium",
    });
  });

  test("turns on Azure Policy, patch upgrades and the Standard tier", () => {
    expect(cluster).toMatchObject({ azure_policy_enabled: true, automatic_upgrade_channel: "patch", sku_tier: "Standard" });
  });

  test("sends Container Insights to its Log Analytics workspace through a data collection rule", () => {
    expect(cluster.oms_agent).toEqual({
      log_analytics_workspace_id: "${azurerm_log_analytics_workspace.log-analytics.id}",
      msi_auth_for_monitoring_enabled: true,
    });
    const [rule] = resourcesOfType(json, "azurerm_monitor_data_collection_rule");
    expect(rule.destinations.log_analytics[0].workspace_resource_id).toBe("${azurerm_log_analytics_workspace.log-analytics.id}");
    expect(rule.data_sources.extension[0].extension_name).toBe("ContainerInsights");
    const [association] = resourcesOfType(json, "azurerm_monitor_data_collection_rule_association");
    expect(association.target_resource_id).toBe("${azurerm_kubernetes_cluster.cluster.id}");
  });

  test("keeps the system pool for critical add-ons and runs apps on a workload pool, both with host encryption, ephemeral OS disks and the pod limit", () => {
    const upgrade_settings = { max_surge: "10%", drain_timeout_in_minutes: 30, node_soak_duration_in_minutes: 0 };
    const disks = { os_disk_type: "Ephemeral", os_disk_size_gb: 128, max_pods: 60, vm_size: "Standard_D4ds_v5", upgrade_settings };
    expect(cluster.default_node_pool).toMatchObject({ only_critical_addons_enabled: true, host_encryption_enabled: true, ...disks });
    expect(resource(json, "azurerm_kubernetes_cluster_node_pool", "workload-pool")).toMatchObject({
      kubernetes_cluster_id: "${azurerm_kubernetes_cluster.cluster.id}",
      mode: "User",
      node_count: 4,
      host_encryption_enabled: true,
      ...disks,
      vnet_subnet_id: "${azurerm_subnet.aks-subnet.id}",
    });
  });

  test("federates the app's own identity with exactly its service account, through the cluster's OIDC issuer", () => {
    expect(resource(json, "azurerm_user_assigned_identity", "app-identity").name).toBe("id-configurable-prod");
    expect(resource(json, "azurerm_federated_identity_credential", "app-identity-federation")).toMatchObject({
      parent_id: "${azurerm_user_assigned_identity.app-identity.id}",
      issuer: "${azurerm_kubernetes_cluster.cluster.oidc_issuer_url}",
      subject: "system:serviceaccount:configurable:configurable",
      audience: ["api://AzureADTokenExchange"],
    });
  });

  test("the lab's shape has none of it: no VNet, no workload identity, no API server ranges", () => {
    const dev = synthProject({ dev: baseConfig("dev") }).json("aks-dev");
    for (const type of ["azurerm_virtual_network", "azurerm_user_assigned_identity", "azurerm_federated_identity_credential"]) {
      expect(resourcesOfType(dev, type)).toEqual([]);
    }
    expect(resource(dev, "azurerm_kubernetes_cluster", "cluster").api_server_access_profile).toBeUndefined();
    expect(Object.keys(dev.resource.azurerm_role_assignment)).toEqual(["deployer-cluster-admin"]);
  });
});

describe("a workload identity's federated credential name", () => {
  test("stays within Azure's 120 characters for the longest cluster, namespace and app names, readable and unique", () => {
    const prod = hardenedConfig("prod");
    prod.aks.name = `a${"k".repeat(61)}s`;
    prod.aks.dnsPrefix = "aks";
    prod.apps[0] = { ...prod.apps[0], namespace: `n${"s".repeat(62)}`, name: `a${"p".repeat(61)}1` };
    prod.apps.push({ ...prod.apps[0], name: `a${"p".repeat(61)}2`, namespace: `n${"s".repeat(61)}2` });
    prod.keyVault.secrets[0].app = prod.apps[0].name;
    const names = resourcesOfType(synthProject({ prod }).json("aks-prod"), "azurerm_federated_identity_credential").map((c: Json) => c.name as string);
    expect(names).toHaveLength(2);
    for (const name of names) expect(name).toMatch(/^[a-zA-Z0-9][\w-]{2,119}$/);
    expect(names[0].startsWith(`${prod.aks.name}-nsss`)).toBe(true);
    expect(new Set(names).size).toBe(2);
  });

  test("is cluster-namespace-account while that fits, as before", () => {
    const [credential] = resourcesOfType(synthProject({ prod: hardenedConfig("prod") }).json("aks-prod"), "azurerm_federated_identity_credential");
    expect(credential.name).toBe("aks-test-prod-configurable-configurable");
  });
});
