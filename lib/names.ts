// Stack names end with the environment, so `cdktf deploy '*-dev'` deploys one environment.

export type StackKind = "aks" | "keyvault" | "app";

/** The stack that holds the other stacks' state; deployed once, by hand, before any environment. */
export const STATE_STACK = "bootstrap";

export function stackName(kind: StackKind, environment: string): string {
  return `${kind}-${environment}`;
}

/** The environment a stack belongs to: what follows its kind ("keyvault-dev" -> "dev"). */
export function environmentOf(stack: string): string {
  const dash = stack.indexOf("-");
  return dash < 0 ? stack : stack.slice(dash + 1);
}

/** Terraform logical ID of a managed Key Vault secret; pinned by tests because a rename destroys the secret. */
export function secretLogicalId(objectName: string): string {
  return `secret-${objectName}`;
}
