// Where the Go module proxy serves only a newer version of a provider than the
// stacks pin (azurerm 5.x for 4.55.0), the engine checks point the stacks at
// that stand-in, never by changing the synthesized JSON: they work on a copy
// with the few resources the newer major version shapes differently reshaped
// as its own upgrade guide says (so the provider still validates every other
// attribute of them), plus a `*_override.tf.json` naming the stand-in's
// version. Every check that uses it reports what it changed.
import * as fs from "fs";
import * as path from "path";
import type { BuiltProvider } from "./toolchain";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export interface StandInAdaptation {
  readonly provider: string;
  readonly resourceType: string;
  /** What is changed, for the report. */
  readonly change: string;
  /** The override for one resource body, or undefined when it needs none. A null attribute unsets it. */
  readonly override: (body: Json) => Json | undefined;
}

export const STAND_IN_ADAPTATIONS: readonly StandInAdaptation[] = [
  {
    provider: "azurerm",
    resourceType: "azurerm_kubernetes_cluster",
    change: 'adds node_provisioning_profile { mode = "Manual" } (required from azurerm 5.0; Manual is 4.x\'s behaviour)',
    override: (body) => (body.node_provisioning_profile ? undefined : { node_provisioning_profile: { mode: "Manual" } }),
  },
  {
    provider: "azurerm",
    resourceType: "azurerm_subnet",
    change: "service_endpoints = [...] becomes service_endpoint { service = ... } blocks (renamed in azurerm 5.0)",
    override: (body) =>
      "service_endpoints" in body
        ? { service_endpoints: null, service_endpoint: (body.service_endpoints as string[]).map((service) => ({ service })) }
        : undefined,
  },
  {
    provider: "azurerm",
    resourceType: "azurerm_federated_identity_credential",
    change: "parent_id becomes user_assigned_identity_id, resource_group_name goes (azurerm 5.0)",
    override: (body) =>
      "parent_id" in body ? { parent_id: null, resource_group_name: null, user_assigned_identity_id: body.parent_id } : undefined,
  },
];

/**
 * What a stack (parsed cdk.tf.json) needs for the stand-ins among its
 * providers: `versions`, the override file's text naming their versions
 * (undefined when the mirror has the pinned releases); `resources`, per
 * resource type and name, the attributes to set (null: remove); and one line
 * per adapted resource. `text` is both as one override file, for a stack
 * directory whose cdk.tf.json is rewritten by cdktf (the engine cannot add a
 * new required argument through an override, so prefer adaptStack).
 */
export function standInOverride(
  stack: Json,
  providers: readonly BuiltProvider[],
  adaptations: readonly StandInAdaptation[] = STAND_IN_ADAPTATIONS,
): { text?: string; versions?: string; resources: Json; changes: string[] } {
  const required = stack.terraform?.required_providers ?? {};
  const standIns = providers.filter((p) => p.standIn && p.name in required);
  if (standIns.length === 0) return { resources: {}, changes: [] };
  const versions: Json = {
    terraform: { required_providers: Object.fromEntries(standIns.map((p) => [p.name, { source: p.name, version: p.version }])) },
  };
  const override: Json = { ...versions };
  const changes: string[] = [];
  for (const a of adaptations) {
    if (!standIns.some((p) => p.name === a.provider)) continue;
    for (const [name, body] of Object.entries(stack.resource?.[a.resourceType] ?? {})) {
      const fragment = a.override(body);
      if (!fragment) continue;
      override.resource ??= {};
      override.resource[a.resourceType] ??= {};
      override.resource[a.resourceType][name] = fragment;
      changes.push(`${a.resourceType}.${name}: ${a.change}`);
    }
  }
  return {
    text: `${JSON.stringify(override, null, 2)}\n`,
    versions: `${JSON.stringify(versions, null, 2)}\n`,
    resources: override.resource ?? {},
    changes,
  };
}

/** A copy of the stack with the adaptations merged in (null removes an attribute), and the versions override. */
export function adaptStack(stack: Json, providers: readonly BuiltProvider[]): { stack: Json; versions?: string; changes: string[] } {
  const { versions, resources, changes } = standInOverride(stack, providers);
  const copy = structuredClone(stack);
  for (const [type, byName] of Object.entries(resources)) {
    for (const [name, fragment] of Object.entries(byName as Json)) {
      const body = copy.resource[type][name];
      for (const [key, value] of Object.entries(fragment as Json)) {
        if (value === null) delete body[key];
        else body[key] = value;
      }
    }
  }
  return { stack: copy, versions, changes };
}

/** Adapts every stack of a synthesized outdir in place, as cdktf then runs it (`--skip-synth`), with each one's versions override beside it. */
export function adaptStacksInPlace(outdir: string, providers: readonly BuiltProvider[]): void {
  for (const stack of fs.readdirSync(path.join(outdir, "stacks"))) {
    const file = path.join(outdir, "stacks", stack, "cdk.tf.json");
    const adapted = adaptStack(JSON.parse(fs.readFileSync(file, "utf8")), providers);
    fs.writeFileSync(file, JSON.stringify(adapted.stack, null, 2));
    if (adapted.versions) fs.writeFileSync(path.join(path.dirname(file), "stand_in_override.tf.json"), adapted.versions);
  }
}
