// docs/rotation.md's claims against the figures npm run lab:rotation measured
// and wrote into it, and the measuring loop's refusals.
import * as fs from "fs";
import * as path from "path";
import { measureRotation, median, RotationMeasureError, rotationTable, tableFigures, withRotationTable, type RotationClients } from "../../tools/node/rotation";

const doc = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "rotation.md"), "utf8");
const figures = tableFigures(doc);

describe("docs/rotation.md against its measured table", () => {
  test("holds a dated lab:rotation table (npm run lab:rotation -- --write-docs writes it): at least two intervals, five rounds each, files read every 0.2 s or finer", () => {
    expect(figures).toBeDefined();
    expect(figures!.series.length).toBeGreaterThanOrEqual(2);
    expect(new Set(figures!.series.map((s) => s.intervalSeconds)).size).toBe(figures!.series.length);
    for (const s of figures!.series) expect(s.rounds).toBeGreaterThanOrEqual(5);
    expect(figures!.pollSeconds).toBeLessThanOrEqual(0.2);
  });

  test('"the mounted file changes within about one aks.secretRotationInterval": at every interval, the Key Vault file\'s slowest round is at most one interval plus 3 s for the fetch', () => {
    for (const s of figures!.series) {
      expect(s.keyVault[0]).toBeLessThanOrEqual(s.keyVault[1]);
      expect(s.keyVault[2]).toBeLessThanOrEqual(s.intervalSeconds + 3);
    }
  });

  test('"up to 1.5 kubelet sync periods plus its cache delay": at every interval the ConfigMap\'s slowest round is at most 1.5 periods plus 15 s, and AKS\'s 1 minute is among the intervals', () => {
    for (const s of figures!.series) expect(s.configMap[2]).toBeLessThanOrEqual(1.5 * s.intervalSeconds + 15);
    expect(figures!.series.map((s) => s.intervalSeconds)).toContain(60);
    expect(doc).toContain("up to 1.5 kubelet sync periods (60-90 s with the default 1 minute, which the kubelet jitters by up to 50 %)");
  });

  test('"Environment variables ... no; they are set when the container starts": the variable never changed', () => {
    for (const s of figures!.series) expect(s.envChanges).toBe(false);
    expect(doc).toMatch(/Environment variables filled from such a Secret: \*\*no\*\*/);
  });
});

describe("the lab:rotation measurement", () => {
  /** A pod whose Key Vault file changes after kvMs and ConfigMap file after cmMs, on a fake clock. */
  function fakeLab(kvMs: number, cmMs: number, opts: { envChangesTo?: string; containerSees?: string } = {}): RotationClients & { reads: () => number } {
    let now = 0;
    let written = -1;
    let value = "start";
    let reads = 0;
    const files = () => {
      const since = written < 0 ? -1 : now - written;
      return { keyVault: since >= kvMs ? value : "old", configMap: since >= cmMs ? value : "old" };
    };
    return {
      clock: { now: () => now, sleep: async (ms) => void (now += ms) },
      async write(v) {
        value = v;
        written = now;
      },
      async readFiles() {
        reads++;
        return files();
      },
      async readContainer() {
        const seen = opts.containerSees && written >= 0 ? { keyVault: opts.containerSees, configMap: opts.containerSees } : files();
        return { ...seen, env: opts.envChangesTo && written >= 0 ? opts.envChangesTo : "start" };
      },
      reads: () => reads,
    };
  }

  test("times each file from the write, per round, and the median of the rounds; a warm-up round is not counted", async () => {
    const lines: string[] = [];
    const lab = fakeLab(5_000, 61_000);
    const rounds = await measureRotation(lab, { runs: 3, warmUpRounds: 1, pollMs: 100, roundTimeoutSeconds: 180 }, (l) => lines.push(l));
    expect(rounds.map((r) => [r.keyVault, r.configMap])).toEqual([[5, 61], [5, 61], [5, 61]]);
    // Read every poll: 611 reads a round, for four rounds.
    expect(lab.reads()).toBe(4 * 611);
    expect(lines[0]).toMatch(/^warm-up round \(not counted\)/);
    expect(lines).toHaveLength(4);
    expect(median([3, 9, 5])).toBe(5);
    expect(median([3, 9, 5, 7])).toBe(6);
  });

  test("a file that never changes fails the round, naming it and the bound", async () => {
    await expect(measureRotation(fakeLab(5_000, 10_000_000), { runs: 3, pollMs: 200, roundTimeoutSeconds: 30 }, () => undefined)).rejects.toThrow(
      new RotationMeasureError("round 1: the ConfigMap file did not change within 30 s of the write"),
    );
  });

  test("an environment variable that changed in a running container is refused as a wrong measurement", async () => {
    await expect(measureRotation(fakeLab(1_000, 1_000, { envChangesTo: "new" }), { runs: 3, pollMs: 200, roundTimeoutSeconds: 30 }, () => undefined)).rejects.toThrow(/environment variable changed in a running container/);
  });

  test("a container that does not see the files the kubelet mounted is refused: the figures would not be the app's", async () => {
    await expect(measureRotation(fakeLab(1_000, 1_000, { containerSees: "stale" }), { runs: 3, pollMs: 200, roundTimeoutSeconds: 30 }, () => undefined)).rejects.toThrow(
      new RotationMeasureError('round 1: the container does not see the files the kubelet mounted for it (Key Vault "stale", ConfigMap "stale")'),
    );
  });

  test("the table it writes is the table the docs test reads: min, median and max per interval and delivery; writing needs the markers", () => {
    const rounds = (kv: number[], cm: number[]) => kv.map((k, i) => ({ keyVault: k, configMap: cm[i], envUnchangedFor: cm[i] + 0.2 }));
    const table = rotationTable({
      date: "2026-12-01",
      pollMs: 100,
      series: [
        { interval: "10s", rounds: rounds([4.2, 5.1, 3, 9.9, 0.4], [8, 12, 10, 14, 9]) },
        { interval: "1m", rounds: rounds([30, 50, 10, 59, 20], [70, 80, 62, 88, 75]) },
      ],
    });
    expect(table).toContain("| 10s | Key Vault secret, CSI-mounted | yes | 0.4 | 4.2 | 9.9 | 4.2, 5.1, 3.0, 9.9, 0.4 |");
    expect(table).toContain("| 1m | ConfigMap volume | yes | 62.0 | 75.0 | 88.0 |");
    const written = withRotationTable("a\n<!-- lab:rotation table: written by npm run lab:rotation -- --write-docs -->\nold\n<!-- lab:rotation table end -->\nb\n", table);
    expect(tableFigures(written)).toEqual({
      date: "2026-12-01",
      pollSeconds: 0.1,
      series: [
        { intervalSeconds: 10, rounds: 5, keyVault: [0.4, 4.2, 9.9], configMap: [8, 10, 14], envChanges: false },
        { intervalSeconds: 60, rounds: 5, keyVault: [10, 30, 59], configMap: [62, 75, 88], envChanges: false },
      ],
    });
    expect(written).not.toContain("old");
    expect(() => withRotationTable("no markers", table)).toThrow(/has no <!-- lab:rotation table/);
  });
});
