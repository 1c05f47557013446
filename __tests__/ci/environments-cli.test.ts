// npm run environments: what the deploy and destroy workflows read to know the
// environments, from config/ and its ci.protected flags.
import * as fs from "fs";
import * as path from "path";
import { baseConfig, run, writeProject } from "../support/helpers";

const repo = path.resolve(__dirname, "..", "..");
const cli = (root: string, args: string[] = []) => run(process.execPath, [path.join(repo, "tools", "build", "run-ts.mjs"), path.join(repo, "tools", "ci", "environments-cli.ts"), ...args], root);

describe("npm run ci:environments", () => {
  const staging = baseConfig("staging");
  const live = { ...baseConfig("live"), ci: { protected: true } };
  const root = writeProject({ dev: baseConfig("dev"), staging, live });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  test("every environment in config/, protected ones apart, whatever their names", () => {
    const output = path.join(root, "out");
    const result = cli(root, ["--github-output", output]);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('{"unprotected":["dev","staging"],"protected":["live"]}\n');
    expect(fs.readFileSync(output, "utf8")).toBe('unprotected=["dev","staging"]\nprotected=["live"]\n');
  });

  test("--only narrows to the changed ones; an unknown name is refused with the names that exist", () => {
    expect(cli(root, ["--only", '["live"]']).stdout).toBe('{"unprotected":[],"protected":["live"]}\n');
    const unknown = cli(root, ["--only", '["prod"]']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toBe("environments: no environment prod (config/ has dev, live, staging)\n");
    expect(cli(root, ["--only", "prod"]).stderr).toBe('environments: --only must be a JSON list of names such as ["dev"]; usage: npm run ci:environments [-- --only <JSON list>] [--github-output <file>]\n');
  });
});
