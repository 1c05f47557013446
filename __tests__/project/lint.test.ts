// The lint rule that keeps synth and tests fast: provider classes come from
// their own modules, never from a provider package's root.
import * as fs from "fs";
import * as path from "path";
import { run, tempDir } from "../support/helpers";

const repo = path.resolve(__dirname, "..", "..");
const oxlint = path.join(repo, "node_modules", ".bin", "oxlint");

function lint(source: string) {
  const dir = tempDir("akskv-lint-");
  fs.writeFileSync(path.join(dir, "stack.ts"), source);
  return run(oxlint, ["-c", path.join(repo, ".oxlintrc.json"), "--deny-warnings", "stack.ts"], dir);
}

describe("the provider import rule", () => {
  test.each(["@cdktf/provider-azurerm", "@cdktf/provider-kubernetes"])("fails on an import from the root of %s", (pkg) => {
    const result = lint(`import { X } from "${pkg}";\nexport const y = X;\n`);
    expect(result.status).not.toBe(0);
    expect(result.stdout).toContain(`eslint(no-restricted-imports): '${pkg}' import is restricted from being used.`);
    expect(result.stdout).toContain("Import the class from its own module");
  });

  test("accepts per-module imports", () => {
    const result = lint(
      'import { KeyVault } from "@cdktf/provider-azurerm/lib/key-vault";\n' +
        'import { Manifest } from "@cdktf/provider-kubernetes/lib/manifest";\n' +
        "export const used = [KeyVault, Manifest];\n",
    );
    expect(result.stdout).not.toContain("no-restricted-imports");
    expect(result.status).toBe(0);
  });
});
