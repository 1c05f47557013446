// The documented cdktf command lines (documented-commands.ts) through the real
// CLI and engine: TERRAFORM_BINARY_NAME points cdktf at OpenTofu, which
// initializes from the local provider mirror and plans until a provider signs
// in (azurerm to Azure, kubernetes through kubelogin) and fails there with the
// provider's own message. Stand-ins for az and kubelogin that are not signed
// in guarantee no call leaves the machine. Also the lines that need a git
// repository or an engine (npm run review, npm run plan). Two flags are added to
// every cdktf line: --skip-provider-lock, because `providers lock` asks the
// registry (docs/troubleshooting.md, for offline machines), and --skip-synth,
// because the stand-in azurerm 5.x needs three resources adapted inside
// cdk.tf.json (tools/engine/newer-provider.ts; an override file cannot supply a required
// argument), which a synth would write over. `npx cdktf synth` runs first, as written.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { stripVTControlCharacters } from "util";
import { writeOutputsState } from "../../tools/engine/mock-test";
import { adaptStack } from "../../tools/engine/newer-provider";
import { loadToolchain, toolsCacheDir } from "../../tools/engine/toolchain";
import { distinct, documentedCommands } from "./documented-commands";
import { copyOfProject, shippedEnvironments, tempDir } from "../support/helpers";

const repo = path.resolve(__dirname, "..", "..");
// Fails the whole file, loudly, when the toolchain is missing: a check that cannot run does not pass.
const toolchain = loadToolchain(repo, toolsCacheDir(process.env));
const scratch = tempDir("akskv-doc-tofu-");
const commands = documentedCommands({ output: path.join(scratch, "github-output"), valueFile: path.join(scratch, "value.json") });
const cdktfLines = distinct(commands.filter((c) => c.argv[0] === "npx" && !["synth", "list"].includes(c.argv[2])));
const label = (c: { where: string[]; argv: string[] }) => `${c.where.join(", ")}: ${c.argv.join(" ")}`;

const root = copyOfProject("akskv-doc-cdktf-");
// The bootstrap stack exists only with a backend section: its lines run in a copy with one.
const shared = copyOfProject("akskv-doc-cdktf-shared-");
for (const name of shippedEnvironments()) {
  const file = path.join(shared, "config", `${name}.json`);
  const config = JSON.parse(fs.readFileSync(file, "utf8"));
  config.backend = { resourceGroupName: "rg-tfstate", storageAccountName: "sttfstate01", containerName: "tfstate" };
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
}
const bin = path.join(root, "stand-in-bin");
fs.mkdirSync(bin);
fs.writeFileSync(path.join(bin, "az"), "#!/bin/sh\necho \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1\n", { mode: 0o755 });
// What kubelogin's azurecli mode prints when the CLI is not signed in.
fs.writeFileSync(
  path.join(bin, "kubelogin"),
  "#!/bin/sh\necho \"Error: failed to get token: expected an empty error but received: AzureCLICredential: ERROR: Please run 'az login' to setup account.\" >&2\nexit 1\n",
  { mode: 0o755 },
);
const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(ARM_|AZURE_|IDENTITY_|MSI_)/.test(name)));
Object.assign(env, {
  PATH: `${bin}${path.delimiter}${process.env.PATH}`,
  TF_CLI_CONFIG_FILE: toolchain.cliConfig,
  TOFU_CLI_CONFIG_FILE: toolchain.cliConfig,
  CDKTF_OUTDIR: path.join(root, "cdktf.out"),
  CHECKPOINT_DISABLE: "1",
  CI: "true",
});

function runIn(cwd: string, argv: string[], extra: NodeJS.ProcessEnv = {}) {
  const [command, ...args] = argv;
  const result = spawnSync(command, args, { cwd, env: { ...env, ...extra }, encoding: "utf8", timeout: 240_000 });
  return { status: result.status, output: stripVTControlCharacters(`${result.stdout}${result.stderr}`) };
}

/** Where a plan stops here: a provider signing in, to Azure or through kubelogin. */
const SIGN_IN = /unable to build authorizer for Resource Manager API|could not configure AzureCli Authorizer|kubelogin.*(failed|exit status|executable)|Please run 'az login'/;
const BEFORE_SIGN_IN = /Usage Error|execvp|Could not retrieve providers|Failed to query available provider packages|no available releases|Unable to find remote state|No stored state was found/;

/** A CA certificate (base64 PEM, as the AKS stack outputs it) for the kubernetes provider to parse. */
function testCa(): string {
  const dir = tempDir("akskv-doc-ca-");
  const made = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path.join(dir, "ca.key"), "-out", path.join(dir, "ca.crt"), "-days", "1", "-subj", "/CN=test-ca"], { encoding: "utf8" });
  if (made.status !== 0) throw new Error(`openssl could not make a test CA: ${made.stderr}`);
  return Buffer.from(fs.readFileSync(path.join(dir, "ca.crt"))).toString("base64");
}

/** A value of the right shape for each upstream output a downstream stack reads, by its name. */
function upstreamValue(name: string, ca: string): string {
  if (name.endsWith("kube_config0host")) return "https://127.0.0.1:9"; // loopback, nothing there: kubelogin fails first
  if (name.endsWith("cluster_ca_certificate")) return ca;
  if (/(client_id|principal_id|object_id|tenant_id)$/.test(name)) return "00000000-0000-4000-8000-000000000001";
  if (name.endsWith("version")) return "0123456789abcdef0123456789abcdef";
  if (name.endsWith("id")) return "/subscriptions/00000000-0000-4000-8000-000000000002/resourceGroups/rg-test/providers/Microsoft.Test/things/test";
  return `test-${name.slice(-20)}`;
}

/** Synthesizes a copy as written, then prepares it as a deployed upstream would leave it. */
function prepare(project: string, ca: string): void {
  const synth = runIn(project, ["npx", "cdktf", "synth"], { CDKTF_OUTDIR: path.join(project, "cdktf.out") });
  if (synth.status !== 0) throw new Error(`cdktf synth failed: ${synth.output.slice(-500)}`);
  for (const environment of shippedEnvironments()) {
    fs.mkdirSync(path.join(project, "secrets", environment), { recursive: true });
    fs.writeFileSync(path.join(project, "secrets", environment, "configurable-secret.json"), '{"test": true}');
  }
  const stacksDir = path.join(project, "cdktf.out", "stacks");
  const outputs: Record<string, Record<string, string>> = {};
  for (const stack of fs.readdirSync(stacksDir)) {
    const file = path.join(stacksDir, stack, "cdk.tf.json");
    const json = JSON.parse(fs.readFileSync(file, "utf8"));
    // Only where the mirror holds stand-ins for the pinned providers: the adaptation validate uses.
    const adapted = adaptStack(json, toolchain.providers);
    fs.writeFileSync(file, JSON.stringify(adapted.stack, null, 2));
    if (adapted.versions) fs.writeFileSync(path.join(stacksDir, stack, "stand_in_override.tf.json"), adapted.versions);
    for (const [, from, name] of JSON.stringify(json).matchAll(/cross-stack-reference-input-([\w-]+)\.outputs\.([\w-]+)/g)) (outputs[from] ??= {})[name] = upstreamValue(name, ca);
  }
  for (const [stack, values] of Object.entries(outputs)) writeOutputsState(project, stack, values);
}

beforeAll(() => {
  const ca = testCa();
  prepare(root, ca);
  prepare(shared, ca);
}, 240_000);

describe("every documented cdktf line, through cdktf and OpenTofu, gets past cdktf's checks and init to a provider's sign-in", () => {
  test("there are such lines, the deploy workflow's among them", () => {
    expect(cdktfLines.map((c) => c.argv.join(" "))).toContain("npx cdktf deploy app-dev --ignore-missing-stack-dependencies --auto-approve");
  });

  test.each(cdktfLines.map((c) => [label(c), c] as const))(
    "%s",
    (_label, c) => {
      const project = c.argv.includes("bootstrap") ? shared : root;
      const once = () => runIn(project, [...c.argv, "--skip-provider-lock", "--skip-synth"], { TERRAFORM_BINARY_NAME: toolchain.tofu, CDKTF_OUTDIR: path.join(project, "cdktf.out") });
      let result = once();
      // cdktf reads the engine through a pty and now and then loses its last lines: the error (exit 1, a
      // plan, no "Error:"), or the error's detail (the kubernetes provider's "Invalid configuration for API
      // client" without the kubelogin line under it). Such a run says nothing either way: it runs again, up
      // to four times more (a cold CI run lost them three times in a row once).
      const saysNothing = (r: { status: number | null; output: string }) => r.status !== 0 && !SIGN_IN.test(r.output) && !BEFORE_SIGN_IN.test(r.output);
      for (let retry = 0; retry < 4 && saysNothing(result); retry++) result = once();
      const lines = result.output.trim().split("\n").filter((l) => l.trim() && !/^[│╵╷\s]*$/.test(l));
      const firstError = lines.findIndex((l) => /Error:/.test(l));
      const tail = (firstError >= 0 ? lines.slice(firstError, firstError + 14) : lines.slice(-12)).join(" | ");
      if (c.argv[2] === "output") {
        // Nothing deployed: cdktf prints no outputs, and says nothing went wrong.
        expect(`${result.status} ${BEFORE_SIGN_IN.test(result.output) ? tail : ""}`).toBe("0 ");
        return;
      }
      expect(BEFORE_SIGN_IN.test(result.output) ? `stopped before the sign-in: ${tail}` : "").toBe("");
      expect(SIGN_IN.test(result.output) ? "reached a provider's sign-in" : `did not reach a provider's sign-in: ${tail}`).toBe("reached a provider's sign-in");
      expect(result.status).not.toBe(0);
    },
    240_000,
  );
});

describe("the documented lines that need an engine or a git repository", () => {
  const ours = distinct(commands.filter((c) => c.argv[0] === "npm"));
  const script = (c: { argv: string[] }) => c.argv.filter((w) => w !== "-s")[2];
  const args = (c: { argv: string[] }) => {
    const rest = c.argv.filter((w) => w !== "-s").slice(3);
    return rest[0] === "--" ? rest.slice(1) : rest;
  };

  test.each(ours.filter((c) => script(c) === "plan").map((c) => [label(c), c] as const))(
    "%s: init from the mirror, then every stack's plan stops at the sign-in, and says so",
    (_label, c) => {
      const result = runIn(root, [process.execPath, path.join(root, "tools", "build", "run-ts.mjs"), "tools/review/plan-cli.ts", ...args(c)], { TERRAFORM_BINARY_NAME: toolchain.tofu });
      expect(result.status).toBe(1);
      expect(SIGN_IN.test(result.output) ? "reached the sign-in" : result.output.slice(-600)).toBe("reached the sign-in");
    },
    600_000,
  );

  const reviewLines = ours.filter((c) => script(c) === "review");
  test("there are review lines", () => expect(reviewLines.length).toBeGreaterThan(0));

  test.each(reviewLines.map((c) => [label(c), c] as const))(
    "%s: in a git repository with a main branch, it reviews and exits 0",
    (_label, c) => {
      const git = copyOfProject("akskv-doc-review-");
      // As in a clone: node_modules not in git (here a symlink, which "node_modules/" does not match).
      fs.writeFileSync(path.join(git, ".gitignore"), `${fs.readFileSync(path.join(repo, ".gitignore"), "utf8")}node_modules\n`);
      const gitEnv = { GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.invalid", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.invalid" };
      for (const step of [["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-qm", "base"]]) expect(runIn(git, ["git", ...step], gitEnv).status).toBe(0);
      const result = runIn(git, [process.execPath, path.join(git, "tools", "build", "run-ts.mjs"), "tools/review/cli.ts", ...args(c)], { CDKTF_OUTDIR: path.join(git, "cdktf.out") });
      expect(`${result.status} ${result.status === 0 ? "" : result.output.slice(-400)}`).toBe("0 ");
      fs.rmSync(git, { recursive: true, force: true });
    },
    240_000,
  );
});
