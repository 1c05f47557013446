// The lab's stand-ins for Entra ID and the Key Vault data plane
// (tools/node/azure-stand-ins/): what each one refuses, with Azure's error codes,
// and that what they enforce is read from the synthesized stacks.
import * as crypto from "crypto";
import * as net from "net";
import { directoryIdentities, resolver, vaultGrants, type Outputs } from "../../tools/node/azure-stand-ins/from-stacks";
import { CLIENT_ASSERTION_TYPE, entraEndpoint, managedIdentityEndpoint, TOKEN_EXCHANGE_AUDIENCE, type Directory } from "../../tools/node/azure-stand-ins/entra";
import { closable, closeServer, type StandInRequest } from "../../tools/node/azure-stand-ins/http";
import { jwtClaims, signJwt } from "../../tools/node/azure-stand-ins/jwt";
import { KeyVaultStandIn, VAULT_RESOURCE, type VaultGrant } from "../../tools/node/azure-stand-ins/keyvault";
import { baseConfig, hardenedConfig, selfSignedCertificate, synthProject, type Json } from "../support/helpers";

const TENANT = "aaaaaaaa-1111-4111-8111-111111111111";
const ISSUER = "https://127.0.0.1:6443/issuer";
const BILLING = { client: "66666666-ffff-4fff-8fff-666666666666", object: "77777777-aaaa-4aaa-8aaa-777777777777" };
const ID = {
  addonClient: "bbbbbbbb-2222-4222-8222-222222222222",
  addonObject: "cccccccc-3333-4333-8333-333333333333",
  appClient: "dddddddd-4444-4444-8444-444444444444",
  appObject: "eeeeeeee-5555-4555-8555-555555555555",
  deployer: "ffffffff-6666-4666-8666-666666666666",
};
const keys = () => crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
const entraKeys = keys();
const clusterKeys = keys();
const otherKeys = keys();
const now = () => 1_900_000_000_000;
const certificate = selfSignedCertificate();
const nowSeconds = now() / 1000;

function request(method: string, url: string, headers: Record<string, string> = {}, body = ""): StandInRequest {
  return { method, url: new URL(url), headers, body };
}

const directory: Directory = {
  tenantId: TENANT,
  identities: [
    { clientId: ID.addonClient, objectId: ID.addonObject, onNodes: true, federatedCredentials: [] },
    { clientId: ID.appClient, objectId: ID.appObject, onNodes: false, federatedCredentials: [{ issuer: ISSUER, subject: "system:serviceaccount:configurable:configurable", audiences: [TOKEN_EXCHANGE_AUDIENCE] }] },
  ],
  issuerKeys: new Map([[ISSUER, clusterKeys.publicKey]]),
  signingKey: entraKeys.privateKey,
  identityHeader: "node-secret",
  resources: [VAULT_RESOURCE],
  now,
};

describe("Entra ID stand-in: the node's managed-identity endpoint", () => {
  const msi = (query: string, header = "node-secret") => managedIdentityEndpoint(directory, request("GET", `http://127.0.0.1/msi/token?${query}`, { "x-identity-header": header }));

  test("issues a token for the add-on's identity, carrying its object ID", () => {
    const response = msi(`api-version=2019-08-01&resource=${VAULT_RESOURCE}&client_id=${ID.addonClient}`);
    expect(response.status).toBe(200);
    const claims = jwtClaims((response.body as Json).access_token)!;
    expect(claims).toMatchObject({ oid: ID.addonObject, appid: ID.addonClient, tid: TENANT, aud: VAULT_RESOURCE });
  });

  test.each([
    ["a client ID no node identity has (the object ID, given where the client ID belongs)", `api-version=2019-08-01&resource=${VAULT_RESOURCE}&client_id=${ID.addonObject}`, "node-secret", 400, "Identity not found"],
    ["the app's own identity, which is not on the nodes", `api-version=2019-08-01&resource=${VAULT_RESOURCE}&client_id=${ID.appClient}`, "node-secret", 400, "Identity not found"],
    ["without the endpoint's header", `api-version=2019-08-01&resource=${VAULT_RESOURCE}&client_id=${ID.addonClient}`, "wrong", 401, "X-IDENTITY-HEADER"],
    ["another protocol version", `api-version=2018-02-01&resource=${VAULT_RESOURCE}&client_id=${ID.addonClient}`, "node-secret", 400, "api-version 2018-02-01"],
    ["a resource it does not know", `api-version=2019-08-01&resource=https://storage.azure.com&client_id=${ID.addonClient}`, "node-secret", 400, "AADSTS500011"],
  ])("refuses %s", (_what, query, header, status, message) => {
    const response = msi(query, header);
    expect(response.status).toBe(status);
    expect((response.body as Json).error_description).toContain(message);
  });
});

describe("Entra ID stand-in: the workload identity's client-assertion exchange", () => {
  const assertion = (over: Json = {}, key = clusterKeys.privateKey) =>
    signJwt({ iss: ISSUER, sub: "system:serviceaccount:configurable:configurable", aud: [TOKEN_EXCHANGE_AUDIENCE], iat: nowSeconds - 10, nbf: nowSeconds - 10, exp: nowSeconds + 3600, ...over }, key);
  const exchange = (form: Record<string, string>, tenant = TENANT) =>
    entraEndpoint(
      directory,
      request("POST", `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/token`, { "content-type": "application/x-www-form-urlencoded" }, new URLSearchParams({
        grant_type: "client_credentials",
        client_id: ID.appClient,
        scope: `${VAULT_RESOURCE}/.default`,
        client_assertion_type: CLIENT_ASSERTION_TYPE,
        client_assertion: assertion(),
        ...form,
      }).toString()),
    );

  test("trades the service account's token for one carrying the app identity's object ID (with the OpenID scopes MSAL adds, too)", () => {
    expect(exchange({ scope: `${VAULT_RESOURCE}/.default openid offline_access profile` }).status).toBe(200);
    const response = exchange({});
    expect(response.status).toBe(200);
    expect(jwtClaims((response.body as Json).access_token)).toMatchObject({ oid: ID.appObject, appid: ID.appClient, tid: TENANT, aud: VAULT_RESOURCE });
  });

  test.each([
    ["another tenant", {}, "99999999-0000-4000-8000-000000000000", "AADSTS90002"],
    ["a client ID the directory does not have (the object ID instead)", { client_id: ID.appObject }, TENANT, "AADSTS700016"],
    ["an assertion from another issuer", { client_assertion: assertion({ iss: "https://other.example/issuer" }) }, TENANT, "AADSTS700211"],
    ["an assertion signed by another key", { client_assertion: assertion({}, otherKeys.privateKey) }, TENANT, "AADSTS700027"],
    ["another service account's token (a wrong service-account name)", { client_assertion: assertion({ sub: "system:serviceaccount:configurable:default" }) }, TENANT, "AADSTS700213"],
    ["a token for another audience", { client_assertion: assertion({ aud: ["https://kubernetes.default.svc"] }) }, TENANT, "AADSTS700212"],
    ["an expired token", { client_assertion: assertion({ exp: nowSeconds - 60 }) }, TENANT, "AADSTS700024"],
    ["a scope without /.default", { scope: VAULT_RESOURCE }, TENANT, "AADSTS70011"],
    ["no assertion", { client_assertion: "" }, TENANT, "AADSTS7000218"],
    ["the add-on's identity, which has no federated credential", { client_id: ID.addonClient }, TENANT, "AADSTS700211"],
  ])("refuses %s", (_what, form, tenant, code) => {
    const response = exchange(form as Record<string, string>, tenant);
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect((response.body as Json).error_description).toMatch(new RegExp(`^${code}:`));
  });

  test("serves the discovery documents MSAL reads first, for its tenant only", () => {
    const discovery = entraEndpoint(directory, request("GET", `https://login.microsoftonline.com/common/discovery/instance?api-version=1.1&authorization_endpoint=https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/authorize`));
    expect((discovery.body as Json).tenant_discovery_endpoint).toBe(`https://login.microsoftonline.com/${TENANT}/v2.0/.well-known/openid-configuration`);
    const config = entraEndpoint(directory, request("GET", `https://login.microsoftonline.com/${TENANT}/v2.0/.well-known/openid-configuration`));
    expect((config.body as Json).token_endpoint).toBe(`https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`);
    expect(entraEndpoint(directory, request("GET", "https://login.microsoftonline.com/other/v2.0/.well-known/openid-configuration")).status).toBe(400);
  });
});

describe("Key Vault stand-in", () => {
  const token = (oid: string, over: Json = {}, key = entraKeys.privateKey) =>
    signJwt({ aud: VAULT_RESOURCE, tid: TENANT, oid, appid: "x", iat: nowSeconds, exp: nowSeconds + 600, ...over }, key);
  const grants: VaultGrant[] = [
    { objectId: ID.addonObject, secretPermissions: ["get", "list"], via: "accessPolicy" },
    { objectId: ID.deployer, secretPermissions: ["get", "list", "set", "delete", "purge", "recover"], via: "accessPolicy" },
  ];
  const vault = (g = grants) => {
    const kv = new KeyVaultStandIn({ name: "kv-lab", tenantId: TENANT, grants: g, tokenKey: entraKeys.publicKey, now });
    kv.setSecret("app-secret", '{"v": 1}', "application/json");
    return kv;
  };
  const call = (kv: KeyVaultStandIn, method: string, path: string, bearer?: string, body = "", apiVersion = "7.4") =>
    kv.handle(request(method, `https://kv-lab.vault.azure.net${path}?api-version=${apiVersion}`, bearer ? { authorization: `Bearer ${bearer}` } : {}, body));

  test("answers a request without a token with the bearer challenge the SDKs sign in from", () => {
    const response = call(vault(), "GET", "/secrets/app-secret/");
    expect(response.status).toBe(401);
    expect(response.headers?.["WWW-Authenticate"]).toBe(`Bearer authorization="https://login.microsoftonline.com/${TENANT}", resource="https://vault.azure.net"`);
  });

  test("the reader gets the latest version, and a pinned one; a version that does not exist is 404", () => {
    const kv = vault();
    const first = (call(kv, "GET", "/secrets/app-secret", token(ID.addonObject)).body as Json).id.split("/").pop();
    kv.setSecret("app-secret", '{"v": 2}');
    expect((call(kv, "GET", "/secrets/app-secret/", token(ID.addonObject)).body as Json).value).toBe('{"v": 2}');
    expect((call(kv, "GET", `/secrets/app-secret/${first}`, token(ID.addonObject)).body as Json).value).toBe('{"v": 1}');
    expect((call(kv, "GET", "/secrets/app-secret/0123456789abcdef0123456789abcdef", token(ID.addonObject)).body as Json).error.code).toBe("SecretNotFound");
    expect(call(kv, "GET", "/secrets/app-secret/versions", token(ID.addonObject)).body).toMatchObject({ value: [{ attributes: { enabled: true } }, { attributes: { enabled: true } }] });
  });

  test("an imported certificate's secret answers as Key Vault's does: its PEM with the key, content type application/x-pem-file, kid and managed", () => {
    const kv = vault();
    const version = kv.importCertificate("web-tls", certificate.pem);
    const body = call(kv, "GET", "/secrets/web-tls", token(ID.addonObject)).body as Json;
    expect(body).toMatchObject({ contentType: "application/x-pem-file", kid: `https://kv-lab.vault.azure.net/keys/web-tls/${version}`, managed: true });
    expect(body.value).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    // A plain secret carries neither: the provider tells the two apart by kid.
    expect(call(kv, "GET", "/secrets/app-secret", token(ID.addonObject)).body).not.toHaveProperty("kid");
  });

  test("the same import is a certificate (its DER, as base64) and a key (its public JWK), under one version, for a reader with Get on them", () => {
    const reader: VaultGrant = { objectId: ID.addonObject, secretPermissions: ["get", "list"], certificatePermissions: ["get"], keyPermissions: ["get"], via: "accessPolicy" };
    const kv = vault([reader]);
    const version = kv.importCertificate("web-tls", certificate.pem);
    const cert = call(kv, "GET", "/certificates/web-tls/", token(ID.addonObject)).body as Json;
    expect(cert).toMatchObject({ id: `https://kv-lab.vault.azure.net/certificates/web-tls/${version}`, sid: `https://kv-lab.vault.azure.net/secrets/web-tls/${version}`, kid: `https://kv-lab.vault.azure.net/keys/web-tls/${version}` });
    expect(new crypto.X509Certificate(Buffer.from(cert.cer, "base64")).fingerprint256).toBe(new crypto.X509Certificate(certificate.cert).fingerprint256);
    const key = (call(kv, "GET", `/keys/web-tls/${version}`, token(ID.addonObject)).body as Json).key;
    expect(key).toMatchObject({ kty: "RSA", kid: `https://kv-lab.vault.azure.net/keys/web-tls/${version}` });
    expect(crypto.createPublicKey({ key: { kty: key.kty, n: key.n, e: key.e }, format: "jwk" }).export({ format: "jwk" })).toEqual(crypto.createPublicKey(certificate.key).export({ format: "jwk" }));
    // Never the private part.
    expect(key).not.toHaveProperty("d");
    expect((call(kv, "GET", "/certificates/nope", token(ID.addonObject)).body as Json).error.code).toBe("CertificateNotFound");
  });

  test.each([
    ["a certificate to a reader with Get on secrets only", { objectId: ID.addonObject, secretPermissions: ["get", "list"], via: "accessPolicy" }, "/certificates/web-tls", "does not have certificates get permission"],
    ["a certificate's versions to a reader with Get on certificates only", { objectId: ID.addonObject, secretPermissions: [], certificatePermissions: ["get"], via: "accessPolicy" }, "/certificates/web-tls/versions", "does not have certificates list permission"],
    ["a key to a reader with Get on secrets only", { objectId: ID.addonObject, secretPermissions: ["get"], via: "accessPolicy" }, "/keys/web-tls", "does not have keys get permission"],
    ["a certificate to a role at its secret's scope", { objectId: ID.addonObject, secretPermissions: ["get", "list"], via: "rbac", scope: { collection: "secrets", name: "web-tls" } }, "/certificates/web-tls", "Action: 'Microsoft.KeyVault/vaults/certificates/read'\r\nResource: '/vaults/kv-lab/certificates/web-tls'"],
  ])("refuses %s", (_what, grant, path, message) => {
    const kv = vault([grant as VaultGrant]);
    kv.importCertificate("web-tls", certificate.pem);
    const response = call(kv, "GET", path, token(ID.addonObject));
    expect([response.status, (response.body as Json).error.message]).toEqual([403, expect.stringContaining(message)]);
  });

  test("the deployer sets a new version (as az keyvault secret set does), which the reader then gets", () => {
    const kv = vault();
    const set = call(kv, "PUT", "/secrets/app-secret", token(ID.deployer), JSON.stringify({ value: "rotated" }), "2025-07-01");
    expect(set.status).toBe(200);
    expect((call(kv, "GET", "/secrets/app-secret", token(ID.addonObject)).body as Json).value).toBe("rotated");
  });

  test.each([
    ["the reader setting a secret (it has Get and List only)", "PUT", ID.addonObject, {}, 403, "does not have secrets set permission"],
    ["an identity no policy names (the client ID given as the object ID)", "GET", ID.addonClient, {}, 403, "does not have secrets get permission"],
    ["a token signed by another key", "GET", ID.addonObject, { key: otherKeys.privateKey }, 401, "AKV10004"],
    ["a token for another resource", "GET", ID.addonObject, { aud: "https://management.azure.com" }, 401, "AKV10022"],
    ["a token from another tenant", "GET", ID.addonObject, { tid: "99999999-0000-4000-8000-000000000000" }, 401, "AKV10032"],
    ["an expired token", "GET", ID.addonObject, { exp: nowSeconds - 1 }, 401, "AKV10016"],
  ])("refuses %s", (_what, method, oid, over, status, message) => {
    const { key, ...claims } = over as Json;
    const response = call(vault(), method, "/secrets/app-secret", token(oid, claims, key), JSON.stringify({ value: "x" }));
    expect(response.status).toBe(status);
    expect((response.body as Json).error.message).toContain(message);
  });

  test("refuses an api-version it does not serve, and names a missing secret", () => {
    expect((call(vault(), "GET", "/secrets/app-secret", token(ID.addonObject), "", "2016-10-01").body as Json).error).toMatchObject({ code: "BadParameter" });
    expect((call(vault(), "GET", "/secrets/nope", token(ID.addonObject)).body as Json).error.code).toBe("SecretNotFound");
  });

  test("with role assignments, a caller without the role is ForbiddenByRbac, naming the action", () => {
    const response = call(vault([{ objectId: ID.addonObject, secretPermissions: ["get", "list"], via: "rbac" }]), "GET", "/secrets/app-secret", token(ID.appObject));
    expect((response.body as Json).error).toMatchObject({ code: "Forbidden", innererror: { code: "ForbiddenByRbac" } });
    expect((response.body as Json).error.message).toContain("Microsoft.KeyVault/vaults/secrets/getSecret/action");
  });

  test("never logs a value: its audit lines name the request, the caller and the answer", () => {
    const kv = vault();
    call(kv, "GET", "/secrets/app-secret", token(ID.addonObject));
    expect(kv.audit).toEqual([`GET /secrets/app-secret oid=${ID.addonObject} -> 200`]);
  });
});

describe("what the stand-ins enforce is read from the synthesized stacks", () => {
  /** Outputs as a deploy would leave them, from each output's expression. */
  const outputsFor = (stack: Json): Outputs =>
    Object.fromEntries(
      Object.entries(stack.output ?? {}).map(([name, o]) => {
        const value = String((o as Json).value);
        if (value.includes("secret_identity[0].client_id")) return [name, ID.addonClient];
        if (value.includes("secret_identity[0].object_id")) return [name, ID.addonObject];
        if (value.includes("billing-app-identity.client_id")) return [name, BILLING.client];
        if (value.includes("billing-app-identity.principal_id")) return [name, BILLING.object];
        if (value.includes("app-identity.client_id")) return [name, ID.appClient];
        if (value.includes("app-identity.principal_id")) return [name, ID.appObject];
        if (value.includes("oidc_issuer_url")) return [name, ISSUER];
        return [name, `value-of-${name}`];
      }),
    );

  test.each([
    ["dev (the add-on's identity reads)", "dev", ID.addonObject],
    ["prod (the app's workload identity reads)", "prod", ID.appObject],
  ])("%s: the reader's object ID gets Get and List, the deployer the rest, nobody else anything", (_what, env, reader) => {
    const config = env === "dev" ? baseConfig("dev") : hardenedConfig("prod");
    const project = synthProject({ [env]: config });
    const aks = project.json(`aks-${env}`);
    const aksOutputs = outputsFor(aks);
    const keyVault = project.json(`keyvault-${env}`);
    const grants = vaultGrants(keyVault, resolver(keyVault, {}, { [`aks-${env}`]: aksOutputs }, { object_id: ID.deployer, tenant_id: TENANT }));
    const byObject = Object.fromEntries(grants.map((g) => [g.objectId, g.secretPermissions]));
    expect(byObject).toEqual({ [reader]: ["get", "list"], [ID.deployer]: ["get", "list", "set", "delete", "purge", "recover"] });
    const identities = directoryIdentities(aks, resolver(aks, aksOutputs, {}, {}));
    expect(identities[0]).toEqual({ clientId: ID.addonClient, objectId: ID.addonObject, onNodes: true, federatedCredentials: [] });
    if (env === "prod") {
      expect(identities[1]).toEqual({
        clientId: ID.appClient,
        objectId: ID.appObject,
        onNodes: false,
        federatedCredentials: [{ issuer: ISSUER, subject: "system:serviceaccount:configurable:configurable", audiences: [TOKEN_EXCHANGE_AUDIENCE] }],
      });
    } else expect(identities).toHaveLength(1);
  });

  test("with access policies, a certificate with a version history can be listed by the reader (the provider lists its versions), one without cannot", () => {
    const listing = (history: boolean) => {
      const dev = baseConfig("dev");
      dev.keyVault.secrets.push({ objectName: "web-tls", objectType: "cert", objectAlias: "web.crt", source: { existing: true }, ...(history ? { objectVersionHistory: 2 } : {}) });
      const project = synthProject({ dev });
      const keyVault = project.json("keyvault-dev");
      const grants = vaultGrants(keyVault, resolver(keyVault, {}, { "aks-dev": outputsFor(project.json("aks-dev")) }, { object_id: ID.deployer, tenant_id: TENANT }));
      const kv = new KeyVaultStandIn({ name: "kv-lab", tenantId: TENANT, grants, tokenKey: entraKeys.publicKey });
      kv.importCertificate("web-tls", certificate.pem);
      const at = Math.floor(Date.now() / 1000);
      const bearer = signJwt({ aud: VAULT_RESOURCE, tid: TENANT, oid: ID.addonObject, appid: "x", iat: at, exp: at + 600 }, entraKeys.privateKey);
      return ["web-tls/", "web-tls/versions"].map((p) => kv.handle(request("GET", `https://kv-lab.vault.azure.net/certificates/${p}?api-version=7.4`, { authorization: `Bearer ${bearer}` })).status);
    };
    expect(listing(true)).toEqual([200, 200]);
    expect(listing(false)).toEqual([200, 403]);
  });

  test("with Azure RBAC, a cert or key object's reader gets the public part (GetCertificate, GetKey) and never the certificate's private key", () => {
    const prod = hardenedConfig("prod");
    prod.keyVault.authorization = "rbac";
    prod.keyVault.secrets.push({ objectName: "web-tls", objectType: "cert", objectAlias: "web.crt", source: { existing: true } });
    prod.keyVault.secrets.push({ objectName: "signing", objectType: "key", objectAlias: "signing.pem", source: { existing: true } });
    const project = synthProject({ prod });
    const keyVault = project.json("keyvault-prod");
    const grants = vaultGrants(keyVault, resolver(keyVault, {}, { "aks-prod": outputsFor(project.json("aks-prod")) }, { object_id: ID.deployer, tenant_id: TENANT }));
    const kv = new KeyVaultStandIn({ name: "kv-lab", tenantId: TENANT, grants, tokenKey: entraKeys.publicKey });
    kv.importCertificate("web-tls", certificate.pem);
    kv.importKey("signing", certificate.key);
    const now = Math.floor(Date.now() / 1000);
    const bearer = signJwt({ aud: VAULT_RESOURCE, tid: TENANT, oid: ID.appObject, appid: "x", iat: now, exp: now + 600 }, entraKeys.privateKey);
    const get = (p: string) => {
      const response = kv.handle(request("GET", `https://kv-lab.vault.azure.net${p}?api-version=7.4`, { authorization: `Bearer ${bearer}` }));
      return response.status === 200 ? 200 : `${response.status} ${(response.body as Json).error?.innererror?.code}`;
    };
    expect([get("/certificates/web-tls/"), get("/keys/signing/"), get("/secrets/web-tls/")]).toEqual([200, 200, "403 ForbiddenByRbac"]);
  });

  test("two apps with Azure RBAC: each identity reads its own secret and the shared one, and is ForbiddenByRbac on the other app's", () => {
    const prod = hardenedConfig("prod");
    prod.keyVault.authorization = "rbac";
    prod.apps.push({ ...prod.apps[0], namespace: "billing", name: "billing", identity: "workload" });
    prod.keyVault.secrets[0].app = "configurable";
    prod.keyVault.secrets.push({ objectName: "billing-db", objectType: "secret", objectAlias: "db.txt", source: { existing: true }, app: "billing" });
    prod.keyVault.secrets.push({ objectName: "shared-ca", objectType: "secret", objectAlias: "ca.pem", source: { existing: true }, app: "configurable", sharedWith: ["billing"] });
    const project = synthProject({ prod });
    const aksOutputs = outputsFor(project.json("aks-prod"));
    const keyVault = project.json("keyvault-prod");
    const grants = vaultGrants(keyVault, resolver(keyVault, {}, { "aks-prod": aksOutputs }, { object_id: ID.deployer, tenant_id: TENANT }));
    const now = Math.floor(Date.now() / 1000);
    const kv = new KeyVaultStandIn({ name: "kv-lab", tenantId: TENANT, grants, tokenKey: entraKeys.publicKey });
    for (const name of ["configurable-secrets", "billing-db", "shared-ca"]) kv.setSecret(name, `value of ${name}`);
    const get = (oid: string, name: string) => {
      const token = signJwt({ aud: VAULT_RESOURCE, tid: TENANT, oid, appid: "x", iat: now, exp: now + 600 }, entraKeys.privateKey);
      const response = kv.handle(request("GET", `https://kv-lab.vault.azure.net/secrets/${name}/?api-version=2025-07-01`, { authorization: `Bearer ${token}` }));
      return response.status === 200 ? 200 : `${response.status} ${(response.body as Json).error?.innererror?.code}`;
    };
    expect([get(ID.appObject, "configurable-secrets"), get(ID.appObject, "shared-ca"), get(ID.appObject, "billing-db")]).toEqual([200, 200, "403 ForbiddenByRbac"]);
    expect([get(BILLING.object, "billing-db"), get(BILLING.object, "shared-ca"), get(BILLING.object, "configurable-secrets")]).toEqual([200, 200, "403 ForbiddenByRbac"]);
  });
});

describe("the stand-ins' servers close within their bound", () => {
  // A client that never hangs up (a pod whose network namespace is gone) must not hold the lab's end open.
  const listening = (server: net.Server) => new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port)));
  const connected = (port: number) => new Promise<net.Socket>((resolve) => {
    const socket = net.connect(port, "127.0.0.1", () => resolve(socket));
    socket.on("error", () => undefined);
  });

  test("closeServer ends a tracked server's open connections, and the server stops", async () => {
    const server = closable(net.createServer(() => undefined));
    const client = await connected(await listening(server));
    const ended = new Promise((resolve) => client.on("close", resolve));
    await closeServer(server, "the test's server", 2000);
    await ended;
    expect(server.listening).toBe(false);
  });

  test("an untracked server with a connection open fails with what did not close, and how long it waited", async () => {
    const server = net.createServer(() => undefined);
    const client = await connected(await listening(server));
    try {
      await expect(closeServer(server, "the test's server", 200)).rejects.toThrow("the test's server did not close within 0.2 s (untracked connections open)");
    } finally {
      client.destroy();
    }
  });
});
