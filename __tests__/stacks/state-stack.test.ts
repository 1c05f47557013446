// The bootstrap stack: the shared state storage the environments' backend
// sections point at, created once with its own local state.
import { loadEnvironments } from "../../config/load";
import { baseConfig, resource, resourcesOfType, synthProject, writeProject, type Json } from "../support/helpers";

const BACKEND = { resourceGroupName: "rg-tfstate", storageAccountName: "sttfstate01", containerName: "tfstate" };

function withBackend(env: string, backend: Json = BACKEND): Json {
  const config = baseConfig(env);
  config.backend = { ...backend };
  return config;
}

describe("bootstrap stack", () => {
  const project = synthProject({ dev: withBackend("dev"), prod: withBackend("prod") });
  const json = project.json("bootstrap");
  const account = resource(json, "azurerm_storage_account", "state-account-sttfstate01");

  test("is synthesized once for the environments that share a backend, and keeps its own state locally", () => {
    expect(Object.keys(project.manifest.stacks).sort()).toEqual(["aks-dev", "aks-prod", "app-dev", "app-prod", "bootstrap", "keyvault-dev", "keyvault-prod"]);
    expect(project.manifest.stacks.bootstrap.dependencies).toEqual([]);
    expect(json.terraform.backend).toEqual({ local: { path: "../../../terraform.bootstrap.tfstate" } });
    expect(json.output["state-sttfstate01-tfstate"].value).toBe("sttfstate01/tfstate: dev, prod");
  });

  test("creates the account with versioning, soft delete, no public blobs, TLS 1.2 and no account keys", () => {
    expect(account).toMatchObject({
      name: "sttfstate01",
      resource_group_name: "${azurerm_resource_group.state-rg-rg-tfstate.name}",
      min_tls_version: "TLS1_2",
      https_traffic_only_enabled: true,
      allow_nested_items_to_be_public: false,
      shared_access_key_enabled: false,
      default_to_oauth_authentication: true,
      blob_properties: {
        versioning_enabled: true,
        delete_retention_policy: { days: 30 },
        container_delete_retention_policy: { days: 30 },
      },
    });
    expect(json.provider.azurerm[0].storage_use_azuread).toBe(true);
  });

  test("creates one private container, protected from destroy, and lets the deployer write blobs in it only", () => {
    const containers = resourcesOfType(json, "azurerm_storage_container");
    expect(containers).toHaveLength(1);
    expect(containers[0]).toMatchObject({ name: "tfstate", container_access_type: "private", lifecycle: { prevent_destroy: true } });
    expect(account.lifecycle).toEqual({ prevent_destroy: true });
    expect(resource(json, "azurerm_role_assignment", "state-writer-sttfstate01-tfstate")).toMatchObject({
      scope: "${azurerm_storage_container.state-container-sttfstate01-tfstate.id}",
      role_definition_name: "Storage Blob Data Contributor",
      principal_id: "${data.azurerm_client_config.deployer.object_id}",
    });
  });

  test("is not matched by an environment's deploy glob", () => {
    const matches = (glob: string, name: string) => new RegExp(`^${glob.replace(/\*/g, ".*")}$`).test(name);
    expect(matches("*-dev", "bootstrap")).toBe(false);
    expect(matches("*-prod", "bootstrap")).toBe(false);
  });

  test("one account serves environments that keep their state in different containers", () => {
    const shared = synthProject({ dev: withBackend("dev", { ...BACKEND, containerName: "tfstate-dev" }), prod: withBackend("prod", { ...BACKEND, containerName: "tfstate-prod" }) });
    const bootstrap = shared.json("bootstrap");
    expect(Object.keys(bootstrap.resource.azurerm_storage_account)).toEqual(["state-account-sttfstate01"]);
    expect(resourcesOfType(bootstrap, "azurerm_storage_container").map((c) => [c.name, c.storage_account_id])).toEqual([
      ["tfstate-dev", "${azurerm_storage_account.state-account-sttfstate01.id}"],
      ["tfstate-prod", "${azurerm_storage_account.state-account-sttfstate01.id}"],
    ]);
  });

  test("is absent when no environment has a backend section", () => {
    expect(Object.keys(synthProject({ dev: baseConfig("dev") }).manifest.stacks)).not.toContain("bootstrap");
  });
});

describe("backend sections across environments", () => {
  function problems(configs: Record<string, Json>): string[] {
    try {
      loadEnvironments(writeProject(configs));
      return [];
    } catch (error) {
      return (error as { problems: string[] }).problems;
    }
  }

  test("one storage account cannot sit in two resource groups", () => {
    expect(problems({ dev: withBackend("dev"), prod: withBackend("prod", { ...BACKEND, resourceGroupName: "rg-other" }) })).toEqual([
      'config/prod.json: backend.resourceGroupName = "rg-other": config/dev.json puts storage account "sttfstate01" in "rg-tfstate"; one account lives in one group',
    ]);
  });

  test("state cannot live in an environment's own resource group", () => {
    expect(problems({ dev: withBackend("dev", { ...BACKEND, resourceGroupName: "rg-test-dev" }) })).toEqual([
      'config/dev.json: backend.resourceGroupName = "rg-test-dev": must not be an environment\'s resource group (config/dev.json owns it; destroying dev would delete every environment\'s state)',
    ]);
  });
});
