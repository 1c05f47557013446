import * as fs from "fs";
import * as path from "path";
import { KNOWN_FIELDS } from "../config/validate";

const repo = path.resolve(__dirname, "..");
const read = (file: string) => fs.readFileSync(path.join(repo, file), "utf8");

describe("docs match the code", () => {
  test("docs/configuration.md documents every field the validator accepts", () => {
    const doc = read("docs/configuration.md");
    const undocumented = KNOWN_FIELDS.filter((field) => !doc.includes(`\`${field}\``));
    expect(undocumented).toEqual([]);
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
