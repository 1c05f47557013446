// Runs the app command that cdktf.json names (node tools/build/app.mjs) against
// throwaway projects, as `cdktf synth` does.
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { baseConfig, copyOfProject, run, shippedEnvironments, stacksIn, stacksOf, writeProject } from "../support/helpers";

const repo = path.resolve(__dirname, "..", "..");
const runner = path.join(repo, "tools", "build", "app.mjs");

describe("the app command (node tools/build/app.mjs)", () => {
  test("synthesizes every environment's three stacks", () => {
    const root = writeProject({ dev: baseConfig("dev"), test: baseConfig("test") });
    const result = run(process.execPath, [runner], root);
    // Warnings go to stdout: cdktf shows everything on stderr as [ERROR], even on success.
    expect(result.stdout).toContain("warning: config/dev.json: keyVault.secrets[0].source.file");
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(stacksIn(root)).toEqual(["aks-dev", "aks-test", "app-dev", "app-test", "keyvault-dev", "keyvault-test"]);
  });

  test("on a bad config: exits 2 (bad config), prints one line per problem, and leaves no stack behind", () => {
    const root = writeProject({ dev: baseConfig("dev") });
    expect(run(process.execPath, [runner], root).status).toBe(0);
    expect(stacksIn(root)).toHaveLength(3);

    const bad = baseConfig("dev");
    bad.keyVault.name = "kv--bad";
    bad.apps[0].replicas = 0;
    fs.writeFileSync(path.join(root, "config", "dev.json"), JSON.stringify(bad));
    const result = run(process.execPath, [runner], root);

    expect(result.status).toBe(2);
    expect(result.stderr.trim().split("\n")).toEqual([
      "error: config/dev.json: keyVault.name = \"kv--bad\": must be 3-24 characters of letters, digits and hyphens, start with a letter, end with a letter or digit, and contain no '--'",
      "error: config/dev.json: apps[0].replicas = 0: must be a whole number >= 1 (and at most 100)",
      "2 configuration problem(s); nothing was synthesized",
    ]);
    expect(stacksIn(root)).toEqual([]);
    expect(fs.existsSync(path.join(root, "cdktf.out", "manifest.json"))).toBe(false);
  });
});

describe("the app command's validated configs", () => {
  const replicas = (root: string) =>
    JSON.parse(fs.readFileSync(path.join(root, "cdktf.out", "stacks", "app-dev", "cdk.tf.json"), "utf8")).resource.kubernetes_deployment_v1.deployment.spec.replicas;

  test("are reused while a file and the sources are unchanged, and validated again once the file changes", () => {
    const root = writeProject({ dev: baseConfig("dev") });
    expect(run(process.execPath, [runner], root).status).toBe(0);
    const cacheFile = path.join(root, ".build-cache", "validated-configs.json");
    const cache = JSON.parse(fs.readFileSync(cacheFile, "utf8"));
    expect(Object.values(cache).map((c: any) => c.environment)).toEqual(["dev"]);

    // An entry that differs from what validation gives shows whether the next synth reused it.
    for (const config of Object.values(cache) as any[]) config.apps[0].replicas = 7;
    fs.writeFileSync(cacheFile, JSON.stringify(cache));
    expect(run(process.execPath, [runner], root).status).toBe(0);
    expect(replicas(root)).toBe("7");

    const edited = baseConfig("dev");
    edited.apps[0].replicas = 3;
    fs.writeFileSync(path.join(root, "config", "dev.json"), JSON.stringify(edited));
    expect(run(process.execPath, [runner], root).status).toBe(0);
    expect(replicas(root)).toBe("3");
  });
});

describe("the app command's type-check and bundle", () => {
  const synth = (root: string, cacheFrom: string) => run(process.execPath, [path.join(root, "tools", "build", "app.mjs")], root, { AKSKV_SYNTH_CACHE_FROM: cacheFrom });
  const breakStack = (root: string) => {
    const stack = path.join(root, "constructs", "app-workload.ts");
    const source = fs.readFileSync(stack, "utf8");
    const broken = source.replace("replicas: String(app.replicas),", "replicas: app.replicas,");
    expect(broken).not.toBe(source);
    fs.writeFileSync(stack, broken);
    return () => fs.writeFileSync(stack, source);
  };
  const bundleOf = (root: string) => createHash("sha256").update(fs.readFileSync(path.join(root, ".build-cache", "main.cjs"))).digest("hex");

  test("a type error in a stack stops synth with tsc's message and leaves no stack; fixing it synthesizes again", () => {
    const copy = copyOfProject();
    const fix = breakStack(copy);
    const failed = synth(copy, "");
    expect(failed.status).toBe(1);
    expect(failed.stderr).toMatch(/constructs\/app-workload\.ts\(\d+,\d+\): error TS2322: Type 'number' is not assignable to type 'string'\./);
    expect(failed.stderr).toContain("synth stopped: fix the type errors above; nothing was synthesized");
    expect(stacksIn(copy)).toEqual([]);

    fix();
    const fixed = synth(copy, "");
    expect(fixed.stdout).toContain("Type-checking the stacks");
    expect(fixed.stderr).toBe("");
    expect(fixed.status).toBe(0);
    expect(stacksIn(copy)).toEqual(stacksOf(shippedEnvironments(copy)));

    // AKSKV_SYNTH_CACHE_FROM, as npm run review's base checkout gets it: the
    // same sources take over both steps; other sources check themselves.
    const same = copyOfProject();
    const adopted = synth(same, path.join(copy, ".build-cache"));
    expect(adopted.stdout).not.toContain("Type-checking the stacks");
    expect(adopted.stderr).toBe("");
    expect(adopted.status).toBe(0);
    expect(bundleOf(same)).toBe(bundleOf(copy));
    expect(stacksIn(same)).toEqual(stacksOf(shippedEnvironments(same)));

    const other = copyOfProject();
    breakStack(other);
    const refused = synth(other, path.join(copy, ".build-cache"));
    expect(refused.stdout).toContain("Type-checking the stacks");
    expect(refused.stderr).toContain("error TS2322");
    expect(refused.status).toBe(1);
    expect(fs.existsSync(path.join(other, ".build-cache", "main.cjs"))).toBe(false);
  }, 60_000);
});
