import * as fs from "fs";
import * as path from "path";
import { KNOWN_FIELDS } from "../config/validate";
import { POLICY_RULES } from "../policy/rules";

const repo = path.resolve(__dirname, "..");
const read = (file: string) => fs.readFileSync(path.join(repo, file), "utf8");

describe("docs match the code", () => {
  test("docs/configuration.md documents every field the validator accepts", () => {
    const doc = read("docs/configuration.md");
    const undocumented = KNOWN_FIELDS.filter((field) => !doc.includes(`\`${field}\``));
    expect(undocumented).toEqual([]);
  });

  test("docs/security.md lists every policy rule with its checks and title", () => {
    const doc = read("docs/security.md");
    for (const rule of POLICY_RULES) {
      const checks = rule.checks.length > 0 ? rule.checks.join(", ") : "-";
      expect(doc).toContain(`| ${rule.id} | ${checks} | ${rule.title} |`);
    }
  });

  test("docs/security.md quotes dev's waivers as config/dev.json has them", () => {
    const doc = read("docs/security.md");
    const waivers: { rule: string; reason: string }[] = JSON.parse(read("config/dev.json")).policyWaivers;
    const table = [...doc.matchAll(/^\| ([A-Z]+-\d{3}) \| ([^|]+) \|$/gm)].map(([, rule, reason]) => ({ rule, reason: reason.trim() }));
    expect(table).toEqual(waivers);
  });

  test(".ci/run installs from the lockfile and runs the README's test command", () => {
    const readme = read("README.md");
    const ci = read(".ci/run");
    expect(readme).toMatch(/```\nnpm ci\nnpx cdktf synth\n```/);
    expect(readme).toMatch(/```\nnpm test\n```/);
    const commands = ci.split("\n").filter((line) => line.trim() && !line.trim().startsWith("#"));
    expect(commands).toEqual(expect.arrayContaining(["npm ci --no-audit --no-fund", "npm test"]));
  });

  test("help and the README name only npm scripts that exist", () => {
    const scripts = Object.keys(JSON.parse(read("package.json")).scripts);
    for (const file of ["help", "README.md"]) {
      for (const [, name] of read(file).matchAll(/npm run ([\w:-]+)/g)) expect(scripts).toContain(name);
    }
  });
});
