// Runs the real commands a user runs, against throwaway projects: the app
// runner that cdktf.json names, and `cdktf synth` itself (offline).
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { baseConfig, writeProject } from "./helpers";

const repo = path.resolve(__dirname, "..");
const runner = path.join(repo, "scripts", "app.mjs");

function run(command: string, args: string[], cwd: string) {
  const result = spawnSync(command, args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, CDKTF_OUTDIR: path.join(cwd, "cdktf.out"), CHECKPOINT_DISABLE: "1", CI: "true" },
    timeout: 60_000,
  });
  return { status: result.status, stderr: result.stderr, stdout: result.stdout };
}

function stacksIn(root: string): string[] {
  const dir = path.join(root, "cdktf.out", "stacks");
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

describe("the app command (node scripts/app.mjs)", () => {
  test("synthesizes every environment's three stacks", () => {
    const root = writeProject({ dev: baseConfig("dev"), test: baseConfig("test") });
    const result = run(process.execPath, [runner], root);
    expect(result.stderr).toContain("warning: config/dev.json: keyVault.secrets[0].source.file");
    expect(result.status).toBe(0);
    expect(stacksIn(root)).toEqual(["aks-dev", "aks-test", "app-dev", "app-test", "keyvault-dev", "keyvault-test"]);
  });

  test("on a bad config: exits 1, prints one line per problem, and leaves no stack behind", () => {
    const root = writeProject({ dev: baseConfig("dev") });
    expect(run(process.execPath, [runner], root).status).toBe(0);
    expect(stacksIn(root)).toHaveLength(3);

    const bad = baseConfig("dev");
    bad.keyVault.name = "kv--bad";
    bad.app.replicas = 0;
    fs.writeFileSync(path.join(root, "config", "dev.json"), JSON.stringify(bad));
    const result = run(process.execPath, [runner], root);

    expect(result.status).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([
      "error: config/dev.json: keyVault.name = \"kv--bad\": must be 3-24 characters of letters, digits and hyphens, start with a letter, end with a letter or digit, and contain no '--'",
      "error: config/dev.json: app.replicas = 0: must be a whole number >= 1 (and at most 100)",
      "2 configuration problem(s); nothing was synthesized",
    ]);
    expect(stacksIn(root)).toEqual([]);
    expect(fs.existsSync(path.join(root, "cdktf.out", "manifest.json"))).toBe(false);
  });
});

describe("cdktf synth", () => {
  function cdktfProject(configs: Record<string, unknown>): string {
    const root = writeProject(configs);
    const cdktfJson = JSON.parse(fs.readFileSync(path.join(repo, "cdktf.json"), "utf8"));
    cdktfJson.app = `node ${JSON.stringify(runner)}`;
    fs.writeFileSync(path.join(root, "cdktf.json"), JSON.stringify(cdktfJson));
    return root;
  }
  const cdktf = path.join(repo, "node_modules", ".bin", "cdktf");

  test("works offline and fails with the config problem when the config is bad", () => {
    const root = cdktfProject({ dev: baseConfig("dev") });
    const ok = run(cdktf, ["synth", "--output", "cdktf.out"], root);
    expect(ok.status).toBe(0);
    expect(stacksIn(root)).toEqual(["aks-dev", "app-dev", "keyvault-dev"]);

    const bad = baseConfig("dev");
    bad.aks.secretRotationInterval = "often";
    fs.writeFileSync(path.join(root, "config", "dev.json"), JSON.stringify(bad));
    const failed = run(cdktf, ["synth", "--output", "cdktf.out"], root);
    expect(failed.status).not.toBe(0);
    expect(failed.stdout + failed.stderr).toContain('config/dev.json: aks.secretRotationInterval = "often"');
    expect(stacksIn(root)).toEqual([]);
  }, 60_000);
});
