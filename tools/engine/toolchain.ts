// The Terraform toolchain the engine checks run on: OpenTofu and the azurerm and
// kubernetes providers, built from source through the Go module proxy (no
// Terraform registry or release download is reachable where these checks run)
// into a cache outside the repository, laid out as a provider mirror that
// `init` installs from with no network.
import * as fs from "fs";
import * as path from "path";
import { toolCacheDir } from "../cache/tool-cache";

/** Go 1.26.6 is the highest `go` directive among OpenTofu's and the providers' go.mod files. */
export const MIN_GO = "1.26.6";

export const OPENTOFU = {
  version: "1.12.6",
  module: "github.com/opentofu/opentofu",
  // OpenTofu's go.mod carries a replace and a godebug block, which
  // `go install <pkg>@<version>` refuses; a wrapper module repeats both.
  wrapperGoMod: [
    "module aks-keyvault-cdktf/opentofu-build",
    "",
    `go ${MIN_GO}`,
    "",
    "godebug (",
    "\ttlsmlkem=0",
    "\twinsymlink=0",
    ")",
    "",
    "require github.com/opentofu/opentofu v1.12.6",
    "",
    "replace github.com/hashicorp/hcl/v2 v2.20.1 => github.com/opentofu/hcl/v2 v2.20.2-0.20251021132045-587d123c2828",
    "",
  ].join("\n"),
  ldflags: "-X github.com/opentofu/opentofu/version.dev=no",
};

/** What identifies a built OpenTofu in the record: a change here rebuilds it. */
export const OPENTOFU_RECIPE = `${OPENTOFU.module}@v${OPENTOFU.version} ldflags=${OPENTOFU.ldflags}`;

export interface ProviderSource {
  readonly module: string;
  /**
   * Release version -> the Go module version of its commit. The providers'
   * module paths carry no /v4 or /v2 suffix, so their tags are not Go versions.
   */
  readonly releases: Readonly<Record<string, string>>;
  /**
   * What to build when the Go module proxy refuses the pinned release: the
   * nearest version it serves, installed under a version label of its own
   * (never under the pinned number), so every check says what it ran.
   */
  readonly standIn: { readonly goVersion: string; readonly version: string; readonly what: string };
}

export const PROVIDER_SOURCES: Readonly<Record<string, ProviderSource>> = {
  azurerm: {
    module: "github.com/hashicorp/terraform-provider-azurerm",
    releases: { "4.55.0": "37bf7f03b661b804a59fd62fd6f6e6b8ee4a69df" },
    standIn: {
      goVersion: "v1.44.1-0.20260824201233-fae580791926",
      version: "5.2.1-dev.20260824",
      what: "azurerm main at fae5807 (2026-08-24, after 5.2.0)",
    },
  },
  kubernetes: {
    module: "github.com/hashicorp/terraform-provider-kubernetes",
    releases: { "2.38.0": "be88f44271050f69d52f410bca388834afedfe71" },
    standIn: {
      goVersion: "v1.13.4-0.20260821094251-3a33fb6cc605",
      version: "3.2.2-dev.20260821",
      what: "kubernetes main at 3a33fb6 (2026-08-21, after 3.2.1)",
    },
  },
};

/** A provider the stacks require, as the prebuilt cdktf binding declares it. */
export interface RequiredProvider {
  readonly name: string;
  readonly version: string;
}

/** The provider versions the synthesized stacks pin, read from the binding packages themselves. */
export function requiredProviders(projectRoot: string): RequiredProvider[] {
  return Object.keys(PROVIDER_SOURCES).map((name) => {
    const file = path.join(projectRoot, "node_modules", "@cdktf", `provider-${name}`, "package.json");
    if (!fs.existsSync(file)) throw new ToolchainError(`${file} not found; run npm ci first`);
    const provider = JSON.parse(fs.readFileSync(file, "utf8")).cdktf?.provider;
    if (!provider?.version) throw new ToolchainError(`${file} names no provider version (cdktf.provider.version)`);
    return { name, version: String(provider.version) };
  });
}

/** A provider in the mirror. */
export interface BuiltProvider {
  readonly name: string;
  /** The version the stacks pin. */
  readonly required: string;
  /** The version it is installed as in the mirror: the pinned one, or the stand-in's own label. */
  readonly version: string;
  /** What was built instead of the pinned release, and why; absent when it is the pinned release. */
  readonly standIn?: string;
  /** What was built: module@goVersion. */
  readonly recipe: string;
}

export interface ToolchainManifest {
  readonly opentofu?: { readonly version: string; readonly recipe: string };
  readonly providers: Readonly<Record<string, BuiltProvider>>;
}

export class ToolchainError extends Error {}

/** Whether a version, as numbers ([1, 26, 8]), is at least another; missing parts count as 0. */
export function versionAtLeast(have: readonly number[], want: readonly number[]): boolean {
  for (let i = 0; i < want.length; i++) {
    if ((have[i] ?? 0) !== want[i]) return (have[i] ?? 0) > want[i];
  }
  return true;
}

/** Where the toolchain lives: $AKSKV_TOOLS_CACHE, else $XDG_CACHE_HOME or ~/.cache, under aks-keyvault-cdktf/terraform. */
export function toolsCacheDir(env: NodeJS.ProcessEnv): string {
  return toolCacheDir(env, "AKSKV_TOOLS_CACHE", "terraform");
}

/** Providers install from registry.opentofu.org for OpenTofu and registry.terraform.io for Terraform. */
export const REGISTRY_HOSTS = ["registry.opentofu.org", "registry.terraform.io"] as const;

export function platform(): string {
  const arch = { x64: "amd64", arm64: "arm64" }[process.arch as string] ?? process.arch;
  return `${process.platform}_${arch}`;
}

export function toolchainPaths(cacheDir: string) {
  return {
    manifest: path.join(cacheDir, "toolchain.json"),
    tofu: path.join(cacheDir, "bin", `tofu-${OPENTOFU.version}`),
    mirror: path.join(cacheDir, "mirror"),
    cliConfig: path.join(cacheDir, "cli.tfrc"),
    build: path.join(cacheDir, "build"),
    providerBinary(host: string, name: string, version: string): string {
      return path.join(cacheDir, "mirror", host, "hashicorp", name, version, platform(), `terraform-provider-${name}_v${version}`);
    },
  };
}

/** A CLI configuration that installs providers from the mirror only: no registry, no network. */
export function cliConfigText(mirror: string): string {
  const include = REGISTRY_HOSTS.map((host) => `"${host}/hashicorp/*"`).join(", ");
  return [
    "# Written by npm run tools:terraform: providers come from the local mirror only.",
    "provider_installation {",
    "  filesystem_mirror {",
    `    path    = ${JSON.stringify(mirror)}`,
    `    include = [${include}]`,
    "  }",
    "}",
    "",
  ].join("\n");
}

export function readManifest(cacheDir: string): ToolchainManifest {
  try {
    return JSON.parse(fs.readFileSync(toolchainPaths(cacheDir).manifest, "utf8"));
  } catch {
    return { providers: {} };
  }
}

/** The built toolchain, checked against what the stacks require now. */
export interface Toolchain {
  readonly tofu: string;
  readonly cliConfig: string;
  readonly providers: readonly BuiltProvider[];
  /** Each provider's binary in the mirror, for every registry host. */
  readonly providerBinaries: readonly string[];
  readonly mirror: string;
}

/**
 * The toolchain the checks run on. Throws a one-line ToolchainError, naming
 * the command that builds it, when anything is missing or was built for other
 * provider versions than the stacks now pin.
 */
export function loadToolchain(projectRoot: string, cacheDir: string): Toolchain {
  const paths = toolchainPaths(cacheDir);
  const manifest = readManifest(cacheDir);
  const build = "run npm run tools:terraform to build it";
  if (!manifest.opentofu || !fs.existsSync(paths.tofu)) {
    throw new ToolchainError(`OpenTofu ${OPENTOFU.version} is not built in ${cacheDir}; ${build}`);
  }
  const providers = requiredProviders(projectRoot).map((required) => {
    const built = manifest.providers[required.name];
    if (!built || built.required !== required.version) {
      throw new ToolchainError(`no ${required.name} provider for ${required.version} in ${paths.mirror}; ${build}`);
    }
    for (const host of REGISTRY_HOSTS) {
      if (!fs.existsSync(paths.providerBinary(host, built.name, built.version))) {
        throw new ToolchainError(`the ${required.name} provider is missing from ${paths.mirror}; ${build}`);
      }
    }
    return built;
  });
  if (!fs.existsSync(paths.cliConfig)) throw new ToolchainError(`${paths.cliConfig} is missing; ${build}`);
  const providerBinaries = providers.flatMap((p) => REGISTRY_HOSTS.map((host) => paths.providerBinary(host, p.name, p.version)));
  return { tofu: paths.tofu, cliConfig: paths.cliConfig, providers, providerBinaries, mirror: paths.mirror };
}

/**
 * Fills dir, a provider plugin cache (TF_PLUGIN_CACHE_DIR), with every provider of the mirror, linked where
 * the file system allows and copied where not, in the cache's own layout (the mirror's). Inits that share
 * the cache then only read it: OpenTofu's cache is not safe for two installs at once (a cold `.ci/run`
 * saw `tofu init` panic in providercache.(*Dir).LinkFromOtherCache with two deploys installing azurerm
 * into an empty cache together).
 */
export function fillPluginCache(toolchain: Toolchain, dir: string): void {
  for (const binary of toolchain.providerBinaries) {
    const target = path.join(dir, path.relative(toolchain.mirror, binary));
    if (fs.existsSync(target)) continue;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    try {
      fs.linkSync(binary, target);
    } catch {
      fs.copyFileSync(binary, target);
      fs.chmodSync(target, 0o755);
    }
  }
}

/** One line naming the engine and each provider, saying plainly where a stand-in replaces the pinned release. */
export function describeProviders(providers: readonly BuiltProvider[]): string {
  return providers
    .map((p) => (p.standIn ? `${p.name} ${p.version} (stand-in for ${p.required}: ${p.standIn})` : `${p.name} ${p.version}`))
    .join("; ");
}
