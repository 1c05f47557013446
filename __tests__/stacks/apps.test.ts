// Several apps in one environment: each its own namespace, identity, class, Deployment and Service;
// each identity reads only its own objects where Azure can scope it (RBAC), and synth says where it cannot.
import { loadEnvironments } from "../../config/load";
import { validateEnvironment } from "../../config/validate";
import { baseConfig, hardenedConfig, resource, resourcesOfType, synthProject, writeProject, type Json } from "../support/helpers";

/** prod's shape with a second app, "billing", that has its own secret and shares the first one's. */
function twoApps(authorization: "rbac" | "accessPolicy"): Json {
  const prod = hardenedConfig("prod");
  prod.keyVault.authorization = authorization;
  prod.apps.push({ ...prod.apps[0], namespace: "billing", name: "billing", identity: "workload" });
  prod.keyVault.secrets[0].app = "configurable";
  prod.keyVault.secrets.push({ objectName: "billing-db", objectType: "secret", objectAlias: "db.txt", source: { file: "secrets/prod/billing-db.txt" }, app: "billing", contentType: "text/plain" });
  prod.keyVault.secrets.push({ objectName: "shared-ca", objectType: "secret", objectAlias: "ca.pem", source: { existing: true }, app: "configurable", sharedWith: ["billing"] });
  return prod;
}

describe("two workload apps with Azure RBAC", () => {
  const project = synthProject({ prod: twoApps("rbac") });
  const kv = project.json("keyvault-prod");
  const aks = project.json("aks-prod");
  const app = project.json("app-prod");
  const assignments = resourcesOfType(kv, "azurerm_role_assignment").filter((r: Json) => r.role_definition_name !== "Key Vault Secrets Officer");
  const readsOf = (principal: RegExp) => assignments.filter((r: Json) => principal.test(r.principal_id)).map((r: Json) => r.scope).sort();

  test("each app gets its own identity, federated with its own namespace and service account", () => {
    expect(resource(aks, "azurerm_user_assigned_identity", "app-identity").name).toBe("id-configurable-prod");
    expect(resource(aks, "azurerm_user_assigned_identity", "billing-app-identity").name).toBe("id-billing-prod");
    expect(resource(aks, "azurerm_federated_identity_credential", "app-identity-federation").subject).toBe("system:serviceaccount:configurable:configurable");
    expect(resource(aks, "azurerm_federated_identity_credential", "billing-app-identity-federation")).toMatchObject({
      subject: "system:serviceaccount:billing:billing",
      parent_id: "${azurerm_user_assigned_identity.billing-app-identity.id}",
    });
    expect(Object.keys(aks.output)).toEqual(expect.arrayContaining(["workload_identity_client_id", "workload_identity_client_id_billing", "workload_identity_object_id_billing"]));
  });

  test("each identity holds Key Vault Secrets User on each of its own secrets, at the secret's scope: app A cannot read app B's secret", () => {
    expect(readsOf(/identityapp-identityprincipal_id\}$/)).toEqual(["${azurerm_key_vault.vault.id}/secrets/configurable-secrets", "${azurerm_key_vault.vault.id}/secrets/shared-ca"]);
    expect(readsOf(/identitybilling-app-identityprincipal_id\}$/)).toEqual(["${azurerm_key_vault.vault.id}/secrets/billing-db", "${azurerm_key_vault.vault.id}/secrets/shared-ca"]);
    expect(assignments.every((r: Json) => r.role_definition_name === "Key Vault Secrets User" && r.scope !== "${azurerm_key_vault.vault.id}")).toBe(true);
  });

  test("each app gets its own class, mapping only its objects, its own Deployment and Service in its namespace", () => {
    const classes = resourcesOfType(app, "kubernetes_manifest").map((m: Json) => m.manifest);
    const billing = classes.find((c: Json) => c.metadata.namespace === "billing");
    expect(billing.metadata.name).toBe("billing-keyvault");
    expect(billing.spec.parameters.objects).toContain("objectName: billing-db");
    expect(billing.spec.parameters.objects).toContain("objectName: shared-ca");
    expect(billing.spec.parameters.objects).not.toContain("configurable-secrets");
    expect(billing.spec.parameters.clientID).toMatch(/billing-app-identityclient_id\}$/);
    expect(resource(app, "kubernetes_deployment_v1", "billing-deployment").metadata).toMatchObject({ name: "billing" });
    expect(resource(app, "kubernetes_deployment_v1", "billing-deployment").spec.template.metadata.annotations["aks-keyvault.cdktf.io/secret-versions"]).toMatch(/^billing-db=\$\{/);
    expect(resource(app, "kubernetes_service_v1", "billing-service").metadata.name).toBe("billing");
    expect(resource(app, "kubernetes_namespace_v1", "billing-namespace").metadata.name).toBe("billing");
    expect(Object.keys(app.output)).toEqual(expect.arrayContaining(["app_url", "app_url_billing"]));
  });

  test("the first app keeps every logical ID of the one-app stacks", () => {
    for (const [type, id] of [["kubernetes_deployment_v1", "deployment"], ["kubernetes_service_v1", "service"], ["kubernetes_namespace_v1", "namespace"], ["kubernetes_service_account_v1", "service-account"]]) {
      expect(resource(app, type, id).metadata.name ?? resource(app, type, id).metadata.namespace).toBeDefined();
    }
    expect(resource(app, "kubernetes_manifest", "secret-provider-class_manifest_D94227CE").manifest.metadata.name).toBe("configurable-keyvault");
  });
});

describe("apps and access policies", () => {
  test("each identity gets one vault-wide policy; synth warns that access policies let every app read every secret", () => {
    const root = writeProject({ prod: twoApps("accessPolicy") }, { "secrets/prod/configurable-secret.json": "{}", "secrets/prod/billing-db.txt": "x" });
    const { warnings } = loadEnvironments(root);
    expect(warnings).toContain(
      'config/prod.json: keyVault.authorization "accessPolicy" grants vault-wide: configurable and billing read every secret in kv-test-prod-01, each other\'s too; use "rbac" for grants on each app\'s own secrets',
    );
    const kv = synthProject({ prod: twoApps("accessPolicy") }).json("keyvault-prod");
    expect(resourcesOfType(kv, "azurerm_key_vault_access_policy").map((p: Json) => p.object_id).filter((id: string) => /identity/.test(id))).toHaveLength(2);
    expect(resource(kv, "azurerm_key_vault_access_policy", "billing-access").secret_permissions).toEqual(["Get", "List"]);
  });

  test("two apps on the add-on's node identity share it, and so each other's secrets: synth says so, whatever the authorization", () => {
    const dev = baseConfig("dev");
    dev.apps.push({ ...dev.apps[0], namespace: "other", name: "other" });
    dev.keyVault.secrets[0].app = "configurable";
    dev.keyVault.secrets.push({ objectName: "other-key", objectType: "secret", objectAlias: "k.txt", source: { existing: true }, app: "other" });
    const root = writeProject({ dev }, { "secrets/dev/configurable-secret.json": "{}" });
    expect(loadEnvironments(root).warnings).toContain(
      'config/dev.json: apps configurable and other read the vault as the add-on\'s node identity, which every pod on the nodes can use: each reads the other\'s secrets; give each "identity": "workload"',
    );
    const kv = synthProject({ dev }).json("keyvault-dev");
    // One identity, one policy.
    expect(resourcesOfType(kv, "azurerm_key_vault_access_policy")).toHaveLength(2);
  });
});

describe("apps validation", () => {
  const problems = (config: Json) => validateEnvironment("prod", "config/prod.json", config).problems;

  test.each([
    ["the old app field", (c: Json) => ((c.app = c.apps[0]), delete c.apps), [
      'config/prod.json: apps is missing: must be a non-empty array of apps, each with namespace, name, image and replicas',
      `config/prod.json: app = ${"{"}...: is now "apps", a list: write "apps": [ <this object> ], and the logical IDs stay those of app (docs/configuration.md#from-app-to-apps)`,
    ]],
    ["two apps of one name", (c: Json) => (c.apps.push({ ...c.apps[0], namespace: "other" }), (c.keyVault.secrets[0].app = "configurable")), ['config/prod.json: apps[1].name = "configurable": must be unique; apps[0].name has it already (each app gets its own Deployment, Service and identity)']],
    ["two apps in one namespace", (c: Json) => (c.apps.push({ ...c.apps[0], name: "other" }), (c.keyVault.secrets[0].app = "configurable")), ['config/prod.json: apps[1].namespace = "configurable": must be unique; apps[0].namespace has it already (each app gets its own namespace)']],
    ["an object of no app, with two apps", (c: Json) => c.apps.push({ ...c.apps[0], name: "other", namespace: "other" }), ['config/prod.json: keyVault.secrets[0].app is missing: is needed with several apps: which one reads it (configurable, other); share it with others on purpose through sharedWith']],
    ["an object of an app that does not exist", (c: Json) => (c.keyVault.secrets[0].app = "billing"), ['config/prod.json: keyVault.secrets[0].app = "billing": names no app; apps here: configurable']],
    ["an object shared with an app that does not exist", (c: Json) => (c.keyVault.secrets[0].sharedWith = ["billing"]), ['config/prod.json: keyVault.secrets[0].sharedWith[0] = "billing": names no app; apps here: configurable']],
    ["an object shared with its own app", (c: Json) => (c.keyVault.secrets[0].sharedWith = ["configurable"]), ['config/prod.json: keyVault.secrets[0].sharedWith[0] = "configurable": is the app that owns it already']],
    [
      "two files of one name in one app's mount, one of them shared",
      (c: Json) => {
        c.apps.push({ ...c.apps[0], name: "other", namespace: "other" });
        c.keyVault.secrets[0].app = "configurable";
        c.keyVault.secrets.push({ objectName: "o", objectType: "secret", objectAlias: "x.txt", source: { existing: true }, app: "other" });
        c.keyVault.secrets.push({ objectName: "p", objectType: "secret", objectAlias: "x.txt", source: { existing: true }, app: "configurable", sharedWith: ["other"] });
      },
      ['config/prod.json: keyVault.secrets[2].objectAlias = "x.txt": objectAlias (the file name in the mount) must be unique per app; keyVault.secrets[1].objectAlias has it already in other\'s mount'],
    ],
  ])("refuses %s with one line naming the field", (_what, change, expected) => {
    const config = hardenedConfig("prod");
    change(config);
    expect(problems(config).map((p) => p.replace(/app = \{.*?: is now/, "app = {...: is now"))).toEqual(expected);
  });

  test("one alias in two apps' mounts is fine: each app has its own", () => {
    const config = hardenedConfig("prod");
    config.apps.push({ ...config.apps[0], name: "other", namespace: "other" });
    config.keyVault.secrets[0].app = "configurable";
    config.keyVault.secrets.push({ ...config.keyVault.secrets[0], objectName: "other-secret", app: "other", source: { existing: true } });
    expect(problems(config)).toEqual([]);
  });
});
