// npm run tools:terraform without building anything: what it says when Go is
// missing or too old, and that a recorded toolchain is trusted without Go.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadToolchain, OPENTOFU, OPENTOFU_RECIPE, REGISTRY_HOSTS, requiredProviders, toolchainPaths } from "../../tools/engine/toolchain";

const repo = path.resolve(__dirname, "..", "..");
const temporary: string[] = [];
const tempDir = (prefix: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temporary.push(dir);
  return dir;
};
afterAll(() => temporary.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** tools:terraform with the given cache and a PATH holding only `bin` (no Go unless the test puts one there). */
function tools(cache: string, bin: string, args: string[] = []) {
  const result = spawnSync(process.execPath, [path.join(repo, "tools", "build", "run-ts.mjs"), "tools/engine/build-cli.ts", ...args], {
    cwd: repo,
    encoding: "utf8",
    env: { HOME: os.homedir(), PATH: bin, AKSKV_TOOLS_CACHE: cache },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A toolchain record whose files exist (empty): what a finished build leaves. */
function recordedToolchain(cache: string): void {
  const paths = toolchainPaths(cache);
  const touch = (file: string) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, "");
  };
  touch(paths.tofu);
  const providers = Object.fromEntries(
    requiredProviders(repo).map((p) => {
      for (const host of REGISTRY_HOSTS) touch(paths.providerBinary(host, p.name, p.version));
      return [p.name, { name: p.name, required: p.version, version: p.version, recipe: `m@${p.version}` }];
    }),
  );
  fs.writeFileSync(paths.manifest, JSON.stringify({ opentofu: { version: OPENTOFU.version, recipe: OPENTOFU_RECIPE }, providers }));
}

describe("npm run tools:terraform", () => {
  test("without Go, and something to build: one line naming what is needed, exit 1, nothing written", () => {
    const cache = path.join(tempDir("akskv-tools-"), "cache");
    const result = tools(cache, tempDir("akskv-bin-"));
    expect(result.stderr).toBe("tools:terraform: go not found on PATH; Go 1.26.6 or later builds OpenTofu and the providers (https://go.dev/dl)\n");
    expect(result.status).toBe(1);
    expect(fs.existsSync(toolchainPaths(cache).manifest)).toBe(false);
  });

  test("with a Go older than the modules need: says which and what is needed", () => {
    const bin = tempDir("akskv-bin-");
    fs.writeFileSync(path.join(bin, "go"), "#!/bin/sh\necho go1.25.3\n", { mode: 0o755 });
    const result = tools(path.join(tempDir("akskv-tools-"), "cache"), bin);
    expect(result.stderr).toBe("tools:terraform: go1.25.3 is too old; Go 1.26.6 or later builds OpenTofu and the providers (https://go.dev/dl)\n");
    expect(result.status).toBe(1);
  });

  test("a recorded toolchain is trusted as it is: no Go needed, nothing rebuilt, leftovers of an interrupted run removed", () => {
    const cache = tempDir("akskv-tools-");
    recordedToolchain(cache);
    const leftover = `${toolchainPaths(cache).tofu}.12345.partial`;
    fs.writeFileSync(leftover, "half a binary");
    const result = tools(cache, tempDir("akskv-bin-"));
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^OpenTofu 1\.12\.6: built/m);
    for (const p of requiredProviders(repo)) expect(result.stdout).toMatch(new RegExp(`^${p.name} ${p.version.replace(/\./g, "\\.")}: built`, "m"));
    expect(result.stdout).not.toMatch(/building|compiling/);
    expect(fs.existsSync(leftover)).toBe(false);
    expect(loadToolchain(repo, cache).tofu).toBe(toolchainPaths(cache).tofu);
    expect(fs.readFileSync(toolchainPaths(cache).cliConfig, "utf8")).toContain(toolchainPaths(cache).mirror);
  });

  test("a toolchain built for other provider versions than the stacks pin is not used", () => {
    const cache = tempDir("akskv-tools-");
    recordedToolchain(cache);
    const paths = toolchainPaths(cache);
    fs.writeFileSync(paths.cliConfig, "");
    const manifest = JSON.parse(fs.readFileSync(paths.manifest, "utf8"));
    manifest.providers.azurerm.required = "4.0.0";
    fs.writeFileSync(paths.manifest, JSON.stringify(manifest));
    const pinned = requiredProviders(repo).find((p) => p.name === "azurerm")!.version;
    expect(() => loadToolchain(repo, cache)).toThrow(`no azurerm provider for ${pinned} in ${paths.mirror}; run npm run tools:terraform to build it`);
  });

  test("--help explains; an unknown argument is refused with the usage", () => {
    const bin = tempDir("akskv-bin-");
    const help = tools(tempDir("akskv-tools-"), bin, ["--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run tools:terraform/);
    const bad = tools(tempDir("akskv-tools-"), bin, ["--fast"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('tools:terraform: unknown argument "--fast"; usage: npm run tools:terraform [-- --help]\n');
  });
});
