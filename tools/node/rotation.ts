// The lab's challenge with figures: how long does a change take to reach what
// a running container sees, by delivery? In each round, one new value is
// written at once to a Key Vault secret (CSI-mounted), a ConfigMap (mounted as
// a volume) and nothing else: the environment variable was filled from that
// ConfigMap when the container started. The pod's two files are read where the
// kubelet mounted them, every poll (0.1 s), until both hold the new value; then
// the container itself is read once, to prove it sees the same files and that
// the variable never changed. Each interval runs on its own node, with the
// driver's rotation poll and the kubelet's pod sync at that interval, so the
// three deliveries are compared at the same interval. The figures go to
// docs/rotation.md, whose claims __tests__/ops/rotation-docs.test.ts checks
// against them.
import { durationSeconds } from "../../config/domain";

export interface RotationClients {
  /** Writes the round's value to the vault secret and the ConfigMap, as close together as it can. */
  write(value: string): Promise<void>;
  /** The pod's two files, read where the kubelet mounted them: cheap enough to read every poll. */
  readFiles(): Promise<{ keyVault: string; configMap: string }>;
  /** What the container itself sees, once a round: its two files and the variable. */
  readContainer(): Promise<{ keyVault: string; configMap: string; env: string }>;
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
  /** Seconds from the write to the new value in the pod's file; each file's own. */
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

/** Polls the files until both hold the value; seconds from `written` to each. */
async function untilBothChange(clients: RotationClients, value: string, written: number, options: RotationOptions, name: string): Promise<{ keyVault: number; configMap: number }> {
  const seen: { keyVault?: number; configMap?: number } = {};
  while (seen.keyVault === undefined || seen.configMap === undefined) {
    const elapsed = (clients.clock.now() - written) / 1000;
    if (elapsed > options.roundTimeoutSeconds) {
      const missing = [seen.keyVault === undefined && "the Key Vault file", seen.configMap === undefined && "the ConfigMap file"].filter(Boolean).join(" and ");
      throw new RotationMeasureError(`${name}: ${missing} did not change within ${options.roundTimeoutSeconds} s of the write`);
    }
    const now = await clients.readFiles();
    const at = (clients.clock.now() - written) / 1000;
    if (seen.keyVault === undefined && now.keyVault === value) seen.keyVault = at;
    if (seen.configMap === undefined && now.configMap === value) seen.configMap = at;
    await clients.clock.sleep(options.pollMs);
  }
  return { keyVault: seen.keyVault, configMap: seen.configMap };
}

export async function measureRotation(clients: RotationClients, options: RotationOptions, log: (line: string) => void): Promise<RotationRound[]> {
  const start = await clients.readContainer();
  const rounds: RotationRound[] = [];
  const warmUp = options.warmUpRounds ?? 0;
  for (let run = 1 - warmUp; run <= options.runs; run++) {
    const name = run < 1 ? "warm-up round" : `round ${run}`;
    const value = `round ${run} ${clients.clock.now()}`;
    const written = clients.clock.now();
    await clients.write(value);
    const seen = await untilBothChange(clients, value, written, options, name);
    const inside = await clients.readContainer();
    if (inside.env !== start.env) throw new RotationMeasureError(`${name}: the environment variable changed in a running container (${JSON.stringify(inside.env)}), which Kubernetes never does`);
    if (inside.keyVault !== value || inside.configMap !== value) throw new RotationMeasureError(`${name}: the container does not see the files the kubelet mounted for it (Key Vault ${JSON.stringify(inside.keyVault)}, ConfigMap ${JSON.stringify(inside.configMap)})`);
    const round = { ...seen, envUnchangedFor: (clients.clock.now() - written) / 1000 };
    if (run < 1) {
      log(`warm-up round (not counted): Key Vault file after ${round.keyVault.toFixed(1)} s, ConfigMap file after ${round.configMap.toFixed(1)} s`);
      continue;
    }
    log(`round ${run}/${options.runs}: Key Vault file after ${round.keyVault.toFixed(1)} s, ConfigMap file after ${round.configMap.toFixed(1)} s, environment variable unchanged after ${round.envUnchangedFor.toFixed(1)} s`);
    rounds.push(round);
  }
  return rounds;
}

/** One interval's measurement: the driver's rotation poll and the kubelet's pod sync both at `interval`. */
export interface RotationSeries {
  readonly interval: string;
  readonly rounds: readonly RotationRound[];
}

export interface RotationReport {
  readonly date: string;
  readonly pollMs: number;
  readonly series: readonly RotationSeries[];
}

const BEGIN = "<!-- lab:rotation table: written by npm run lab:rotation -- --write-docs -->";
const END = "<!-- lab:rotation table end -->";

const DELIVERIES = [
  { row: "Key Vault secret, CSI-mounted", changes: "yes", pick: (r: RotationRound) => r.keyVault },
  { row: "ConfigMap volume", changes: "yes", pick: (r: RotationRound) => r.configMap },
  { row: "environment variable from that ConfigMap", changes: "no", pick: (r: RotationRound) => r.envUnchangedFor },
] as const;

/** The dated markdown table docs/rotation.md shows: per interval and delivery, min, median and max. */
export function rotationTable(report: RotationReport): string {
  const runs = [...new Set(report.series.map((s) => s.rounds.length))].join("/");
  const rows = report.series.flatMap((s) =>
    DELIVERIES.map((d) => {
      const values = s.rounds.map(d.pick);
      const [min, med, max] = [Math.min(...values), median(values), Math.max(...values)].map((v) => v.toFixed(1));
      const figures = d.changes === "yes" ? `${min} | ${med} | ${max}` : `never (unchanged ${min} s after) | never | never`;
      return `| ${s.interval} | ${d.row} | ${d.changes} | ${figures} | ${values.map((v) => v.toFixed(1)).join(", ")} |`;
    }),
  );
  return [
    `| interval (measured ${report.date}, ${runs} rounds after a warm-up, files read every ${report.pollMs / 1000} s, one node) | delivery | changes without a restart | min s | median s | max s | each round, s |`,
    "| --- | --- | --- | ---: | ---: | ---: | --- |",
    ...rows,
  ].join("\n");
}

/** docs/rotation.md with the table between its markers replaced; fails when the markers are missing. */
export function withRotationTable(doc: string, table: string): string {
  const begin = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (begin < 0 || end < begin) throw new RotationMeasureError(`the document has no ${BEGIN} ... ${END} block to write the table into`);
  return `${doc.slice(0, begin + BEGIN.length)}\n${table}\n${doc.slice(end)}`;
}

export interface TableSeries {
  readonly intervalSeconds: number;
  readonly rounds: number;
  /** min, median and max seconds of each file; the variable's "changes" cell. */
  readonly keyVault: readonly [number, number, number];
  readonly configMap: readonly [number, number, number];
  readonly envChanges: boolean;
}

/** The figures of the table in a document, as rotationTable wrote them: what the docs test checks claims against. */
export function tableFigures(doc: string): { date: string; pollSeconds: number; series: TableSeries[] } | undefined {
  const begin = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (begin < 0 || end < begin) return undefined;
  const block = doc.slice(begin, end);
  const date = /measured (\d{4}-\d{2}-\d{2})/.exec(block)?.[1];
  const poll = /files read every ([\d.]+) s/.exec(block)?.[1];
  const cells = block.split("\n").filter((line) => /^\| \d+[smh] \|/.test(line)).map((line) => line.split("|").slice(1, -1).map((c) => c.trim()));
  if (!date || !poll || cells.length === 0) return undefined;
  const series = [...new Set(cells.map((c) => c[0]))].map((interval) => {
    const row = (label: string) => cells.find((c) => c[0] === interval && c[1] === label);
    const kv = row(DELIVERIES[0].row);
    const cm = row(DELIVERIES[1].row);
    const env = row(DELIVERIES[2].row);
    const triple = (c: string[] | undefined) => [Number(c?.[3]), Number(c?.[4]), Number(c?.[5])] as const;
    return { intervalSeconds: durationSeconds(interval), rounds: kv?.[6].split(",").length ?? 0, keyVault: triple(kv), configMap: triple(cm), envChanges: env?.[2] !== "no" };
  });
  return { date, pollSeconds: Number(poll), series };
}
