// docs/rotation.md's claims against the figures npm run lab:rotation measured
// and wrote into it, and the measuring loop's refusals.
import * as fs from "fs";
import * as path from "path";
import { measureRotation, median, RotationMeasureError, rotationTable, tableFigures, withRotationTable, type RotationClients } from "../../tools/node/rotation";

const doc = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "rotation.md"), "utf8");
const figures = tableFigures(doc);

describe("docs/rotation.md against its measured table", () => {
  test("holds a dated lab:rotation table (npm run lab:rotation -- --write-docs writes it)", () => {
    expect(figures).toBeDefined();
  });

  test('"the mounted file changes within about one aks.secretRotationInterval": the Key Vault median is at most one interval plus 2 s for the fetch', () => {
    expect(figures!.keyVault).toBeLessThanOrEqual(figures!.rotationIntervalSeconds + 2);
  });

  test('"up to one and a half kubelet sync periods plus its cache delay": the ConfigMap median is at most 1.5 syncFrequency plus 15 s, and more than the Key Vault interval here', () => {
    expect(figures!.configMap).toBeLessThanOrEqual(1.5 * figures!.syncFrequencySeconds + 15);
    expect(figures!.configMap).toBeGreaterThan(figures!.rotationIntervalSeconds);
    expect(doc).toContain("up to 1.5 kubelet sync periods (60-90 s with the default 1 minute, which the kubelet jitters by up to 50 %)");
    expect(figures!.syncFrequencySeconds).toBe(60);
  });

  test('"Environment variables ... no; they are set when the container starts": the variable never changed', () => {
    expect(figures!.envChanges).toBe(false);
    expect(doc).toMatch(/Environment variables filled from such a Secret: \*\*no\*\*/);
  });
});

describe("the lab:rotation measurement", () => {
  /** A container whose Key Vault file changes after kvMs and ConfigMap file after cmMs, on a fake clock. */
  function fakeLab(kvMs: number, cmMs: number, envChangesTo?: string): RotationClients {
    let now = 0;
    let written = -1;
    let value = "start";
    return {
      clock: { now: () => now, sleep: async (ms) => void (now += ms) },
      async write(v) {
        value = v;
        written = now;
      },
      async read() {
        const since = written < 0 ? -1 : now - written;
        return { keyVault: since >= kvMs ? value : "old", configMap: since >= cmMs ? value : "old", env: envChangesTo && since > 0 ? envChangesTo : "start" };
      },
    };
  }

  test("times each file from the write, per round, and the median of the rounds; a warm-up round is not counted", async () => {
    const lines: string[] = [];
    const rounds = await measureRotation(fakeLab(5_000, 61_000), { runs: 3, warmUpRounds: 1, pollMs: 200, roundTimeoutSeconds: 180 }, (l) => lines.push(l));
    expect(rounds.map((r) => [r.keyVault, r.configMap])).toEqual([[5, 61], [5, 61], [5, 61]]);
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
    await expect(measureRotation(fakeLab(1_000, 1_000, "new"), { runs: 3, pollMs: 200, roundTimeoutSeconds: 30 }, () => undefined)).rejects.toThrow(/environment variable changed in a running container/);
  });

  test("the table it writes is the table the docs test reads, and writing needs the markers", () => {
    const table = rotationTable({ date: "2026-12-01", rotationInterval: "5s", kubeletSyncFrequency: "1m", rounds: [{ keyVault: 4.2, configMap: 50.1, envUnchangedFor: 50.3 }, { keyVault: 5.1, configMap: 62, envUnchangedFor: 62.2 }, { keyVault: 3, configMap: 40, envUnchangedFor: 40.1 }] });
    const written = withRotationTable("a\n<!-- lab:rotation table: written by npm run lab:rotation -- --write-docs -->\nold\n<!-- lab:rotation table end -->\nb\n", table);
    expect(tableFigures(written)).toEqual({ date: "2026-12-01", rotationIntervalSeconds: 5, syncFrequencySeconds: 60, keyVault: 4.2, configMap: 50.1, envChanges: false });
    expect(written).not.toContain("old");
    expect(() => withRotationTable("no markers", table)).toThrow(/has no <!-- lab:rotation table/);
  });
});
