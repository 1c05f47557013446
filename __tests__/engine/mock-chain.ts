// The mock-provider chain the engine tests run: one environment's AKS, Key Vault and app stacks planned
// and applied by OpenTofu's `tofu test` against mock azurerm and kubernetes providers, each stack reading
// the previous one's outputs through its own terraform_remote_state from the state file the previous
// apply wrote. Shared by engine-plans.terraform.test.ts (CDKTF) and the CDK Terrain stacks' test.
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { mockTest, outputsOf, writeOutputsState, type MockRun } from "../../tools/engine/mock-test";
import type { Toolchain } from "../../tools/engine/toolchain";
import { synthProject, synthWithEngine, writeProject, type Json, type SynthesizedProject } from "../support/helpers";

// Distinct IDs, so a test can tell where each one lands.
export const ID = {
  tenant: "11111111-1111-4111-8111-111111111111",
  subscription: "22222222-2222-4222-8222-222222222222",
  deployerObject: "33333333-3333-4333-8333-333333333333",
  addonClient: "44444444-4444-4444-8444-444444444444",
  addonObject: "55555555-5555-4555-8555-555555555555",
  workloadClient: "66666666-6666-4666-8666-666666666666",
  workloadObject: "77777777-7777-4777-8777-777777777777",
};
export const MARKER = "marker-value-that-must-stay-out-of-plans-and-state-7f3a9c";
export const LB_IP = "203.0.113.10";

/** A JavaScript value as an HCL expression. */
export function hcl(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(hcl).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    return `{ ${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)} = ${hcl(v)}`).join(", ")} }`;
  }
  return JSON.stringify(value);
}

const mockResource = (type: string, defaults: Json) => `  mock_resource ${JSON.stringify(type)} {\n    defaults = ${hcl(defaults)}\n  }\n`;
const mockData = (type: string, defaults: Json) => `  mock_data ${JSON.stringify(type)} {\n    defaults = ${hcl(defaults)}\n  }\n`;
export const runs = (...commands: ("plan" | "apply")[]) => commands.map((c) => `run ${JSON.stringify(c)} {\n  command = ${c}\n}\n`).join("");

const rg = (env: string) => `/subscriptions/${ID.subscription}/resourceGroups/rg-test-${env}`;

export function azurermMocks(env: string): string {
  const identity = `${rg(env)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities`;
  return [
    'mock_provider "azurerm" {\n',
    mockData("azurerm_client_config", { tenant_id: ID.tenant, object_id: ID.deployerObject, client_id: ID.deployerObject, subscription_id: ID.subscription }),
    mockResource("azurerm_resource_group", { id: rg(env) }),
    mockResource("azurerm_kubernetes_cluster", {
      id: `${rg(env)}/providers/Microsoft.ContainerService/managedClusters/aks-test-${env}`,
      oidc_issuer_url: `https://westeurope.oic.prod-aks.azure.com/${ID.tenant}/issuer/`,
      kube_config: [
        {
          host: `https://aks-test-${env}.hcp.westeurope.azmk8s.io:443`,
          cluster_ca_certificate: Buffer.from("test CA").toString("base64"),
          client_certificate: "",
          client_key: "",
          password: "",
          username: "",
        },
      ],
      // A block the stack configures: the mock fills in only its computed part.
      key_vault_secrets_provider: {
        secret_identity: [{ client_id: ID.addonClient, object_id: ID.addonObject, user_assigned_identity_id: `${identity}/azurekeyvaultsecretsprovider` }],
      },
    }),
    mockResource("azurerm_user_assigned_identity", { id: `${identity}/id-app`, client_id: ID.workloadClient, principal_id: ID.workloadObject, tenant_id: ID.tenant }),
    mockResource("azurerm_log_analytics_workspace", { id: `${rg(env)}/providers/Microsoft.OperationalInsights/workspaces/log-test` }),
    mockResource("azurerm_monitor_data_collection_rule", { id: `${rg(env)}/providers/Microsoft.Insights/dataCollectionRules/dcr-test` }),
    mockResource("azurerm_virtual_network", { id: `${rg(env)}/providers/Microsoft.Network/virtualNetworks/vnet-test` }),
    mockResource("azurerm_subnet", { id: `${rg(env)}/providers/Microsoft.Network/virtualNetworks/vnet-test/subnets/aks` }),
    mockResource("azurerm_key_vault", {
      id: `${rg(env)}/providers/Microsoft.KeyVault/vaults/kv-test-${env}-01`,
      vault_uri: `https://kv-test-${env}-01.vault.azure.net/`,
    }),
    mockResource("azurerm_key_vault_secret", {
      id: `https://kv-test-${env}-01.vault.azure.net/secrets/configurable-secrets/0123456789abcdef0123456789abcdef`,
      version: "0123456789abcdef0123456789abcdef",
    }),
    "}\n",
  ].join("");
}

export function kubernetesMocks(withAddress: boolean): string {
  const status = { status: [{ load_balancer: [{ ingress: [{ ip: LB_IP, hostname: "", ip_mode: "VIP" }] }] }] };
  return `mock_provider "kubernetes" {\n${withAddress ? mockResource("kubernetes_service_v1", status) : ""}}\n`;
}

/** A secret file's SHA-256: what no version may reveal. */
export const sha256 = (content: string) => createHash("sha256").update(content).digest("hex");
/** A version as 32 bits of a hash, as the stack derived it before: a guessing oracle for short values. */
export const hashVersion = (content: string) => parseInt(sha256(content).slice(0, 8), 16);

export function expectPassed(run: MockRun): void {
  if (!run.passed) throw new Error(`tofu test failed:\n${run.errors.join("\n")}`);
}

export interface Chain {
  project: SynthesizedProject;
  aks: MockRun;
  keyVault: MockRun;
  app: MockRun;
}

/** Applies AKS and Key Vault against mocks, writing each one's outputs where the next stack reads them, then plans the app. */
export async function deployChain(toolchain: Toolchain, env: string, config: Json, secret: string, engine: "cdktf" | "cdktn" = "cdktf"): Promise<Chain> {
  const project = engine === "cdktf" ? synthProject({ [env]: config }, { [`secrets/${env}/configurable-secret.json`]: secret }) : terrainProject({ [env]: config }, { [`secrets/${env}/configurable-secret.json`]: secret });
  const aks = await mockTest(toolchain, project.outdir, `aks-${env}`, azurermMocks(env) + runs("apply"));
  expectPassed(aks);
  writeOutputsState(project.root, `aks-${env}`, outputsOf(aks.states.apply));
  const keyVault = await mockTest(toolchain, project.outdir, `keyvault-${env}`, azurermMocks(env) + runs("plan", "apply"));
  expectPassed(keyVault);
  writeOutputsState(project.root, `keyvault-${env}`, outputsOf(keyVault.states.apply));
  const app = await mockTest(toolchain, project.outdir, `app-${env}`, kubernetesMocks(true) + runs("plan", "apply"));
  expectPassed(app);
  return { project, aks, keyVault, app };
}


/** A project synthesized by CDK Terrain (tools/build/terrain-app.mjs) into cdktn.out, beside where cdktf.out would be. */
function terrainProject(configs: Record<string, Json>, files: Record<string, string>): SynthesizedProject {
  const root = writeProject(configs, files);
  const outdir = path.join(root, "cdktn.out");
  synthWithEngine("terrain-app.mjs", root, outdir);
  const text = (stack: string) => fs.readFileSync(path.join(outdir, "stacks", stack, "cdk.tf.json"), "utf8");
  return { warnings: [], root, outdir, text, json: (stack) => JSON.parse(text(stack)), manifest: JSON.parse(fs.readFileSync(path.join(outdir, "manifest.json"), "utf8")) };
}
