// Plans and applies a synthesized stack with the real engine and mock
// providers (`tofu test`), for tests: the core evaluates every expression,
// reads upstream outputs through the stack's own terraform_remote_state
// (from state files written beside the project, outputs only), and calls the
// real provider's validation; the mock stands in for Azure and Kubernetes.
import * as fs from "fs";
import * as path from "path";
import { findEngines, initWithoutBackend, prepareWorkDir, runEngine, type Engine } from "./engines";
import type { Toolchain } from "./toolchain";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface MockRun {
  readonly passed: boolean;
  /** Everything the engine printed: plans and states in JSON, diagnostics, summary. */
  readonly output: string;
  /** Plan JSON (as `tofu show -json <plan>` prints it) per `command = plan` run block. */
  readonly plans: Record<string, Json>;
  /** State JSON (as `tofu show -json` prints it) per `command = apply` run block. */
  readonly states: Record<string, Json>;
  /** Error diagnostics, one line each. */
  readonly errors: string[];
}

/** OpenTofu from the toolchain: `tofu test` and its mock providers are OpenTofu's. */
export function tofuEngine(toolchain: Toolchain): Engine {
  return findEngines(toolchain, process.env).engines[0];
}

/**
 * A local state file holding only outputs, where a stack's local backend
 * (lib/backend.ts) keeps it: what terraform_remote_state reads downstream.
 * Outputs are written as sensitive, as cdktf declares cross-stack outputs.
 */
export function writeOutputsState(projectRoot: string, stack: string, outputs: Record<string, Json>): void {
  const state = {
    version: 4,
    terraform_version: "1.12.6",
    serial: 1,
    lineage: "00000000-0000-4000-8000-000000000000",
    outputs: Object.fromEntries(
      Object.entries(outputs).map(([name, value]) => [name, { value, type: typeof value === "number" ? "number" : "string", sensitive: true }]),
    ),
    resources: [],
  };
  fs.writeFileSync(path.join(projectRoot, `terraform.${stack}.tfstate`), `${JSON.stringify(state, null, 2)}\n`);
}

/** An applied state's outputs as name -> value, ready for writeOutputsState. */
export function outputsOf(state: Json): Record<string, Json> {
  return Object.fromEntries(Object.entries(state?.values?.outputs ?? {}).map(([name, o]) => [name, (o as Json).value]));
}

/**
 * Runs `tofu test -json -verbose` on a copy of a synthesized stack
 * (<outdir>/engine-tofu/<stack>) with the given test file text, and returns
 * what the engine printed, the plans and states by run block, and the errors.
 */
export async function mockTest(toolchain: Toolchain, outdir: string, stack: string, testFile: string): Promise<MockRun> {
  const engine = tofuEngine(toolchain);
  // Beside cdktf.out/stacks, so "../../../" is the project root, where the test's secret and state files are.
  const dir = path.join(outdir, "engine-tofu", stack);
  prepareWorkDir(path.join(outdir, "stacks", stack, "cdk.tf.json"), dir, toolchain.providers);
  for (const old of fs.readdirSync(dir).filter((f) => f.endsWith(".tftest.hcl"))) fs.rmSync(path.join(dir, old));
  fs.writeFileSync(path.join(dir, "mock.tftest.hcl"), testFile);
  await initWithoutBackend(engine, dir);
  const result = await runEngine(engine, dir, ["test", "-json", "-verbose", "-no-color"]);
  const plans: Record<string, Json> = {};
  const states: Record<string, Json> = {};
  const errors: string[] = [];
  let passed = false;
  for (const line of result.stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    const message = JSON.parse(line);
    if (message.type === "test_plan") plans[message["@testrun"]] = message.test_plan;
    if (message.type === "test_state") states[message["@testrun"]] = message.test_state;
    if (message.type === "diagnostic" && message.diagnostic.severity === "error") {
      const d = message.diagnostic;
      errors.push(`${d.snippet?.context ?? d.address ?? ""}: ${d.summary}: ${d.detail ?? ""}`.trim());
    }
    if (message.type === "test_summary") passed = message.test_summary.status === "pass";
  }
  if (result.status !== 0 && errors.length === 0) errors.push(result.stderr.trim() || `tofu test exited ${result.status}`);
  return { passed: passed && result.status === 0, output: result.stdout + result.stderr, plans, states, errors };
}

/** The one planned change of a resource address (e.g. "azurerm_key_vault.vault") in a plan JSON. */
export function plannedChange(plan: Json, address: string): Json {
  const change = (plan?.resource_changes ?? []).find((rc: Json) => rc.address === address);
  if (!change) throw new Error(`no ${address} in the plan (addresses: ${(plan?.resource_changes ?? []).map((rc: Json) => rc.address).join(", ")})`);
  return change.change;
}

/** The paths of every unknown value in a plan's after_unknown tree ("manifest.spec.parameters.clientID"). */
export function unknownPaths(afterUnknown: Json, prefix = ""): string[] {
  if (afterUnknown === true) return [prefix || "(the whole value)"];
  if (afterUnknown === null || typeof afterUnknown !== "object") return [];
  return Object.entries(afterUnknown).flatMap(([key, value]) => unknownPaths(value, prefix ? `${prefix}.${key}` : key));
}
