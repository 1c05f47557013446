// A stand-in for one Key Vault's data plane, following the public REST API
// (https://<vault>.vault.azure.net/secrets|certificates|keys/...) and refusing
// what Azure refuses, with its error codes: no bearer token gets the 401
// challenge the SDKs sign in from; a token that is not Entra ID's for this
// vault's tenant and resource gets 401; a caller whose object ID the vault's
// access policies (or role assignments) do not give the operation gets 403.
// Get a secret by name and version, set a new version, list versions; get a
// certificate or a key (its public part) and list their versions.
import * as crypto from "crypto";
import { AUTHORITY_HOST } from "./entra";
import { json, type StandInRequest, type StandInResponse } from "./http";
import { verifyJwt } from "./jwt";

export const VAULT_RESOURCE = "https://vault.azure.net";
export const VAULT_DNS_SUFFIX = "vault.azure.net";
/** What the provider's azsecrets and @azure/keyvault-secrets send; Azure serves these among others. */
export const API_VERSIONS = ["7.4", "7.5", "7.6", "2025-07-01"];

export type SecretPermission = "get" | "list" | "set" | "delete" | "recover" | "backup" | "restore" | "purge";
/** What this stand-in serves of certificates and keys: reading. */
export type ReadPermission = "get" | "list";
export type Collection = "secrets" | "certificates" | "keys";

/** Who may do what on the vault's objects: an access policy, or a role assignment turned into permissions. */
export interface VaultGrant {
  readonly objectId: string;
  readonly secretPermissions: readonly SecretPermission[];
  readonly certificatePermissions?: readonly ReadPermission[];
  readonly keyPermissions?: readonly ReadPermission[];
  /** "accessPolicy" or the role's name, for the 403 message Azure gives each. */
  readonly via: "accessPolicy" | "rbac";
  /** A role assigned at one object's scope (`<vault id>/<collection>/<name>`) covers that object only; absent, the whole vault (as an access policy always does). */
  readonly scope?: { readonly collection: Collection; readonly name: string };
  /** A role assignment counts from this time on (ms, the vault's clock): Azure RBAC propagates after a delay; access policies apply at once. */
  readonly effectiveFrom?: number;
}

type RolePermissions = Pick<VaultGrant, "secretPermissions" | "certificatePermissions" | "keyPermissions">;
const ALL_SECRET: readonly SecretPermission[] = ["get", "list", "set", "delete", "recover", "backup", "restore", "purge"];
/** Built-in roles' data actions on what this stand-in serves, as permissions. */
export const ROLE_PERMISSIONS: Record<string, RolePermissions> = {
  "Key Vault Secrets User": { secretPermissions: ["get", "list"] },
  "Key Vault Secrets Officer": { secretPermissions: ALL_SECRET },
  "Key Vault Administrator": { secretPermissions: ALL_SECRET, certificatePermissions: ["get", "list"], keyPermissions: ["get", "list"] },
  // certificates/read, keys/read and reading the certificate's secret.
  "Key Vault Certificate User": { secretPermissions: ["get", "list"], certificatePermissions: ["get", "list"], keyPermissions: ["get", "list"] },
  // vaults/*/read and secrets/readMetadata: a key's or certificate's public part, a secret's attributes, no value.
  "Key Vault Reader": { secretPermissions: ["list"], certificatePermissions: ["get", "list"], keyPermissions: ["get", "list"] },
  // keys/read and the cryptographic operations, which are not stood in for.
  "Key Vault Crypto User": { secretPermissions: [], keyPermissions: ["get", "list"] },
};

const RBAC_ACTIONS: Record<Collection, Partial<Record<SecretPermission, string>>> = {
  secrets: {
    get: "Microsoft.KeyVault/vaults/secrets/getSecret/action",
    list: "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
    set: "Microsoft.KeyVault/vaults/secrets/setSecret/action",
    delete: "Microsoft.KeyVault/vaults/secrets/delete",
    recover: "Microsoft.KeyVault/vaults/secrets/recover/action",
    backup: "Microsoft.KeyVault/vaults/secrets/backup/action",
    restore: "Microsoft.KeyVault/vaults/secrets/restore/action",
    purge: "Microsoft.KeyVault/vaults/secrets/purge/action",
  },
  certificates: { get: "Microsoft.KeyVault/vaults/certificates/read", list: "Microsoft.KeyVault/vaults/certificates/read" },
  keys: { get: "Microsoft.KeyVault/vaults/keys/read", list: "Microsoft.KeyVault/vaults/keys/read" },
};

const lower = <T extends string>(permissions: readonly string[] | undefined) => (permissions ?? []).map((p) => p.toLowerCase() as T);

/** An access policy's rights as a grant, whatever case its permissions are written in; of certificates and keys, the Get and List this stand-in serves. */
export function accessPolicyGrant(objectId: string, permissions: { secrets?: readonly string[]; certificates?: readonly string[]; keys?: readonly string[] }): VaultGrant {
  const read = (list: readonly string[] | undefined) => lower<ReadPermission>(list).filter((x) => x === "get" || x === "list");
  return { objectId, secretPermissions: lower<SecretPermission>(permissions.secrets), certificatePermissions: read(permissions.certificates), keyPermissions: read(permissions.keys), via: "accessPolicy" };
}

/** Reading a deleted secret needs list, purging it purge, recovering it recover (Key Vault's REST reference). */
function deletedSecretOperation(method: string, third: string | undefined): SecretPermission | undefined {
  if (method === "GET" && !third) return "list";
  if (method === "DELETE" && !third) return "purge";
  if (method === "POST" && third === "recover") return "recover";
  return undefined;
}

const permissionsIn = (grant: VaultGrant, collection: Collection): readonly string[] =>
  (collection === "secrets" ? grant.secretPermissions : collection === "certificates" ? grant.certificatePermissions : grant.keyPermissions) ?? [];

export interface VaultConfig {
  readonly name: string;
  readonly tenantId: string;
  readonly grants: readonly VaultGrant[];
  /** Verifies access tokens: the Entra ID stand-in's public key. */
  readonly tokenKey: crypto.KeyObject;
  readonly now?: () => number;
  /** Read at each request, where the grants follow an applied vault (the ARM stand-in's); else `grants`. */
  readonly liveGrants?: () => readonly VaultGrant[];
  /** The vault's permission model, read at each request: which 403 Azure answers. Default: rbac when any grant is. */
  readonly mode?: () => "accessPolicy" | "rbac";
}

/** A certificate's public part (DER) or a key's public JWK, beside the secret Key Vault keeps for a certificate. */
interface ObjectVersion {
  readonly version: string;
  readonly created: number;
  readonly cer?: Buffer;
  readonly jwk?: crypto.JsonWebKey;
}

interface SecretVersion {
  readonly version: string;
  readonly value: string;
  readonly contentType?: string;
  readonly created: number;
  /** Set for the secret Key Vault keeps beside a certificate: the certificate's key, and managed. */
  readonly kid?: string;
}

/** The public half of a PEM's private key, as the JWK Key Vault returns: never the private part. */
const publicJwk = (pem: string) => crypto.createPublicKey(crypto.createPrivateKey(pem)).export({ format: "jwk" });

const kvError = (status: number, code: string, message: string, inner?: string, headers: Record<string, string> = {}) =>
  json(status, { error: { code, message, ...(inner ? { innererror: { code: inner } } : {}) } }, headers);

export class KeyVaultStandIn {
  private readonly secrets = new Map<string, SecretVersion[]>();
  private readonly certificates = new Map<string, ObjectVersion[]>();
  private readonly keys = new Map<string, ObjectVersion[]>();
  /** Deleted secrets (soft delete): recoverable or purgeable by name, their versions kept. */
  private readonly deletedSecrets = new Map<string, { versions: SecretVersion[]; deleted: number }>();
  /** One line per answered request: method, path, caller's object ID, status. Never a value. */
  readonly audit: string[] = [];

  constructor(readonly config: VaultConfig) {}

  /** Whether the vault holds an object (a role assignment at its scope needs it). */
  has(collection: Collection, name: string): boolean {
    return (collection === "secrets" ? this.secrets : this.objectsOf(collection)).has(name.toLowerCase());
  }

  private objectsOf(collection: "certificates" | "keys"): Map<string, ObjectVersion[]> {
    return collection === "certificates" ? this.certificates : this.keys;
  }

  private grants(): readonly VaultGrant[] {
    return this.config.liveGrants?.() ?? this.config.grants;
  }

  get host(): string {
    return `${this.config.name}.${VAULT_DNS_SUFFIX}`;
  }

  private seconds(): number {
    return Math.floor((this.config.now ?? Date.now)() / 1000);
  }

  /**
   * What a deploy (Terraform's write) or `az keyvault secret set` leaves: a new version. Key Vault makes
   * the version ID up; `version` is for a lab that must name it before the write (a pin synthesized first).
   */
  setSecret(name: string, value: string, contentType?: string, version = crypto.randomBytes(16).toString("hex")): string {
    this.push(this.secrets, name, { version, value, contentType, created: this.seconds() });
    return version;
  }

  /**
   * What importing a PEM certificate with its private key (`az keyvault certificate import`) leaves, all
   * under one version ID as Azure does: the certificate (its public part), its key (the public part is what
   * a reader gets) and a managed secret of content type application/x-pem-file holding key and chain. What
   * Azure answers to a set on such a managed secret is not stood in for.
   */
  importCertificate(name: string, pem: string): string {
    const version = crypto.randomBytes(16).toString("hex");
    // OpenSSL reads the PEM's first certificate, past the key block; no certificate throws.
    const cer = new crypto.X509Certificate(pem).raw;
    const created = this.seconds();
    this.push(this.secrets, name, { version, value: pem, contentType: "application/x-pem-file", created, kid: `https://${this.host}/keys/${name}/${version}` });
    this.push(this.certificates, name, { version, created, cer });
    this.push(this.keys, name, { version, created, jwk: publicJwk(pem) });
    return version;
  }

  /** What importing a key (`az keyvault key import --pem-file`) leaves: a new version of the key. */
  importKey(name: string, privateKeyPem: string): string {
    const version = crypto.randomBytes(16).toString("hex");
    this.push(this.keys, name, { version, created: this.seconds(), jwk: publicJwk(privateKeyPem) });
    return version;
  }

  private push<T>(store: Map<string, T[]>, name: string, version: T): void {
    store.set(name.toLowerCase(), [...(store.get(name.toLowerCase()) ?? []), version]);
  }

  private bundle(name: string, v: SecretVersion, withValue: boolean) {
    const attributes = { enabled: true, created: v.created, updated: v.created, recoveryLevel: "Recoverable+Purgeable", recoverableDays: 90 };
    return {
      ...(withValue ? { value: v.value } : {}),
      id: `https://${this.host}/secrets/${name}/${v.version}`,
      ...(v.contentType ? { contentType: v.contentType } : {}),
      ...(v.kid ? { kid: v.kid, managed: true } : {}),
      attributes,
      tags: {},
    };
  }

  private challenge(message: string): StandInResponse {
    const header = `Bearer authorization="https://${AUTHORITY_HOST}/${this.config.tenantId}", resource="${VAULT_RESOURCE}"`;
    return kvError(401, "Unauthorized", message, undefined, { "WWW-Authenticate": header });
  }

  /** The caller's claims, or the 401 Azure answers. */
  private caller(request: StandInRequest): { claims: Record<string, unknown> } | { refused: StandInResponse } {
    const header = request.headers.authorization ?? "";
    if (!/^Bearer \S+$/i.test(header)) return { refused: this.challenge("AKV10000: Request is missing a Bearer or PoP token.") };
    const claims = verifyJwt(header.slice(7), this.config.tokenKey);
    if (!claims) return { refused: this.challenge("AKV10004: Signature validation failed.") };
    if (String(claims.aud).replace(/\/$/, "") !== VAULT_RESOURCE) return { refused: this.challenge(`AKV10022: Invalid audience. Expected ${VAULT_RESOURCE}, found: ${claims.aud}.`) };
    if (claims.tid !== this.config.tenantId) {
      return { refused: this.challenge(`AKV10032: Invalid issuer. Expected one of https://sts.windows.net/${this.config.tenantId}/, found https://sts.windows.net/${claims.tid}/.`) };
    }
    if (typeof claims.exp !== "number" || claims.exp < this.seconds()) return { refused: this.challenge("AKV10016: Bearer token is expired.") };
    return { claims };
  }

  private forbidden(claims: Record<string, unknown>, collection: Collection, permission: SecretPermission, name: string): StandInResponse {
    const who = `appid=${claims.appid};oid=${claims.oid};iss=https://sts.windows.net/${claims.tid}/`;
    if ((this.config.mode?.() ?? (this.grants().some((g) => g.via === "rbac") ? "rbac" : "accessPolicy")) === "rbac") {
      return kvError(
        403,
        "Forbidden",
        `Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nCaller: ${who}\r\nAction: '${RBAC_ACTIONS[collection][permission]}'\r\nResource: '/vaults/${this.config.name}/${collection}/${name}'`,
        "ForbiddenByRbac",
      );
    }
    return kvError(403, "Forbidden", `The user, group or application '${who}' does not have ${collection} ${permission} permission on key vault '${this.config.name};location=westeurope'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287`, "AccessDenied");
  }

  handle(request: StandInRequest): StandInResponse {
    const caller: { oid?: unknown } = {};
    const response = this.answer(request, caller);
    this.audit.push(`${request.method} ${request.url.pathname} oid=${caller.oid ?? "-"} -> ${response.status}`);
    return response;
  }

  private answer(request: StandInRequest, caller: { oid?: unknown }): StandInResponse {
    const apiVersion = request.url.searchParams.get("api-version");
    if (!apiVersion) return kvError(400, "BadParameter", "The request URI contains an invalid or missing api-version.");
    if (!API_VERSIONS.includes(apiVersion)) return kvError(400, "BadParameter", `The specified version (${apiVersion}) is not recognized. Consider using the latest supported version (${API_VERSIONS.at(-1)}).`);
    const parts = request.url.pathname.split("/").filter(Boolean);
    const deleted = parts[0] === "deletedsecrets";
    const collection = (deleted ? "secrets" : parts[0]) as Collection;
    if (!["secrets", "certificates", "keys"].includes(collection) || parts.length < 2 || parts.length > 3) return kvError(404, "NotFound", `no ${request.method} ${request.url.pathname} in this stand-in`);
    const who = this.caller(request);
    if ("refused" in who) return who.refused;
    caller.oid = who.claims.oid;
    const [, name, third] = parts;
    const operation: SecretPermission | undefined = deleted
      ? deletedSecretOperation(request.method, third)
      : request.method === "GET"
        ? third === "versions" ? "list" : "get"
        : request.method === "PUT" && parts.length === 2 && collection === "secrets" ? "set" : request.method === "DELETE" && parts.length === 2 && collection === "secrets" ? "delete" : undefined;
    if (!operation) return kvError(405, "MethodNotAllowed", `${request.method} is not allowed on ${request.url.pathname}`);
    const covers = (g: VaultGrant) => g.scope === undefined || (g.scope.collection === collection && g.scope.name.toLowerCase() === name.toLowerCase());
    const effective = (g: VaultGrant) => g.effectiveFrom === undefined || (this.config.now ?? Date.now)() >= g.effectiveFrom;
    const grant = this.grants().find((g) => g.objectId === who.claims.oid && permissionsIn(g, collection).includes(operation) && covers(g) && effective(g));
    if (!grant) return this.forbidden(who.claims, collection, operation, name);
    if (collection !== "secrets") return this.readObject(collection, name, third);
    if (deleted) return this.deletedSecret(operation, name);
    if (operation === "delete") return this.deleteSecret(name);

    if (operation === "set") {
      if (this.deletedSecrets.has(name.toLowerCase())) {
        return kvError(409, "Conflict", `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`, "ObjectIsDeletedButRecoverable");
      }
      let body: { value?: unknown; contentType?: unknown };
      try {
        body = JSON.parse(request.body);
      } catch {
        return kvError(400, "BadParameter", "The request body is not valid JSON.");
      }
      if (typeof body.value !== "string") return kvError(400, "BadParameter", "Property value is required.");
      if (!/^[0-9a-zA-Z-]{1,127}$/.test(name)) return kvError(400, "BadParameter", "The request URI contains an invalid name: " + name);
      this.setSecret(name, body.value, typeof body.contentType === "string" ? body.contentType : undefined);
      return json(200, this.bundle(name, this.secrets.get(name.toLowerCase())!.at(-1)!, true));
    }
    const versions = this.secrets.get(name.toLowerCase());
    const notFound = () => kvError(404, "SecretNotFound", `A secret with (name/id) ${name}${third && third !== "versions" ? `/${third}` : ""} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command.`);
    if (!versions) return notFound();
    if (operation === "list") return json(200, { value: [...versions].reverse().map((v) => this.bundle(name, v, false)), nextLink: null });
    const found = third ? versions.find((v) => v.version === third) : versions.at(-1);
    return found ? json(200, this.bundle(name, found, true)) : notFound();
  }

  /** DELETE /secrets/<name>: soft delete, as every vault has it; the name stays taken until purged or recovered. */
  private deleteSecret(name: string): StandInResponse {
    const versions = this.secrets.get(name.toLowerCase());
    if (!versions) return kvError(404, "SecretNotFound", `A secret with (name/id) ${name} was not found in this key vault.`);
    this.secrets.delete(name.toLowerCase());
    this.deletedSecrets.set(name.toLowerCase(), { versions, deleted: this.seconds() });
    return json(200, this.deletedBundle(name));
  }

  private deletedBundle(name: string) {
    const entry = this.deletedSecrets.get(name.toLowerCase())!;
    return { ...this.bundle(name, entry.versions.at(-1)!, false), recoveryId: `https://${this.host}/deletedsecrets/${name}`, deletedDate: entry.deleted, scheduledPurgeDate: entry.deleted + 90 * 86_400 };
  }

  /** GET /deletedsecrets/<name>, DELETE it (purge), POST .../recover. */
  private deletedSecret(operation: SecretPermission, name: string): StandInResponse {
    const entry = this.deletedSecrets.get(name.toLowerCase());
    if (!entry) return kvError(404, "SecretNotFound", `Deleted Secret not found: ${name}`);
    if (operation === "list") return json(200, this.deletedBundle(name));
    this.deletedSecrets.delete(name.toLowerCase());
    if (operation === "purge") return { status: 204 };
    this.secrets.set(name.toLowerCase(), entry.versions);
    return json(200, this.bundle(name, entry.versions.at(-1)!, false));
  }

  /** A certificate's bundle (its DER as base64) or a key's (its public JWK), or their versions. */
  private readObject(collection: "certificates" | "keys", name: string, third: string | undefined): StandInResponse {
    const versions = this.objectsOf(collection).get(name.toLowerCase());
    const what = collection === "certificates" ? "Certificate" : "Key";
    const notFound = () => kvError(404, `${what}NotFound`, `A ${what.toLowerCase()} with (name/id) ${name}${third && third !== "versions" ? `/${third}` : ""} was not found in this key vault. If you recently deleted this ${what.toLowerCase()} you may be able to recover it using the correct recovery command.`);
    if (!versions) return notFound();
    const id = (v: ObjectVersion) => `https://${this.host}/${collection}/${name}/${v.version}`;
    const attributes = (v: ObjectVersion) => ({ enabled: true, created: v.created, updated: v.created, recoveryLevel: "Recoverable+Purgeable", recoverableDays: 90 });
    if (third === "versions") {
      return json(200, { value: [...versions].reverse().map((v) => (collection === "certificates" ? { id: id(v), attributes: attributes(v) } : { kid: id(v), attributes: attributes(v) })), nextLink: null });
    }
    const v = third ? versions.find((candidate) => candidate.version === third) : versions.at(-1);
    if (!v) return notFound();
    if (collection === "keys") return json(200, { key: { ...v.jwk, kid: id(v), key_ops: ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"] }, attributes: attributes(v), tags: {} });
    return json(200, {
      id: id(v),
      kid: `https://${this.host}/keys/${name}/${v.version}`,
      sid: `https://${this.host}/secrets/${name}/${v.version}`,
      x5t: crypto.createHash("sha1").update(v.cer!).digest("base64url"),
      cer: v.cer!.toString("base64"),
      attributes: attributes(v),
      tags: {},
    });
  }
}
