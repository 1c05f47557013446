// npm run check-objects (tools/ci/existing-objects.ts): between the Key Vault and app stacks, a new
// environment whose existing objects are not imported yet stops in seconds with the import lines,
// instead of the app's rollout waiting ten minutes. Checked against the Key Vault stand-in, with the
// deployer's rights read from the synthesized Key Vault stack.
import * as crypto from "crypto";
import { loadEnvironments } from "../../config/load";
import { ExistingObjectsError, missingObjects, missingReport } from "../../tools/ci/existing-objects";
import type { VaultGet } from "../../tools/ci/vault-client";
import { VaultAccessError, waitForVaultAccess } from "../../tools/ci/vault-access";
import { resolver, vaultGrants } from "../../tools/node/azure-stand-ins/from-stacks";
import { signJwt } from "../../tools/node/azure-stand-ins/jwt";
import { KeyVaultStandIn, VAULT_RESOURCE } from "../../tools/node/azure-stand-ins/keyvault";
import { hardenedConfig, selfSignedCertificate, synthProject, type Json } from "../support/helpers";

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
  const config = loadEnvironments(project.root).environments[0];
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

describe("the first rbac-mode deploy waits for the deployer's role (npm run ci:wait-for-vault-access, run by the Key Vault stack)", () => {
  /** A vault whose only grant is the deployer's Secrets Officer role, in effect `delay` ms after the clock's start. */
  function propagating(delay: number) {
    let t = 1_900_000_000_000;
    const clock = { now: () => t, sleep: async (ms: number) => void (t += ms) };
    const start = t;
    const vault = new KeyVaultStandIn({
      name: "kv-test-prod-01",
      tenantId: TENANT,
      grants: [{ objectId: DEPLOYER, secretPermissions: ["get", "list", "set", "delete", "recover", "purge"], via: "rbac", effectiveFrom: start + delay }],
      tokenKey: entraKeys.publicKey,
      now: clock.now,
    });
    const bearer = signJwt({ aud: VAULT_RESOURCE, tid: TENANT, oid: DEPLOYER, appid: "deployer", iat: start / 1000, exp: start / 1000 + 3600 }, entraKeys.privateKey);
    const call = (method: string, path: string, body = "") => vault.handle({ method, url: new URL(`https://kv-test-prod-01.vault.azure.net${path}?api-version=7.4`), headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" }, body });
    const get: VaultGet = async (path) => {
      const response = call("GET", path);
      return { status: response.status, code: (response.body as Json)?.error?.innererror?.code };
    };
    return { clock, call, get };
  }
  const wait = { vault: "kv-test-prod-01", role: "Key Vault Secrets Officer", timeoutSeconds: 300, pollSeconds: 5 };

  test("a write before the role is in effect is Azure's 403 ForbiddenByRbac; the wait returns once it is, and the write then succeeds", async () => {
    const { clock, call, get } = propagating(42_000);
    expect([call("PUT", "/secrets/configurable-secrets", JSON.stringify({ value: "v" })).status, (call("PUT", "/secrets/configurable-secrets", JSON.stringify({ value: "v" })).body as Json).error.innererror.code]).toEqual([403, "ForbiddenByRbac"]);
    const lines: string[] = [];
    await waitForVaultAccess(wait, get, clock, (line) => lines.push(line));
    expect(lines.at(-1)).toBe("the deployer's Key Vault Secrets Officer on kv-test-prod-01 is in effect (after 10 probe(s)); writing secrets");
    expect(lines[0]).toBe("waiting for the deployer's Key Vault Secrets Officer on kv-test-prod-01 to take effect (Key Vault still answers 403 ForbiddenByRbac; RBAC propagates within minutes)...");
    expect(call("PUT", "/secrets/configurable-secrets", JSON.stringify({ value: "v" })).status).toBe(200);
  });

  test("a role never in effect stops at the deadline, saying what did not happen; a firewall refusal stops at once", async () => {
    const { clock, get } = propagating(3_600_000);
    await expect(waitForVaultAccess(wait, get, clock, () => undefined)).rejects.toThrow(
      "the deployer's Key Vault Secrets Officer on kv-test-prod-01 was not in effect after 300 s (still 403 ForbiddenByRbac): check the role assignment (az role assignment list --scope <vault id>) and deploy again",
    );
    let probes = 0;
    const firewalled: VaultGet = async () => (probes++, { status: 403, code: "ForbiddenByFirewall" });
    await expect(waitForVaultAccess(wait, firewalled, clock, () => undefined)).rejects.toThrow(VaultAccessError);
    expect(probes).toBe(1);
  });
});

test("the deploy-time vault commands sign in as aks.kubeloginMode says, never through DefaultAzureCredential's chain (which would probe the instance metadata endpoint)", () => {
  const fs = require("fs") as typeof import("fs");
  const path = require("path") as typeof import("path");
  const source = fs.readFileSync(path.join(__dirname, "..", "..", "tools", "ci", "vault-client.ts"), "utf8");
  expect(source).not.toMatch(/new\s+(identity\.)?DefaultAzureCredential/);
  expect(source).toMatch(/mode === "msi"\) return new identity\.ManagedIdentityCredential/);
});
