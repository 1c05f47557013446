// The engine checks' own logic, without an engine: which diagnostics are
// accepted, the stand-in override, the CLI config, the Go version gate.
import { acceptedBy, providerOf, type AcceptedDiagnostic } from "../../tools/engine/accepted";
import { goVersionParts } from "../../tools/engine/build-cli";
import { adaptStack, standInOverride } from "../../tools/engine/newer-provider";
import * as fs from "fs";
import * as path from "path";
import { cliConfigText, describeProviders, fillPluginCache, versionAtLeast, type BuiltProvider } from "../../tools/engine/toolchain";
import { tempDir } from "../support/helpers";

const azurerm: BuiltProvider = { name: "azurerm", required: "4.55.0", version: "5.2.1-dev.20260824", standIn: "refused", recipe: "m@v" };
const kubernetes: BuiltProvider = { name: "kubernetes", required: "2.38.0", version: "2.38.0", recipe: "m@v" };

describe("accepted diagnostics", () => {
  const gap: AcceptedDiagnostic = {
    severity: "error",
    context: /^resource\.azurerm_subnet\./,
    message: /service_endpoints/,
    when: "stand-in",
    reason: "removed in 5.0",
  };
  const diagnostic = {
    severity: "error" as const,
    summary: "Extraneous JSON object property",
    detail: 'No argument or block type is named "service_endpoints".',
    snippet: { context: "resource.azurerm_subnet.aks-subnet" },
  };

  test("a stand-in gap is accepted only while that provider is a stand-in", () => {
    expect(acceptedBy(diagnostic, new Set(["azurerm"]), [gap])).toBe(gap);
    expect(acceptedBy(diagnostic, new Set(["kubernetes"]), [gap])).toBeUndefined();
    expect(acceptedBy(diagnostic, new Set(), [gap])).toBeUndefined();
  });

  test("severity, block and message must all match", () => {
    expect(acceptedBy({ ...diagnostic, severity: "warning" }, new Set(["azurerm"]), [gap])).toBeUndefined();
    expect(acceptedBy({ ...diagnostic, snippet: { context: "resource.azurerm_key_vault.vault" } }, new Set(["azurerm"]), [gap])).toBeUndefined();
    expect(acceptedBy({ ...diagnostic, detail: "something else" }, new Set(["azurerm"]), [gap])).toBeUndefined();
  });

  test("the provider of a block is its type's prefix", () => {
    expect(providerOf("resource.kubernetes_service_v1.service.spec")).toBe("kubernetes");
    expect(providerOf("data.azurerm_client_config.deployer")).toBe("azurerm");
    expect(providerOf("output.app_url")).toBeUndefined();
  });
});

describe("toolchain", () => {
  test("a stand-in is pinned by an override naming its own version, only for the providers the stack uses", () => {
    const stack = { terraform: { required_providers: { azurerm: { source: "azurerm", version: "4.55.0" } } } };
    expect(JSON.parse(standInOverride(stack, [azurerm, kubernetes]).text!)).toEqual({
      terraform: { required_providers: { azurerm: { source: "azurerm", version: "5.2.1-dev.20260824" } } },
    });
    const app = { terraform: { required_providers: { kubernetes: { source: "kubernetes", version: "2.38.0" } } } };
    expect(standInOverride(app, [azurerm, kubernetes])).toEqual({ resources: {}, changes: [] });
  });

  test("the resources azurerm 5.x reshapes are overridden, by name, and reported; nothing else is", () => {
    const stack = {
      terraform: { required_providers: { azurerm: { source: "azurerm", version: "4.55.0" } } },
      resource: {
        azurerm_subnet: { "aks-subnet": { name: "aks", service_endpoints: ["Microsoft.KeyVault"] } },
        azurerm_key_vault: { vault: { name: "kv" } },
      },
    };
    const { text, changes } = standInOverride(stack, [azurerm]);
    expect(JSON.parse(text!).resource).toEqual({
      azurerm_subnet: { "aks-subnet": { service_endpoints: null, service_endpoint: [{ service: "Microsoft.KeyVault" }] } },
    });
    expect(changes).toEqual(["azurerm_subnet.aks-subnet: service_endpoints = [...] becomes service_endpoint { service = ... } blocks (renamed in azurerm 5.0)"]);
    const adapted = adaptStack(stack, [azurerm]);
    expect(adapted.stack.resource.azurerm_subnet["aks-subnet"]).toEqual({ name: "aks", service_endpoint: [{ service: "Microsoft.KeyVault" }] });
    expect(stack.resource.azurerm_subnet["aks-subnet"].service_endpoints).toEqual(["Microsoft.KeyVault"]);
  });

  test("every check names a stand-in and the release it replaces", () => {
    expect(describeProviders([azurerm, kubernetes])).toBe("azurerm 5.2.1-dev.20260824 (stand-in for 4.55.0: refused); kubernetes 2.38.0");
  });

  test("the CLI config installs from the mirror only, for both registries", () => {
    const text = cliConfigText("/cache/mirror");
    expect(text).toContain('path    = "/cache/mirror"');
    expect(text).toContain('include = ["registry.opentofu.org/hashicorp/*", "registry.terraform.io/hashicorp/*"]');
    expect(text).not.toMatch(/direct|network_mirror/);
  });

  test("Go's version gate", () => {
    expect(goVersionParts("go1.26.8")).toEqual([1, 26, 8]);
    expect(goVersionParts("go1.27")).toEqual([1, 27, 0]);
    expect(versionAtLeast([1, 26, 8], [1, 26, 6])).toBe(true);
    expect(versionAtLeast([1, 26, 6], [1, 26, 6])).toBe(true);
    expect(versionAtLeast([1, 26, 5], [1, 26, 6])).toBe(false);
    expect(versionAtLeast([1, 25, 9], [1, 26, 6])).toBe(false);
    expect(versionAtLeast([2, 0, 0], [1, 26, 6])).toBe(true);
  });
});

describe("fillPluginCache", () => {
  test("puts every mirrored provider into the cache in the cache's own layout, linked not copied, and is idempotent", () => {
    const mirror = tempDir("akskv-mirror-");
    const binary = path.join(mirror, "registry.opentofu.org", "hashicorp", "azurerm", "5.2.1", "linux_amd64", "terraform-provider-azurerm_v5.2.1");
    fs.mkdirSync(path.dirname(binary), { recursive: true });
    fs.writeFileSync(binary, "provider", { mode: 0o755 });
    const cache = path.join(tempDir("akskv-plugin-cache-"), "cache");
    const toolchain = { tofu: "tofu", cliConfig: "cli.tfrc", providers: [], providerBinaries: [binary], mirror };
    fillPluginCache(toolchain, cache);
    fillPluginCache(toolchain, cache);
    const cached = path.join(cache, "registry.opentofu.org", "hashicorp", "azurerm", "5.2.1", "linux_amd64", "terraform-provider-azurerm_v5.2.1");
    expect(fs.statSync(cached).ino).toBe(fs.statSync(binary).ino);
    expect(fs.readdirSync(cache)).toEqual(["registry.opentofu.org"]);
  });
});
