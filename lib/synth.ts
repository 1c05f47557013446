import * as fs from "fs";
import * as path from "path";
import { App } from "cdktf";
import { loadEnvironments } from "../config/load";
import { STATE_STACK, StateStack, stateStorages } from "../stacks/state-stack";
import { defineEnvironment, rootFromStackDir, type EnvironmentStacks } from "./environment";

export interface Synthesized {
  readonly environments: EnvironmentStacks[];
  readonly warnings: string[];
}

/** Removes what an earlier synth left, so a failed synth leaves no stack to deploy by mistake. */
export function removeSynthesizedStacks(outdir: string): void {
  fs.rmSync(path.join(outdir, "stacks"), { recursive: true, force: true });
  fs.rmSync(path.join(outdir, "manifest.json"), { force: true });
}

/**
 * Validates every config/<env>.json of the project, then writes every
 * environment's stacks to outdir. Throws ConfigError before creating anything
 * when a file is invalid.
 */
export function synthesize(projectRoot: string, outdir: string): Synthesized {
  const { environments, warnings } = loadEnvironments(projectRoot);
  const app = new App({ outdir });
  const stacks = environments.map((config) => defineEnvironment(app, config, projectRoot));
  const storages = stateStorages(environments);
  if (storages.length > 0) {
    const withBackend = environments.filter((e) => e.backend);
    new StateStack(app, STATE_STACK, {
      storages,
      subscriptionId: withBackend.find((e) => e.subscriptionId)?.subscriptionId,
      state: { rootFromStackDir: rootFromStackDir(app.outdir, projectRoot) },
    });
  }
  app.synth();
  return { environments: stacks, warnings };
}
