// `npm run validate` with the real engine and providers (npm run tools:terraform
// builds them; without them this file fails and says how to build them).
import * as fs from "fs";
import * as path from "path";
import { loadToolchain, toolsCacheDir } from "../../tools/engine/toolchain";
import { copyOfProject, synthesizedStacksOf, type Json } from "../support/helpers";
import { spawnSync } from "child_process";

const repo = path.resolve(__dirname, "..", "..");
// Fails the whole file, loudly, when the toolchain is missing: a check that cannot run does not pass.
loadToolchain(repo, toolsCacheDir(process.env));

function validate(root: string, args: string[] = []) {
  const result = spawnSync(process.execPath, [path.join(root, "tools", "build", "run-ts.mjs"), "tools/engine/validate-cli.ts", ...args], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, CHECKPOINT_DISABLE: "1" },
    timeout: 600_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The line validate prints for a stack and engine. */
const lineOf = (stdout: string, stack: string, engine: string) =>
  stdout.split("\n").find((l) => new RegExp(`^${stack}\\s+${engine}\\s`).test(l));

describe("npm run validate", () => {
  const root = copyOfProject("akskv-validate-");
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  test("every stack of the shipped environments is valid with OpenTofu (and Terraform where it is installed)", () => {
    const result = validate(root);
    expect(result.stderr).toBe("");
    const stacks = fs.readdirSync(path.join(root, "cdktf.out", "stacks")).sort();
    // Whatever environments config/ holds, derived as synth does (a backend adds bootstrap): a user's added one is validated too.
    expect(stacks).toEqual(synthesizedStacksOf(root));
    const engines = /^engines: (.*?)(?: \(|$)/m.exec(result.stdout)![1].split(", ").map((e) => e.split(" ")[0]);
    expect(engines[0]).toBe("tofu");
    for (const engine of engines) {
      for (const stack of stacks) expect(lineOf(result.stdout, stack, engine)).toMatch(/\svalid( \(|$)/);
    }
    expect(result.status).toBe(0);
  }, 600_000);

  test("a value the provider rejects fails with the provider's message, the block path and the stack's name", () => {
    // What vault.addOverride("soft_delete_retention_days", 3) would synthesize.
    const file = path.join(root, "cdktf.out", "stacks", "keyvault-dev", "cdk.tf.json");
    const stack = JSON.parse(fs.readFileSync(file, "utf8"));
    stack.resource.azurerm_key_vault.vault.soft_delete_retention_days = 3;
    fs.writeFileSync(file, JSON.stringify(stack, null, 2));

    const result = validate(root, ["--no-synth", "--stack", "keyvault-dev", "--stack", "app-dev"]);
    expect(result.status).toBe(1);
    expect(lineOf(result.stdout, "keyvault-dev", "tofu")).toMatch(/1 error\(s\)/);
    expect(result.stdout).toMatch(
      /error: resource\.azurerm_key_vault\.vault: expected soft_delete_retention_days to be in the range \(7 - 90\), got 3 +\["soft_delete_retention_days": 3\]/,
    );
    expect(lineOf(result.stdout, "app-dev", "tofu")).toMatch(/\svalid/);
  }, 600_000);

  /** Validates stacks with config/dev.json changed for the test only, and checks each is valid. */
  function validWithDevConfig(change: (config: Json) => void, stacks: string[]) {
    const file = path.join(root, "config", "dev.json");
    const original = fs.readFileSync(file, "utf8");
    const config = JSON.parse(original);
    change(config);
    fs.writeFileSync(file, JSON.stringify(config, null, 2));
    try {
      const result = validate(root, stacks.flatMap((stack) => ["--stack", stack]));
      for (const stack of stacks) expect(lineOf(result.stdout, stack, "tofu")).toMatch(/\svalid( \(|$)/);
      expect(result.status).toBe(0);
    } finally {
      fs.writeFileSync(file, original);
    }
  }

  test("with shared state configured, the bootstrap stack (state storage) validates too", () => {
    validWithDevConfig((config) => (config.backend = { resourceGroupName: "rg-tfstate", storageAccountName: "sttfstate01", containerName: "tfstate" }), ["bootstrap", "keyvault-dev"]);
  }, 600_000);

  test("an environment with every object option on, HTTPS in both apps and a second app on its own workload identity, the vault in rbac mode (held out, written here, never shipped), validates with the real engine", () => {
    validWithDevConfig((config) => {
      config.keyVault.authorization = "rbac";
      config.apps.push({ ...config.apps[0], name: "billing", namespace: "billing", identity: "workload" });
      config.keyVault.secrets[0].app = "configurable";
      config.keyVault.secrets[0].env = "APP_CONFIG";
      config.keyVault.secrets[0].filePermission = "0444";
      config.keyVault.secrets.push(
        { objectName: "web-tls", objectType: "secret", objectAlias: "web.pem", source: { existing: true }, objectFormat: "pem", tlsSecret: "web-tls" },
        { objectName: "kestrel", objectType: "secret", objectAlias: "kestrel.pfx", source: { existing: true }, objectFormat: "pfx", objectEncoding: "base64" },
        { objectName: "api-key", objectType: "secret", objectAlias: "api-key", source: { existing: true }, objectVersion: "0123456789abcdef0123456789abcdef", objectVersionHistory: 3 },
        { objectName: "signing", objectType: "key", objectAlias: "signing.pem", source: { existing: true } },
        { objectName: "ca", objectType: "cert", objectAlias: "ca.pem", source: { existing: true }, sharedWith: ["billing"] },
        { objectName: "billing-db", objectType: "secret", objectAlias: "db.txt", source: { existing: true }, app: "billing" },
      );
      config.apps[0].https = { certificate: "web.pem" };
      config.apps[1].https = { certificate: "kestrel.pfx", port: 9443 };
      config.keyVault.secrets.find((s: Json) => s.objectName === "kestrel").app = "billing";
      // With two apps, each object names its own.
      for (const secret of config.keyVault.secrets) secret.app ??= "configurable";
    }, ["aks-dev", "keyvault-dev", "app-dev"]);
  }, 600_000);

  test("a third environment with shared state, three workload-identity apps, keys, certificates and a TLS object (held out): every stack synth writes, bootstrap included, validates", () => {
    const staging = JSON.parse(fs.readFileSync(path.join(root, "config", "prod.json"), "utf8"));
    Object.assign(staging, { resourceGroupName: "rg-aks-keyvault-staging", deployerObjectId: "00000000-0000-4000-8000-00000000abcd" });
    staging.backend = { resourceGroupName: "rg-tfstate", storageAccountName: "sttfstatestaging", containerName: "tfstate" };
    staging.network = { addressSpace: "10.43.0.0/16", aksSubnet: "10.43.0.0/20" };
    staging.aks.name = "aks-keyvault-staging";
    Object.assign(staging.keyVault, { name: "kv-aks-secrets-stg-01", authorization: "rbac" });
    const app = (name: string, service: Json) => ({ ...staging.apps[0], name, namespace: name, identity: "workload", service });
    staging.apps = [app("configurable", { type: "ClusterIP" }), app("billing", { type: "InternalLoadBalancer" }), app("reports", { type: "LoadBalancer", sourceRanges: ["198.18.0.0/24"] })];
    staging.keyVault.secrets = [
      { ...staging.keyVault.secrets[0], source: { file: "secrets/staging/configurable-secret.json" }, app: "configurable" },
      { objectName: "web-tls", objectType: "secret", objectAlias: "web.pem", source: { existing: true }, objectFormat: "pem", tlsSecret: "web-tls", app: "configurable" },
      { objectName: "signing", objectType: "key", objectAlias: "signing.pem", source: { existing: true }, app: "billing" },
      { objectName: "ca", objectType: "cert", objectAlias: "ca.pem", source: { existing: true }, app: "billing", sharedWith: ["reports"] },
      { objectName: "reports-db", objectType: "secret", objectAlias: "db.txt", source: { existing: true }, app: "reports" },
    ];
    const file = path.join(root, "config", "staging.json");
    fs.writeFileSync(file, JSON.stringify(staging, null, 2));
    try {
      const result = validate(root);
      const stacks = fs.readdirSync(path.join(root, "cdktf.out", "stacks")).sort();
      expect(stacks).toEqual(synthesizedStacksOf(root));
      expect(stacks).toEqual(expect.arrayContaining(["bootstrap", "aks-staging", "keyvault-staging", "app-staging"]));
      for (const stack of stacks) expect(lineOf(result.stdout, stack, "tofu")).toMatch(/\svalid( \(|$)/);
      expect(result.status).toBe(0);
    } finally {
      fs.rmSync(file);
    }
  }, 600_000);

  test("a missing toolchain stops validate with one line naming the command that builds it", () => {
    const result = spawnSync(process.execPath, [path.join(root, "tools", "build", "run-ts.mjs"), "tools/engine/validate-cli.ts"], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, AKSKV_TOOLS_CACHE: path.join(root, "no-toolchain-here") },
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`validate: OpenTofu 1.12.6 is not built in ${path.join(root, "no-toolchain-here")}; run npm run tools:terraform to build it\n`);
  });
});
