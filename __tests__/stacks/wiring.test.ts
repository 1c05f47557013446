import { baseConfig, hardenedConfig, resource, resourcesOfType, synthProject, type Json, type SynthesizedProject } from "../support/helpers";

/**
 * Follows ${data.terraform_remote_state.X.outputs.Y} in a consuming stack to
 * the producing stack (found by the state file the remote state reads) and the
 * expression that stack outputs.
 */
function followRemoteState(project: SynthesizedProject, consumer: Json, expression: string): { stack: string; value: string } {
  const match = /data\.terraform_remote_state\.([^.]+)\.outputs\.([\w-]+)/.exec(expression);
  if (!match) throw new Error(`${expression} does not read remote state`);
  const [, dataName, outputName] = match;
  const remote = consumer.data.terraform_remote_state[dataName];
  const stateFile: string = remote.backend === "local" ? remote.config.path : remote.config.key;
  const stack = /(?:terraform\.)?([\w-]+)\.tfstate$/.exec(stateFile)![1];
  const output = project.json(stack).output[outputName];
  expect(output.sensitive).toBe(true);
  return { stack, value: output.value };
}

const CLIENT_ID = "${azurerm_kubernetes_cluster.cluster.key_vault_secrets_provider[0].secret_identity[0].client_id}";
const OBJECT_ID = "${azurerm_kubernetes_cluster.cluster.key_vault_secrets_provider[0].secret_identity[0].object_id}";

describe("cross-stack wiring", () => {
  const project = synthProject({ dev: baseConfig("dev"), prod: baseConfig("prod") });
  const app = project.json("app-dev");
  const keyvault = project.json("keyvault-dev");
  const parameters = resourcesOfType(app, "kubernetes_manifest")[0].manifest.spec.parameters;

  test("the SecretProviderClass takes the add-on identity's CLIENT ID from the AKS stack", () => {
    expect(followRemoteState(project, app, parameters.userAssignedIdentityID)).toEqual({ stack: "aks-dev", value: CLIENT_ID });
  });

  test("the access policy takes the add-on identity's OBJECT ID from the AKS stack", () => {
    const reader = resource(keyvault, "azurerm_key_vault_access_policy", "secrets-provider-access");
    expect(followRemoteState(project, keyvault, reader.object_id)).toEqual({ stack: "aks-dev", value: OBJECT_ID });
  });

  test("the vault name and tenant ID reach the SecretProviderClass from the Key Vault stack", () => {
    expect(followRemoteState(project, app, parameters.keyvaultName)).toEqual({
      stack: "keyvault-dev",
      value: "${azurerm_key_vault.vault.name}",
    });
    expect(followRemoteState(project, app, parameters.tenantID)).toEqual({
      stack: "keyvault-dev",
      value: "${azurerm_key_vault.vault.tenant_id}",
    });
  });

  test("the Kubernetes provider gets the API host and CA from the AKS stack, never credentials", () => {
    const provider = app.provider.kubernetes[0];
    expect(followRemoteState(project, app, provider.host)).toEqual({
      stack: "aks-dev",
      value: "${azurerm_kubernetes_cluster.cluster.kube_config[0].host}",
    });
    expect(provider.cluster_ca_certificate).toMatch(/^\$\{base64decode\(/);
    expect(followRemoteState(project, app, provider.cluster_ca_certificate)).toEqual({
      stack: "aks-dev",
      value: "${azurerm_kubernetes_cluster.cluster.kube_config[0].cluster_ca_certificate}",
    });
    const aksOutputs = JSON.stringify(project.json("aks-dev").output);
    expect(aksOutputs).not.toMatch(/client_key|client_certificate|password|kube_admin_config|kube_config_raw/);
  });

  test("the Key Vault lives in the AKS stack's resource group", () => {
    const vault = resource(keyvault, "azurerm_key_vault", "vault");
    expect(followRemoteState(project, keyvault, vault.resource_group_name)).toEqual({
      stack: "aks-dev",
      value: "${azurerm_resource_group.resource-group.name}",
    });
  });

  test("stack dependencies order deploys AKS, then Key Vault, then the app, per environment", () => {
    const stacks = project.manifest.stacks;
    expect(Object.keys(stacks).sort()).toEqual(["aks-dev", "aks-prod", "app-dev", "app-prod", "keyvault-dev", "keyvault-prod"]);
    for (const env of ["dev", "prod"]) {
      expect(stacks[`aks-${env}`].dependencies).toEqual([]);
      expect(stacks[`keyvault-${env}`].dependencies).toEqual([`aks-${env}`]);
      expect([...stacks[`app-${env}`].dependencies].sort()).toEqual([`aks-${env}`, `keyvault-${env}`]);
    }
  });

  test("no environment reads another environment's state", () => {
    for (const stack of ["keyvault-dev", "app-dev"]) {
      expect(JSON.stringify(project.json(stack).data.terraform_remote_state)).not.toContain("prod");
    }
  });

  test("local state files sit at the project root, by relative paths that are the same on every machine", () => {
    expect(project.json("aks-dev").terraform.backend).toEqual({ local: { path: "../../../terraform.aks-dev.tfstate" } });
    expect(app.data.terraform_remote_state["cross-stack-reference-input-aks-dev"].config).toEqual({
      path: "../../../terraform.aks-dev.tfstate",
    });
  });
});

describe("cross-stack wiring with shared state in Azure storage", () => {
  const dev = baseConfig("dev");
  dev.backend = { resourceGroupName: "rg-tfstate", storageAccountName: "sttfstate01", containerName: "tfstate" };
  const project = synthProject({ dev });

  test("every stack keeps its state in the configured account, signed in with Entra ID", () => {
    for (const stack of ["aks-dev", "keyvault-dev", "app-dev"]) {
      expect(project.json(stack).terraform.backend).toEqual({
        azurerm: {
          resource_group_name: "rg-tfstate",
          storage_account_name: "sttfstate01",
          container_name: "tfstate",
          key: `${stack}.tfstate`,
          use_azuread_auth: true,
        },
      });
    }
  });

  test("cross-stack reads use the same backend", () => {
    const app = project.json("app-dev");
    const remote = app.data.terraform_remote_state["cross-stack-reference-input-aks-dev"];
    expect(remote.backend).toBe("azurerm");
    expect(remote.config).toMatchObject({ storage_account_name: "sttfstate01", key: "aks-dev.tfstate", use_azuread_auth: true });
    const parameters = resourcesOfType(app, "kubernetes_manifest")[0].manifest.spec.parameters;
    expect(followRemoteState(project, app, parameters.userAssignedIdentityID)).toEqual({ stack: "aks-dev", value: CLIENT_ID });
  });
});

describe("cross-stack wiring with workload identity", () => {
  const project = synthProject({ prod: hardenedConfig("prod") });
  const app = project.json("app-prod");
  const keyvault = project.json("keyvault-prod");
  const parameters = resourcesOfType(app, "kubernetes_manifest")[0].manifest.spec.parameters;

  test("the SecretProviderClass takes the app identity's CLIENT ID", () => {
    expect(followRemoteState(project, app, parameters.clientID)).toEqual({
      stack: "aks-prod",
      value: "${azurerm_user_assigned_identity.app-identity.client_id}",
    });
  });

  test("the access policy takes the same identity's OBJECT ID (its principal ID)", () => {
    const reader = resource(keyvault, "azurerm_key_vault_access_policy", "secrets-provider-access");
    expect(followRemoteState(project, keyvault, reader.object_id)).toEqual({
      stack: "aks-prod",
      value: "${azurerm_user_assigned_identity.app-identity.principal_id}",
    });
  });

  test("the add-on's node identity is given nothing", () => {
    expect(JSON.stringify(keyvault)).not.toContain("key_vault_secrets_provider");
    expect(JSON.stringify(app)).not.toContain("key_vault_secrets_provider");
  });
});
