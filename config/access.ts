// Who reads what in the vault, and with which right: the one place that decides it.
// The Key Vault stack grants exactly what this says, in either authorization mode;
// the config's rules offer the roles named here; docs/security.md explains them.
// To change the right an identity gets on an object type, change it here.
//
// It imports nothing but domain facts (plain shapes, not the config's types), so
// the rules, the stacks and the tools can all take it from here.
import { mountsObject } from "./domain";

/** What the Azure provider fetches: GetSecret, GetKey or GetCertificate. */
export const OBJECT_TYPES = ["secret", "key", "cert"] as const;
export type ObjectType = (typeof OBJECT_TYPES)[number];

/** Built-in Key Vault roles that read secret values and nothing more: `keyVault.readerRole` offers these. */
export const READER_ROLES = ["Key Vault Secrets User"] as const;
/** Built-in Key Vault roles that can write, delete, recover and purge secrets: `keyVault.deployerRole` offers these. */
export const DEPLOYER_ROLES = ["Key Vault Secrets Officer", "Key Vault Administrator"] as const;

/**
 * The built-in role each object type's reader gets at the object's scope (rbac mode): exactly what the
 * Azure provider's call needs (docs/security.md, "Which call, which right"). GetKey and GetCertificate
 * return public material only, which Key Vault Reader's keys/read and certificates/read give; Crypto
 * User would add decrypt, sign and wrap, and Certificate User the certificate's private key.
 * Secrets take keyVault.readerRole (Key Vault Secrets User: getSecret).
 */
export const OBJECT_READER_ROLE: Record<ObjectType, string | undefined> = { secret: undefined, cert: "Key Vault Reader", key: "Key Vault Reader" };

/** The role a reader gets on one object in rbac mode. */
export function readerRoleOn(objectType: ObjectType, readerRole: string): string {
  return OBJECT_READER_ROLE[objectType] ?? readerRole;
}

/**
 * What a reader's access policy allows (accessPolicy mode, vault-wide): Get and List on secrets, and
 * Get on keys or certificates only when such objects are mapped, List too when one of them has a
 * version history (the provider lists its versions). Nothing else.
 */
export function readerPermissions(objects: readonly { objectType: ObjectType; objectVersionHistory?: number }[]): {
  secretPermissions: string[];
  keyPermissions: string[];
  certificatePermissions: string[];
} {
  const of = (type: ObjectType) => {
    const mapped = objects.filter((o) => o.objectType === type);
    return mapped.length === 0 ? [] : mapped.some((o) => o.objectVersionHistory !== undefined) ? ["Get", "List"] : ["Get"];
  };
  return { secretPermissions: ["Get", "List"], keyPermissions: of("key"), certificatePermissions: of("cert") };
}

/** Secret permissions Terraform needs to create, rotate, delete, purge and recover secrets (accessPolicy mode). */
export const DEPLOYER_SECRET_PERMISSIONS = ["Get", "List", "Set", "Delete", "Purge", "Recover"];

/** The deployer's extra role in rbac mode when it checks `existing` keys or certificates (public parts only). */
export const DEPLOYER_CHECKER_ROLE = "Key Vault Reader";

/** The object types the deployer reads before deploying: `npm run check-objects` checks existing keys and certificates. */
export function deployerChecks(secrets: readonly { objectType: ObjectType; source: { kind: string } }[]): { key: boolean; cert: boolean } {
  const checked = (type: ObjectType) => secrets.some((s) => s.objectType === type && s.source.kind === "existing");
  return { key: checked("key"), cert: checked("cert") };
}

/** An identity that reads the vault for pods: the add-on's (shared by its apps) or one app's workload identity. */
export interface VaultReader<App> {
  /** "addon", or the app's name: what its resources' logical IDs carry. */
  readonly key: string;
  /** OBJECT ID: access policies and role assignments take it. */
  readonly objectId: string;
  readonly apps: readonly App[];
}

/** The identities of a cluster that can read for pods: the add-on's, and each workload app's own. */
export interface ReaderIdentities<App, Identity> {
  readonly addon: Identity;
  readonly workload: (app: App) => Identity;
}

/** Who reads for an app: its own workload identity, or the add-on's node identity (shared with the other add-on apps). */
export function readerOf<App extends { name: string; identity: string }, Identity>(app: App, identities: ReaderIdentities<App, Identity>): { key: string; identity: Identity } {
  return app.identity === "workload" ? { key: app.name, identity: identities.workload(app) } : { key: "addon", identity: identities.addon };
}

/** The identities that read the vault, each with the apps it reads for, in the order of their first app. */
export function vaultReaders<App extends { name: string; identity: string }>(apps: readonly App[], identities: ReaderIdentities<App, { objectId: string }>): VaultReader<App>[] {
  const byKey = new Map<string, { key: string; objectId: string; apps: App[] }>();
  for (const app of apps) {
    const { key, identity } = readerOf(app, identities);
    const known = byKey.get(key);
    if (known) known.apps.push(app);
    else byKey.set(key, { key, objectId: identity.objectId, apps: [app] });
  }
  return [...byKey.values()];
}

/** The objects a reader reads: those its apps mount, in config order. */
export function objectsReadBy<S extends { app?: string; sharedWith: readonly string[] }>(secrets: readonly S[], reader: VaultReader<{ name: string }>): S[] {
  return secrets.filter((secret) => reader.apps.some((app) => mountsObject(app.name, secret)));
}

// Logical IDs: the first reader (apps[0]'s) keeps the IDs an environment with one app had, so moving
// from `app` to `apps` replaces no grant; every other reader's carry its key.

/** The reader's access policy (accessPolicy mode). */
export function readerPolicyId(reader: VaultReader<unknown>, index: number): string {
  return index === 0 ? "secrets-provider-access" : `${reader.key}-access`;
}

/** The reader's role assignment on one object (rbac mode). */
export function readerRoleId(reader: VaultReader<unknown>, index: number, objectName: string): string {
  return `${index === 0 ? "" : `${reader.key}-`}reads-${objectName}`;
}
