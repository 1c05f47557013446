// The Kubernetes binding stays @cdktf/provider-kubernetes 12.1.1 (kubernetes 2.38.0) on CDK Terrain's core:
// there is no @cdktn/provider-kubernetes on npm, and the 3.4.0 binding PyPI carries changes `metadata` to a
// list, a provider major upgrade of its own. In this tier every "cdktf" import, the binding's own included,
// is CDK Terrain's (jest.config.js); the bundle synth:cdktn runs leaves the binding's require("cdktf") to the
// npm alias of cdktf to cdktn, and equivalence.cdktn.test.ts compares what that bundle writes.
import { DataTerraformRemoteStateLocal, TerraformOutput, TerraformStack, Testing } from "cdktf";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import { Manifest } from "@cdktf/provider-kubernetes/lib/manifest";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { UserAssignedIdentity } from "@cdktf/provider-azurerm/lib/user-assigned-identity";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";

describe("the Kubernetes binding on CDK Terrain's core", () => {
  test("this tier runs on CDK Terrain: cdktf, the azurerm binding and the binding's own core resolve to the second install", () => {
    expect(require("cdktf/package.json")).toMatchObject({ name: "cdktn", version: "0.24.0" });
    expect(require.resolve("@cdktf/provider-azurerm/lib/provider")).toContain("/cdktn/node_modules/@cdktn/provider-azurerm/");
    expect(require.resolve("@cdktf/provider-kubernetes/lib/provider")).toContain("/cdktn/node_modules/@cdktf/provider-kubernetes/");
  });

  test("tokens and references: a remote state output and another resource's attribute reach its resources, and the jest matchers read them", () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, "app-test");
    new AzurermProvider(stack, "azurerm", { features: [{}] });
    new KubernetesProvider(stack, "kubernetes", { configPath: "/dev/null" });
    const upstream = new DataTerraformRemoteStateLocal(stack, "keyvault", { path: "../keyvault-test/terraform.tfstate" });
    const identity = new UserAssignedIdentity(stack, "identity", { name: "id-test", location: "westeurope", resourceGroupName: "rg-test" });
    const namespace = new NamespaceV1(stack, "namespace", { metadata: { name: upstream.getString("namespace"), labels: { client: identity.clientId } } });
    new Manifest(stack, "class", {
      manifest: { apiVersion: "secrets-store.csi.x-k8s.io/v1", kind: "SecretProviderClass", metadata: { name: "web", namespace: namespace.metadata.name }, spec: { provider: "azure", parameters: { keyvaultName: upstream.getString("vault_name") } } },
    });
    new TerraformOutput(stack, "namespace_name", { value: namespace.metadata.name });
    const text = Testing.synth(stack);
    expect(text).toHaveResourceWithProperties(NamespaceV1, { metadata: { name: "${data.terraform_remote_state.keyvault.outputs.namespace}", labels: { client: "${azurerm_user_assigned_identity.identity.client_id}" } } });
    // The matchers snake-case the keys they are given, and a manifest is a free-form map: read it as JSON.
    const synthesized = JSON.parse(text);
    expect(synthesized.resource.kubernetes_manifest.class.manifest).toMatchObject({ metadata: { name: "web", namespace: "${kubernetes_namespace_v1.namespace.metadata[0].name}" }, spec: { parameters: { keyvaultName: "${data.terraform_remote_state.keyvault.outputs.vault_name}" } } });
    expect(text).toHaveResource(Manifest);
    expect(text).not.toHaveResourceWithProperties(NamespaceV1, { metadata: { name: "plain" } });
    expect(synthesized.output.namespace_name.value).toBe("${kubernetes_namespace_v1.namespace.metadata[0].name}");
  });
});
