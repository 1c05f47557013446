// Runs `cdktf synth` itself, offline, against a throwaway project whose
// cdktf.json points at this repository's app command.
import * as fs from "fs";
import * as path from "path";
import { baseConfig, run, stacksIn, writeProject } from "../support/helpers";

const repo = path.resolve(__dirname, "..", "..");
const runner = path.join(repo, "tools", "build", "app.mjs");

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
