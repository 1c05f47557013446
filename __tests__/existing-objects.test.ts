// npm run check-objects (tools/ci/existing-objects.ts): between the Key Vault and app stacks, a new
// environment whose existing objects are not imported yet stops in seconds with the import lines,
// instead of the app's rollout waiting ten minutes. Checked against the Key Vault stand-in, with the
// deployer's rights read from the synthesized Key Vault stack.
import * as crypto from "crypto";
import { loadEnvironments } from "../config/load";
import { ExistingObjectsError, missingObjects, missingReport, type VaultGet } from "../tools/ci/existing-objects";
import { resolver, vaultGrants } from "../tools/offline/azure-stand-ins/from-stacks";
import { signJwt } from "../tools/offline/azure-stand-ins/jwt";
import { KeyVaultStandIn, VAULT_RESOURCE } from "../tools/offline/azure-stand-ins/keyvault";
import { hardenedConfig, selfSignedCertificate, synthProject, writeProject, type Json } from "./helpers";

const TENANT = "aaaaaaaa-1111-4111-8111-111111111111";
const DEPLOYER = "ffffffff-6666-4666-8666-666666666666";
const entraKeys = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
const certificate = selfSignedCertificate();

function environment(authorization: "rbac" | "accessPolicy") {
  const prod = hardenedConfig("prod");
  prod.keyVault.authorization = authorization;
  prod.keyVault.secrets.push(
    { objectName: "web-cert", objectType: "cert", objectAlias: "web.crt", source: { existing: true } },
    { objectName: "signing", objectType: "key", objectAlias: "signing.pem", source: { existing: true } },
    { objectName: "api-token", objectType: "secret", objectAlias: "token", source: { existing: true } },
  );
  const project = synthProject({ prod });
  const config = loadEnvironments(writeProject({ prod })).environments[0];
  const keyVault = project.json("keyvault-prod");
  const upstream = Object.fromEntries(Object.keys(project.json("aks-prod").output).map((name) => [name, "00000000-0000-4000-8000-000000000001"]));
  const grants = vaultGrants(keyVault, resolver(keyVault, {}, { "aks-prod": upstream }, { object_id: DEPLOYER, tenant_id: TENANT }));
  const vault = new KeyVaultStandIn({ name: config.keyVault.name, tenantId: TENANT, grants, tokenKey: entraKeys.publicKey });
  const at = Math.floor(Date.now() / 1000);
  const bearer = signJwt({ aud: VAULT_RESOURCE, tid: TENANT, oid: DEPLOYER, appid: "deployer", iat: at, exp: at + 600 }, entraKeys.privateKey);
  const get: VaultGet = async (path) => {
    const response = vault.handle({ method: "GET", url: new URL(`https://${config.keyVault.name}.vault.azure.net${path}?api-version=7.4`), headers: { authorization: `Bearer ${bearer}` }, body: "" });
    return { status: response.status, code: (response.body as Json)?.error?.innererror?.code ?? (response.body as Json)?.error?.code };
  };
  return { config, vault, get };
}

describe.each(["rbac", "accessPolicy"] as const)("npm run check-objects with %s", (authorization) => {
  test("a new vault with none of them imported: each missing object with its az line and the importer's right, fast", async () => {
    const { config, get } = environment(authorization);
    const started = Date.now();
    const missing = await missingObjects(config, get);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(missing.map((m) => m.secret.objectName)).toEqual(["web-cert", "signing", "api-token"]);
    const report = missingReport(config, missing);
    expect(report).toEqual([
      "3 existing object(s) are not in kv-test-prod-01 yet; the app's pods would wait for them in FailedMount until the rollout times out. Import each, then deploy app-prod:",
      "  keyVault.secrets[1] web-cert (cert):",
      "    az keyvault certificate import --vault-name kv-test-prod-01 --name web-cert --file <certificate.pfx or .pem with its key>",
      "  keyVault.secrets[2] signing (key):",
      "    az keyvault key import --vault-name kv-test-prod-01 --name signing --pem-file <key.pem>   (or create one: az keyvault key create --vault-name kv-test-prod-01 --name signing --kty RSA --size 3072)",
      "  keyVault.secrets[3] api-token (secret):",
      "    az keyvault secret set --vault-name kv-test-prod-01 --name api-token --file <value file>",
      authorization === "rbac"
        ? "The person importing needs Key Vault Certificates Officer, Key Vault Crypto Officer, Key Vault Secrets Officer on kv-test-prod-01 (or on the object's scope)."
        : "The person importing needs an access policy on kv-test-prod-01 with certificate permission Import, key permission Import (or Create), secret permission Set.",
    ]);
  });

  test("once imported, nothing is missing: the deployer's own rights (granted by the Key Vault stack) can tell", async () => {
    const { config, vault, get } = environment(authorization);
    vault.importCertificate("web-cert", certificate.pem);
    vault.importKey("signing", certificate.key);
    vault.setSecret("api-token", "token value");
    expect(await missingObjects(config, get)).toEqual([]);
  });
});

test("a deployer the vault refuses is a one-line reason, not a missing object", async () => {
  const { config } = environment("rbac");
  const refused: VaultGet = async () => ({ status: 403, code: "ForbiddenByFirewall" });
  await expect(missingObjects(config, refused)).rejects.toThrow(
    new ExistingObjectsError("cannot check keyVault.secrets[1] web-cert: Key Vault answered 403 ForbiddenByFirewall to the deployer on /certificates/web-cert/; this machine's address is outside the vault's firewall (keyVault.allowedCidrs)"),
  );
});
