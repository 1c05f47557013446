// The resource types the ARM stand-in (arm.ts) serves: per type, its API versions (those the
// toolchain's azurerm build calls), Azure's name rule and error code, and what Azure computes on write.
import * as crypto from "crypto";
import type { StandInRequest, StandInResponse } from "./http";
import { json } from "./http";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** A stored resource: its ID as written, and the body ARM answers for it. */
export interface Stored {
  readonly id: string;
  readonly name: string;
  readonly type: string;
  /** The resource it is nested in or extends (an identity of a credential, a scope of a role assignment). */
  readonly parentId?: string;
  readonly groupName?: string;
  readonly body: Json;
}

/** What a type's write sees of the ARM stand-in. */
export interface ArmState {
  readonly resources: Map<string, Stored>;
  readonly deletedVaults: Map<string, Stored>;
  readonly deletedWorkspaces: Map<string, Stored>;
  readonly config: { readonly subscriptionId: string; readonly tenantId: string; readonly oidcIssuerUrl?: (cluster: Stored) => string };
  now(): number;
}

export interface ResourceType {
  readonly type: string;
  readonly apiVersions: readonly string[];
  /** Nested under a scope of any type (role assignments, diagnostic settings, rule associations). */
  readonly extension?: boolean;
  readonly parentMissingCode?: string;
  /** DELETE is a long-running operation (202 Accepted, polled), as ARM runs it for this type; else 200. */
  readonly deleteAsync?: boolean;
  /** What a create answers, where ARM answers 200 rather than 201 (a synchronous create). */
  readonly createdStatus?: 200;
  /** An operation on its parent, not a resource: nothing is stored under its own ID. */
  readonly transient?: boolean;
  /** Azure's refusal of a name, or undefined when it is valid. */
  nameRule(name: string): { code: string; message: string } | undefined;
  /** The stored body (without id, name, type), or Azure's refusal. */
  write(resource: Stored, existing: Stored | undefined, arm: ArmState): { body: Json } | { error: StandInResponse };
  actions?(request: StandInRequest, existing: Stored | undefined, arm: ArmState): StandInResponse | undefined;
  removed?(resource: Stored, arm: ArmState): void;
}

const armError = (status: number, code: string, message: string): { error: StandInResponse } => ({ error: json(status, { error: { code, message } }) });
const uuid = () => crypto.randomUUID();

/** A name rule: length bounds and a pattern, refused with Azure's code and message. */
function named(min: number, max: number, pattern: RegExp, code: string, message: (name: string) => string) {
  return (name: string) => (name.length < min || name.length > max || !pattern.test(name) ? { code, message: message(name) } : undefined);
}

/** A tracked resource (location, tags) whose properties get provisioningState Succeeded. */
function tracked(resource: Stored, existing: Stored | undefined, extra: Json = {}): { body: Json } | { error: StandInResponse } {
  const { location, tags, properties, sku, identity, kind } = resource.body;
  if (!location) return armError(400, "LocationRequired", "The location property is required for this definition.");
  if (existing && existing.body.location && normalizeLocation(existing.body.location) !== normalizeLocation(location)) {
    return armError(409, "InvalidResourceLocation", `The resource '${resource.name}' already exists in location '${existing.body.location}' in resource group '${resource.groupName}'. A resource with the same name cannot be created in location '${location}'. Please select a new resource name.`);
  }
  return { body: { location: normalizeLocation(location), tags: tags ?? {}, ...(sku ? { sku } : {}), ...(kind ? { kind } : {}), ...(identity ? { identity } : {}), properties: { ...properties, ...extra, provisioningState: "Succeeded" } } };
}

const normalizeLocation = (location: string) => location.toLowerCase().replace(/\s+/g, "");

const resourceGroups: ResourceType = {
  type: "Microsoft.Resources/resourceGroups",
  deleteAsync: true,
  apiVersions: ["2023-07-01", "2022-09-01", "2021-04-01"],
  // https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftresources
  nameRule: named(1, 90, /^[-\w._()]*[-\w_()]$/, "InvalidResourceGroup", (name) => `The provided resource group name '${name}' has these invalid characters or length. The name can only be a letter, digit, '-', '.', '(', ')' or '_', at most 90 characters, and must not end in '.'.`),
  write(resource, existing) {
    const { location, tags } = resource.body;
    if (!location) return armError(400, "LocationRequired", "The location property is required for this definition.");
    if (existing && normalizeLocation(existing.body.location) !== normalizeLocation(location)) {
      return armError(409, "InvalidResourceGroupLocation", `Invalid resource group location '${location}'. The Resource group already exists in location '${existing.body.location}'.`);
    }
    return { body: { location: normalizeLocation(location), tags: tags ?? {}, properties: { provisioningState: "Succeeded" } } };
  },
};


/** ARM's generic refusal of a name outside a type's rules (where a type has no code of its own). */
const generic = (min: number, max: number, pattern: RegExp, rule: string) =>
  named(min, max, pattern, "InvalidResourceName", (name) => `The resource name '${name}' is invalid: ${rule}.`);

const workspaces: ResourceType = {
  type: "Microsoft.OperationalInsights/workspaces",
  deleteAsync: true,
  apiVersions: ["2020-08-01", "2022-10-01", "2025-07-01"],
  nameRule: generic(4, 63, /^[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]$/, "4-63 letters, digits and '-', starting and ending with a letter or digit"),
  write(resource, existing, arm) {
    // A workspace deleted within 14 days comes back under its name with its customer ID, as Azure recovers it.
    const deleted = arm.deletedWorkspaces.get(resource.id.toLowerCase());
    arm.deletedWorkspaces.delete(resource.id.toLowerCase());
    return tracked(resource, existing, { customerId: existing?.body.properties.customerId ?? deleted?.body.properties.customerId ?? uuid() });
  },
  removed: (resource, arm) => void arm.deletedWorkspaces.set(resource.id.toLowerCase(), resource),
  actions(request, existing) {
    if (!existing || !request.url.pathname.toLowerCase().endsWith("/sharedkeys")) return undefined;
    // Derived from the workspace's ID, so every listing gives the same keys, as Azure's do until regenerated.
    const key = (n: string) => crypto.createHash("sha512").update(`${existing.id}/${n}`).digest("base64");
    return json(200, { primarySharedKey: key("primary"), secondarySharedKey: key("secondary") });
  },
};

const dataCollectionRules: ResourceType = {
  type: "Microsoft.Insights/dataCollectionRules",
  apiVersions: ["2023-03-11", "2022-06-01"],
  nameRule: generic(1, 64, /^[A-Za-z0-9][\w.-]*$/, "1-64 letters, digits, '-', '_' and '.'"),
  write(resource, existing, arm) {
    for (const la of resource.body.properties?.destinations?.logAnalytics ?? []) {
      if (!arm.resources.has(String(la.workspaceResourceId).toLowerCase())) {
        return armError(400, "InvalidPayload", `Data collection rule is invalid: destination '${la.name}' names workspace ${la.workspaceResourceId}, which does not exist.`);
      }
    }
    return tracked(resource, existing, { immutableId: existing?.body.properties.immutableId ?? `dcr-${crypto.randomBytes(16).toString("hex")}` });
  },
};

const dataCollectionRuleAssociations: ResourceType = {
  type: "Microsoft.Insights/dataCollectionRuleAssociations",
  apiVersions: ["2023-03-11", "2022-06-01"],
  extension: true,
  nameRule: generic(1, 64, /^[A-Za-z0-9][\w.-]*$/, "1-64 letters, digits, '-', '_' and '.'"),
  write(resource, _existing, arm) {
    const rule = resource.body.properties?.dataCollectionRuleId;
    if (rule && !arm.resources.has(String(rule).toLowerCase())) return armError(400, "InvalidPayload", `The data collection rule ${rule} does not exist.`);
    return { body: { properties: { ...resource.body.properties, provisioningState: "Succeeded" } } };
  },
};

const diagnosticSettings: ResourceType = {
  type: "Microsoft.Insights/diagnosticSettings",
  createdStatus: 200,
  apiVersions: ["2021-05-01-preview"],
  extension: true,
  nameRule: generic(1, 260, /^[^*#&+:<>?@%{}\\/]+$/, "no *, #, &, +, :, <, >, ?, @, %, {, }, \\ or /"),
  write(resource, _existing, arm) {
    const workspace = resource.body.properties?.workspaceId;
    if (workspace && !arm.resources.has(String(workspace).toLowerCase())) return armError(400, "LinkedInvalidPropertyId", `Property id '${workspace}' at path 'properties.workspaceId' is invalid: the workspace does not exist.`);
    return { body: { properties: resource.body.properties ?? {} } };
  },
};

const identities: ResourceType = {
  type: "Microsoft.ManagedIdentity/userAssignedIdentities",
  apiVersions: ["2024-11-30", "2023-01-31"],
  // https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftmanagedidentity
  nameRule: generic(3, 128, /^[A-Za-z0-9][\w-]*$/, "3-128 letters, digits, '-' and '_', starting with a letter or digit"),
  write: (resource, existing, arm) =>
    tracked(resource, existing, {
      // Azure assigns both when it creates the identity, and keeps them while it lives.
      tenantId: arm.config.tenantId,
      clientId: existing?.body.properties.clientId ?? uuid(),
      principalId: existing?.body.properties.principalId ?? uuid(),
    }),
};

const federatedCredentials: ResourceType = {
  type: "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials",
  apiVersions: ["2024-11-30", "2023-01-31"],
  parentMissingCode: "ParentResourceNotFound",
  nameRule: generic(3, 120, /^[A-Za-z0-9][\w-]*$/, "3-120 letters, digits, '-' and '_', starting with a letter or digit"),
  write(resource, existing, arm) {
    const { issuer, subject, audiences } = resource.body.properties ?? {};
    if (typeof issuer !== "string" || !issuer.startsWith("https://")) return armError(400, "BadRequest", "The issuer must be a valid URL starting with 'https://'.");
    if (typeof subject !== "string" || subject.length === 0) return armError(400, "BadRequest", "The subject must not be empty.");
    if (!Array.isArray(audiences) || audiences.length !== 1) return armError(400, "BadRequest", "Exactly one audience is supported.");
    const siblings = [...arm.resources.values()].filter((r) => r.parentId?.toLowerCase() === resource.parentId?.toLowerCase() && r.type === resource.type && r.id.toLowerCase() !== resource.id.toLowerCase());
    if (!existing && siblings.length >= 20) return armError(400, "BadRequest", "Too many federated identity credentials: an identity holds at most 20.");
    if (siblings.some((r) => r.body.properties.issuer === issuer && r.body.properties.subject === subject)) {
      return armError(409, "Conflict", `A federated identity credential with issuer '${issuer}' and subject '${subject}' already exists on this identity.`);
    }
    return { body: { properties: { issuer, subject, audiences } } };
  },
};

const virtualNetworks: ResourceType = {
  type: "Microsoft.Network/virtualNetworks",
  deleteAsync: true,
  apiVersions: ["2025-01-01", "2024-05-01", "2023-11-01"],
  nameRule: generic(2, 64, /^[A-Za-z0-9][\w.-]*\w$/, "2-64 letters, digits, '_', '.' and '-', starting with a letter or digit and ending with a letter, digit or '_'"),
  write(resource, existing) {
    const written = tracked(resource, existing, { resourceGuid: existing?.body.properties.resourceGuid ?? uuid() });
    if ("error" in written) return written;
    // Subnets are their own resources here (azurerm_subnet): keep those written, not what a VNet PUT omits.
    written.body.properties.subnets = existing?.body.properties.subnets ?? [];
    return written;
  },
};

const subnets: ResourceType = {
  type: "Microsoft.Network/virtualNetworks/subnets",
  deleteAsync: true,
  apiVersions: ["2025-01-01", "2024-05-01", "2023-11-01"],
  nameRule: generic(1, 80, /^[A-Za-z0-9][\w.-]*\w$/, "1-80 letters, digits, '_', '.' and '-', starting with a letter or digit and ending with a letter, digit or '_'"),
  write(resource, _existing, arm) {
    const prefix = resource.body.properties?.addressPrefix ?? resource.body.properties?.addressPrefixes?.[0];
    const vnet = arm.resources.get(String(resource.parentId).toLowerCase());
    const spaces: string[] = vnet?.body.properties.addressSpace?.addressPrefixes ?? [];
    if (!prefix || !spaces.some((space) => cidrContains(space, prefix))) {
      return armError(400, "NetcfgSubnetRangeOutsideVnet", `Subnet '${resource.name}' is not valid because its IP address range ${prefix} is outside the IP address range of virtual network '${vnet?.name}' (${spaces.join(", ")}).`);
    }
    return { body: { properties: { ...resource.body.properties, provisioningState: "Succeeded" } } };
  },
};

/** Whether a CIDR lies wholly inside another (IPv4). */
export function cidrContains(outer: string, inner: string): boolean {
  const parse = (cidr: string) => {
    const [ip, bits] = cidr.split("/");
    const value = ip.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
    return { value, bits: Number(bits) };
  };
  const o = parse(outer);
  const i = parse(inner);
  if (i.bits < o.bits) return false;
  const size = 2 ** (32 - o.bits);
  return Math.floor(i.value / size) === Math.floor(o.value / size);
}

/**
 * Azure's built-in roles the stacks assign, by name: their IDs are Azure's, the same in every tenant
 * (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles).
 */
export const BUILT_IN_ROLES: Record<string, string> = {
  Owner: "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
  Contributor: "b24988ac-6180-42a0-ab88-20f7382dd24c",
  Reader: "acdd72a7-3385-48ef-bd42-f606fba81ae7",
  "User Access Administrator": "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
  "Network Contributor": "4d97b98b-1d4f-4787-a291-c67834d212e7",
  "Azure Kubernetes Service RBAC Cluster Admin": "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b",
  "Key Vault Administrator": "00482a5a-887f-4fb3-b363-3b7fe8e74483",
  "Key Vault Secrets Officer": "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
  "Key Vault Secrets User": "4633458b-17de-408a-b874-0445c86b69e6",
  "Key Vault Reader": "21090545-7ca7-4776-b22c-e363652d74d2",
  "Key Vault Certificate User": "db79e9a7-68ee-4b58-9aeb-b90e7c24fcba",
  "Key Vault Crypto User": "12338af0-0e69-4776-bea7-57ae8d297424",
  "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
};

/** The built-in role a role definition ID (or its GUID) names, if it is one of BUILT_IN_ROLES. */
export function roleNameOf(roleDefinitionId: string): string | undefined {
  const guid = roleDefinitionId.split("/").pop()?.toLowerCase();
  return Object.keys(BUILT_IN_ROLES).find((name) => BUILT_IN_ROLES[name] === guid);
}

const roleDefinitionId = (arm: ArmState, guid: string) => `/subscriptions/${arm.config.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;

/** A built-in role definition as ARM answers it. */
export function roleDefinition(arm: ArmState, roleName: string): Json {
  const guid = BUILT_IN_ROLES[roleName];
  return { id: roleDefinitionId(arm, guid), name: guid, type: "Microsoft.Authorization/roleDefinitions", properties: { roleName, type: "BuiltInRole", assignableScopes: ["/"], permissions: [] } };
}

/** The principals the directory holds: what ARM checks a role assignment's principalId against. */
export type PrincipalCheck = (principalId: string) => boolean;

const roleAssignments = (principals: PrincipalCheck): ResourceType => ({
  type: "Microsoft.Authorization/roleAssignments",
  apiVersions: ["2022-04-01", "2020-04-01-preview"],
  extension: true,
  nameRule: (name) => (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(name) ? undefined : { code: "InvalidRoleAssignmentId", message: `The role assignment ID '${name}' is not valid. The role assignment ID must be a GUID.` }),
  write(resource, existing, arm) {
    const { roleDefinitionId: role, principalId, principalType } = resource.body.properties ?? {};
    const roleName = roleNameOf(String(role ?? ""));
    if (!roleName) return armError(400, "RoleDefinitionDoesNotExist", `The specified role definition with ID '${String(role ?? "").split("/").pop()}' does not exist.`);
    const guid = BUILT_IN_ROLES[roleName];
    if (!principals(String(principalId))) {
      return armError(400, "PrincipalNotFound", `Principal ${principalId} does not exist in the directory ${arm.config.tenantId}. Check that you have the correct principal ID.`);
    }
    if (existing) {
      const same = existing.body.properties.roleDefinitionId.toLowerCase() === String(role).toLowerCase() && existing.body.properties.principalId === principalId;
      return same ? { body: existing.body } : armError(400, "RoleAssignmentUpdateNotPermitted", "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.");
    }
    const scope = resource.parentId ?? `/subscriptions/${arm.config.subscriptionId}`;
    const duplicate = [...arm.resources.values()].find(
      (r) => r.type === resource.type && r.parentId?.toLowerCase() === resource.parentId?.toLowerCase() && r.body.properties.principalId === principalId && r.body.properties.roleDefinitionId.toLowerCase() === String(role).toLowerCase(),
    );
    if (duplicate) return armError(409, "RoleAssignmentExists", `The role assignment already exists. The ID of the existing role assignment is ${duplicate.name}.`);
    return { body: { properties: { roleDefinitionId: roleDefinitionId(arm, guid), principalId, principalType: principalType ?? "ServicePrincipal", scope, createdOn: new Date(arm.now()).toISOString() } } };
  },
});

/** A kubeconfig the credential listing answers; the lab's names its API server. */
export type KubeconfigFor = (cluster: Stored, user: "clusterUser" | "clusterAdmin") => string;

/** A managed identity Azure creates for a cluster (its kubelet, an add-on): IDs it assigns, in the node resource group. */
function clusterIdentity(arm: ArmState, nodeGroup: string, name: string, existing: Json) {
  return existing ?? { resourceId: `/subscriptions/${arm.config.subscriptionId}/resourcegroups/${nodeGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`, clientId: uuid(), objectId: uuid() };
}

const managedClusters = (kubeconfig: KubeconfigFor): ResourceType => ({
  type: "Microsoft.ContainerService/managedClusters",
  deleteAsync: true,
  apiVersions: ["2025-10-01", "2025-07-01", "2025-05-01"],
  // https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftcontainerservice
  nameRule: generic(1, 63, /^[A-Za-z0-9]([\w-]*[A-Za-z0-9])?$/, "1-63 letters, digits, '_' and '-', starting and ending with a letter or digit"),
  write(resource, existing, arm) {
    const props = resource.body.properties ?? {};
    const before = existing?.body.properties ?? {};
    if (props.securityProfile?.workloadIdentity?.enabled && !props.oidcIssuerProfile?.enabled) {
      return armError(400, "InvalidParameter", "Enabling workload identity requires enabling OIDC issuer: set properties.oidcIssuerProfile.enabled to true.");
    }
    if (before.oidcIssuerProfile?.enabled && props.oidcIssuerProfile?.enabled === false) {
      return armError(400, "InvalidParameter", "The OIDC issuer cannot be disabled once it is enabled on a cluster.");
    }
    const written = tracked(resource, existing);
    if ("error" in written) return written;
    const location = written.body.location;
    const nodeGroup = props.nodeResourceGroup || before.nodeResourceGroup || `MC_${resource.groupName}_${resource.name}_${location}`;
    const addons = { ...props.addonProfiles };
    const provider = addons.azureKeyvaultSecretsProvider;
    if (provider?.enabled) {
      addons.azureKeyvaultSecretsProvider = { ...provider, identity: clusterIdentity(arm, nodeGroup, `azurekeyvaultsecretsprovider-${resource.name}`, before.addonProfiles?.azureKeyvaultSecretsProvider?.identity) };
    }
    const dnsPrefix = props.dnsPrefix ?? resource.name;
    const host = `${dnsPrefix}-${crypto.createHash("sha256").update(resource.id).digest("hex").slice(0, 8)}.hcp.${location}.azmk8s.io`;
    const body = written.body;
    body.identity = resource.body.identity?.type === "SystemAssigned" ? { type: "SystemAssigned", principalId: existing?.body.identity?.principalId ?? uuid(), tenantId: arm.config.tenantId } : resource.body.identity;
    Object.assign(body.properties, {
      nodeResourceGroup: nodeGroup,
      kubernetesVersion: props.kubernetesVersion ?? before.kubernetesVersion ?? "1.33.5",
      currentKubernetesVersion: props.kubernetesVersion ?? before.currentKubernetesVersion ?? "1.33.5",
      fqdn: host,
      azurePortalFQDN: host,
      addonProfiles: addons,
      identityProfile: { kubeletidentity: clusterIdentity(arm, nodeGroup, `${resource.name}-agentpool`, before.identityProfile?.kubeletidentity) },
      powerState: { code: "Running" },
      agentPoolProfiles: (props.agentPoolProfiles ?? []).map((pool: Json) => ({ ...pool, provisioningState: "Succeeded", powerState: { code: "Running" }, orchestratorVersion: pool.orchestratorVersion ?? props.kubernetesVersion ?? "1.33.5" })),
      // The issuer exists only while the cluster enables it, and is the cluster's own (the lab API server's).
      oidcIssuerProfile: props.oidcIssuerProfile?.enabled ? { enabled: true, issuerURL: arm.config.oidcIssuerUrl?.({ ...resource, body }) ?? `https://${location}.oic.prod-aks.azure.com/${arm.config.tenantId}/${uuid()}/` } : { enabled: false },
    });
    return written;
  },
  actions(request, existing, arm) {
    const action = request.url.pathname.split("/").pop()?.toLowerCase();
    if (!existing) return undefined;
    if (action === "listclusterusercredential" || action === "listclusteradmincredential") {
      const user = action === "listclusterusercredential" ? "clusterUser" : "clusterAdmin";
      if (user === "clusterAdmin" && existing.body.properties.disableLocalAccounts) {
        return json(400, { error: { code: "BadRequest", message: "Getting static credential is not allowed because this cluster is set to disable local accounts." } });
      }
      return json(200, { kubeconfigs: [{ name: user, value: Buffer.from(kubeconfig(existing, user)).toString("base64") }] });
    }
    void arm;
    return undefined;
  },
});

const agentPools: ResourceType = {
  type: "Microsoft.ContainerService/managedClusters/agentPools",
  deleteAsync: true,
  apiVersions: ["2025-10-01", "2025-07-01", "2025-05-01"],
  nameRule: named(1, 12, /^[a-z][a-z0-9]*$/, "InvalidParameter", (name) => `The agent pool name '${name}' is invalid: it must start with a lowercase letter and hold only lowercase letters and digits, at most 12 characters.`),
  write(resource, _existing, arm) {
    const cluster = arm.resources.get(String(resource.parentId).toLowerCase());
    const props = resource.body.properties ?? {};
    return { body: { properties: { ...props, provisioningState: "Succeeded", powerState: { code: "Running" }, orchestratorVersion: props.orchestratorVersion ?? cluster?.body.properties.kubernetesVersion } } };
  },
};

/** Maintenance configurations: only what a client wrote; none until then (GET is 404, as for a new cluster). */
const maintenanceConfigurations: ResourceType = {
  type: "Microsoft.ContainerService/managedClusters/maintenanceConfigurations",
  apiVersions: ["2025-10-01"],
  nameRule: generic(1, 63, /^[A-Za-z0-9][\w-]*$/, "1-63 letters, digits, '_' and '-'"),
  write: (resource) => ({ body: { properties: resource.body.properties ?? {} } }),
};

/** https://learn.microsoft.com/azure/key-vault/general/about-keys-secrets-certificates#vault-name-and-object-name */
const vaultNameRule = named(3, 24, /^[A-Za-z](?!.*--)[A-Za-z0-9-]*[A-Za-z0-9]$/, "VaultNameNotValid", (name) => `The vault name '${name}' is invalid. A vault's name must be between 3-24 alphanumeric characters. The name must begin with a letter, end with a letter or digit, and not contain consecutive hyphens.`);

const vaults: ResourceType = {
  type: "Microsoft.KeyVault/vaults",
  apiVersions: ["2026-02-01", "2024-11-01", "2023-07-01"],
  nameRule: vaultNameRule,
  write(resource, existing, arm) {
    const props = resource.body.properties ?? {};
    const name = resource.name.toLowerCase();
    // Vault names are global: another vault, or a soft-deleted one, holds the name until purged.
    const taken = [...arm.resources.values()].find((r) => r.type === resource.type && r.name.toLowerCase() === name && r.id.toLowerCase() !== resource.id.toLowerCase());
    if (taken) return armError(409, "VaultAlreadyExists", `The vault name '${resource.name}' is already in use. Vault names are globally unique so it is possible that the name is already taken.`);
    const deleted = arm.deletedVaults.get(name);
    if (!existing && deleted && props.createMode !== "recover") return armError(409, "ConflictError", "Exist soft deleted vault with the same name. ");
    if (!existing && props.createMode === "recover" && !deleted) return armError(404, "DeletedVaultNotFound", `The deleted vault '${resource.name}' was not found.`);
    if (existing?.body.properties.enablePurgeProtection && props.enablePurgeProtection === false) {
      return armError(400, "BadRequest", "Once purge protection is enabled for a vault, it cannot be disabled.");
    }
    if (props.tenantId !== arm.config.tenantId) return armError(400, "BadRequest", `The tenant ID '${props.tenantId}' is not the subscription's tenant.`);
    const retention = props.softDeleteRetentionInDays ?? 90;
    if (retention < 7 || retention > 90) return armError(400, "BadRequest", `softDeleteRetentionInDays must be between 7 and 90 (was ${retention}).`);
    // A recovered vault keeps its access policies, as Azure's does; a write's policies replace them.
    const recovered = props.createMode === "recover" ? deleted?.body.properties : undefined;
    arm.deletedVaults.delete(name);
    const written = tracked(resource, existing, {
      accessPolicies: props.accessPolicies ?? recovered?.accessPolicies ?? existing?.body.properties.accessPolicies ?? [],
      enableSoftDelete: true,
      softDeleteRetentionInDays: retention,
      enableRbacAuthorization: props.enableRbacAuthorization ?? false,
      vaultUri: `https://${name}.vault.azure.net/`,
    });
    if ("error" in written) return written;
    delete written.body.properties.createMode;
    return written;
  },
  removed(resource, arm) {
    const now = arm.now();
    const days = resource.body.properties.softDeleteRetentionInDays ?? 90;
    arm.deletedVaults.set(resource.name.toLowerCase(), {
      ...resource,
      body: {
        id: `/subscriptions/${arm.config.subscriptionId}/providers/Microsoft.KeyVault/locations/${resource.body.location}/deletedVaults/${resource.name}`,
        name: resource.name,
        type: "Microsoft.KeyVault/deletedVaults",
        properties: {
          ...resource.body.properties,
          vaultId: resource.id,
          location: resource.body.location,
          deletionDate: new Date(now).toISOString(),
          scheduledPurgeDate: new Date(now + days * 86_400_000).toISOString(),
          purgeProtectionEnabled: Boolean(resource.body.properties.enablePurgeProtection),
        },
      },
    });
  },
};

/** PUT <vault>/accessPolicies/{add|replace|remove}: changes the vault's policies, per object ID. */
const accessPolicies: ResourceType = {
  type: "Microsoft.KeyVault/vaults/accessPolicies",
  transient: true,
  apiVersions: vaults.apiVersions,
  nameRule: (name) => (["add", "replace", "remove"].includes(name) ? undefined : { code: "BadRequest", message: `The operation kind '${name}' is not add, replace or remove.` }),
  write(resource, _existing, arm) {
    const vault = arm.resources.get(String(resource.parentId).toLowerCase())!;
    const given: Json[] = resource.body.properties?.accessPolicies ?? [];
    const policies: Json[] = [...vault.body.properties.accessPolicies];
    for (const policy of given) {
      const at = policies.findIndex((p) => p.objectId === policy.objectId && p.tenantId === policy.tenantId);
      if (resource.name === "remove") {
        if (at >= 0) policies.splice(at, 1);
      } else if (at >= 0 && resource.name === "add") {
        // add merges permissions into the object's policy, as Azure's does.
        const merged = { ...policies[at].permissions };
        for (const [kind, list] of Object.entries(policy.permissions ?? {})) merged[kind] = [...new Set([...(merged[kind] ?? []), ...(list as string[])])];
        policies[at] = { ...policies[at], permissions: merged };
      } else if (at >= 0) policies[at] = policy;
      else policies.push(policy);
    }
    vault.body.properties.accessPolicies = policies;
    return { body: { properties: { accessPolicies: given } } };
  },
};

export interface TypeOptions {
  readonly principals: PrincipalCheck;
  readonly kubeconfig: KubeconfigFor;
}

/** Every type served; the resource group first (arm.ts matches a bare group path to it). */
export const resourceTypes = (options: TypeOptions): readonly ResourceType[] => [
  resourceGroups,
  managedClusters(options.kubeconfig),
  agentPools,
  maintenanceConfigurations,
  roleAssignments(options.principals),
  workspaces,
  dataCollectionRules,
  dataCollectionRuleAssociations,
  diagnosticSettings,
  identities,
  federatedCredentials,
  vaults,
  accessPolicies,
  virtualNetworks,
  subnets,
];
