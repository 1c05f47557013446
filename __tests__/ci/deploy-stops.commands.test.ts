// The deploy path's two fast stops, run as the commands the deploy workflow, the README and the Key
// Vault stack run: `npm run check-objects` (existing objects not imported yet) and `npm run
// wait-for-vault-access` (the first rbac deploy racing RBAC propagation). Each process signs in through
// the managed-identity endpoint (aks.kubeloginMode msi, App Service form: IDENTITY_ENDPOINT and
// IDENTITY_HEADER, so no instance metadata probe) of the Entra ID stand-in and reads the Key Vault
// stand-in over HTTPS on loopback (--vault-url), trusted through NODE_EXTRA_CA_CERTS.
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import type * as net from "net";
import * as path from "path";
import { managedIdentityEndpoint, type Directory } from "../../tools/node/azure-stand-ins/entra";
import { listener } from "../../tools/node/azure-stand-ins/http";
import { KeyVaultStandIn, VAULT_RESOURCE, type VaultGrant } from "../../tools/node/azure-stand-ins/keyvault";
import { issueCertificate, makeCa } from "../../tools/node/node";
import { copyOfProject, hardenedConfig, removeTempDirs, selfSignedCertificate, tempDir } from "../support/helpers";

const TENANT = "aaaaaaaa-1111-4111-8111-111111111111";
const DEPLOYER = { clientId: "bbbbbbbb-2222-4222-8222-222222222222", objectId: "ffffffff-6666-4666-8666-666666666666" };
const IDENTITY_HEADER = crypto.randomBytes(16).toString("hex");
const signingKey = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });

let project: string;
let caFile: string;
let servers: net.Server[] = [];
let vaultUrl: string;
let identityEndpoint: string;
/** What the vault stand-in answers; each test sets its own. */
let vault: KeyVaultStandIn;

const directory: Directory = {
  tenantId: TENANT,
  identities: [{ ...DEPLOYER, onNodes: true, federatedCredentials: [] }],
  issuerKeys: new Map(),
  signingKey: signingKey.privateKey,
  identityHeader: IDENTITY_HEADER,
  resources: [VAULT_RESOURCE],
};

function newVault(grants: VaultGrant[]): KeyVaultStandIn {
  return new KeyVaultStandIn({ name: "kv-test-stage-01", tenantId: TENANT, grants, tokenKey: signingKey.publicKey });
}

const listen = (server: net.Server) => new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port)));

beforeAll(async () => {
  project = copyOfProject("akskv-stops-");
  const stage = hardenedConfig("stage");
  stage.aks.kubeloginMode = "msi";
  stage.ci = { runsOn: ["self-hosted"] };
  stage.keyVault.authorization = "rbac";
  stage.keyVault.secrets.push(
    { objectName: "web-cert", objectType: "cert", objectAlias: "web.crt", source: { existing: true } },
    { objectName: "signing", objectType: "key", objectAlias: "signing.pem", source: { existing: true } },
  );
  fs.writeFileSync(path.join(project, "config", "stage.json"), JSON.stringify(stage, null, 2));
  const pki = tempDir("akskv-stops-pki-");
  caFile = makeCa(pki);
  const tls = issueCertificate(pki, "vault", "/CN=vault stand-in", ["IP:127.0.0.1"]);
  const vaultServer = https.createServer({ cert: fs.readFileSync(tls.cert), key: fs.readFileSync(tls.key) }, listener((request) => vault.handle(request)));
  const msi = http.createServer(listener((request) => managedIdentityEndpoint(directory, request)));
  servers = [vaultServer, msi];
  vaultUrl = `https://127.0.0.1:${await listen(vaultServer)}`;
  identityEndpoint = `http://127.0.0.1:${await listen(msi)}/msi/token`;
}, 60_000);

afterAll(async () => {
  for (const server of servers) await new Promise((resolve) => server.close(resolve));
  removeTempDirs();
});

/** Runs an npm script in the project copy as a deploy job would, bounded; the run's exit, output and wall time. */
function npmRun(script: string, args: string[]): Promise<{ status: number | null; output: string; seconds: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", "-s", script, "--", ...args], {
      cwd: project,
      env: { ...process.env, IDENTITY_ENDPOINT: identityEndpoint, IDENTITY_HEADER, NODE_EXTRA_CA_CERTS: caFile, CHECKPOINT_DISABLE: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (c) => (output += c));
    child.stderr.on("data", (c) => (output += c));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`npm run ${script} did not end within 60 s:\n${output}`));
    }, 60_000);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, output, seconds: (Date.now() - started) / 1000 });
    });
  });
}

/** The deployer's rights the rbac Key Vault stack grants: Secrets Officer, and Key Vault Reader because existing keys and certificates are configured. */
const deployerGrants = (effectiveFrom?: number): VaultGrant[] => [
  { objectId: DEPLOYER.objectId, secretPermissions: ["get", "list", "set", "delete", "recover", "purge"], via: "rbac", effectiveFrom },
  { objectId: DEPLOYER.objectId, secretPermissions: ["list"], certificatePermissions: ["get", "list"], keyPermissions: ["get", "list"], via: "rbac", effectiveFrom },
];

describe("npm run check-objects, between the Key Vault and app stacks", () => {
  test("a new vault without the existing objects: exit 1 within seconds, each missing object with its import line and the importer's role", async () => {
    vault = newVault(deployerGrants());
    const result = await npmRun("check-objects", ["--env", "stage", "--vault-url", vaultUrl]);
    expect(result.output).toContain("2 existing object(s) are not in kv-test-stage-01 yet");
    expect(result.output).toContain("az keyvault certificate import --vault-name kv-test-stage-01 --name web-cert");
    expect(result.output).toContain("az keyvault key import --vault-name kv-test-stage-01 --name signing --pem-file <key.pem>");
    expect(result.output).toContain("The person importing needs Key Vault Certificates Officer, Key Vault Crypto Officer");
    expect(result.status).toBe(1);
    expect(result.seconds).toBeLessThan(30);
    expect(vault.audit.every((line) => line.includes(`oid=${DEPLOYER.objectId}`))).toBe(true);
  }, 90_000);

  test("once both are imported: exit 0", async () => {
    const certificate = selfSignedCertificate();
    vault = newVault(deployerGrants());
    vault.importCertificate("web-cert", certificate.pem);
    vault.importKey("signing", certificate.key);
    const result = await npmRun("check-objects", ["--env", "stage", "--vault-url", vaultUrl]);
    expect(result.output).toContain("all 2 existing object(s) of stage are in kv-test-stage-01");
    expect(result.status).toBe(0);
  }, 90_000);
});

describe("npm run ci:wait-for-vault-access, the Key Vault stack's wait before its first secret write in rbac mode", () => {
  test("a role that takes effect a few seconds late: the command waits, says for what, and returns once it is in effect", async () => {
    vault = newVault(deployerGrants(Date.now() + 4000));
    const result = await npmRun("ci:wait-for-vault-access", ["--env", "stage", "--vault-url", vaultUrl, "--poll", "1", "--timeout", "30"]);
    expect(result.output).toContain("waiting for the deployer's Key Vault Secrets Officer on kv-test-stage-01 to take effect (Key Vault still answers 403 ForbiddenByRbac");
    expect(result.output).toMatch(/the deployer's Key Vault Secrets Officer on kv-test-stage-01 is in effect \(after \d+ probe\(s\)\); writing secrets/);
    expect(result.status).toBe(0);
  }, 90_000);

  test("a role that never takes effect: exit 1 at the deadline, saying what did not happen", async () => {
    vault = newVault(deployerGrants(Date.now() + 3_600_000));
    const result = await npmRun("ci:wait-for-vault-access", ["--env", "stage", "--vault-url", vaultUrl, "--poll", "1", "--timeout", "3"]);
    expect(result.output).toContain("the deployer's Key Vault Secrets Officer on kv-test-stage-01 was not in effect after 3 s (still 403 ForbiddenByRbac)");
    expect(result.status).toBe(1);
    expect(result.seconds).toBeLessThan(30);
  }, 90_000);
});
