// Imports point down: main.ts and app/ (composition) above stacks/, stacks
// above constructs/, constructs above lib/ (leaf helpers) and config/.
import * as fs from "fs";
import * as path from "path";

const repo = path.resolve(__dirname, "..");
/** Each layer and the layers it may import from the project. */
const MAY_IMPORT: Record<string, string[]> = {
  app: ["stacks", "constructs", "lib", "config"],
  stacks: ["constructs", "lib", "config"],
  constructs: ["lib", "config"],
  lib: ["config"],
};

function projectImports(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  return [...text.matchAll(/from "(\.{1,2}\/[^"]+)"/g)].map((m) => path.relative(repo, path.resolve(path.dirname(file), m[1])).split(path.sep)[0]);
}

describe("layers", () => {
  test.each(Object.keys(MAY_IMPORT))("%s/ imports only from the layers below it", (layer) => {
    const bad: string[] = [];
    for (const name of fs.readdirSync(path.join(repo, layer)).filter((f) => f.endsWith(".ts"))) {
      for (const target of projectImports(path.join(repo, layer, name))) {
        if (target !== layer && !MAY_IMPORT[layer].includes(target)) bad.push(`${layer}/${name} imports from ${target}/`);
      }
    }
    expect(bad).toEqual([]);
  });
});
