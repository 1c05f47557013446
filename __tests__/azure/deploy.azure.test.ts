// npm run test:azure: the deploy workflow's own cdktf command applies the AKS and Key Vault stacks of
// the shipped dev environment with the real cdktf CLI, OpenTofu and the toolchain's azurerm build,
// against the Azure stand-ins on loopback (tools/node/azure-stand-ins/cloud.ts), reached as a
// custom cloud is: ARM_METADATA_HOSTNAME names the host serving /metadata/endpoints, SSL_CERT_FILE
// trusts its certificate, and the deployer signs in as a GitHub job does (ARM_USE_OIDC with the job's
// token, exchanged by the Entra ID stand-in through the deployer's federated credential). The engine
// runs in a mount namespace of its own whose /etc/hosts sends Azure's names to the stand-ins (never
// the machine's /etc/hosts). Then the destroy workflow's command, and the deploy again.
// npm run tools:terraform builds the toolchain; without it this file fails.
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { stripVTControlCharacters } from "util";
import { RESOURCE_PROVIDERS } from "../../lib/azure-provider";
import { ARM_HOST } from "../../tools/node/azure-stand-ins/arm";
import { aadKubeconfig, AzureCloud } from "../../tools/node/azure-stand-ins/cloud";
import { AUTHORITY_HOST, GITHUB_ISSUER, TOKEN_EXCHANGE_AUDIENCE } from "../../tools/node/azure-stand-ins/entra";
import { githubJobToken } from "../../tools/node/azure-stand-ins/jwt";
import { VAULT_DNS_SUFFIX } from "../../tools/node/azure-stand-ins/keyvault";
import { serveStandIns, type StandInServers } from "../../tools/node/azure-stand-ins/serve";
import { makeCa } from "../../tools/node/node";
import { withPrivateHosts } from "../../tools/cluster/local-cluster";
import { adaptStacksInPlace } from "../../tools/engine/newer-provider";
import { fillPluginCache, loadToolchain, toolsCacheDir } from "../../tools/engine/toolchain";
import { copyOfProject, type Json, onSignal, removeTempDirs, tempDir } from "../support/helpers";

const repo = path.resolve(__dirname, "..", "..");
const toolchain = loadToolchain(repo, toolsCacheDir(process.env));
const STAND_IN_IP = "127.0.0.3";
const TENANT = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const SUBSCRIPTION = "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b";
const DEPLOYER = { clientId: "6f7a8b9c-0d1e-4f2a-8b3c-4d5e6f7a8b9c", objectId: "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d" };
const ENVIRONMENTS = ["dev", "prod"] as const;
type Env = (typeof ENVIRONMENTS)[number];
// What a job naming the GitHub environment gets as its OIDC subject: the deployer trusts each environment's.
const subject = (env: Env) => `repo:example/aks-keyvault:environment:${env}`;
const SECRET_VALUE = "value-that-reaches-the-vault-and-never-the-state-41c7";

const entraKeys = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
const githubKeys = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
let servers: StandInServers | undefined;
let cloud: AzureCloud;
let pki: string;
/** A checkout per environment, as each deploy job has its own. */
const projects: Partial<Record<Env, string>> = {};
const configs: Partial<Record<Env, Json>> = {};

/** The GitHub OIDC token of the environment's deploy job, as azure/login hands it on. */
const githubToken = (env: Env) => githubJobToken(GITHUB_ISSUER, subject(env), TOKEN_EXCHANGE_AUDIENCE, githubKeys.privateKey);

beforeAll(async () => {
  pki = tempDir("akskv-azure-pki-");
  makeCa(pki);
  // Filled before the deploys run at once: they then only read it (tools/engine/toolchain.ts, fillPluginCache).
  fillPluginCache(toolchain, path.join(pki, "plugin-cache"));
  cloud = new AzureCloud({
    subscriptionId: SUBSCRIPTION,
    tenantId: TENANT,
    tokenKey: entraKeys.publicKey,
    signingKey: entraKeys.privateKey,
    kubeconfig: (cluster) => aadKubeconfig(cluster, `https://${cluster.body.properties.fqdn}:443`, fs.readFileSync(path.join(pki, "ca.crt"), "utf8")),
    given: [{ ...DEPLOYER, onNodes: false, federatedCredentials: ENVIRONMENTS.map((env) => ({ issuer: GITHUB_ISSUER, subject: subject(env), audiences: [TOKEN_EXCHANGE_AUDIENCE] })) }],
    issuerKeys: () => new Map([[GITHUB_ISSUER, githubKeys.publicKey]]),
    identityHeader: crypto.randomBytes(8).toString("hex"),
    rbacPropagationMs: 3000,
  });
  // The first-run checklist (docs/ci.md): the subscription's resource providers registered.
  for (const namespace of RESOURCE_PROVIDERS) expect(cloud.callAs(DEPLOYER, "POST", `/subscriptions/${SUBSCRIPTION}/providers/${namespace}/register?api-version=2021-04-01`).status).toBe(200);
  servers = await serveStandIns({ pki, ip: STAND_IN_IP, directory: () => cloud.directory(), vaults: () => cloud.vaults(), arm: () => cloud.arm });

  for (const env of ENVIRONMENTS) {
    const project = copyOfProject(`akskv-azure-${env}-`);
    projects[env] = project;
    configs[env] = JSON.parse(fs.readFileSync(path.join(project, "config", `${env}.json`), "utf8"));
    // What the deploy job's write-secret-files step leaves from SECRET_FILES.
    fs.mkdirSync(path.join(project, "secrets", env), { recursive: true });
    fs.writeFileSync(path.join(project, "secrets", env, "configurable-secret.json"), JSON.stringify({ password: `${SECRET_VALUE}-${env}` }));
  }
  for (const env of ENVIRONMENTS) {
    const project = projects[env]!;
    const synth = await cdktf(env, ["synth"]);
    expect(synth.status === 0 ? "synthesized" : synth.output.slice(-2000)).toBe("synthesized");
    // The toolchain's azurerm is 5.x: its few reshaped arguments, as tools/engine/newer-provider.ts reports them.
    adaptStacksInPlace(path.join(project, "cdktf.out"), toolchain.providers);
  }
}, 180_000);

/** cdktf's process groups still running: ended in afterAll, and on SIGTERM or SIGINT (a CI timeout, Ctrl-C). */
const running = new Set<number>();
const endAll = () => {
  for (const pid of running) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
};
for (const signal of ["SIGTERM", "SIGINT"] as const) onSignal(signal, () => (endAll(), process.exit(130)));

afterAll(async () => {
  endAll();
  await servers?.close();
  removeTempDirs();
});

/** cdktf in the project, as the workflow runs it, in a mount namespace whose /etc/hosts names the stand-ins; bounded. */
function cdktf(env: Env, args: string[], timeoutSeconds = 600): Promise<{ status: number | null; output: string }> {
  const hosts = path.join(pki, "hosts");
  const vaultHosts = ENVIRONMENTS.map((e) => `${configs[e]!.keyVault.name}.${VAULT_DNS_SUFFIX}`);
  fs.writeFileSync(hosts, `127.0.0.1 localhost\n${STAND_IN_IP} ${ARM_HOST} ${AUTHORITY_HOST} ${vaultHosts.join(" ")}\n`);
  const processEnv = {
    ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(ARM_|AZURE_|IDENTITY_|MSI_|TF_)/.test(name))),
    TERRAFORM_BINARY_NAME: toolchain.tofu,
    TF_CLI_CONFIG_FILE: toolchain.cliConfig,
    TOFU_CLI_CONFIG_FILE: toolchain.cliConfig,
    // Not cdktf's default ~/.terraform.d/plugin-cache: empty on a fresh machine, and two deploys installing into it at once can panic OpenTofu.
    TF_PLUGIN_CACHE_DIR: path.join(pki, "plugin-cache"),
    CDKTF_OUTDIR: path.join(projects[env]!, "cdktf.out"),
    CHECKPOINT_DISABLE: "1",
    CI: "true",
    // What a user of a custom cloud sets, and what azure/login leaves for Terraform in a GitHub job.
    ARM_METADATA_HOSTNAME: ARM_HOST,
    SSL_CERT_FILE: path.join(pki, "ca.crt"),
    ARM_USE_OIDC: "true",
    ARM_OIDC_TOKEN: githubToken(env),
    ARM_CLIENT_ID: DEPLOYER.clientId,
    ARM_TENANT_ID: TENANT,
    ARM_SUBSCRIPTION_ID: SUBSCRIPTION,
  };
  const [binary, wrapped] = withPrivateHosts(hosts, "npx", ["cdktf", ...args]);
  return new Promise((resolve) => {
    const child = spawn(binary, wrapped, { cwd: projects[env], env: processEnv, stdio: ["ignore", "pipe", "pipe"], detached: true });
    running.add(child.pid!);
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c));
    child.stderr.on("data", (c: Buffer) => (output += c));
    // The whole group: cdktf, the engine and its providers, not only npx.
    const timer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), timeoutSeconds * 1000);
    child.on("close", (status) => {
      clearTimeout(timer);
      running.delete(child.pid!);
      resolve({ status, output: stripVTControlCharacters(output) + (status === null ? `\n(ended after ${timeoutSeconds} s)` : "") });
    });
  });
}

const deployArgs = (env: Env) => ["deploy", `aks-${env}`, `keyvault-${env}`, "--auto-approve", "--skip-synth", "--skip-provider-lock"];
const destroyArgs = (env: Env) => ["destroy", `*-${env}`, "--auto-approve", "--skip-synth", "--skip-provider-lock"];
type Run = { status: number | null; output: string };
const stateOf = (env: Env, stack: string) => JSON.parse(fs.readFileSync(path.join(projects[env]!, `terraform.${stack}.tfstate`), "utf8"));
const outputValues = (env: Env, stack: string) => Object.values(stateOf(env, stack).outputs).map((o) => (o as { value: unknown }).value);
const groupOf = (env: Env) => `/subscriptions/${SUBSCRIPTION}/resourcegroups/${configs[env]!.resourceGroupName}`.toLowerCase();
const inGroup = (env: Env, type: string) => cloud.arm.ofType(type).filter((r) => r.id.toLowerCase().startsWith(`${groupOf(env)}/`));
const clusterOf = (env: Env) => inGroup(env, "Microsoft.ContainerService/managedClusters")[0];
const vaultPlane = (env: Env) => cloud.vaults().find((v) => v.config.name === configs[env]!.keyVault.name);
const applied = (run: Run, word: string) => (run.status === 0 ? word : run.output.slice(-3000));

/** The secrets each SecretProviderClass of the app stack mounts, as synthesized: what the vault must hold. */
function mountedSecrets(env: Env): string[] {
  const app = JSON.parse(fs.readFileSync(path.join(projects[env]!, "cdktf.out", "stacks", `app-${env}`, "cdk.tf.json"), "utf8"));
  return Object.values(app.resource.kubernetes_manifest as Record<string, Json>)
    .filter((m) => m.manifest.kind === "SecretProviderClass")
    .flatMap((m) => [...String(m.manifest.spec.parameters.objects).matchAll(/objectName: (\S+)\n\s*objectType: secret\b/g)].map((match) => match[1]));
}

/** What a deploy left, read at once: the later destroy and deploy change it. */
function snapshot(env: Env) {
  const cluster = clusterOf(env)?.body;
  const identity = inGroup(env, "Microsoft.ManagedIdentity/userAssignedIdentities")[0];
  const credential = identity && cloud.arm.ofType("Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials").find((c) => c.parentId?.toLowerCase() === identity.id.toLowerCase());
  return {
    addon: cluster?.properties.addonProfiles.azureKeyvaultSecretsProvider,
    issuer: cluster?.properties.oidcIssuerProfile.issuerURL,
    identity: identity?.body.properties,
    credentialIssuer: credential?.body.properties.issuer,
    grants: cloud.grantsOf(configs[env]!.keyVault.name),
    // Each secret a class mounts, as the vault has it or not: an upload under another name shows here.
    mounted: mountedSecrets(env).map((name) => `${name}: ${vaultPlane(env)?.has("secrets", name) ? "in the vault" : "missing"}`),
    aksOutputs: fs.existsSync(path.join(projects[env]!, `terraform.aks-${env}.tfstate`)) ? outputValues(env, `aks-${env}`) : [],
    states: [`aks-${env}`, `keyvault-${env}`].map((stack) => (fs.existsSync(path.join(projects[env]!, `terraform.${stack}.tfstate`)) ? fs.readFileSync(path.join(projects[env]!, `terraform.${stack}.tfstate`), "utf8") : "")),
  };
}

/** Each environment's runs, one after another, both environments at once (they share the stand-ins, as a subscription). */
const runs: Partial<Record<Env, { deploy: Promise<Run>; afterDeploy: Promise<ReturnType<typeof snapshot>>; destroy: Promise<Run>; groupAfterDestroy: Promise<string[]>; redeploy: Promise<Run>; afterRedeploy: Promise<ReturnType<typeof snapshot>> }>> = {};
beforeAll(() => {
  for (const env of ENVIRONMENTS) {
    const deploy = cdktf(env, deployArgs(env));
    const afterDeploy = deploy.then(() => snapshot(env));
    const destroy = afterDeploy.then(() => cdktf(env, destroyArgs(env)));
    const groupAfterDestroy = destroy.then(() => [
      ...[...cloud.arm.resources.keys()].filter((id) => id.startsWith(`${groupOf(env)}/`) || id === groupOf(env)),
      // Purge protection keeps a destroyed vault soft-deleted, its name reserved; without it, destroy purges.
      ...(cloud.arm.deletedVaults.has(configs[env]!.keyVault.name) ? [`soft-deleted ${configs[env]!.keyVault.name}`] : []),
    ]);
    const redeploy = groupAfterDestroy.then(() => cdktf(env, deployArgs(env)));
    runs[env] = { deploy, afterDeploy, destroy, groupAfterDestroy, redeploy, afterRedeploy: redeploy.then(() => snapshot(env)) };
  }
});

describe.each(ENVIRONMENTS)("%s: the deploy workflow's `cdktf deploy aks-<env> keyvault-<env>` against the Azure stand-ins", (env) => {
  test("applies both stacks", async () => {
    expect(applied(await runs[env]!.deploy, "applied")).toBe("applied");
  }, 900_000);

  test("the cluster as applied: the add-on with rotation at the configured interval, its identity's IDs assigned by Azure and passed on as outputs", async () => {
    const { addon, aksOutputs } = await runs[env]!.afterDeploy;
    expect(addon.enabled).toBe(true);
    expect(addon.config).toEqual({ enableSecretRotation: "true", rotationPollInterval: configs[env]!.aks.secretRotationInterval ?? "2m" });
    expect(aksOutputs).toEqual(expect.arrayContaining([addon.identity.clientId, addon.identity.objectId]));
  }, 900_000);

  test("the vault in access-policy mode: the reading identity by its object ID; every secret the class mounts in the vault, its value in no state", async () => {
    const { addon, identity, issuer, credentialIssuer, grants, mounted, states } = await runs[env]!.afterDeploy;
    expect(mounted).toEqual(mountedSecrets(env).map((name) => `${name}: in the vault`));
    expect(mounted.length).toBeGreaterThan(0);
    // dev reads as the add-on's identity; prod's app as its workload identity, federated to the cluster's own issuer.
    const reader = env === "dev" ? addon.identity.objectId : identity.principalId;
    expect(grants.find((g) => g.objectId === reader)?.secretPermissions).toEqual(["get", "list"]);
    if (env === "prod") expect(credentialIssuer).toBe(issuer);
    for (const state of states) {
      expect(state).toContain('"resources"');
      expect(state).not.toContain(SECRET_VALUE);
    }
  }, 900_000);

  test("the destroy workflow's `cdktf destroy '*-<env>'` removes everything (a purge-protected vault stays soft-deleted); then the deploy applies again, recovering it", async () => {
    expect(applied(await runs[env]!.destroy, "destroyed")).toBe("destroyed");
    expect(await runs[env]!.groupAfterDestroy).toEqual(configs[env]!.keyVault.purgeProtection ? [`soft-deleted ${configs[env]!.keyVault.name}`] : []);
    expect(applied(await runs[env]!.redeploy, "applied")).toBe("applied");
    expect((await runs[env]!.afterRedeploy).mounted).toEqual(mountedSecrets(env).map((name) => `${name}: in the vault`));
  }, 1_800_000);
});
