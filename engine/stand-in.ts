// Where the Go module proxy serves only a newer major version of a provider
// than the stacks pin (azurerm 5.x for 4.55.0), a few resources the stacks
// declare are shaped differently in that version. The engine checks adapt
// exactly these, in a copy of the stack given to the stand-in, so the
// provider still validates every other attribute of them; the synthesized
// stack is never changed. Each adaptation follows the provider's own 5.0
// upgrade guide and is reported by every check that applies it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export interface StandInAdaptation {
  readonly provider: string;
  readonly resourceType: string;
  /** What is changed, for the report. */
  readonly change: string;
  /** Applies the change to one resource body in place; returns whether anything changed. */
  readonly adapt: (body: Json) => boolean;
}

export const STAND_IN_ADAPTATIONS: readonly StandInAdaptation[] = [
  {
    provider: "azurerm",
    resourceType: "azurerm_kubernetes_cluster",
    change: "adds node_provisioning_profile { mode = \"Manual\" } (required from azurerm 5.0; Manual is 4.x's behaviour)",
    adapt(body) {
      if (body.node_provisioning_profile) return false;
      body.node_provisioning_profile = { mode: "Manual" };
      return true;
    },
  },
  {
    provider: "azurerm",
    resourceType: "azurerm_subnet",
    change: "service_endpoints = [...] becomes service_endpoint { service = ... } blocks (renamed in azurerm 5.0)",
    adapt(body) {
      if (!("service_endpoints" in body)) return false;
      body.service_endpoint = (body.service_endpoints as string[]).map((service) => ({ service }));
      delete body.service_endpoints;
      return true;
    },
  },
  {
    provider: "azurerm",
    resourceType: "azurerm_federated_identity_credential",
    change: "parent_id becomes user_assigned_identity_id, resource_group_name goes (azurerm 5.0)",
    adapt(body) {
      if (!("parent_id" in body)) return false;
      body.user_assigned_identity_id = body.parent_id;
      delete body.parent_id;
      delete body.resource_group_name;
      return true;
    },
  },
];

/**
 * A stack's JSON adapted for the stand-in providers named in `standIns`, and
 * one line per adapted resource ("azurerm_subnet.aks-subnet: ...").
 */
export function adaptForStandIns(
  stackJson: string,
  standIns: ReadonlySet<string>,
  adaptations: readonly StandInAdaptation[] = STAND_IN_ADAPTATIONS,
): { json: string; changes: string[] } {
  const stack = JSON.parse(stackJson);
  const changes: string[] = [];
  for (const a of adaptations) {
    if (!standIns.has(a.provider)) continue;
    for (const [name, body] of Object.entries(stack.resource?.[a.resourceType] ?? {})) {
      if (a.adapt(body)) changes.push(`${a.resourceType}.${name}: ${a.change}`);
    }
  }
  return { json: changes.length > 0 ? `${JSON.stringify(stack, null, 2)}\n` : stackJson, changes };
}
