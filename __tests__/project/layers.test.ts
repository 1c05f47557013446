// Imports point strictly down, over every source file of the project. The
// product (what cdktf synth and deploy run) is a stack of layers, highest first:
// main.ts (the composition), stacks/ (the environment's composition and one file
// per stack), constructs/, lib/ (helpers on cdktf and the providers), and config/
// (the environment files' definition and the domain facts), which imports nothing
// of the project. A layer imports only layers below it; within a layer, no stack
// imports a sibling stack. The tools stand beside the product under tools/: they
// import its pieces, the product never imports a tool, and nothing imports a test.
// No file imports itself back through others.
import * as fs from "fs";
import * as path from "path";

const repo = path.resolve(__dirname, "..", "..");
const SKIP = new Set(["node_modules", "cdktf.out", ".build-cache", ".git", "plan-output"]);

/** The product's layers, highest first: each may import only those after it. */
const PRODUCT = ["main", "stacks", "constructs", "lib", "config"];
/** Each layer and the layers its files may import. */
const MAY_IMPORT: Record<string, string[]> = {
  ...Object.fromEntries(PRODUCT.map((layer, index) => [layer, PRODUCT.slice(index + 1)])),
  tools: PRODUCT.slice(1),
  tests: [...PRODUCT, "tools"],
};
/** The files in stacks/ that compose stacks rather than being one: they import the stacks. */
const COMPOSITIONS = new Set(["stacks/environment.ts", "stacks/synthesize.ts"]);

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

  test("no two layers import each other: the order is strict", () => {
    const pairs = new Set<string>();
    for (const [file, targets] of graph) for (const target of targets) pairs.add(`${layerOf(file)} -> ${layerOf(target)}`);
    const both = [...pairs].filter((pair) => {
      const [from, to] = pair.split(" -> ");
      return from !== to && pairs.has(`${to} -> ${from}`);
    });
    expect(both).toEqual([]);
  });

  test("config/ is a leaf: it imports nothing of the project outside itself", () => {
    const out = [...graph].flatMap(([file, targets]) => (layerOf(file) === "config" ? targets.filter((t) => layerOf(t) !== "config").map((t) => `${file} imports ${t}`) : []));
    expect(out).toEqual([]);
  });

  test("no stack imports a sibling stack: what two stacks share lives below both", () => {
    const stacks = files.filter((f) => f.startsWith("stacks/") && !COMPOSITIONS.has(f));
    const bad = stacks.flatMap((file) => (graph.get(file) ?? []).filter((t) => t.startsWith("stacks/")).map((t) => `${file} imports ${t}`));
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
