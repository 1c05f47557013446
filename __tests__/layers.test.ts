// Imports point down, over every source file of the project. The product
// (what cdktf synth and deploy run): main.ts above stacks/ (the environment's
// composition and one file per stack), stacks/ above constructs/, and those
// above config/ and lib/. The tools stand beside it under tools/: they import
// the product's public pieces, the product never imports a tool, and nothing
// imports a test. No file imports itself back through others.
import * as fs from "fs";
import * as path from "path";

const repo = path.resolve(__dirname, "..");
const SKIP = new Set(["node_modules", "cdktf.out", ".build-cache", ".git", "plan-output"]);

/** Each layer and the layers its files may import. */
const MAY_IMPORT: Record<string, string[]> = {
  main: ["stacks", "config", "lib"],
  stacks: ["constructs", "config", "lib"],
  constructs: ["config", "lib"],
  config: ["lib"],
  lib: ["config"],
  tools: ["stacks", "constructs", "config", "lib"],
  tests: ["main", "stacks", "constructs", "config", "lib", "tools"],
};

function layerOf(file: string): string | undefined {
  if (file === "main.ts") return "main";
  const top = file.split("/")[0];
  if (top === "__tests__") return "tests";
  return top in MAY_IMPORT ? top : undefined;
}

function sourceFiles(dir = ""): string[] {
  return fs.readdirSync(path.join(repo, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return SKIP.has(entry.name) || entry.name.startsWith(".") ? [] : sourceFiles(relative);
    return /\.(ts|mjs|js|cjs)$/.test(entry.name) ? [relative] : [];
  });
}

/** The project files a file imports: static, dynamic and require, types included. */
function projectImports(file: string): string[] {
  const text = fs.readFileSync(path.join(repo, file), "utf8");
  const specifiers = [...text.matchAll(/(?:\bfrom|\bimport|\brequire)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)].map((m) => m[1]);
  return specifiers.map((specifier) => {
    const base = path.relative(repo, path.resolve(repo, path.dirname(file), specifier)).split(path.sep).join("/");
    return [base, `${base}.ts`, `${base}.mjs`, `${base}.js`, `${base}/index.ts`].find((candidate) => fs.existsSync(path.join(repo, candidate)) && fs.statSync(path.join(repo, candidate)).isFile()) ?? base;
  });
}

const files = sourceFiles();
const graph = new Map(files.map((file) => [file, projectImports(file)]));

describe("layers", () => {
  test("every source file is in a layer: main.ts, stacks/, constructs/, config/, lib/, tools/ or __tests__/", () => {
    const outside = files.filter((f) => !layerOf(f) && !["jest.config.js"].includes(f));
    expect(outside).toEqual([]);
  });

  test.each(Object.keys(MAY_IMPORT))("%s imports only from the layers it stands on", (layer) => {
    const bad: string[] = [];
    for (const [file, targets] of graph) {
      if (layerOf(file) !== layer) continue;
      for (const target of targets) {
        const to = layerOf(target);
        if (to !== layer && !MAY_IMPORT[layer].includes(to ?? target)) bad.push(`${file} imports ${target}`);
      }
    }
    expect(bad).toEqual([]);
  });

  test("no import circle: no file reaches itself through its imports", () => {
    const circles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const visit = (file: string, trail: string[]) => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "open") {
        circles.push([...trail.slice(trail.indexOf(file)), file].join(" -> "));
        return;
      }
      state.set(file, "open");
      for (const target of graph.get(file) ?? []) visit(target, [...trail, file]);
      state.set(file, "done");
    };
    for (const file of files) visit(file, []);
    expect(circles).toEqual([]);
  });
});
