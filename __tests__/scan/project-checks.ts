// The project's own checkov checks as their files declare them (tools/scan/checks/): ID and name.
import * as fs from "fs";
import * as path from "path";

const dir = path.resolve(__dirname, "..", "..", "tools", "scan", "checks");

export const PROJECT_CHECKS: { id: string; name: string; file: string }[] = fs
  .readdirSync(dir)
  .filter((f) => /\.(py|ya?ml)$/.test(f))
  .flatMap((file) => {
    const text = fs.readFileSync(path.join(dir, file), "utf8");
    if (file.endsWith(".py")) return [...text.matchAll(/name=f?"([^"]+)",\s*id="(CKV2?_AKSKV_\d+)"/g)].map(([, name, id]) => ({ id, name: name.replace("{MIN_UID}", "10000"), file }));
    const id = /^\s*id: "([^"]+)"/m.exec(text)?.[1];
    const name = /^\s*name: "([^"]+)"/m.exec(text)?.[1];
    return id && name ? [{ id, name, file }] : [];
  })
  .sort((a, b) => a.id.localeCompare(b.id, "en", { numeric: true }));
