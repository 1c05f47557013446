// The stacks planned and applied by the real engine (OpenTofu's `tofu test`)
// with mock azurerm and kubernetes providers: one environment end to end, AKS
// -> Key Vault -> app, each stack reading the previous one's outputs through
// its own terraform_remote_state from a state file the previous apply wrote.
// npm run tools:terraform builds the toolchain; without it this file fails.
import * as fs from "fs";
import * as path from "path";
import { mockTest, outputsOf, plannedChange, unknownPaths, writeOutputsState, type MockRun } from "../../tools/engine/mock-test";
import { azurermMocks, deployChain, expectPassed, hashVersion, hcl, ID, kubernetesMocks, LB_IP, MARKER, runs, sha256, type Chain } from "./mock-chain";
import { loadToolchain, toolsCacheDir } from "../../tools/engine/toolchain";
import { SECRET_VERSIONS_ANNOTATION } from "../../lib/rollout";
import { baseConfig, hardenedConfig, synthProject, type Json, type SynthesizedProject } from "../support/helpers";

const repo = path.resolve(__dirname, "..", "..");
const toolchain = loadToolchain(repo, toolsCacheDir(process.env));

const cleanups: string[] = [];
afterAll(() => {
  for (const dir of cleanups) fs.rmSync(dir, { recursive: true, force: true });
});

describe.each([
  { env: "dev", config: () => baseConfig("dev"), readerClient: ID.addonClient, readerObject: ID.addonObject, clientParameter: "userAssignedIdentityID" },
  { env: "prod", config: () => hardenedConfig("prod"), readerClient: ID.workloadClient, readerObject: ID.workloadObject, clientParameter: "clientID" },
])("$env, planned and applied by OpenTofu against mock providers", ({ env, config, readerClient, readerObject, clientParameter }) => {
  const secret = JSON.stringify({ password: MARKER });
  let chain: Chain;
  beforeAll(async () => {
    chain = await deployChain(toolchain, env, config(), secret);
    cleanups.push(chain.project.root);
  }, 600_000);

  test("the secret's value is in no plan and no state; the write-only argument is null in both", () => {
    for (const run of [chain.aks, chain.keyVault, chain.app]) {
      expect(run.output).not.toContain(MARKER);
      expect(run.output).not.toContain(Buffer.from(secret).toString("base64"));
    }
    const planned = plannedChange(chain.keyVault.plans.plan, "azurerm_key_vault_secret.secret-configurable-secrets");
    expect(planned.after.value_wo).toBeNull();
    const applied = chain.keyVault.states.apply.values.root_module.resources.find((r: Json) => r.type === "azurerm_key_vault_secret");
    expect(applied.values.value_wo).toBeNull();
  });

  test("the write-only version is known only after apply, random, and tells nothing about the value; the revision's hash is sensitive", () => {
    const planned = plannedChange(chain.keyVault.plans.plan, "azurerm_key_vault_secret.secret-configurable-secrets");
    expect(planned.after_unknown.value_wo_version).toBe(true);
    const revision = plannedChange(chain.keyVault.plans.plan, "terraform_data.secret-configurable-secrets-revision");
    // Sensitive: `tofu show` prints "(sensitive value)", so no plan text or job summary holds the hash.
    expect(revision.after_sensitive.triggers_replace).toEqual({ content: true });
    const applied = chain.keyVault.states.apply.values.root_module.resources.find((r: Json) => r.address === "azurerm_key_vault_secret.secret-configurable-secrets");
    expect(Number.isInteger(applied.values.value_wo_version)).toBe(true);
    expect(applied.values.value_wo_version).not.toBe(hashVersion(secret));
    expect(JSON.stringify(applied.values)).not.toContain(sha256(secret).slice(0, 8));
  });

  test(`the access policy gets the reading identity's OBJECT ID; the SecretProviderClass its CLIENT ID (${clientParameter})`, () => {
    const policy = plannedChange(chain.keyVault.plans.plan, "azurerm_key_vault_access_policy.secrets-provider-access").after;
    expect(policy.object_id).toBe(readerObject);
    expect(policy.tenant_id).toBe(ID.tenant);
    expect([...policy.secret_permissions].sort()).toEqual(["Get", "List"]);
    const deployer = plannedChange(chain.keyVault.plans.plan, "azurerm_key_vault_access_policy.deployer-access").after;
    expect(deployer.object_id).toBe(ID.deployerObject);

    const spc = plannedChange(chain.app.plans.plan, "kubernetes_manifest.secret-provider-class_manifest_D94227CE").after.manifest;
    expect(spc.spec.parameters[clientParameter]).toBe(readerClient);
    expect(spc.spec.parameters.tenantID).toBe(ID.tenant);
    expect(spc.spec.parameters.keyvaultName).toBe(`kv-test-${env}-01`);
    expect(JSON.stringify(spc)).not.toContain(readerObject);
  });

  test("the SecretProviderClass manifest is wholly known at plan time", () => {
    const change = plannedChange(chain.app.plans.plan, "kubernetes_manifest.secret-provider-class_manifest_D94227CE");
    expect(unknownPaths(change.after_unknown?.manifest)).toEqual([]);
  });

  test("the pod template carries the secret version the Key Vault stack applied", () => {
    const versionOutput = Object.entries(outputsOf(chain.keyVault.states.apply)).find(([name]) => name.includes("secretsecret-configurable-secretsversion"));
    expect(versionOutput?.[1]).toBe("0123456789abcdef0123456789abcdef");
    const template = plannedChange(chain.app.plans.plan, "kubernetes_deployment_v1.deployment").after.spec[0].template[0];
    expect(template.metadata[0].annotations[SECRET_VERSIONS_ANNOTATION]).toBe("configurable-secrets=0123456789abcdef0123456789abcdef");
  });

  test("app_url is the public LoadBalancer's address (dev), or the in-cluster name of a ClusterIP app (prod)", () => {
    const url = outputsOf(chain.app.states.apply).app_url;
    if (env === "dev") expect(url).toBe(`http://${LB_IP}`);
    else expect(url).toMatch(/^http:\/\/configurable\.configurable\.svc\.cluster\.local \(inside the cluster only/);
  });
});

describe("changes, planned by OpenTofu", () => {
  let project: SynthesizedProject;
  /** One `tofu test` of the Key Vault stack: runs share its state, as deploys and plans share a backend. */
  let history: MockRun;
  const secretVersion = (run: string) => plannedChange(history.plans[run], "azurerm_key_vault_secret.secret-configurable-secrets");
  const revision = (run: string) => plannedChange(history.plans[run], "terraform_data.secret-configurable-secrets-revision").actions;
  const appliedVersion = (run: string) =>
    history.states[run].values.root_module.resources.find((r: Json) => r.address === "azurerm_key_vault_secret.secret-configurable-secrets").values.value_wo_version;

  beforeAll(async () => {
    const chain = await deployChain(toolchain, "dev", baseConfig("dev"), '{"v": 1}');
    project = chain.project;
    cleanups.push(project.root);
    // What a job's write-secret-files step writes, from its environment's secret, run between the engine's runs.
    const writer = path.join(project.root, "test-modules", "write-secret-files");
    fs.mkdirSync(writer, { recursive: true });
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(repo, "tools", "build", "run-ts.mjs"))} tools/ci/write-secret-files.ts`;
    fs.writeFileSync(path.join(writer, "main.tf"), [
      'variable "secret_files" {\n  type = string\n}\n',
      'resource "terraform_data" "write" {\n  triggers_replace = var.secret_files\n',
      `  provisioner "local-exec" {\n    command = ${JSON.stringify(command)}\n    working_dir = ${JSON.stringify(project.root)}\n    environment = { SECRET_FILES = var.secret_files }\n  }\n}\n`,
    ].join(""));
    const file = "secrets/dev/configurable-secret.json";
    const write = (name: string, content: string) =>
      `run ${JSON.stringify(name)} {\n  module {\n    source = "../../../test-modules/write-secret-files"\n  }\n  variables {\n    secret_files = ${JSON.stringify(JSON.stringify({ [file]: content }))}\n  }\n}\n`;
    const run = (name: string, command: "plan" | "apply") => `run ${JSON.stringify(name)} {\n  command = ${command}\n}\n`;
    history = await mockTest(toolchain, project.outdir, "keyvault-dev", azurermMocks("dev") + [
      write("deploy-job-writes", '{"v": "deployed"}'), run("deploy", "apply"),
      write("pr-job-writes-the-same", '{"v": "deployed"}'), run("pr-plan-same", "plan"),
      write("pr-job-writes-a-placeholder", '{"v": "placeholder"}'), run("pr-plan-other", "plan"),
      write("new-content", '{"v": 2}'), run("redeploy", "apply"),
    ].join(""));
    expectPassed(history);
  }, 600_000);

  test("the same file content is no change: the revision stays and the version is the one applied", () => {
    expect(revision("pr-plan-same")).toEqual(["no-op"]);
    expect(secretVersion("pr-plan-same").after.value_wo_version).toBe(appliedVersion("deploy"));
    expect(secretVersion("pr-plan-same").actions).toEqual(["no-op"]);
  });

  test("a pull request plan with PLAN_SECRET_FILES of other content plans a new revision and an unknown version (a change every plan)", () => {
    expect(revision("pr-plan-other")).toEqual(["delete", "create"]);
    expect(secretVersion("pr-plan-other").after_unknown.value_wo_version).toBe(true);
    expect(secretVersion("pr-plan-other").actions).toEqual(["update"]);
  });

  test("new content applied is a new write-only version, so Key Vault gets a new secret version", () => {
    expect(appliedVersion("redeploy")).not.toBe(appliedVersion("deploy"));
    expect(appliedVersion("redeploy")).not.toBe(hashVersion('{"v": 2}'));
  });

  test("a new secret version in the Key Vault stack's outputs changes the pod template's annotation", async () => {
    const annotation = (run: MockRun) =>
      plannedChange(run.plans.plan, "kubernetes_deployment_v1.deployment").after.spec[0].template[0].metadata[0].annotations[SECRET_VERSIONS_ANNOTATION];
    const state = JSON.parse(fs.readFileSync(path.join(project.root, "terraform.keyvault-dev.tfstate"), "utf8"));
    const outputs = Object.fromEntries(Object.entries(state.outputs).map(([k, v]) => [k, (v as Json).value]));
    const name = Object.keys(outputs).find((k) => k.includes("secretsecret-configurable-secretsversion"))!;

    const before = annotation(await mockTest(toolchain, project.outdir, "app-dev", kubernetesMocks(true) + runs("plan")));
    writeOutputsState(project.root, "keyvault-dev", { ...outputs, [name]: "fedcba9876543210fedcba9876543210" });
    const after = annotation(await mockTest(toolchain, project.outdir, "app-dev", kubernetesMocks(true) + runs("plan")));
    expect(before).toBe(`configurable-secrets=${outputs[name]}`);
    expect(after).toBe("configurable-secrets=fedcba9876543210fedcba9876543210");
  }, 300_000);

  test("while the Service has no address, app_url says so instead of failing the apply", async () => {
    const run = await mockTest(toolchain, project.outdir, "app-dev", kubernetesMocks(false) + runs("apply"));
    expectPassed(run);
    expect(outputsOf(run.states.apply).app_url).toMatch(/^pending: the LoadBalancer Service has no address yet/);
  }, 300_000);
});

describe("a plan by another identity (a pull request's plan identity), planned by OpenTofu", () => {
  const OTHER = "99999999-9999-4999-8999-999999999999";
  // Apply as the deployer, then plan as another identity over the same state.
  const applyThenPlanAsOther = (env: string) =>
    azurermMocks(env) +
    runs("apply") +
    `run "plan_as_other" {\n  command = plan\n  override_data {\n    target = data.azurerm_client_config.deployer\n    values = ${hcl({ tenant_id: ID.tenant, object_id: OTHER, client_id: OTHER, subscription_id: ID.subscription })}\n  }\n}\n`;
  // What the plan changes. A mock provider plans a changed principal as an
  // update; the real one replaces it (principal_id and object_id force a new resource).
  const changed = (plan: Json) =>
    (plan.resource_changes ?? []).filter((rc: Json) => rc.change.actions.join(",") !== "no-op").map((rc: Json) => rc.address);

  async function plansAsOther(config: Json): Promise<{ aks: string[]; keyVault: string[] }> {
    const project = synthProject({ dev: config }, { "secrets/dev/configurable-secret.json": '{"v": 1}' });
    cleanups.push(project.root);
    const aks = await mockTest(toolchain, project.outdir, "aks-dev", applyThenPlanAsOther("dev"));
    expectPassed(aks);
    writeOutputsState(project.root, "aks-dev", outputsOf(aks.states.apply));
    const keyVault = await mockTest(toolchain, project.outdir, "keyvault-dev", applyThenPlanAsOther("dev"));
    expectPassed(keyVault);
    return { aks: changed(aks.plans.plan_as_other), keyVault: changed(keyVault.plans.plan_as_other) };
  }

  test("without deployerObjectId, the deployer's access changes hands: the problem the setting solves", async () => {
    const plans = await plansAsOther(baseConfig("dev"));
    expect(plans).toEqual({ aks: ["azurerm_role_assignment.deployer-cluster-admin"], keyVault: ["azurerm_key_vault_access_policy.deployer-access"] });
  }, 300_000);

  test("with deployerObjectId, nothing changes", async () => {
    const config = baseConfig("dev");
    config.deployerObjectId = ID.deployerObject;
    const plans = await plansAsOther(config);
    expect(plans).toEqual({ aks: [], keyVault: [] });
  }, 300_000);
});
