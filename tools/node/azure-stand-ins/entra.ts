// A stand-in for the two Microsoft Entra ID token paths the Azure provider of
// the Secrets Store CSI driver takes, following their public protocols and
// refusing what Entra ID refuses, with its error codes:
// - the managed-identity endpoint of a node (azidentity's App Service form,
//   IDENTITY_ENDPOINT + IDENTITY_HEADER): a token only for an identity
//   assigned to the node, carrying that identity's object ID;
// - the OAuth 2.0 client-credentials grant with a client assertion (workload
//   identity): the assertion must be a service-account token signed by the
//   cluster's key, whose issuer, subject and audience match a federated
//   credential of the identity named by client_id;
// plus the discovery documents MSAL reads first.
import type * as crypto from "crypto";
import { json, type StandInRequest, type StandInResponse } from "./http";
import { signJwt, jwtClaims, verifyJwt } from "./jwt";

export const AUTHORITY_HOST = "login.microsoftonline.com";
export const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";
export const GITHUB_ISSUER = "https://token.actions.githubusercontent.com";
export const CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

export interface FederatedCredential {
  readonly issuer: string;
  readonly subject: string;
  readonly audiences: readonly string[];
}

export interface Identity {
  readonly clientId: string;
  readonly objectId: string;
  /** Assigned to the nodes (the add-on's identity): the node's managed-identity endpoint may issue its tokens. */
  readonly onNodes: boolean;
  readonly federatedCredentials: readonly FederatedCredential[];
}

export interface Directory {
  readonly tenantId: string;
  readonly identities: readonly Identity[];
  /** Public keys of the OIDC issuers federated credentials trust (a cluster's service-account key), by issuer URL. */
  readonly issuerKeys: ReadonlyMap<string, crypto.KeyObject>;
  /** What this stand-in signs access tokens with; the Key Vault stand-in verifies with its public half. */
  readonly signingKey: crypto.KeyObject;
  /** The managed-identity endpoint's secret header (IDENTITY_HEADER). */
  readonly identityHeader: string;
  /** Resources tokens are issued for: "https://vault.azure.net". */
  readonly resources: readonly string[];
  readonly now?: () => number;
}

const seconds = (directory: Directory) => Math.floor((directory.now ?? Date.now)() / 1000);

/** An Entra ID error as the v2.0 endpoints answer it. */
function aadError(status: number, error: string, code: string, description: string): StandInResponse {
  return json(status, { error, error_description: `${code}: ${description}`, error_codes: [Number(code.slice(6))], timestamp: new Date().toISOString() });
}

function accessToken(directory: Directory, identity: Identity, resource: string): { token: string; expiresOn: number } {
  const now = seconds(directory);
  const expiresOn = now + 3600;
  const claims = { aud: resource, iss: `https://sts.windows.net/${directory.tenantId}/`, tid: directory.tenantId, oid: identity.objectId, sub: identity.objectId, appid: identity.clientId, idtyp: "app", iat: now, nbf: now, exp: expiresOn };
  return { token: signJwt(claims, directory.signingKey), expiresOn };
}

/** The node's managed-identity endpoint (GET <IDENTITY_ENDPOINT>?api-version=2019-08-01&resource=...&client_id=...). */
export function managedIdentityEndpoint(directory: Directory, request: StandInRequest): StandInResponse {
  if (request.headers["x-identity-header"] !== directory.identityHeader) {
    return json(401, { error: "unauthorized", error_description: "The X-IDENTITY-HEADER header is missing or not this endpoint's" });
  }
  const query = request.url.searchParams;
  if (query.get("api-version") !== "2019-08-01") return json(400, { error: "invalid_request", error_description: `api-version ${query.get("api-version")} is not supported; use 2019-08-01` });
  const resource = query.get("resource") ?? "";
  if (!directory.resources.includes(resource.replace(/\/$/, ""))) return json(400, { error: "invalid_resource", error_description: `AADSTS500011: The resource principal named ${resource} was not found in the tenant` });
  const clientId = query.get("client_id") ?? query.get("mi_res_id") ?? query.get("object_id");
  // A node holds only the identities assigned to it; with several, the caller must name one.
  const assigned = directory.identities.filter((i) => i.onNodes);
  const identity = clientId ? assigned.find((i) => i.clientId === clientId) : assigned.length === 1 ? assigned[0] : undefined;
  if (!identity) return json(400, { error: "invalid_request", error_description: "Identity not found" });
  const { token, expiresOn } = accessToken(directory, identity, resource.replace(/\/$/, ""));
  return json(200, { access_token: token, expires_on: String(expiresOn), resource, token_type: "Bearer", client_id: identity.clientId });
}

function tokenRequest(directory: Directory, tenant: string, form: URLSearchParams): StandInResponse {
  const now = seconds(directory);
  if (form.get("grant_type") !== "client_credentials") return aadError(400, "unsupported_grant_type", "AADSTS70003", `The app requested an unsupported grant type '${form.get("grant_type")}'`);
  const clientId = form.get("client_id") ?? "";
  const identity = directory.identities.find((i) => i.clientId === clientId);
  if (!identity) return aadError(400, "unauthorized_client", "AADSTS700016", `Application with identifier '${clientId}' was not found in the directory '${tenant}'`);
  // Space-separated; MSAL adds the OpenID Connect scopes, which a client-credentials grant ignores.
  const scope = form.get("scope") ?? "";
  const scopes = scope.split(" ").filter((s) => s && !["openid", "offline_access", "profile"].includes(s));
  const resource = scopes.length === 1 ? scopes[0].replace(/\/\.default$/, "") : "";
  if (scopes.length !== 1 || !scopes[0].endsWith("/.default") || !directory.resources.includes(resource)) {
    return aadError(400, "invalid_scope", "AADSTS70011", `The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid`);
  }
  if (form.get("client_assertion_type") !== CLIENT_ASSERTION_TYPE || !form.get("client_assertion")) {
    return aadError(401, "invalid_client", "AADSTS7000218", "The request body must contain the following parameter: 'client_assertion' or 'client_secret'");
  }
  const assertion = form.get("client_assertion")!;
  const unverified = jwtClaims(assertion);
  const issuer = String(unverified?.iss ?? "");
  const credentials = identity.federatedCredentials.filter((c) => c.issuer === issuer);
  if (!unverified || credentials.length === 0) return aadError(400, "invalid_client", "AADSTS700211", `No matching federated identity record found for presented assertion issuer '${issuer}'`);
  const key = directory.issuerKeys.get(issuer);
  const claims = key && verifyJwt(assertion, key);
  if (!claims) return aadError(401, "invalid_client", "AADSTS700027", "Client assertion failed signature validation");
  if (typeof claims.exp !== "number" || claims.exp < now || (typeof claims.nbf === "number" && claims.nbf > now + 300)) {
    return aadError(400, "invalid_client", "AADSTS700024", "Client assertion is not within its valid time range");
  }
  const audiences = ([] as unknown[]).concat(claims.aud ?? []).map(String);
  const bySubject = credentials.filter((c) => c.subject === claims.sub);
  if (bySubject.length === 0) return aadError(400, "invalid_client", "AADSTS700213", `No matching federated identity record found for presented assertion subject '${claims.sub}'`);
  if (!bySubject.some((c) => c.audiences.some((a) => audiences.includes(a)))) {
    return aadError(400, "invalid_client", "AADSTS700212", `No matching federated identity record found for presented assertion audience '${audiences.join(", ")}'`);
  }
  const { token } = accessToken(directory, identity, resource);
  return json(200, { token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: token });
}

/** https://login.microsoftonline.com: discovery, OpenID configuration and the v2.0 token endpoint. */
export function entraEndpoint(directory: Directory, request: StandInRequest): StandInResponse {
  const parts = request.url.pathname.split("/").filter(Boolean);
  const base = `https://${AUTHORITY_HOST}`;
  if (request.method === "GET" && request.url.pathname === "/common/discovery/instance") {
    const tenant = new URL(request.url.searchParams.get("authorization_endpoint") ?? `${base}/common/oauth2/v2.0/authorize`).pathname.split("/")[1] ?? "common";
    return json(200, {
      tenant_discovery_endpoint: `${base}/${tenant}/v2.0/.well-known/openid-configuration`,
      "api-version": "1.1",
      metadata: [{ preferred_network: AUTHORITY_HOST, preferred_cache: AUTHORITY_HOST, aliases: [AUTHORITY_HOST] }],
    });
  }
  const tenant = parts[0] ?? "";
  if (tenant !== directory.tenantId) return aadError(400, "invalid_tenant", "AADSTS90002", `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID`);
  if (request.method === "GET" && parts.slice(1).join("/") === "v2.0/.well-known/openid-configuration") {
    const root = `${base}/${tenant}`;
    return json(200, { issuer: `${root}/v2.0`, token_endpoint: `${root}/oauth2/v2.0/token`, authorization_endpoint: `${root}/oauth2/v2.0/authorize`, jwks_uri: `${root}/discovery/v2.0/keys` });
  }
  if (request.method === "POST" && parts.slice(1).join("/") === "oauth2/v2.0/token") return tokenRequest(directory, tenant, new URLSearchParams(request.body));
  return json(404, { error: "not_found", error_description: `no ${request.method} ${request.url.pathname} here` });
}
