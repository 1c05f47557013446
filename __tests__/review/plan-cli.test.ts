// npm run plan's arguments and engine check, without Azure: what it refuses before planning anything.
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { baseConfig, synthProject, tempDir } from "../support/helpers";

const repo = path.resolve(__dirname, "..", "..");

describe("npm run plan", () => {
  const project = synthProject({ dev: baseConfig("dev"), qa: baseConfig("qa") });
  const emptyBin = tempDir("akskv-nobin-");
  afterAll(() => [project.root, emptyBin].forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const plan = (args: string[], env: NodeJS.ProcessEnv = process.env) => {
    const result = spawnSync(process.execPath, [path.join(repo, "tools", "build", "run-ts.mjs"), path.join(repo, "tools", "review", "plan-cli.ts"), ...args], {
      cwd: project.root,
      encoding: "utf8",
      env,
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };

  test("without --env: exit 2, saying it is required; nothing written", () => {
    const result = plan([]);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe("plan: --env is required; usage: npm run plan -- --env <name> [--env <name>] [--kind aks|keyvault|app ...] [--outdir cdktf.out] [--out plan-output]\n");
    expect(fs.existsSync(path.join(project.root, "plan-output"))).toBe(false);
  });

  test("an unknown environment: exit 2, naming the ones that exist", () => {
    const result = plan(["--env", "prod"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(`plan: no environment prod in ${path.join("cdktf.out", "manifest.json")} (it has dev, qa)\n`);
  });

  test("no engine on PATH: says so before doing anything", () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: emptyBin };
    delete env.TERRAFORM_BINARY_NAME;
    const result = plan(["--env", "dev"], env);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe("plan: terraform (>= 1.11.0) or tofu not found on PATH; see README\n");
    expect(fs.existsSync(path.join(project.root, "plan-output"))).toBe(false);
  });
});
