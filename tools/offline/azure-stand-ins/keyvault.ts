// A stand-in for one Key Vault's secrets data plane, following the public REST
// API (https://<vault>.vault.azure.net/secrets/...) and refusing what Azure
// refuses, with its error codes: no bearer token gets the 401 challenge the
// SDKs sign in from; a token that is not Entra ID's for this vault's tenant
// and resource gets 401; a caller whose object ID the vault's access policies
// (or role assignments) do not give the operation gets 403. Get a secret by
// name and version, set a new version, list versions.
import * as crypto from "crypto";
import { AUTHORITY_HOST } from "./entra";
import { json, type StandInRequest, type StandInResponse } from "./http";
import { verifyJwt } from "./jwt";

export const VAULT_RESOURCE = "https://vault.azure.net";
export const VAULT_DNS_SUFFIX = "vault.azure.net";
/** What the provider's azsecrets and @azure/keyvault-secrets send; Azure serves these among others. */
export const API_VERSIONS = ["7.4", "7.5", "7.6", "2025-07-01"];

export type SecretPermission = "get" | "list" | "set" | "delete" | "recover" | "backup" | "restore" | "purge";

/** Who may do what on the vault's secrets: an access policy, or a role assignment turned into permissions. */
export interface VaultGrant {
  readonly objectId: string;
  readonly secretPermissions: readonly SecretPermission[];
  /** "accessPolicy" or the role's name, for the 403 message Azure gives each. */
  readonly via: "accessPolicy" | "rbac";
  /** A role assigned at one secret's scope covers that secret only; absent, the whole vault (as an access policy always does). */
  readonly secret?: string;
}

/** Built-in roles' secret data actions, as permissions. */
export const ROLE_PERMISSIONS: Record<string, readonly SecretPermission[]> = {
  "Key Vault Secrets User": ["get", "list"],
  "Key Vault Secrets Officer": ["get", "list", "set", "delete", "recover", "backup", "restore", "purge"],
  "Key Vault Administrator": ["get", "list", "set", "delete", "recover", "backup", "restore", "purge"],
};

const RBAC_ACTIONS: Record<SecretPermission, string> = {
  get: "Microsoft.KeyVault/vaults/secrets/getSecret/action",
  list: "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
  set: "Microsoft.KeyVault/vaults/secrets/setSecret/action",
  delete: "Microsoft.KeyVault/vaults/secrets/delete",
  recover: "Microsoft.KeyVault/vaults/secrets/recover/action",
  backup: "Microsoft.KeyVault/vaults/secrets/backup/action",
  restore: "Microsoft.KeyVault/vaults/secrets/restore/action",
  purge: "Microsoft.KeyVault/vaults/secrets/purge/action",
};

export interface VaultConfig {
  readonly name: string;
  readonly tenantId: string;
  readonly grants: readonly VaultGrant[];
  /** Verifies access tokens: the Entra ID stand-in's public key. */
  readonly tokenKey: crypto.KeyObject;
  readonly now?: () => number;
}

interface SecretVersion {
  readonly version: string;
  readonly value: string;
  readonly contentType?: string;
  readonly created: number;
  /** Set for the secret Key Vault keeps beside a certificate: the certificate's key, and managed. */
  readonly kid?: string;
}

const kvError = (status: number, code: string, message: string, inner?: string, headers: Record<string, string> = {}) =>
  json(status, { error: { code, message, ...(inner ? { innererror: { code: inner } } : {}) } }, headers);

export class KeyVaultStandIn {
  private readonly secrets = new Map<string, SecretVersion[]>();
  /** One line per answered request: method, path, caller's object ID, status. Never a value. */
  readonly audit: string[] = [];

  constructor(readonly config: VaultConfig) {}

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
    const versions = this.secrets.get(name.toLowerCase()) ?? [];
    versions.push({ version, value, contentType, created: this.seconds() });
    this.secrets.set(name.toLowerCase(), versions);
    return version;
  }

  /**
   * What importing a PEM certificate with its private key (`az keyvault certificate import`) leaves on the
   * secrets side: a managed secret of content type application/x-pem-file holding key and chain, with the
   * certificate's key ID. Its certificate and key objects are not stood in for, nor what Azure answers to a
   * set on such a managed secret.
   */
  importCertificate(name: string, pem: string): string {
    const version = crypto.randomBytes(16).toString("hex");
    const versions = this.secrets.get(name.toLowerCase()) ?? [];
    versions.push({ version, value: pem, contentType: "application/x-pem-file", created: this.seconds(), kid: `https://${this.host}/keys/${name}/${version}` });
    this.secrets.set(name.toLowerCase(), versions);
    return version;
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

  private forbidden(claims: Record<string, unknown>, permission: SecretPermission, secret: string): StandInResponse {
    const who = `appid=${claims.appid};oid=${claims.oid};iss=https://sts.windows.net/${claims.tid}/`;
    if (this.config.grants.some((g) => g.via === "rbac")) {
      return kvError(
        403,
        "Forbidden",
        `Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\nCaller: ${who}\r\nAction: '${RBAC_ACTIONS[permission]}'\r\nResource: '/vaults/${this.config.name}/secrets/${secret}'`,
        "ForbiddenByRbac",
      );
    }
    return kvError(403, "Forbidden", `The user, group or application '${who}' does not have secrets ${permission} permission on key vault '${this.config.name};location=westeurope'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287`, "AccessDenied");
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
    if (parts[0] !== "secrets" || parts.length < 2 || parts.length > 3) return kvError(404, "NotFound", `no ${request.method} ${request.url.pathname} in this stand-in`);
    const who = this.caller(request);
    if ("refused" in who) return who.refused;
    caller.oid = who.claims.oid;
    const [, name, third] = parts;
    const operation: SecretPermission | undefined =
      request.method === "GET" ? (third === "versions" ? "list" : "get") : request.method === "PUT" && parts.length === 2 ? "set" : undefined;
    if (!operation) return kvError(405, "MethodNotAllowed", `${request.method} is not allowed on ${request.url.pathname}`);
    const grant = this.config.grants.find((g) => g.objectId === who.claims.oid && g.secretPermissions.includes(operation) && (g.secret === undefined || g.secret.toLowerCase() === name.toLowerCase()));
    if (!grant) return this.forbidden(who.claims, operation, name);

    if (operation === "set") {
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
}
