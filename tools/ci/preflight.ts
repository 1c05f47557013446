// What a pipeline job checks before it signs in anywhere: that the environment
// keeps its state where the next job finds it, and that the runner can reach
// what the stacks talk to. Pure: the workflows run it through preflight-cli.ts.
import type { EnvironmentConfig } from "../../config/types";

/** The runner a job gets when the config names none. */
export const HOSTED_RUNNER = ["ubuntu-latest"];

export interface Preflight {
  /** One line each; empty: the job may go on. */
  readonly problems: string[];
  /** The labels the environment's jobs run on. */
  readonly runsOn: readonly string[];
  /** Whether each job admits the hosted runner's address for its own length (ci.hostedRunnerAccess). */
  readonly openForRunner: boolean;
}

/** What admits only listed addresses, which a GitHub-hosted runner's changing address is not among. */
export function closedToHostedRunners(config: EnvironmentConfig): string[] {
  const closed: string[] = [];
  if (config.keyVault.networkDefaultAction === "Deny") {
    closed.push('the vault firewall denies by default (keyVault.networkDefaultAction "Deny"); Terraform reads and writes secrets through it');
  }
  if (config.aks.privateCluster) closed.push("the API server is private (aks.privateCluster)");
  else if (config.aks.apiServerAuthorizedIpRanges.length > 0) {
    closed.push("the API server admits only aks.apiServerAuthorizedIpRanges; the app stack talks to it");
  }
  return closed;
}

export function preflight(config: EnvironmentConfig): Preflight {
  const problems: string[] = [];
  if (!config.backend) {
    problems.push(
      `${config.file}: no backend section: a pipeline runner discards local state when the job ends, so the next deploy fails ` +
        `with "already exists" and destroy finds nothing to destroy; bootstrap shared state first (docs/ci.md, "Shared state")`,
    );
  }
  const runsOn = config.ci.runsOn ?? HOSTED_RUNNER;
  const closed = closedToHostedRunners(config);
  if (!config.ci.runsOn && !config.ci.hostedRunnerAccess && closed.length > 0) {
    problems.push(
      `${config.file}: ${closed.join("; ")}: a GitHub-hosted runner cannot reach them; set ci.runsOn to the labels of a ` +
        `self-hosted runner inside ${config.environment}'s network (recommended), or ci.hostedRunnerAccess to true to admit ` +
        `the runner's address for the length of each job (docs/ci.md, "Runners")`,
    );
  }
  return { problems, runsOn, openForRunner: config.ci.hostedRunnerAccess && closed.length > 0 };
}
