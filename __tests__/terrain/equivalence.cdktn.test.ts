// The same Terraform on both engines: every shipped environment and the held-out shapes the tests use,
// synthesized by CDKTF (tools/build/app.mjs, the product's install) and by CDK Terrain
// (tools/build/terrain-app.mjs, the second install), stack by stack: resource types, logical IDs,
// attributes, outputs, backends and provider constraints. Only the differences listed here, each with
// its reason, may appear; a listed difference that no longer appears fails too, so the list stays true.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { baseConfig, hardenedConfig, synthWithEngine, tempDir, writeProject, type Json } from "../support/helpers";
import { loadTerrainTools, terrainCacheDir } from "../../tools/terrain/terrain";

const repo = path.resolve(__dirname, "..", "..");

interface Allowed {
  /** Where in a stack's cdk.tf.json, as a dotted path. */
  readonly at: string;
  readonly cdktf: string;
  readonly cdktn: string;
  readonly why: string;
}

const ALLOWED: readonly Allowed[] = [
  { at: "//.metadata.version", cdktf: "0.21.0", cdktn: "0.24.0", why: "the engine writes its own version into the stack's metadata; Terraform never reads it" },
  {
    at: "terraform.required_providers.azurerm.version",
    cdktf: "4.55.0",
    cdktn: "4.73.0",
    why: "each prebuilt binding pins the azurerm it was generated from (@cdktf/provider-azurerm 14.23.1, @cdktn/provider-azurerm 16.1.0); the engine's validate and mock plans run both (docs/cdk-terrain.md)",
  },
];

/** Every leaf where two JSON values differ, as [dotted path, left, right]. */
function differences(a: unknown, b: unknown, at = ""): [string, unknown, unknown][] {
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object" && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], at ? `${at}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [[at, a, b]];
}

/** The held-out shapes: RBAC with two apps and every object option and a remote backend; access policies with a shared certificate. */
function heldOutProject(): string {
  const rbac = hardenedConfig("rbac");
  rbac.keyVault.authorization = "rbac";
  rbac.backend = { resourceGroupName: "rg-tfstate", storageAccountName: "sttfstate01", containerName: "tfstate" };
  rbac.apps[0].https = { certificate: "web.pem" };
  rbac.apps[0].env = { ASPNETCORE_URLS: "https://+:8443" };
  rbac.apps.push({ namespace: "billing", name: "billing", image: "sixeyed/configurable:21.04", replicas: 2, identity: "addon", service: { type: "InternalLoadBalancer" }, rolloutOnSecretChange: false });
  rbac.keyVault.secrets[0].app = "configurable";
  rbac.keyVault.secrets.push(
    { objectName: "web-pem", objectType: "secret", objectAlias: "web.pem", objectFormat: "pem", tlsSecret: "web-tls", source: { existing: true }, app: "configurable" },
    { objectName: "web-cert", objectType: "cert", objectAlias: "web.crt", objectVersionHistory: 2, source: { existing: true }, app: "configurable" },
    { objectName: "signing", objectType: "key", objectAlias: "signing.pem", source: { existing: true }, app: "configurable", sharedWith: ["billing"] },
    { objectName: "db", objectType: "secret", objectAlias: "db.txt", env: "DB_PASSWORD", source: { file: "secrets/rbac/db.txt" }, app: "billing" },
  );
  const shared: Json = baseConfig("shared");
  shared.apps.push({ namespace: "second", name: "second", image: "sixeyed/configurable:21.04", replicas: 1 });
  shared.keyVault.secrets[0].app = "configurable";
  shared.keyVault.secrets.push(
    { objectName: "web-cert", objectType: "cert", objectAlias: "web.crt", objectVersionHistory: 3, source: { existing: true }, app: "configurable", sharedWith: ["second"] },
    { objectName: "db", objectType: "secret", objectAlias: "db.txt", source: { file: "secrets/shared/db.txt" }, app: "second" },
  );
  const files = Object.fromEntries(["rbac", "shared"].flatMap((env) => [`secrets/${env}/configurable-secret.json`, `secrets/${env}/db.txt`].map((f) => [f, "planted"])));
  return writeProject({ rbac, shared }, files);
}

describe("CDKTF and CDK Terrain synthesize the same Terraform", () => {
  const scratch = tempDir("akskv-engines-");
  const projects = { shipped: repo, heldOut: "" };
  const out = (project: string, engine: string) => path.join(scratch, project, engine);
  const seen = new Set<string>();

  beforeAll(() => {
    // A check that cannot run fails: without the second install there is nothing to compare.
    loadTerrainTools(terrainCacheDir(process.env));
    projects.heldOut = heldOutProject();
    for (const [name, root] of Object.entries(projects)) {
      synthWithEngine("app.mjs", root, out(name, "cdktf"));
      synthWithEngine("terrain-app.mjs", root, out(name, "cdktn"));
    }
  }, 240_000);

  const stacksIn = (dir: string) => fs.readdirSync(path.join(dir, "stacks")).sort();

  test.each(["shipped", "heldOut"] as const)("%s: the same stacks, dependencies and backends in manifest.json", (name) => {
    const manifest = (engine: string) => {
      const m = JSON.parse(fs.readFileSync(path.join(out(name, engine), "manifest.json"), "utf8"));
      return Object.fromEntries(Object.entries(m.stacks as Record<string, Json>).map(([id, s]) => [id, { dependencies: s.dependencies, synthesizedStackPath: s.synthesizedStackPath }]));
    };
    expect(stacksIn(out(name, "cdktn"))).toEqual(stacksIn(out(name, "cdktf")));
    expect(manifest("cdktn")).toEqual(manifest("cdktf"));
  });

  test.each(["shipped", "heldOut"] as const)("%s: every stack's cdk.tf.json is the same apart from the listed differences", (name) => {
    const unexpected: string[] = [];
    for (const stack of stacksIn(out(name, "cdktf"))) {
      const read = (engine: string) => JSON.parse(fs.readFileSync(path.join(out(name, engine), "stacks", stack, "cdk.tf.json"), "utf8"));
      for (const [at, a, b] of differences(read("cdktf"), read("cdktn"))) {
        const allowed = ALLOWED.find((d) => d.at === at && d.cdktf === a && d.cdktn === b);
        if (allowed) seen.add(allowed.at);
        else unexpected.push(`${stack}: ${at}: ${JSON.stringify(a)} on CDKTF, ${JSON.stringify(b)} on CDK Terrain`);
      }
    }
    expect(unexpected).toEqual([]);
  });

  test("the held-out shapes reach what the shipped ones do not: a remote backend, RBAC, two apps", () => {
    const stack = JSON.parse(fs.readFileSync(path.join(out("heldOut", "cdktn"), "stacks", "keyvault-rbac", "cdk.tf.json"), "utf8"));
    expect(stack.terraform.backend.azurerm).toMatchObject({ storage_account_name: "sttfstate01", container_name: "tfstate" });
    expect(Object.keys(stack.resource.azurerm_role_assignment).length).toBeGreaterThan(1);
    expect(stacksIn(out("heldOut", "cdktn"))).toContain("bootstrap");
  });

  test("npm run synth:cdktn, the cdktn CLI on Node 22, writes what the app writes: the same stacks, byte for byte", () => {
    // At the depth of the app's output: a local backend's path is relative to the output folder.
    const cli = out("shipped", "cli");
    const result = spawnSync(process.execPath, [path.join(repo, "tools", "build", "run-ts.mjs"), "tools/terrain/synth-cli.ts", "--output", cli], { cwd: repo, env: { ...process.env, CHECKPOINT_DISABLE: "1" }, encoding: "utf8", timeout: 200_000 });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("Generated Terraform code for the stacks: aks-dev, aks-prod, app-dev, app-prod, keyvault-dev, keyvault-prod");
    // The CLI's Node check read Node 22 (it prints a Usage error for an older node on PATH).
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/Node\.js version .* is not supported/);
    expect(stacksIn(cli)).toEqual(stacksIn(out("shipped", "cdktn")));
    for (const stack of stacksIn(cli)) {
      expect(fs.readFileSync(path.join(cli, "stacks", stack, "cdk.tf.json"), "utf8")).toBe(fs.readFileSync(path.join(out("shipped", "cdktn"), "stacks", stack, "cdk.tf.json"), "utf8"));
    }
  }, 200_000);

  afterAll(() => {
    // Every listed difference still appears: a stale entry would let a real difference through unread.
    expect([...seen].sort()).toEqual(ALLOWED.map((d) => d.at).sort());
  });
});
