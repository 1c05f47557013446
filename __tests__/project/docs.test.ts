import * as fs from "fs";
import * as path from "path";
import { KNOWN_FIELDS } from "../../tools/build/config-reference";
import { PROJECT_CHECKS } from "../scan/project-checks";
import { synthProject, type Json } from "../support/helpers";

const repo = path.resolve(__dirname, "..", "..");
const read = (file: string) => fs.readFileSync(path.join(repo, file), "utf8");

describe("docs match the code", () => {
  test("docs/configuration.md documents every field the validator accepts", () => {
    const doc = read("docs/configuration.md");
    const undocumented = KNOWN_FIELDS.filter((field) => !doc.includes(`\`${field}\``));
    expect(undocumented).toEqual([]);
  });

  test("docs/security.md lists every one of the project's checkov checks with its name", () => {
    const doc = read("docs/security.md");
    expect(PROJECT_CHECKS.length).toBeGreaterThanOrEqual(11);
    for (const check of PROJECT_CHECKS) expect(doc).toContain(`| ${check.id} | ${check.name} |`);
  });

  test.each(["dev", "prod"])("docs/security.md quotes %s's waivers as its config has them", (env) => {
    const doc = read("docs/security.md");
    const section = doc.slice(doc.indexOf(`## What ${env} waives`)).split("\n## ")[0];
    const waivers: { rule: string; reason: string }[] = JSON.parse(read(`config/${env}.json`)).policyWaivers;
    const table = [...section.matchAll(/^\| ([A-Z]+-\d{3}|CKV2?_[A-Z0-9]+_\d+) \| ([^|]+) \|$/gm)].map(([, rule, reason]) => ({ rule, reason: reason.trim() }));
    expect(table).toEqual(waivers);
  });

  test(".ci/run installs from the lockfile and runs the README's test command", () => {
    const readme = read("README.md");
    const ci = read(".ci/run");
    expect(readme).toMatch(/```\nnpm ci\nnpx cdktf synth\n```/);
    expect(readme).toMatch(/```\nnpm test\n```/);
    const commands = ci.split("\n").filter((line) => line.trim() && !line.trim().startsWith("#"));
    expect(commands).toEqual(expect.arrayContaining(["step npm ci --no-audit --no-fund", "step npm test"]));
  });

  const markdown = ["README.md", "secrets/README.md", ...fs.readdirSync(path.join(repo, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

  test("help, the README and docs/ name only npm scripts that exist", () => {
    const scripts = Object.keys(JSON.parse(read("package.json")).scripts);
    const named = ["help", ...markdown].flatMap((file) => [...read(file).matchAll(/npm run ([\w:-]+)/g)].map(([, name]) => `${file}: ${name}`));
    expect(named.length).toBeGreaterThan(10);
    expect(named.filter((entry) => !scripts.includes(entry.split(": ")[1]))).toEqual([]);
  });

  test("help lists every npm script and every guide in docs/", () => {
    const help = read("help");
    const scripts = Object.keys(JSON.parse(read("package.json")).scripts).filter((s) => s !== "synth"); // help shows npx cdktf synth
    expect(scripts.filter((s) => !help.includes(s === "test" ? "npm test" : `npm run ${s}`))).toEqual([]);
    expect(markdown.filter((f) => f.startsWith("docs/") && !help.includes(f))).toEqual([]);
  });

  /** GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to hyphens. */
  const anchor = (heading: string) => heading.trim().toLowerCase().replace(/[^\w\- ]/g, "").replace(/ /g, "-");

  test("relative links in the Markdown resolve, anchors included", () => {
    const broken: string[] = [];
    let checked = 0;
    for (const file of markdown) {
      for (const [, target] of read(file).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(https?:|mailto:)/.test(target)) continue;
        checked++;
        const [relative, hash] = target.split("#");
        const resolved = relative ? path.join(path.dirname(file), relative) : file;
        if (!fs.existsSync(path.join(repo, resolved))) {
          broken.push(`${file}: ${target}`);
          continue;
        }
        if (hash && resolved.endsWith(".md")) {
          const headings = [...read(resolved).matchAll(/^#+ (.+)$/gm)].map(([, h]) => anchor(h));
          if (!headings.includes(hash)) broken.push(`${file}: ${target} (no such heading)`);
        }
      }
    }
    expect(checked).toBeGreaterThan(15);
    expect(broken).toEqual([]);
  });
});

describe("figures and facts in the docs come from the code", () => {
  const readme = read("README.md");
  const benchmarks = read("docs/benchmarks.md");
  const BEGIN = "<!-- bench:begin -->";
  const END = "<!-- bench:end -->";
  const block = benchmarks.slice(benchmarks.indexOf(BEGIN), benchmarks.indexOf(END));

  test("docs/benchmarks.md's table is the one npm run bench -- --write made", () => {
    expect(block).toMatch(/^Measured by `npm run bench -- --write` on \d{4}-\d{2}-\d{2}: \d+ cores \(/m);
    for (const row of ["npx cdktf synth (sources unchanged)", "npm test (lint + type-check + jest)", "npm run validate (every stack, each engine, warm)"]) {
      expect(block).toContain(`| ${row} |`);
    }
    expect(block).not.toContain("failed!");
  });

  test("every synth, app, npm test or validate time the README and docs quote is a figure of that table", () => {
    const figures = new Set([...block.matchAll(/\| (\d+\.\d+) \|/g)].map((m) => m[1]));
    const quoted: string[] = [];
    const docs = fs.readdirSync(path.join(repo, "docs")).map((f) => ({ name: `docs/${f}`, text: read(`docs/${f}`).replace(block, "") }));
    for (const file of [{ name: "README.md", text: readme }, ...docs]) {
      for (const line of file.text.split("\n")) {
        if (!/cdktf synth|npm test|app alone|npm run validate/.test(line)) continue;
        for (const [, figure] of line.matchAll(/(\d+(?:\.\d+)?) ?s\b/g)) if (!figures.has(figure)) quoted.push(`${file.name}: ${figure} s in "${line.trim().slice(0, 80)}"`);
      }
    }
    expect(quoted).toEqual([]);
  });

  test("docs/verify.md names the node pools each environment it names synthesizes", () => {
    const verify = read("docs/verify.md");
    const named = ["dev", "prod"].filter((env) => verify.includes(`in \`${env}\` (as shipped`));
    expect(named).toEqual(["dev", "prod"]);
    const project = synthProject(Object.fromEntries(named.map((env) => [env, JSON.parse(read(`config/${env}.json`))])));
    for (const env of named) {
      const pools = Object.values(project.json(`aks-${env}`).resource.azurerm_kubernetes_cluster_node_pool ?? {}).map((p: Json) => p.name);
      const sentence = verify.split(`in \`${env}\` (as shipped`)[1].split(";")[0];
      const documented = [...sentence.matchAll(/`(\w+)`\s+pool/g)].map((m) => m[1]).filter((name) => name !== "system");
      expect(`${env}: ${documented.join(", ")}`).toBe(`${env}: ${pools.join(", ")}`);
    }
  });
});
