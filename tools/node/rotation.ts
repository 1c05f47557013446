// The lab's challenge with figures: how long does a change take to reach what
// a running container sees, by delivery? In each round, one new value is
// written at once to a Key Vault secret (CSI-mounted), a ConfigMap (mounted as
// a volume) and nothing else: the environment variable was filled from that
// ConfigMap when the container started. The container is read every poll until
// both files hold the new value; the variable is read too, and never changes.
// The figures go to docs/rotation.md, whose claims __tests__/ops/rotation-docs.test.ts
// checks against them.
import { durationSeconds } from "../../config/domain";

export interface RotationClients {
  /** Writes the round's value to the vault secret and the ConfigMap, as close together as it can. */
  write(value: string): Promise<void>;
  /** What the container sees now. */
  read(): Promise<{ keyVault: string; configMap: string; env: string }>;
  readonly clock: { now(): number; sleep(ms: number): Promise<void> };
}

export interface RotationOptions {
  readonly runs: number;
  /**
   * Rounds run first and not counted: the kubelet syncs a pod that just started more often than every
   * syncFrequency, so its first ConfigMap change arrives early (0.3 s where the next took 76 s).
   */
  readonly warmUpRounds?: number;
  readonly pollMs: number;
  /** A round that sees neither file change within this fails, naming which. */
  readonly roundTimeoutSeconds: number;
}

export interface RotationRound {
  /** Seconds from the write to the new value in the container; each file's own. */
  readonly keyVault: number;
  readonly configMap: number;
  /** The variable still held its start value this long after the write. */
  readonly envUnchangedFor: number;
}

export class RotationMeasureError extends Error {}

export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

export async function measureRotation(clients: RotationClients, options: RotationOptions, log: (line: string) => void): Promise<RotationRound[]> {
  const start = await clients.read();
  const rounds: RotationRound[] = [];
  const warmUp = options.warmUpRounds ?? 0;
  for (let run = 1 - warmUp; run <= options.runs; run++) {
    const value = `round ${run} ${clients.clock.now()}`;
    const written = clients.clock.now();
    await clients.write(value);
    const seen: { keyVault?: number; configMap?: number } = {};
    let env = start.env;
    while (seen.keyVault === undefined || seen.configMap === undefined) {
      const elapsed = (clients.clock.now() - written) / 1000;
      if (elapsed > options.roundTimeoutSeconds) {
        const missing = [seen.keyVault === undefined && "the Key Vault file", seen.configMap === undefined && "the ConfigMap file"].filter(Boolean).join(" and ");
        throw new RotationMeasureError(`${run < 1 ? "warm-up round" : `round ${run}`}: ${missing} did not change within ${options.roundTimeoutSeconds} s of the write`);
      }
      const now = await clients.read();
      const at = (clients.clock.now() - written) / 1000;
      if (seen.keyVault === undefined && now.keyVault === value) seen.keyVault = at;
      if (seen.configMap === undefined && now.configMap === value) seen.configMap = at;
      env = now.env;
      if (env !== start.env) throw new RotationMeasureError(`round ${run}: the environment variable changed in a running container (${JSON.stringify(env)}), which Kubernetes never does`);
      await clients.clock.sleep(options.pollMs);
    }
    const round = { keyVault: seen.keyVault!, configMap: seen.configMap!, envUnchangedFor: (clients.clock.now() - written) / 1000 };
    if (run < 1) {
      log(`warm-up round (not counted): Key Vault file after ${round.keyVault.toFixed(1)} s, ConfigMap file after ${round.configMap.toFixed(1)} s`);
      continue;
    }
    log(`round ${run}/${options.runs}: Key Vault file after ${round.keyVault.toFixed(1)} s, ConfigMap file after ${round.configMap.toFixed(1)} s, environment variable unchanged after ${round.envUnchangedFor.toFixed(1)} s`);
    rounds.push(round);
  }
  return rounds;
}

export interface RotationReport {
  readonly date: string;
  readonly rotationInterval: string;
  readonly kubeletSyncFrequency: string;
  readonly rounds: readonly RotationRound[];
}

const BEGIN = "<!-- lab:rotation table: written by npm run lab:rotation -- --write-docs -->";
const END = "<!-- lab:rotation table end -->";

/** The dated markdown table docs/rotation.md shows. */
export function rotationTable(report: RotationReport): string {
  const figures = (pick: (r: RotationRound) => number) => report.rounds.map((r) => pick(r).toFixed(1)).join(", ");
  const med = (pick: (r: RotationRound) => number) => median(report.rounds.map(pick)).toFixed(1);
  return [
    `| measured ${report.date}, ${report.rounds.length} rounds after a warm-up, one node | changes without a restart | median s | each round, s |`,
    "| --- | --- | ---: | --- |",
    `| Key Vault secret, CSI-mounted (rotation interval ${report.rotationInterval}) | yes | ${med((r) => r.keyVault)} | ${figures((r) => r.keyVault)} |`,
    `| ConfigMap volume (kubelet syncFrequency ${report.kubeletSyncFrequency}, AKS's default) | yes | ${med((r) => r.configMap)} | ${figures((r) => r.configMap)} |`,
    `| environment variable from that ConfigMap | no | never (unchanged ${med((r) => r.envUnchangedFor)} s after) | ${figures((r) => r.envUnchangedFor)} |`,
  ].join("\n");
}

/** docs/rotation.md with the table between its markers replaced; fails when the markers are missing. */
export function withRotationTable(doc: string, table: string): string {
  const begin = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (begin < 0 || end < begin) throw new RotationMeasureError(`the document has no ${BEGIN} ... ${END} block to write the table into`);
  return `${doc.slice(0, begin + BEGIN.length)}\n${table}\n${doc.slice(end)}`;
}

/** The figures of the table in a document, as rotationTable wrote them: what the docs test checks claims against. */
export function tableFigures(doc: string): { date: string; rotationIntervalSeconds: number; syncFrequencySeconds: number; keyVault: number; configMap: number; envChanges: boolean } | undefined {
  const begin = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (begin < 0 || end < begin) return undefined;
  const block = doc.slice(begin, end);
  const row = (label: RegExp) => block.split("\n").find((line) => label.test(line))?.split("|").map((cell) => cell.trim());
  const date = /measured (\d{4}-\d{2}-\d{2})/.exec(block)?.[1];
  const kv = row(/^\| Key Vault secret/);
  const cm = row(/^\| ConfigMap volume/);
  const env = row(/^\| environment variable/);
  const interval = /rotation interval (\w+)\)/.exec(block)?.[1];
  const sync = /syncFrequency (\w+)/.exec(block)?.[1];
  if (!date || !kv || !cm || !env || !interval || !sync) return undefined;
  return { date, rotationIntervalSeconds: durationSeconds(interval), syncFrequencySeconds: durationSeconds(sync), keyVault: Number(kv[3]), configMap: Number(cm[3]), envChanges: env[2] !== "no" };
}
