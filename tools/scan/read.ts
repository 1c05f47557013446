// Reads what `cdktf synth` wrote for one environment into the shape the rules take.
import * as fs from "fs";
import * as path from "path";
import type { EnvironmentConfig } from "../../config/types";
import { stackName } from "../../lib/names";
import type { SynthesizedEnvironment, SynthesizedFile } from "./synthesized";

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === ".terraform" ? [] : filesUnder(full);
    return [full];
  });
}

/**
 * Secret file contents too short to search for without false alarms are left
 * out: a value of a few characters turns up in any JSON by chance.
 */
const MIN_SEARCHABLE_SECRET = 8;

export function readSynthesizedEnvironment(outdir: string, projectRoot: string, config: EnvironmentConfig): SynthesizedEnvironment {
  const stackJson = (kind: "aks" | "keyvault" | "app") =>
    JSON.parse(fs.readFileSync(path.join(outdir, "stacks", stackName(kind, config.environment), "cdk.tf.json"), "utf8"));
  const paths = [
    ...(["aks", "keyvault", "app"] as const).flatMap((kind) => filesUnder(path.join(outdir, "stacks", stackName(kind, config.environment)))),
    path.join(outdir, "manifest.json"),
  ];
  const files: SynthesizedFile[] = paths
    .filter((file) => fs.existsSync(file))
    .map((file) => ({ path: path.relative(outdir, file).split(path.sep).join("/"), text: fs.readFileSync(file, "utf8") }));
  const secretValues = config.keyVault.secrets.flatMap((secret) => {
    if (secret.source.kind !== "file") return [];
    const file = path.join(projectRoot, secret.source.file);
    if (!fs.existsSync(file)) return [];
    const value = fs.readFileSync(file, "utf8").trim();
    if (value.length < MIN_SEARCHABLE_SECRET) return [];
    // As written, as it would appear inside a JSON string, and base64-encoded.
    return [value, JSON.stringify(value).slice(1, -1), Buffer.from(value).toString("base64")];
  });
  return { config, aks: stackJson("aks"), keyVault: stackJson("keyvault"), app: stackJson("app"), files, secretValues };
}
