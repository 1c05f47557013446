import * as fs from "fs";
import * as path from "path";
import { App } from "cdktf";
import { loadEnvironments, type ValidatedCache } from "../config/load";
import type { EnvironmentConfig } from "../config/types";
import { STATE_STACK } from "../lib/names";
import { StateStack, stateStorages } from "./state-stack";
import { defineEnvironment, rootFromStackDir, type EnvironmentStacks } from "./environment";

export interface SynthOptions {
  /**
   * A GitHub-hosted runner's public IPv4 address (AKSKV_RUNNER_IP): added, for
   * environments with ci.hostedRunnerAccess, to the vault's and the API
   * server's allow-lists where those are restrictive, so the job's own apply
   * keeps the opening that npm run ci:runner-access made for it.
   */
  readonly runnerAddress?: string;
  /** Reuse configs validated by an earlier synth of the same sources (config/load.ts). */
  readonly validatedCache?: ValidatedCache;
}

/** An environment's config with the runner's address admitted where it opts in; unchanged otherwise. */
export function withRunnerAddress(config: EnvironmentConfig, address: string | undefined): EnvironmentConfig {
  if (!address || !config.ci.hostedRunnerAccess) return config;
  const ranges = config.aks.apiServerAuthorizedIpRanges;
  return {
    ...config,
    keyVault: config.keyVault.networkDefaultAction === "Deny" ? { ...config.keyVault, allowedCidrs: [...config.keyVault.allowedCidrs, address] } : config.keyVault,
    // An empty list means "open to all": adding one address would close it to everyone else.
    aks: ranges.length > 0 ? { ...config.aks, apiServerAuthorizedIpRanges: [...ranges, `${address}/32`] } : config.aks,
  };
}

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
export function synthesize(projectRoot: string, outdir: string, options: SynthOptions = {}): Synthesized {
  const loaded = loadEnvironments(projectRoot, "config", options.validatedCache);
  const environments = loaded.environments.map((config) => withRunnerAddress(config, options.runnerAddress));
  const { warnings } = loaded;
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
