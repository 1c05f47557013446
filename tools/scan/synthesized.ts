// What the policy rules read: one environment's synthesized stacks, as parsed
// cdk.tf.json, plus every synthesized file as text. Helpers here navigate the
// JSON the way Terraform reads it, including references between stacks.
import type { EnvironmentConfig } from "../../config/types";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface SynthesizedFile {
  /** Relative to the outdir, e.g. "stacks/aks-dev/cdk.tf.json". */
  readonly path: string;
  readonly text: string;
}

export interface SynthesizedEnvironment {
  readonly config: EnvironmentConfig;
  readonly aks: Json;
  readonly keyVault: Json;
  readonly app: Json;
  /** Every file synthesized for this environment's stacks, and the shared manifest. */
  readonly files: readonly SynthesizedFile[];
  /** Contents of the environment's secret files that exist locally; none may appear in a synthesized file. */
  readonly secretValues: readonly string[];
}

export interface Found {
  /** "<type>.<logical ID>", as in a plan. */
  readonly address: string;
  readonly body: Json;
}

/** Every resource of a Terraform type in a stack. */
export function resourcesOf(stack: Json, type: string): Found[] {
  return Object.entries(stack?.resource?.[type] ?? {}).map(([id, body]) => ({ address: `${type}.${id}`, body }));
}

/** A nested block: cdktf writes single blocks as objects, Terraform also accepts one-element arrays. */
export function block(value: Json): Json {
  return Array.isArray(value) ? value[0] : value;
}

/** A list attribute, [] when absent. */
export function list(value: Json): Json[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * Follows "${data.terraform_remote_state.X.outputs.Y}" to the expression the
 * producing stack outputs; any other value comes back unchanged.
 */
export function resolve(env: SynthesizedEnvironment, value: Json): Json {
  if (typeof value !== "string") return value;
  const match = /^\$\{data\.terraform_remote_state\.[^.]+\.outputs\.([\w-]+)\}$/.exec(value);
  if (!match) return value;
  for (const stack of [env.aks, env.keyVault, env.app]) {
    const output = stack?.output?.[match[1]];
    if (output) return output.value;
  }
  return value;
}

/** Whether a principal ID is the deployer's: the configured deployerObjectId, else the identity running Terraform. */
export function isDeployer(principal: Json, configured: string | undefined): boolean {
  if (typeof principal !== "string") return false;
  return configured !== undefined ? principal === configured : /^\$\{data\.azurerm_client_config\.[\w-]+\.object_id\}$/.test(principal);
}

/** A value as it appears in a finding, short. */
export function shown(value: Json): string {
  const text = JSON.stringify(value) ?? "absent";
  return text.length > 100 ? `${text.slice(0, 97)}...` : text;
}
