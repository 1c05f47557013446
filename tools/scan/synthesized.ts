// Synthesized Terraform JSON as the scan and the review read it.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

/** A list attribute, [] when absent. */
export function list(value: Json): Json[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}
