// CI only (`npm run ci:write-secret-files`): writes the secret files Terraform
// reads at plan and apply time (config's {"file": "secrets/..."} sources) from
// the SECRET_FILES environment variable, a JSON object of path -> content kept
// as a GitHub secret. Each path must pass the same rule as source.file in the
// config. Writes nothing unless every entry is valid; never echoes a value.
import * as fs from "fs";
import * as path from "path";
import { secretFile } from "../../config/rules";
import { wantsHelp } from "../flags";

const USAGE = "usage: SECRET_FILES='{\"secrets/<env>/<file>\": \"<content>\"}' npm run ci:write-secret-files";

export function main(args: readonly string[] = []): number {
  if (wantsHelp(args)) {
    process.stdout.write(`${USAGE}\n\nCI only: writes each file of the SECRET_FILES JSON under secrets/ (mode 600), after checking every path.\n`);
    return 0;
  }
  if (args.length > 0) {
    process.stderr.write(`write-secret-files: unknown argument ${JSON.stringify(args[0])}; ${USAGE}\n`);
    return 2;
  }
  const fail = (message: string) => {
    process.stderr.write(`write-secret-files: ${message}\n`);
    return 1;
  };
  const raw = process.env.SECRET_FILES;
  if (!raw) {
    process.stdout.write("write-secret-files: SECRET_FILES is empty; no secret files written (stacks with file sources will fail to plan)\n");
    return 0;
  }
  let files: unknown;
  try {
    files = JSON.parse(raw);
  } catch {
    return fail('SECRET_FILES is not JSON; it must be an object of "secrets/<env>/<name>": "<content>"');
  }
  if (typeof files !== "object" || files === null || Array.isArray(files)) return fail("SECRET_FILES must be a JSON object of path -> content");
  const entries = Object.entries(files);
  for (const [file, content] of entries) {
    if (!secretFile.test(file)) return fail(`${JSON.stringify(file)}: must be a relative path under secrets/ with no '..'`);
    if (typeof content !== "string") return fail(`${JSON.stringify(file)}: the content must be a string`);
  }
  for (const [file, content] of entries) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, content as string, { mode: 0o600 });
  }
  process.stdout.write(`write-secret-files: wrote ${entries.length} file(s): ${entries.map(([file]) => file).join(", ")}\n`);
  return 0;
}
