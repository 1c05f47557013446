// docs/configuration.md, "Add an environment", followed step by step in a
// temporary copy of the project: the new environment must pass every check
// the shipped ones pass.
import * as fs from "fs";
import * as path from "path";
import { loadEnvironments } from "../../config/load";
import { preflight } from "../../tools/ci/preflight";
import { copyOfProject, run, stacksIn, stacksOf, synthesizedStacksOf, type Json } from "../support/helpers";

const repo = path.resolve(__dirname, "..", "..");
const doc = fs.readFileSync(path.join(repo, "docs", "configuration.md"), "utf8");
const section = doc.slice(doc.indexOf("## Add an environment"), doc.indexOf("## Top level"));
const BACKEND = { resourceGroupName: "rg-tfstate", storageAccountName: "sttfstate01", containerName: "tfstate" };

describe('docs/configuration.md, "Add an environment"', () => {
  const root = copyOfProject("akskv-add-env-");
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  test("names the fields a copy must change, and the test below changes exactly those", () => {
    const fields = [...section.matchAll(/`((?:resourceGroupName|aks\.name|keyVault\.name|tags|keyVault\.secrets\[\]\.source\.file|backend|ci\.\w+))`/g)].map((m) => m[1]);
    expect([...new Set(fields)]).toEqual(["resourceGroupName", "aks.name", "keyVault.name", "tags", "keyVault.secrets[].source.file", "backend", "ci.protected", "ci.runsOn"]);
  });

  test("a copy of dev made by those steps validates, synthesizes three stacks, and passes the preflight", () => {
    // Steps 1-5, with names no environment of the user's can have: config/ may hold any number of them.
    const taken = (value: string) => fs.readdirSync(path.join(root, "config")).some((f) => f.endsWith(".json") && fs.readFileSync(path.join(root, "config", f), "utf8").includes(value));
    let n = 0;
    while (taken(`zt${n}`) || fs.existsSync(path.join(root, "config", `zt${n}.json`))) n++;
    const name = `zt${n}`;
    const staging: Json = JSON.parse(fs.readFileSync(path.join(root, "config", "dev.json"), "utf8"));
    staging.resourceGroupName = `rg-aks-keyvault-${name}`;
    staging.aks.name = `aks-keyvault-${name}`;
    staging.keyVault.name = `kv-added-${name}`;
    staging.tags = { ...staging.tags, environment: name };
    for (const secret of staging.keyVault.secrets) {
      secret.source.file = secret.source.file.replace(/^secrets\/dev\//, `secrets/${name}/`);
      fs.mkdirSync(path.join(root, path.dirname(secret.source.file)), { recursive: true });
      fs.writeFileSync(path.join(root, secret.source.file), '{"added": true}');
    }
    staging.backend = BACKEND;
    staging.ci = { protected: true };
    fs.writeFileSync(path.join(root, "config", `${name}.json`), JSON.stringify(staging, null, 2));

    // Step 7: what every environment must pass.
    const { environments } = loadEnvironments(root);
    const config = environments.find((e) => e.environment === name)!;
    expect(config.ci.protected).toBe(true);
    // No engine is needed to synthesize (cdktf's DataResource would run `terraform version`).
    const synth = run(process.execPath, [path.join(root, "tools", "build", "app.mjs")], root, { TERRAFORM_BINARY_NAME: path.join(root, "no-engine-here") });
    expect(synth.stderr).toBe("");
    expect(synth.status).toBe(0);
    // With a backend, synth also writes the one bootstrap stack for the state storage.
    expect(stacksIn(root)).toEqual([...stacksOf(environments.map((e) => e.environment)), "bootstrap"].sort());
    // What the engine checks derive their expected stacks from (engine-validate.terraform.test.ts).
    expect(synthesizedStacksOf(root)).toEqual(stacksIn(root));
    expect(preflight(config).problems).toEqual([]);
  }, 60_000);
});
