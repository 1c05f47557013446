// A stand-in for Azure Resource Manager, for the resource types the stacks create, at the API versions
// the toolchain's azurerm build calls. It follows ARM's public REST shapes: PUT creates or updates and
// answers the resource, GET reads it or 404s with ResourceNotFound (ResourceGroupNotFound for a missing
// group), DELETE removes it; long-running operations finish at once (provisioningState Succeeded). It
// holds only what clients wrote: the subscription is the one the deployer was given, and everything
// else exists because a PUT made it. What Azure assigns, it assigns (an identity's client and
// principal IDs, a cluster's OIDC issuer), and what Azure refuses, it refuses with Azure's status and
// error code (a name outside the type's rules, a parent that does not exist, a vault name taken,
// including by a soft-deleted vault). The metadata document (/metadata/endpoints) is what azurerm
// reads for a custom cloud (metadata_host), naming this host, the Entra ID stand-in and the vault suffix.
import * as crypto from "crypto";
import { AUTHORITY_HOST } from "./entra";
import { json, type StandInRequest, type StandInResponse } from "./http";
import { verifyJwt } from "./jwt";
import { VAULT_DNS_SUFFIX } from "./keyvault";
import { BUILT_IN_ROLES, resourceTypes, roleDefinition, roleNameOf, type KubeconfigFor, type ResourceType, type Stored } from "./arm-types";

export const ARM_HOST = "management.azure.com";
export const ARM_RESOURCE = `https://${ARM_HOST}`;

export interface ArmConfig {
  readonly subscriptionId: string;
  readonly tenantId: string;
  /** Verifies access tokens: the Entra ID stand-in's public key. */
  readonly tokenKey: crypto.KeyObject;
  /** The cluster OIDC issuer URL a managed cluster gets when it enables the issuer (the lab API server's). */
  readonly oidcIssuerUrl?: (cluster: Stored) => string;
  /** Principals the directory held before any deploy (the deployer); those ARM creates are added. */
  readonly principals: readonly string[];
  /** Whether a scope outside ARM's resources exists (a vault's object, held by its data plane). */
  readonly scopeExists?: (id: string) => boolean;
  /** The kubeconfig a cluster's credential listing answers. */
  readonly kubeconfig: KubeconfigFor;
  /**
   * Whether a new cluster's control plane answers yet (the lab's API server started): until then its
   * creation's operation stays InProgress, as AKS's does for minutes. Without it, creation finishes at once.
   */
  readonly clusterReady?: (cluster: Stored) => boolean;
  readonly now?: () => number;
}

/** An ARM error body: { error: { code, message } }. */
export const armError = (status: number, code: string, message: string): StandInResponse => json(status, { error: { code, message } });

/** What the metadata endpoint answers (GET /metadata/endpoints?api-version=2022-09-01), as Azure Stack's does. */
export function metadataEndpoints(): unknown {
  return {
    name: "AzureLab",
    portal: `https://portal.${ARM_HOST}/`,
    resourceManager: `${ARM_RESOURCE}/`,
    authentication: { loginEndpoint: `https://${AUTHORITY_HOST}/`, audiences: [`${ARM_RESOURCE}/`], tenant: "common", identityProvider: "AAD" },
    suffixes: { keyVaultDns: VAULT_DNS_SUFFIX, storage: "core.windows.net", acrLoginServer: "azurecr.io" },
    microsoftGraphResourceId: "https://graph.microsoft.com/",
    logAnalyticsResourceId: "https://api.loganalytics.io",
  };
}

/** Resource providers a subscription starts with registered, as a new Azure subscription does; the rest start NotRegistered. */
const REGISTERED_AT_START = ["Microsoft.Resources", "Microsoft.Authorization"];

export class ArmStandIn {
  /** Every resource by lower-case ID. */
  readonly resources = new Map<string, Stored>();
  /** Soft-deleted vaults by lower-case name (Microsoft.KeyVault/deletedVaults). */
  readonly deletedVaults = new Map<string, Stored>();
  /** Soft-deleted Log Analytics workspaces by lower-case ID (Microsoft.OperationalInsights/deletedWorkspaces), for 14 days. */
  readonly deletedWorkspaces = new Map<string, Stored>();
  /** Long-running operations by ID: when each started, and whether it is done yet (most are once answered). */
  private readonly operations = new Map<string, { started: string; done: () => boolean }>();
  private readonly registered = new Set(REGISTERED_AT_START.map((n) => n.toLowerCase()));
  /** One line per answered request: method, path, status. Never a body. */
  readonly audit: string[] = [];

  readonly types: readonly ResourceType[];

  constructor(readonly config: ArmConfig) {
    this.types = resourceTypes({ principals: (id) => this.principals().includes(id), kubeconfig: config.kubeconfig });
  }

  /** The identities AKS assigns to each cluster's nodes: its kubelet's and each add-on's. */
  nodeIdentities(): { clientId: string; objectId: string }[] {
    return this.ofType("Microsoft.ContainerService/managedClusters").flatMap((c) => {
      const p = c.body.properties;
      return [p.identityProfile?.kubeletidentity, ...Object.values(p.addonProfiles ?? {}).map((a) => (a as { identity?: { clientId: string; objectId: string } }).identity)].filter(
        (x): x is { clientId: string; objectId: string } => Boolean(x),
      );
    });
  }

  /**
   * Every principal in the directory: the given ones, plus each identity ARM created: user-assigned
   * identities, a cluster's system-assigned identity, its nodes' identities.
   */
  principals(): string[] {
    const userAssigned = this.ofType("Microsoft.ManagedIdentity/userAssignedIdentities").map((r) => r.body.properties.principalId);
    const systemAssigned = [...this.resources.values()].map((r) => r.body.identity?.principalId);
    const created = [...userAssigned, ...systemAssigned, ...this.nodeIdentities().map((i) => i.objectId)];
    return [...this.config.principals, ...created.filter((x): x is string => typeof x === "string")];
  }

  /** The stored key of a resource group's ID. */
  groupKey(group: string): string {
    return `/subscriptions/${this.config.subscriptionId}/resourcegroups/${group}`.toLowerCase();
  }

  now(): number {
    return (this.config.now ?? Date.now)();
  }

  handle(request: StandInRequest): StandInResponse {
    const response = this.answer(request);
    this.audit.push(`${new Date(this.now()).toISOString().slice(11, 23)} ${request.method} ${request.url.pathname} -> ${response.status}`);
    return response;
  }

  /** Resources of a type (e.g. "Microsoft.ManagedIdentity/userAssignedIdentities"). */
  ofType(type: string): Stored[] {
    return [...this.resources.values()].filter((r) => r.type.toLowerCase() === type.toLowerCase());
  }

  private answer(request: StandInRequest): StandInResponse {
    const path = request.url.pathname.replace(/\/+$/, "");
    if (request.method === "GET" && path === "/metadata/endpoints") return json(200, metadataEndpoints());
    const who = this.caller(request);
    if ("refused" in who) return who.refused;
    const apiVersion = request.url.searchParams.get("api-version");
    if (!apiVersion) return armError(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
    const sub = /^\/subscriptions\/([^/]+)(\/.*)?$/i.exec(path);
    if (!sub) return armError(404, "InvalidResourceType", `no ${request.method} ${path} in this stand-in`);
    if (sub[1].toLowerCase() !== this.config.subscriptionId.toLowerCase()) return armError(404, "SubscriptionNotFound", `The subscription '${sub[1]}' could not be found.`);
    const rest = sub[2] ?? "";
    const providers = /^\/providers(?:\/([^/]+))?(\/register)?$/i.exec(rest);
    if (providers) return this.resourceProviders(request.method, providers[1], Boolean(providers[2]));
    if (/^\/resources$/i.test(rest) && request.method === "GET") return this.listResources(request.url.searchParams.get("$filter"));
    const groupResources = /^\/resourcegroups\/([^/]+)\/resources$/i.exec(rest);
    if (groupResources && request.method === "GET") return this.listGroup(groupResources[1]);
    const operation = /^\/providers\/[^/]+\/locations\/[^/]+\/operationStatuses\/([^/]+)$/i.exec(rest);
    if (operation && request.method === "GET") {
      const known = this.operations.get(operation[1]);
      if (!known) return armError(404, "NotFound", `The operation '${operation[1]}' was not found.`);
      if (!known.done()) return json(200, { id: path, name: operation[1], status: "InProgress", startTime: known.started }, { "Retry-After": "1" });
      return json(200, { id: path, name: operation[1], status: "Succeeded", startTime: known.started, endTime: known.started });
    }
    const deletedVault = /^\/providers\/Microsoft\.KeyVault\/locations\/([^/]+)\/deletedVaults\/([^/]+)(\/purge)?$/i.exec(rest);
    if (deletedVault) return this.deletedVault(request.method, deletedVault[1], deletedVault[2], Boolean(deletedVault[3]), apiVersion);
    if (/^\/providers\/Microsoft\.OperationalInsights\/deletedWorkspaces$/i.test(rest) && request.method === "GET") {
      return json(200, { value: [...this.deletedWorkspaces.values()].map((w) => w.body) });
    }
    const roles = /\/providers\/Microsoft\.Authorization\/roleDefinitions(?:\/([^/]+))?$/i.exec(rest);
    if (roles && request.method === "GET") return this.roleDefinitions(roles[1], request.url.searchParams.get("$filter"));
    return this.resource(request, path, apiVersion);
  }

  private caller(request: StandInRequest): { claims: Record<string, unknown> } | { refused: StandInResponse } {
    const header = request.headers.authorization ?? "";
    if (!header.startsWith("Bearer ")) return { refused: armError(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.") };
    const claims = verifyJwt(header.slice(7), this.config.tokenKey);
    if (!claims) return { refused: armError(401, "InvalidAuthenticationToken", "The access token is invalid.") };
    if (String(claims.aud).replace(/\/$/, "") !== ARM_RESOURCE) return { refused: armError(401, "InvalidAuthenticationTokenAudience", `The access token has been obtained for wrong audience or resource '${String(claims.aud)}'.`) };
    if (typeof claims.exp === "number" && claims.exp * 1000 < this.now()) return { refused: armError(401, "ExpiredAuthenticationToken", "The access token expiry UTC time is earlier than current UTC time.") };
    if (claims.tid !== this.config.tenantId) return { refused: armError(401, "InvalidAuthenticationTokenTenant", `The access token is from the wrong issuer '${String(claims.iss)}'.`) };
    return { claims };
  }

  private resourceProviders(method: string, namespace: string | undefined, register: boolean): StandInResponse {
    // Namespaces of the types served, plus those the stacks register whose types Azure uses on their behalf (AKS's VMs and disks).
    const known = [...new Set([...this.types.map((t) => t.type.split("/")[0]), "Microsoft.Compute", "Microsoft.Storage"])];
    const state = (ns: string) => ({ id: `/subscriptions/${this.config.subscriptionId}/providers/${ns}`, namespace: ns, registrationState: this.registered.has(ns.toLowerCase()) ? "Registered" : "NotRegistered" });
    if (!namespace) return method === "GET" ? json(200, { value: known.map(state) }) : armError(405, "MethodNotAllowed", `${method} is not allowed`);
    const ns = known.find((k) => k.toLowerCase() === namespace.toLowerCase());
    if (!ns) return armError(404, "InvalidResourceNamespace", `The resource namespace '${namespace}' is invalid.`);
    if (register && method === "POST") this.registered.add(ns.toLowerCase());
    else if (register || method !== "GET") return armError(405, "MethodNotAllowed", `${method} is not allowed`);
    return json(200, state(ns));
  }

  /** A soft-deleted vault: read it, or purge it (refused under purge protection, which only time ends). */
  private deletedVault(method: string, location: string, name: string, purge: boolean, apiVersion: string): StandInResponse {
    const deleted = this.deletedVaults.get(name.toLowerCase());
    const here = deleted && String(deleted.body.properties.location).toLowerCase() === location.toLowerCase() ? deleted : undefined;
    if (!here) return armError(404, "DeletedVaultNotFound", `The deleted vault '${name}' in location '${location}' was not found.`);
    if (!purge) return method === "GET" ? json(200, here.body) : armError(405, "MethodNotAllowed", `${method} is not allowed`);
    if (method !== "POST") return armError(405, "MethodNotAllowed", `${method} is not allowed`);
    if (here.body.properties.purgeProtectionEnabled) {
      return armError(409, "Conflict", `The vault '${name}' has purge protection enabled and cannot be purged until ${here.body.properties.scheduledPurgeDate}.`);
    }
    this.deletedVaults.delete(name.toLowerCase());
    return json(202, "", this.asyncOperation({ ...here, type: "Microsoft.KeyVault/deletedVaults", body: { location } }, apiVersion));
  }

  /** Built-in role definitions: Azure's catalog, listed by `roleName eq '<name>'` or read by ID. */
  private roleDefinitions(guid: string | undefined, filter: string | null): StandInResponse {
    const names = Object.keys(BUILT_IN_ROLES);
    if (guid) {
      const name = roleNameOf(guid);
      return name ? json(200, roleDefinition(this, name)) : armError(404, "RoleDefinitionDoesNotExist", `The role definition '${guid}' could not be found.`);
    }
    const wanted = filter ? /^roleName eq '(.+)'$/.exec(filter)?.[1] : undefined;
    if (filter && wanted === undefined) return armError(400, "InvalidFilterInQueryString", `The filter '${filter}' is not supported here; use roleName eq '<name>'.`);
    return json(200, { value: names.filter((n) => wanted === undefined || n.toLowerCase() === wanted.toLowerCase()).map((n) => roleDefinition(this, n)) });
  }

  private listGroup(group: string): StandInResponse {
    const groupId = this.groupKey(group);
    if (!this.resources.has(groupId)) return armError(404, "ResourceGroupNotFound", `Resource group '${group}' could not be found.`);
    const value = [...this.resources.values()].filter((r) => r.id.toLowerCase().startsWith(`${groupId}/providers/`) && r.parentId === undefined);
    return json(200, { value: value.map((r) => ({ id: r.id, name: r.name, type: r.type, location: r.body.location })) });
  }

  private resource(request: StandInRequest, path: string, apiVersion: string): StandInResponse {
    if (request.method === "POST") return this.action(request, path);
    const match = matchType(this.types, path);
    if (!match && request.method === "GET") {
      const listed = this.list(path);
      if (listed) return listed;
    }
    if (!match) return armError(400, "InvalidResourceType", `The resource type could not be found for ${path}.`);
    const { type, name, parentId, groupName } = match;
    if (!type.apiVersions.includes(apiVersion)) {
      return armError(400, "NoRegisteredProviderFound", `No registered resource provider found for location and API version '${apiVersion}' and type '${type.type}'. The supported api-versions are '${type.apiVersions.join(", ")}'.`);
    }
    const id = path;
    const key = id.toLowerCase();
    const existing = this.resources.get(key);
    if (request.method === "GET") return existing ? json(200, existing.body) : notFound(type, name, groupName, this);
    if (request.method === "HEAD") return { status: existing ? 204 : 404 };
    if (request.method === "DELETE") return this.remove(type, key, existing);
    if (request.method !== "PUT" && request.method !== "PATCH") return armError(405, "MethodNotAllowed", `${request.method} is not allowed on ${type.type}`);

    const problem = type.nameRule(name);
    if (problem) return armError(400, problem.code, problem.message);
    if (groupName !== undefined && type.type !== "Microsoft.Resources/resourceGroups" && !this.resources.has(this.groupKey(groupName))) {
      return armError(404, "ResourceGroupNotFound", `Resource group '${groupName}' could not be found.`);
    }
    if (parentId !== undefined && !this.resources.has(parentId.toLowerCase()) && !this.config.scopeExists?.(parentId)) return armError(404, type.parentMissingCode ?? "ParentResourceNotFound", `Can not perform requested operation on nested resource. Parent resource '${parentId.split("/").pop()}' not found.`);
    const namespace = type.type.split("/")[0].toLowerCase();
    if (!this.registered.has(namespace)) {
      return armError(409, "MissingSubscriptionRegistration", `The subscription is not registered to use namespace '${type.type.split("/")[0]}'. See https://aka.ms/rps-not-found for how to register subscriptions.`);
    }
    let body: Record<string, unknown>;
    try {
      body = request.body ? JSON.parse(request.body) : {};
    } catch {
      return armError(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized.");
    }
    const patched = request.method === "PATCH" && existing ? mergePatch(existing.body, body) : body;
    const result = type.write({ id, name, type: type.type, parentId, groupName, body: patched }, existing, this);
    if ("error" in result) return result.error;
    const stored: Stored = { id, name, type: type.type, parentId, groupName, body: { id, name, type: type.type, ...result.body } };
    if (!type.transient) this.resources.set(key, stored);
    const ready = this.config.clusterReady;
    const done = !existing && ready && type.type === "Microsoft.ContainerService/managedClusters" ? () => ready(stored) : undefined;
    return json(existing ? 200 : (type.createdStatus ?? 201), stored.body, this.asyncOperation(stored, apiVersion, done));
  }

  /**
   * The headers of an accepted long-running write, as ARM answers them: where its status is polled
   * (Azure-AsyncOperation) and when to ask (Retry-After). The write is done, so the status says
   * Succeeded, unless `done` says otherwise (a cluster whose control plane is not up yet).
   */
  private asyncOperation(stored: Stored, apiVersion: string, done: () => boolean = () => true): Record<string, string> {
    const id = crypto.randomUUID();
    const started = new Date(this.now()).toISOString();
    this.operations.set(id, { started, done });
    const location = String(stored.body.location ?? "global");
    const url = `${ARM_RESOURCE}/subscriptions/${this.config.subscriptionId}/providers/${stored.type.split("/")[0]}/locations/${location}/operationStatuses/${id}?api-version=${apiVersion}`;
    return { "Azure-AsyncOperation": url, "Retry-After": "1" };
  }

  /** GET <subscription>/resources?$filter=resourceType eq '<type>': the generic resources listing. */
  private listResources(filter: string | null): StandInResponse {
    const wanted = filter ? /^resourceType eq '([^']+)'$/i.exec(filter)?.[1] : undefined;
    if (filter && !wanted) return armError(400, "InvalidFilterInQueryString", `The filter '${filter}' is not supported here; use resourceType eq '<type>'.`);
    const all = [...this.resources.values()].filter((r) => r.parentId === undefined && r.type !== "Microsoft.Resources/resourceGroups");
    const value = all.filter((r) => !wanted || r.type.toLowerCase() === wanted.toLowerCase()).map((r) => ({ id: r.id, name: r.name, type: r.type, location: r.body.location, tags: r.body.tags }));
    return json(200, { value });
  }

  /** GET <subscription or group>/providers/<namespace>/<type>: the resources of a type there. */
  private list(path: string): StandInResponse | undefined {
    const match = /^(\/subscriptions\/[^/]+(?:\/resourcegroups\/[^/]+)?)\/providers\/([^/]+\/[^/]+)$/i.exec(path);
    const type = match && this.types.find((t) => t.type.toLowerCase() === match[2].toLowerCase() && !t.extension);
    if (!match || !type) return undefined;
    const under = `${match[1].toLowerCase()}/`;
    return json(200, { value: this.ofType(type.type).filter((r) => r.id.toLowerCase().startsWith(under)).map((r) => r.body) });
  }

  /** POST <resource id>/<action> (a cluster's credential listing, a workspace's shared keys). */
  private action(request: StandInRequest, path: string): StandInResponse {
    const resourceId = path.slice(0, path.lastIndexOf("/"));
    const match = matchType(this.types, resourceId);
    const existing = this.resources.get(resourceId.toLowerCase());
    if (!match || !existing) return match ? notFound(match.type, match.name, match.groupName, this) : armError(404, "InvalidResourceType", `no POST ${path} in this stand-in`);
    return match.type.actions?.(request, existing, this) ?? armError(404, "InvalidResourceType", `no POST ${path} in this stand-in`);
  }

  private remove(type: ResourceType, key: string, existing: Stored | undefined): StandInResponse {
    if (!existing) return { status: 204 };
    const children = [...this.resources.keys()].filter((k) => k.startsWith(`${key}/`));
    if (type.type === "Microsoft.Resources/resourceGroups") for (const child of children) this.resources.delete(child);
    else for (const child of children.filter((k) => this.resources.get(k)?.parentId?.toLowerCase() === key)) this.resources.delete(child);
    this.resources.delete(key);
    type.removed?.(existing, this);
    return type.deleteAsync ? json(202, "", this.asyncOperation(existing, "2021-04-01")) : json(200, existing.body);
  }
}

function notFound(type: ResourceType, name: string, groupName: string | undefined, arm: ArmStandIn): StandInResponse {
  if (type.type === "Microsoft.Resources/resourceGroups") return armError(404, "ResourceGroupNotFound", `Resource group '${name}' could not be found.`);
  if (groupName !== undefined && !arm.resources.has(arm.groupKey(groupName))) {
    return armError(404, "ResourceGroupNotFound", `Resource group '${groupName}' could not be found.`);
  }
  return armError(404, "ResourceNotFound", `The Resource '${type.type}/${name}' under resource group '${groupName ?? "-"}' was not found.`);
}

/** RFC 7396 merge patch, as ARM's PATCH applies to properties. */
function mergePatch(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (typeof v === "object" && !Array.isArray(v) && typeof out[k] === "object" && out[k] !== null && !Array.isArray(out[k])) out[k] = mergePatch(out[k] as Record<string, unknown>, v as Record<string, unknown>);
    else out[k] = v;
  }
  return out;
}

/**
 * The type of a resource path: "/subscriptions/s/resourceGroups/g" is a group; the last
 * "/providers/<ns>/<type>/<name>[/<child>/<name>]" names the type, extension resources (role
 * assignments, diagnostic settings, rule associations) included, their parent the scope before it.
 */
export function matchType(types: readonly ResourceType[], path: string): { type: ResourceType; name: string; parentId?: string; groupName?: string } | undefined {
  const group = /^\/subscriptions\/[^/]+\/resourcegroups\/([^/]+)(.*)$/i.exec(path);
  if (group && group[2] === "") return { type: types[0], name: group[1] };
  const at = path.toLowerCase().lastIndexOf("/providers/");
  if (at < 0) return undefined;
  const scope = path.slice(0, at);
  const segments = path.slice(at + "/providers/".length).split("/");
  if (segments.length < 3 || segments.length % 2 === 0) return undefined;
  const [namespace, ...rest] = segments;
  const typeName = [namespace, ...rest.filter((_, i) => i % 2 === 0)].join("/");
  const type = types.find((t) => t.type.toLowerCase() === typeName.toLowerCase());
  if (!type) return undefined;
  const name = rest[rest.length - 1];
  const parentId = rest.length > 2 ? `${scope}/providers/${[namespace, ...rest.slice(0, -2)].join("/")}` : type.extension ? scope : undefined;
  return { type, name, parentId: parentId && /\/subscriptions\/[^/]+$/i.test(parentId) ? undefined : parentId, groupName: group?.[1] };
}
