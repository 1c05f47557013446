// Between the Key Vault and app stacks: every object the config marks `existing` must already be in the
// vault, or the app's pods wait in FailedMount until the kubernetes provider's rollout timeout (ten
// minutes). Checked on the data plane, as the deployer, in seconds; each missing object comes with the
// exact line that imports or creates it and the right the person running it needs.
import type { EnvironmentConfig, KeyVaultAuthorization, ObjectType, SecretConfig } from "../../config/types";
import { OBJECT_COLLECTION } from "../../lib/names";
import { answerText, type VaultGet } from "./vault-client";

export class ExistingObjectsError extends Error {}

/** Who may put each type into the vault: a role on the vault (rbac) or the access-policy permissions. */
const IMPORTER_RIGHT: Record<ObjectType, Record<KeyVaultAuthorization, string>> = {
  secret: { rbac: "Key Vault Secrets Officer", accessPolicy: "secret permission Set" },
  cert: { rbac: "Key Vault Certificates Officer", accessPolicy: "certificate permission Import" },
  key: { rbac: "Key Vault Crypto Officer", accessPolicy: "key permission Import (or Create)" },
};

/** What its owner puts in the vault: a certificate fetched with its private key is the certificate's own secret, so a certificate. */
function importedAs(secret: SecretConfig): ObjectType {
  return secret.objectFormat !== undefined ? "cert" : secret.objectType;
}

/** The az line that puts the object in the vault; placeholders in <> are the importer's files. */
export function importCommand(vault: string, secret: SecretConfig): string {
  const name = secret.objectName;
  const kind = importedAs(secret);
  if (kind === "cert") return `az keyvault certificate import --vault-name ${vault} --name ${name} --file <certificate.pfx or .pem with its key>`;
  if (kind === "key") return `az keyvault key import --vault-name ${vault} --name ${name} --pem-file <key.pem>   (or create one: az keyvault key create --vault-name ${vault} --name ${name} --kty RSA --size 3072)`;
  return `az keyvault secret set --vault-name ${vault} --name ${name} --file <value file>`;
}

/** The existing objects of an environment that the vault does not have; throws when it cannot tell. */
export async function missingObjects(config: EnvironmentConfig, get: VaultGet): Promise<{ index: number; secret: SecretConfig }[]> {
  const missing: { index: number; secret: SecretConfig }[] = [];
  for (const [index, secret] of config.keyVault.secrets.entries()) {
    if (secret.source.kind !== "existing") continue;
    // A pinned version must exist as such; otherwise the latest.
    const path = `/${OBJECT_COLLECTION[secret.objectType]}/${secret.objectName}/${secret.objectVersion ?? ""}`;
    const { status, code } = await get(path);
    if (status === 200) continue;
    if (status === 404) missing.push({ index, secret });
    else if (status === 403) {
      const why = code === "ForbiddenByFirewall" ? "this machine's address is outside the vault's firewall (keyVault.allowedCidrs)" : "the deployer lacks read on it: deploy the Key Vault stack first, which grants it";
      throw new ExistingObjectsError(`cannot check keyVault.secrets[${index}] ${secret.objectName}: Key Vault answered ${answerText(status, code)} to the deployer on ${path}; ${why}`);
    } else throw new ExistingObjectsError(`cannot check keyVault.secrets[${index}] ${secret.objectName}: Key Vault answered ${answerText(status, code)} on ${path}`);
  }
  return missing;
}

/** What to tell the person deploying: each missing object, the line that imports it, the right it needs. */
export function missingReport(config: EnvironmentConfig, missing: readonly { index: number; secret: SecretConfig }[]): string[] {
  const vault = config.keyVault.name;
  const mode = config.keyVault.authorization;
  const lines = [`${missing.length} existing object(s) are not in ${vault} yet; the app's pods would wait for them in FailedMount until the rollout times out. Import each, then deploy app-${config.environment}:`];
  for (const { index, secret } of missing) {
    const pin = secret.objectVersion ? ` (version ${secret.objectVersion} pinned: import, then set objectVersion to the version Key Vault gives it)` : "";
    lines.push(`  keyVault.secrets[${index}] ${secret.objectName} (${secret.objectType})${pin}:`, `    ${importCommand(vault, secret)}`);
  }
  const rights = [...new Set(missing.map(({ secret }) => IMPORTER_RIGHT[importedAs(secret)][mode]))];
  lines.push(mode === "rbac" ? `The person importing needs ${rights.join(", ")} on ${vault} (or on the object's scope).` : `The person importing needs an access policy on ${vault} with ${rights.join(", ")}.`);
  return lines;
}
