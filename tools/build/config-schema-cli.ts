// `npm run ci:config-schema [-- --check]`
//
// Writes config/environment.schema.json and the field tables of
// docs/configuration.md from config/schema.ts; with --check, writes nothing and
// exits 1 when either differs from what the schema generates.
import * as fs from "fs";
import * as path from "path";
import { reportFailure } from "../command";
import { parseFlags, wantsHelp } from "../flags";
import { docsWithTables, DOCS_FILE, jsonSchemaText, SCHEMA_FILE } from "./config-reference";

const USAGE = "usage: npm run ci:config-schema [-- --check]";

export function main(args: readonly string[] = []): number {
  if (wantsHelp(args)) {
    process.stdout.write(`${USAGE}\n\nWrites ${SCHEMA_FILE} (for editors) and the field tables of ${DOCS_FILE} from config/schema.ts.\n  --check   write nothing; exit 1 when either is out of date\n`);
    return 0;
  }
  try {
    const check = parseFlags(args, { values: [], switches: ["--check"] }, USAGE).has("--check");
    const root = process.cwd();
    const wanted: [string, string][] = [
      [SCHEMA_FILE, jsonSchemaText()],
      [DOCS_FILE, docsWithTables(fs.readFileSync(path.join(root, DOCS_FILE), "utf8"))],
    ];
    const stale = wanted.filter(([file, text]) => !fs.existsSync(path.join(root, file)) || fs.readFileSync(path.join(root, file), "utf8") !== text);
    if (check) {
      for (const [file] of stale) process.stderr.write(`config-schema: ${file} is out of date with config/schema.ts; run npm run ci:config-schema\n`);
      return stale.length > 0 ? 1 : 0;
    }
    for (const [file, text] of stale) {
      fs.writeFileSync(path.join(root, file), text);
      process.stdout.write(`wrote ${file}\n`);
    }
    if (stale.length === 0) process.stdout.write(`${SCHEMA_FILE} and ${DOCS_FILE} are up to date\n`);
    return 0;
  } catch (error) {
    return reportFailure("config-schema", error, []);
  }
}
