// OPT-IN: needs a `terraform` binary (>= 1.11) on PATH; run with `npm run test:terraform`.
// Not part of `npm test`. Evaluates the exact expressions the Key Vault stack
// synthesizes with Terraform itself, from a directory at the same depth as the
// stack's working directory, so the relative path to the secret file is
// resolved as it is at deploy time. No provider or Azure access is needed.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { baseConfig, resource, synthProject } from "./helpers";

function evaluate(expression: string, cwd: string): string {
  const result = spawnSync("terraform", ["console"], {
    cwd,
    input: `${expression}\n`,
    encoding: "utf8",
    env: { ...process.env, CHECKPOINT_DISABLE: "1" },
  });
  if (result.error) throw new Error(`terraform is needed for this test: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`terraform console failed: ${result.stderr}`);
  return result.stdout.trim();
}

const unwrap = (interpolation: string) => interpolation.replace(/^\$\{/, "").replace(/\}$/, "");

describe("secret versions, evaluated by Terraform", () => {
  const project = synthProject({ dev: baseConfig("dev") }, { "secrets/dev/configurable-secret.json": '{"v": 1}' });
  const secret = resource(project.json("keyvault-dev"), "azurerm_key_vault_secret", "secret-configurable-secrets");
  const probeDir = path.join(project.outdir, "stacks", "console-probe");
  fs.mkdirSync(probeDir, { recursive: true });
  const secretFile = path.join(project.root, "secrets/dev/configurable-secret.json");

  test("a new file content gives a new value_wo_version; the same content, the same version", () => {
    const first = evaluate(unwrap(secret.value_wo_version), probeDir);
    expect(first).toMatch(/^\d+$/);
    fs.writeFileSync(secretFile, '{"v": 2}');
    const second = evaluate(unwrap(secret.value_wo_version), probeDir);
    expect(second).toMatch(/^\d+$/);
    expect(second).not.toBe(first);
    fs.writeFileSync(secretFile, '{"v": 1}');
    expect(evaluate(unwrap(secret.value_wo_version), probeDir)).toBe(first);
  });

  test("the value expression reads the file and is marked sensitive", () => {
    expect(evaluate(unwrap(secret.value_wo), probeDir)).toBe("(sensitive value)");
    expect(evaluate(`nonsensitive(${unwrap(secret.value_wo)})`, probeDir)).toBe(JSON.stringify('{"v": 1}'));
  });
});
