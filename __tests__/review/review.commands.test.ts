// The offline review, end to end: a throwaway git repository holding this
// project's code and a small config, a base commit, a change in the working
// tree, and `npm run review -- --base HEAD`, compared as exact Markdown.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { baseConfig, copyOfProject, run, type Json } from "../support/helpers";


function git(cwd: string, ...args: string[]): void {
  const result = spawnSync("git", ["-c", "user.name=test", "-c", "user.email=test@example.com", ...args], { cwd, encoding: "utf8" });
  if (result.status !== 0) throw new Error(result.stderr);
}

/** A git repository with this project's code and one environment, dev, committed as the base. */
function repositoryWith(config: Json): string {
  const root = copyOfProject("akskv-review-test-");
  for (const file of fs.readdirSync(path.join(root, "config")).filter((f) => f.endsWith(".json"))) fs.rmSync(path.join(root, "config", file));
  fs.writeFileSync(path.join(root, "config", "dev.json"), JSON.stringify(config, null, 2));
  fs.writeFileSync(path.join(root, ".gitignore"), "node_modules\n.build-cache/\ncdktf.out/\n");
  git(root, "init", "--quiet");
  git(root, "add", "-A");
  git(root, "commit", "--quiet", "-m", "base");
  return root;
}

function review(root: string, ...args: string[]) {
  return run(process.execPath, [path.join(root, "tools", "build", "run-ts.mjs"), "tools/review/cli.ts", ...args], root);
}

function change(root: string, edit: (c: Json) => void): void {
  const file = path.join(root, "config", "dev.json");
  const config = JSON.parse(fs.readFileSync(file, "utf8"));
  edit(config);
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
}

const VAULT_POLICY = "azurerm_key_vault_access_policy.secrets-provider-access";
const SPC = "kubernetes_manifest.secret-provider-class_manifest_D94227CE";

describe("npm run review", () => {
  const root = repositoryWith(baseConfig("dev"));
  afterEach(() => git(root, "checkout", "--quiet", "--", "config", "stacks"));

  test("no change: says so, exit 0", () => {
    const result = review(root, "--base", "HEAD");
    expect(result.stdout).toBe("## Infrastructure review\n\nNo changes: the working tree synthesizes the same stacks as `HEAD`.\n");
    expect(result.status).toBe(0);
  }, 60_000);

  test("an added secret: the new resource and the SecretProviderClass's new object", () => {
    change(root, (c) =>
      c.keyVault.secrets.push({ objectName: "db-password", objectType: "secret", objectAlias: "db.txt", contentType: "text/plain", source: { file: "secrets/dev/db.txt" } }),
    );
    const result = review(root, "--base", "HEAD");
    expect(result.stdout).toBe(
      [
        "## Infrastructure review",
        "",
        "Compared with `HEAD`: 2 to add, 2 to change, 0 to replace, 0 to destroy, in environment `dev`.",
        "",
        "### Security-relevant",
        "",
        "Nothing security-relevant changed.",
        "",
        "### dev",
        "",
        "#### keyvault-dev",
        "",
        "| Action | Resource | Changed attributes |",
        "| --- | --- | --- |",
        "| + add | `azurerm_key_vault_secret.secret-db-password` | |",
        "| + add | `terraform_data.secret-db-password-revision` | |",
        "",
        "Cross-stack wiring:",
        "",
        "- passes on `${azurerm_key_vault_secret.secret-db-password.version}` (output `cross-stack-output-azurerm_key_vault_secretsecret-db-passwordversion`)",
        "",
        "#### app-dev",
        "",
        "| Action | Resource | Changed attributes |",
        "| --- | --- | --- |",
        // The pods roll: the new secret's version joins the pod template's annotation.
        "| ~ change | `kubernetes_deployment_v1.deployment` | `spec.template.metadata.annotations.aks-keyvault.cdktf.io/secret-versions`: " +
          '`"…retsversion}"` → `"…retsversion},db-password=${data.terraform_remote_state.cross-stack-referenc...` |',
        `| ~ change | \`${SPC}\` | \`manifest.spec.parameters.objects\`: \`""\` → \`"- \\| ⏎ objectName: db-password ⏎ objectType: secret ⏎ objectAlias: db.txt"\` |`,
        "",
      ].join("\n"),
    );
    expect(result.status).toBe(0);
  }, 60_000);

  test("a widened permission: called out as security-relevant", () => {
    change(root, (c) => c.keyVault.secrets.push({ objectName: "signing-key", objectType: "key", objectAlias: "signing-key.pem", source: { existing: true } }));
    const result = review(root, "--base", "HEAD");
    expect(result.stdout).toBe(
      [
        "## Infrastructure review",
        "",
        "Compared with `HEAD`: 0 to add, 3 to change, 0 to replace, 0 to destroy, in environment `dev`.",
        "",
        "### Security-relevant",
        "",
        // The deployer reads the key's public part too, so npm run check-objects can tell whether it was imported.
        "- **Wider Key Vault permissions**: `azurerm_key_vault_access_policy.deployer-access` in `keyvault-dev` adds Get to `key_permissions`.",
        `- **Wider Key Vault permissions**: \`${VAULT_POLICY}\` in \`keyvault-dev\` adds Get to \`key_permissions\`.`,
        "",
        "### dev",
        "",
        "#### keyvault-dev",
        "",
        "| Action | Resource | Changed attributes |",
        "| --- | --- | --- |",
        "| ~ change | `azurerm_key_vault_access_policy.deployer-access` | `key_permissions`: `(none)` → `[\"Get\"]` |",
        `| ~ change | \`${VAULT_POLICY}\` | \`key_permissions\`: \`[]\` → \`["Get"]\` |`,
        "",
        "#### app-dev",
        "",
        "| Action | Resource | Changed attributes |",
        "| --- | --- | --- |",
        `| ~ change | \`${SPC}\` | \`manifest.spec.parameters.objects\`: \`""\` → \`"- \\| ⏎ objectName: signing-key ⏎ objectType: key ⏎ objectAlias: signing-key.pem"\` |`,
        "",
      ].join("\n"),
    );
  }, 60_000);

  const RENAMED = [
    "## Infrastructure review",
    "",
    "Compared with `HEAD`: 0 to add, 0 to change, 1 to replace, 0 to destroy, in environment `dev`.",
    "",
    "### Security-relevant",
    "",
    '- **Destructive**: this destroys and recreates `azurerm_key_vault.vault` in `keyvault-dev` (name "kv-test-dev-01" → "kv-test-dev-02"): the vault and every secret in it are deleted; soft delete keeps the old name reserved.',
    "",
    "### dev",
    "",
    "#### keyvault-dev",
    "",
    "| Action | Resource | Changed attributes |",
    "| --- | --- | --- |",
    '| -/+ replace | `azurerm_key_vault.vault` | `name`: `"kv-test-dev-01"` → `"kv-test-dev-02"` |',
    "",
  ].join("\n");

  test("a renamed vault: destructive; exit 0, or 1 with --fail-on-destructive", () => {
    change(root, (c) => (c.keyVault.name = "kv-test-dev-02"));
    const plain = review(root, "--base", "HEAD");
    expect(plain.stdout).toBe(RENAMED);
    expect(plain.status).toBe(0);
    const strict = review(root, "--base", "HEAD", "--fail-on-destructive");
    expect(strict.stdout).toBe(RENAMED);
    expect(strict.status).toBe(1);
    expect(strict.stderr).toContain("review: a stateful resource would be destroyed (see Security-relevant); failing as --fail-on-destructive asks");
  }, 90_000);

  test("a ref that does not exist, or no --base: exit 2 with one line, and no worktree left behind", () => {
    const missing = review(root, "--base", "no-such-branch");
    expect(missing.status).toBe(2);
    expect(missing.stderr.trim()).toBe("review: no such git ref: no-such-branch");
    const noBase = review(root);
    expect(noBase.status).toBe(2);
    expect(noBase.stderr.trim()).toBe("review: --base is required; usage: npm run review -- --base <git-ref> [--fail-on-destructive] [--same] [--json <file>]");
    const worktrees = spawnSync("git", ["worktree", "list"], { cwd: root, encoding: "utf8" }).stdout.trim().split("\n");
    expect(worktrees).toHaveLength(1);
  }, 60_000);

  test("--same, the refactor's guard: a code change that synthesizes the same JSON passes; one that changes a stack fails naming it", () => {
    const stack = path.join(root, "stacks", "keyvault-stack.ts");
    const code = fs.readFileSync(stack, "utf8");
    // New code that declares nothing: the JSON stays byte for byte.
    fs.writeFileSync(stack, `${code}\nexport const UNUSED_BY_THE_STACKS = 1;\n`);
    const same = review(root, "--base", "HEAD", "--same");
    expect([same.status, same.stderr]).toEqual([0, ""]);
    // A changed tag on the vault: the vault stack's JSON differs, and only it.
    expect(code).toContain("      tags: config.tags,\n    });\n");
    fs.writeFileSync(stack, code.replace("      tags: config.tags,\n    });\n", '      tags: { ...config.tags, changed: "yes" },\n    });\n'));
    const changed = review(root, "--base", "HEAD", "--same");
    expect([changed.status, changed.stderr]).toEqual([1, "review: --same: keyvault-dev synthesizes differently from HEAD\n"]);
  }, 120_000);
});
