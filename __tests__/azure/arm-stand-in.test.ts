// The ARM stand-in and the cloud around it refuse what Azure refuses, with Azure's status and error
// code, and derive every behaviour from what clients wrote (tools/node/azure-stand-ins/arm.ts,
// arm-types.ts, cloud.ts). npm run test:azure runs the real provider against them.
import * as crypto from "crypto";
import { ARM_RESOURCE } from "../../tools/node/azure-stand-ins/arm";
import { BUILT_IN_ROLES } from "../../tools/node/azure-stand-ins/arm-types";
import { AzureCloud } from "../../tools/node/azure-stand-ins/cloud";
import { signJwt } from "../../tools/node/azure-stand-ins/jwt";
import { VAULT_RESOURCE } from "../../tools/node/azure-stand-ins/keyvault";
import type { Json } from "../support/helpers";

const TENANT = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const SUB = "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b";
const DEPLOYER = "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d";
const keys = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
const RG = `/subscriptions/${SUB}/resourceGroups/rg-test`;

function newCloud(clock = { t: 1_900_000_000_000 }, clusterReady?: () => boolean) {
  const cloud = new AzureCloud({
    subscriptionId: SUB,
    tenantId: TENANT,
    tokenKey: keys.publicKey,
    signingKey: keys.privateKey,
    kubeconfig: () => "apiVersion: v1\nkind: Config\n",
    given: [{ clientId: DEPLOYER, objectId: DEPLOYER, onNodes: false, federatedCredentials: [] }],
    issuerKeys: () => new Map(),
    identityHeader: "h",
    rbacPropagationMs: 5000,
    now: () => clock.t,
    clusterReady,
  });
  const token = (aud: string) => signJwt({ aud, tid: TENANT, oid: DEPLOYER, appid: DEPLOYER, iat: clock.t / 1000, exp: clock.t / 1000 + 3600 }, keys.privateKey);
  const call = (method: string, path: string, body?: Json, apiVersion = "2023-07-01") => {
    const response = cloud.arm.handle({ method, url: new URL(`${ARM_RESOURCE}${path}?api-version=${apiVersion}`), headers: { authorization: `Bearer ${token(ARM_RESOURCE)}` }, body: body === undefined ? "" : JSON.stringify(body) });
    return { status: response.status, code: (response.body as Json)?.error?.code as string | undefined, body: response.body as Json, headers: response.headers ?? {} };
  };
  const vaultCall = (method: string, host: string, path: string, body?: Json) => {
    const plane = cloud.vaults().find((v) => v.host === host)!;
    const response = plane.handle({ method, url: new URL(`https://${host}${path}?api-version=7.4`), headers: { authorization: `Bearer ${token(VAULT_RESOURCE)}` }, body: body === undefined ? "" : JSON.stringify(body) });
    return { status: response.status, code: (response.body as Json)?.error?.innererror?.code as string | undefined };
  };
  for (const ns of ["Microsoft.KeyVault", "Microsoft.ContainerService", "Microsoft.ManagedIdentity", "Microsoft.Network"]) call("POST", `/subscriptions/${SUB}/providers/${ns}/register`, undefined, "2021-04-01");
  return { cloud, call, vaultCall, clock };
}

const vaultBody = (overrides: Json = {}) => ({ location: "westeurope", properties: { tenantId: TENANT, sku: { family: "A", name: "standard" }, accessPolicies: [], ...overrides } });
const VAULT_API = "2026-02-01";

describe("ARM stand-in refusals", () => {
  test("the metadata document names this cloud's endpoints, as azurerm's metadata_host reads them", () => {
    const { cloud } = newCloud();
    const response = cloud.arm.handle({ method: "GET", url: new URL(`${ARM_RESOURCE}/metadata/endpoints?api-version=2022-09-01`), headers: {}, body: "" });
    expect(response.body).toMatchObject({ resourceManager: `${ARM_RESOURCE}/`, authentication: { loginEndpoint: "https://login.microsoftonline.com/" }, suffixes: { keyVaultDns: "vault.azure.net" } });
  });

  test("no token is 401 AuthenticationFailed; a token for another audience 401 InvalidAuthenticationTokenAudience", () => {
    const { cloud } = newCloud();
    expect(cloud.arm.handle({ method: "GET", url: new URL(`${ARM_RESOURCE}${RG}?api-version=2023-07-01`), headers: {}, body: "" }).status).toBe(401);
    const wrong = signJwt({ aud: VAULT_RESOURCE, tid: TENANT, oid: DEPLOYER, exp: 4_000_000_000 }, keys.privateKey);
    const response = cloud.arm.handle({ method: "GET", url: new URL(`${ARM_RESOURCE}${RG}?api-version=2023-07-01`), headers: { authorization: `Bearer ${wrong}` }, body: "" });
    expect([response.status, (response.body as Json).error.code]).toEqual([401, "InvalidAuthenticationTokenAudience"]);
  });

  test("a resource group name outside Azure's rules is 400 InvalidResourceGroup; a resource in a missing group 404 ResourceGroupNotFound", () => {
    const { call } = newCloud();
    expect(call("PUT", `/subscriptions/${SUB}/resourceGroups/rg.`, { location: "westeurope" }).code).toBe("InvalidResourceGroup");
    expect(call("PUT", `/subscriptions/${SUB}/resourceGroups/${"r".repeat(91)}`, { location: "westeurope" }).code).toBe("InvalidResourceGroup");
    const put = call("PUT", `${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-app`, { location: "westeurope" }, "2024-11-30");
    expect([put.status, put.code]).toEqual([404, "ResourceGroupNotFound"]);
  });

  test("a namespace the subscription has not registered is 409 MissingSubscriptionRegistration", () => {
    const { call } = newCloud();
    call("PUT", RG, { location: "westeurope" });
    const put = call("PUT", `${RG}/providers/Microsoft.OperationalInsights/workspaces/log-test`, { location: "westeurope" }, "2020-08-01");
    expect([put.status, put.code]).toEqual([409, "MissingSubscriptionRegistration"]);
  });

  test("an API version the type does not serve is 400 NoRegisteredProviderFound", () => {
    const { call } = newCloud();
    expect(call("PUT", RG, { location: "westeurope" }, "1999-01-01").code).toBe("NoRegisteredProviderFound");
  });

  test("an identity gets its client and principal IDs from Azure when created, and keeps them on update", () => {
    const { call } = newCloud();
    call("PUT", RG, { location: "westeurope" });
    const path = `${RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-app`;
    const created = call("PUT", path, { location: "westeurope" }, "2024-11-30");
    expect(created.status).toBe(201);
    expect(created.body.properties.clientId).toMatch(/^[0-9a-f-]{36}$/);
    const updated = call("PUT", path, { location: "westeurope", tags: { a: "b" } }, "2024-11-30");
    expect([updated.body.properties.clientId, updated.body.properties.principalId]).toEqual([created.body.properties.clientId, created.body.properties.principalId]);
  });

  test("workload identity without the OIDC issuer is refused (400 InvalidParameter); with it, the cluster gets an issuer URL", () => {
    const { call } = newCloud();
    call("PUT", RG, { location: "westeurope" });
    const path = `${RG}/providers/Microsoft.ContainerService/managedClusters/aks-test`;
    const body = (oidc: boolean) => ({ location: "westeurope", identity: { type: "SystemAssigned" }, properties: { dnsPrefix: "aks", securityProfile: { workloadIdentity: { enabled: true } }, oidcIssuerProfile: { enabled: oidc } } });
    expect(call("PUT", path, body(false), "2025-10-01")).toMatchObject({ status: 400, code: "InvalidParameter" });
    expect(call("PUT", path, body(true), "2025-10-01").body.properties.oidcIssuerProfile.issuerURL).toMatch(/^https:\/\//);
  });

  test("a new cluster's creation stays InProgress (with Retry-After) until its control plane answers, then Succeeded", () => {
    let up = false;
    const { call } = newCloud(undefined, () => up);
    call("PUT", RG, { location: "westeurope" });
    const created = call("PUT", `${RG}/providers/Microsoft.ContainerService/managedClusters/aks-test`, { location: "westeurope", identity: { type: "SystemAssigned" }, properties: { dnsPrefix: "aks" } }, "2025-10-01");
    const operation = new URL(created.headers["Azure-AsyncOperation"]);
    const poll = () => call("GET", operation.pathname, undefined, "2025-10-01");
    expect([poll().body.status, poll().headers["Retry-After"]]).toEqual(["InProgress", "1"]);
    up = true;
    expect(poll().body.status).toBe("Succeeded");
  });

  test("a subnet outside its VNet's address space is 400 NetcfgSubnetRangeOutsideVnet", () => {
    const { call } = newCloud();
    call("PUT", RG, { location: "westeurope" });
    const vnet = `${RG}/providers/Microsoft.Network/virtualNetworks/vnet-test`;
    call("PUT", vnet, { location: "westeurope", properties: { addressSpace: { addressPrefixes: ["10.42.0.0/16"] } } }, "2025-01-01");
    expect(call("PUT", `${vnet}/subnets/aks`, { properties: { addressPrefixes: ["10.43.0.0/20"] } }, "2025-01-01").code).toBe("NetcfgSubnetRangeOutsideVnet");
    expect(call("PUT", `${vnet}/subnets/aks`, { properties: { addressPrefixes: ["10.42.0.0/20"] } }, "2025-01-01").status).toBe(201);
  });

  test("a role assignment for a principal the directory lacks is 400 PrincipalNotFound; the same assignment twice 409 RoleAssignmentExists", () => {
    const { call } = newCloud();
    call("PUT", RG, { location: "westeurope" });
    const assign = (principalId: string) =>
      call("PUT", `${RG}/providers/Microsoft.Authorization/roleAssignments/${crypto.randomUUID()}`, { properties: { roleDefinitionId: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${BUILT_IN_ROLES.Reader}`, principalId } }, "2022-04-01");
    expect(assign(crypto.randomUUID()).code).toBe("PrincipalNotFound");
    expect(assign(DEPLOYER).status).toBe(201);
    expect(assign(DEPLOYER)).toMatchObject({ status: 409, code: "RoleAssignmentExists" });
  });

  test("vault names: outside the rules 400 VaultNameNotValid; taken 409 VaultAlreadyExists; soft-deleted 409 ConflictError until recovered or purged; purge protection refuses the purge", () => {
    const { call, cloud } = newCloud();
    call("PUT", RG, { location: "westeurope" });
    call("PUT", `/subscriptions/${SUB}/resourceGroups/rg-other`, { location: "westeurope" });
    const vault = (group: string, name: string) => `/subscriptions/${SUB}/resourceGroups/${group}/providers/Microsoft.KeyVault/vaults/${name}`;
    expect(call("PUT", vault("rg-test", "kv--bad"), vaultBody(), VAULT_API).code).toBe("VaultNameNotValid");
    expect(call("PUT", vault("rg-test", "kv-test-01"), vaultBody({ enablePurgeProtection: true }), VAULT_API).status).toBe(201);
    expect(call("PUT", vault("rg-other", "kv-test-01"), vaultBody(), VAULT_API)).toMatchObject({ status: 409, code: "VaultAlreadyExists" });
    expect(call("DELETE", vault("rg-test", "kv-test-01"), undefined, VAULT_API).status).toBe(200);
    expect(call("PUT", vault("rg-test", "kv-test-01"), vaultBody(), VAULT_API)).toMatchObject({ status: 409, code: "ConflictError" });
    const deleted = `/subscriptions/${SUB}/providers/Microsoft.KeyVault/locations/westeurope/deletedVaults/kv-test-01`;
    expect(call("GET", deleted, undefined, VAULT_API).body.properties.purgeProtectionEnabled).toBe(true);
    expect(call("POST", `${deleted}/purge`, undefined, VAULT_API)).toMatchObject({ status: 409, code: "Conflict" });
    expect(call("PUT", vault("rg-test", "kv-test-01"), vaultBody({ createMode: "recover" }), VAULT_API).status).toBe(201);
    expect(cloud.arm.deletedVaults.size).toBe(0);
  });
});

describe("the vault's data plane follows the vault as applied", () => {
  function withVault(rbac: boolean) {
    const env = newCloud();
    env.call("PUT", RG, { location: "westeurope" });
    const vaultId = `${RG}/providers/Microsoft.KeyVault/vaults/kv-test-01`;
    const policy = { tenantId: TENANT, objectId: DEPLOYER, permissions: { secrets: ["Get", "List", "Set", "Delete", "Purge"] } };
    env.call("PUT", vaultId, vaultBody({ enableRbacAuthorization: rbac, accessPolicies: [policy] }), VAULT_API);
    return { ...env, vaultId };
  }
  const host = "kv-test-01.vault.azure.net";

  test("access-policy mode: the deployer's policy lets it write; a policy removed takes the right away", () => {
    const { vaultCall, call, vaultId } = withVault(false);
    expect(vaultCall("PUT", host, "/secrets/s1", { value: "v" }).status).toBe(200);
    call("PUT", `${vaultId}/accessPolicies/remove`, { properties: { accessPolicies: [{ tenantId: TENANT, objectId: DEPLOYER, permissions: {} }] } }, VAULT_API);
    expect(vaultCall("PUT", host, "/secrets/s1", { value: "v" })).toEqual({ status: 403, code: "AccessDenied" });
  });

  test("RBAC mode: the same access policy grants nothing (403 ForbiddenByRbac); a role assignment counts only after the propagation delay", () => {
    const { vaultCall, call, vaultId, clock } = withVault(true);
    expect(vaultCall("PUT", host, "/secrets/s1", { value: "v" })).toEqual({ status: 403, code: "ForbiddenByRbac" });
    const role = `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${BUILT_IN_ROLES["Key Vault Secrets Officer"]}`;
    expect(call("PUT", `${vaultId}/providers/Microsoft.Authorization/roleAssignments/${crypto.randomUUID()}`, { properties: { roleDefinitionId: role, principalId: DEPLOYER } }, "2022-04-01").status).toBe(201);
    expect(vaultCall("PUT", host, "/secrets/s1", { value: "v" }).code).toBe("ForbiddenByRbac");
    clock.t += 5000;
    expect(vaultCall("PUT", host, "/secrets/s1", { value: "v" }).status).toBe(200);
  });

  test("a deleted secret's name is refused (409 ObjectIsDeletedButRecoverable) until it is purged", () => {
    const { vaultCall } = withVault(false);
    vaultCall("PUT", host, "/secrets/s1", { value: "v" });
    expect(vaultCall("DELETE", host, "/secrets/s1").status).toBe(200);
    expect(vaultCall("PUT", host, "/secrets/s1", { value: "v" })).toEqual({ status: 409, code: "ObjectIsDeletedButRecoverable" });
    expect(vaultCall("DELETE", host, "/deletedsecrets/s1").status).toBe(204);
    expect(vaultCall("PUT", host, "/secrets/s1", { value: "v" }).status).toBe(200);
  });

  test("a role assignment at a secret's scope needs the secret (404 ParentResourceNotFound before it exists)", () => {
    const { vaultCall, call, vaultId } = withVault(false);
    const role = `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${BUILT_IN_ROLES["Key Vault Secrets User"]}`;
    const assign = () => call("PUT", `${vaultId}/secrets/s1/providers/Microsoft.Authorization/roleAssignments/${crypto.randomUUID()}`, { properties: { roleDefinitionId: role, principalId: DEPLOYER } }, "2022-04-01");
    expect(assign()).toMatchObject({ status: 404, code: "ParentResourceNotFound" });
    vaultCall("PUT", host, "/secrets/s1", { value: "v" });
    expect(assign().status).toBe(201);
  });
});
