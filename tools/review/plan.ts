// Terraform plans per stack, in dependency order, for the pull request
// workflow. The runner (terraform itself) is injected, so the ordering,
// summarizing and marking are tested without Terraform or Azure.
import { environmentOf, kindOf } from "../../lib/names";
import { deployOrder, type Json } from "./diff";

export interface PlanSummary {
  readonly stack: string;
  /** "waits": it reads an output its upstream stack gets only from its own apply (error says which). */
  readonly status: "changes" | "no-changes" | "failed" | "waits";
  readonly add: number;
  readonly change: number;
  readonly replace: number;
  readonly destroy: number;
  /**
   * An upstream stack has pending changes, so this stack was planned against
   * the upstream outputs as deployed now, not as they will be.
   */
  readonly upstreamPending: boolean;
  readonly error?: string;
}

/** Counts the actions in `terraform show -json <planfile>`. */
export function summarizePlan(stack: string, plan: Json, upstreamPending: boolean): PlanSummary {
  let add = 0;
  let change = 0;
  let replace = 0;
  let destroy = 0;
  for (const rc of plan?.resource_changes ?? []) {
    const actions: string[] = rc?.change?.actions ?? [];
    if (actions.includes("create") && actions.includes("delete")) replace++;
    else if (actions.includes("create")) add++;
    else if (actions.includes("update")) change++;
    else if (actions.includes("delete")) destroy++;
  }
  const status = add + change + replace + destroy > 0 ? "changes" : "no-changes";
  return { stack, status, add, change, replace, destroy, upstreamPending };
}

/** Whether a stack is one of these environments' and, when kinds are given, of one of those kinds. */
export function inScope(stack: string, environments: readonly string[], kinds?: readonly string[]): boolean {
  return environments.includes(environmentOf(stack)) && (!kinds || kinds.length === 0 || kinds.includes(kindOf(stack)));
}

/** Plan only stacks of these kinds ("aks", "keyvault", "app"), after the summaries of an earlier run. */
export interface PlanOnly {
  readonly kinds?: readonly string[];
  readonly earlier?: readonly PlanSummary[];
}

export interface PlanRunner {
  /** Runs init, plan and show for one stack; returns the plan JSON, or throws with a one-line reason. */
  plan(stack: string): Json;
}

/**
 * Plans every stack of the given environments, upstream first. A stack whose
 * upstream stack has pending changes is still planned (against what is deployed),
 * and marked so a reviewer knows its plan may change after the upstream deploys.
 * A failed upstream does not stop its downstream stacks.
 */
export function planEnvironments(manifest: Json, environments: readonly string[], runner: PlanRunner, only: PlanOnly = {}): PlanSummary[] {
  // An earlier run's summaries (the upstream kinds, planned before a fresh sign-in) mark what is pending upstream.
  const summaries = new Map<string, PlanSummary>((only.earlier ?? []).map((s) => [s.stack, s]));
  for (const stack of deployOrder(manifest).filter((s) => inScope(s, environments, only.kinds))) {
    const upstream: string[] = manifest.stacks[stack].dependencies ?? [];
    const upstreamPending = upstream.some((u) => {
      const s = summaries.get(u);
      return s !== undefined && (s.status !== "no-changes" || s.upstreamPending);
    });
    try {
      summaries.set(stack, summarizePlan(stack, runner.plan(stack), upstreamPending));
    } catch (error) {
      const reason = (error as Error).message.split("\n")[0];
      const waits = upstreamPending ? waitsFor(reason) : undefined;
      summaries.set(stack, { stack, status: waits ? "waits" : "failed", add: 0, change: 0, replace: 0, destroy: 0, upstreamPending, error: waits ?? reason });
    }
  }
  return [...summaries.values()];
}

/**
 * Terraform's "Unsupported attribute" on a remote-state read: the upstream stack's state lacks an output
 * that its pending apply adds (a new app's identity, a network section's subnet). Not a failure of this
 * stack; the line says which upstream apply it waits for.
 */
export function waitsFor(error: string): string | undefined {
  const match = /terraform_remote_state\.cross-stack-reference-input-([\w-]+)\.outputs[\s\S]*?does not have an attribute named "([^"]+)"/.exec(error);
  return match ? `waits for ${match[1]}'s apply: its state has no output ${match[2]} yet, so this stack is planned after that apply (the deploy does so in order)` : undefined;
}
