// CI only: writes the secret files Terraform reads at plan and apply time
// (config's {"file": "secrets/..."} sources) from the SECRET_FILES environment
// variable, a JSON object of path -> content kept as a GitHub secret. Paths must
// lie under secrets/, which Git ignores. Writes nothing unless every path is valid.
import * as fs from "node:fs";
import * as path from "node:path";

const fail = (message) => {
  process.stderr.write(`write-secret-files: ${message}\n`);
  process.exit(1);
};

const raw = process.env.SECRET_FILES;
if (!raw) {
  process.stdout.write("write-secret-files: SECRET_FILES is empty; no secret files written (stacks with file sources will fail to plan)\n");
  process.exit(0);
}
let files;
try {
  files = JSON.parse(raw);
} catch {
  fail("SECRET_FILES is not JSON; it must be an object of \"secrets/<env>/<name>\": \"<content>\"");
}
if (typeof files !== "object" || files === null || Array.isArray(files)) fail("SECRET_FILES must be a JSON object of path -> content");
const valid = (file) => /^secrets\/[\w./-]+$/.test(file) && !file.split("/").some((part) => part === ".." || part === "." || part === "");
for (const [file, content] of Object.entries(files)) {
  if (!valid(file)) fail(`${JSON.stringify(file)}: must be a relative path under secrets/ with no '..'`);
  if (typeof content !== "string") fail(`${JSON.stringify(file)}: the content must be a string`);
}
for (const [file, content] of Object.entries(files)) {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, content, { mode: 0o600 });
}
process.stdout.write(`write-secret-files: wrote ${Object.keys(files).length} file(s): ${Object.keys(files).join(", ")}\n`);
