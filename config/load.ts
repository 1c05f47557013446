import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { crossEnvironmentProblems } from "./cross-environment";
import { cidrContains, DOCUMENTATION_CIDRS, parseCidr } from "./domain";
import type { EnvironmentConfig } from "./types";
import type * as Validate from "./validate";

/** Raised with every problem found, one line each. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join("\n"));
    this.name = "ConfigError";
  }
}

export interface LoadedEnvironments {
  readonly environments: EnvironmentConfig[];
  /** Things that do not stop synth but will stop a deploy, such as a secret file not created yet. */
  readonly warnings: string[];
}

/** "Unexpected token } in JSON at position 42" -> "line 3, column 5". */
function jsonErrorLocation(text: string, error: Error): string {
  const match = /position (\d+)/.exec(error.message);
  if (!match) return error.message;
  const before = text.slice(0, Number(match[1]));
  const line = before.split("\n").length;
  const column = before.length - before.lastIndexOf("\n");
  return `${error.message.replace(/ in JSON at position \d+.*$/, "")} at line ${line}, column ${column}`;
}

/** Allow-lists still holding documentation ranges: valid, but nobody deploys from them. */
function placeholderCidrWarnings(env: EnvironmentConfig): string[] {
  const lists: [string, readonly string[]][] = [
    ["aks.apiServerAuthorizedIpRanges", env.aks.apiServerAuthorizedIpRanges],
    ["keyVault.allowedCidrs", env.keyVault.allowedCidrs],
    ...env.apps.map((app, index): [string, readonly string[]] => [`apps[${index}].service.sourceRanges`, app.service.sourceRanges]),
  ];
  return lists.flatMap(([field, cidrs]) =>
    cidrs.flatMap((cidr, index) =>
      DOCUMENTATION_CIDRS.some((doc) => cidrContains(doc, cidr))
        ? [
            `${env.file}: ${field}[${index}] = "${cidr}": a documentation range (RFC 5737) used as a placeholder; ` +
              `replace it with your deployers' public IPs before deploying ${env.environment} (see docs/configuration.md)`,
          ]
        : [],
    ),
  );
}

/**
 * Where synth keeps what it validated last: a file's config is reused while its
 * text and the app's sources (the `key`, their hash) are those it was validated
 * with, so an unchanged config costs no schema library at synth (about 75 ms).
 */
export interface ValidatedCache {
  readonly file: string;
  readonly key: string;
}

/** The schema library loads only when a file must be validated. */
function validator(): typeof Validate.validateEnvironment {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deferred on purpose (see ValidatedCache)
  return (require("./validate") as typeof Validate).validateEnvironment;
}

function readCache(cache: ValidatedCache | undefined): Record<string, EnvironmentConfig> {
  if (!cache || !fs.existsSync(cache.file)) return {};
  try {
    return JSON.parse(fs.readFileSync(cache.file, "utf8"));
  } catch {
    return {};
  }
}

/**
 * Reads and validates every config/<env>.json under the project root. Throws
 * ConfigError listing all problems in all files; returns only when every file is valid.
 */
export function loadEnvironments(projectRoot: string, configDir = "config", cache?: ValidatedCache): LoadedEnvironments {
  const dir = path.join(projectRoot, configDir);
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".json")).sort() : [];
  if (files.length === 0) {
    throw new ConfigError([`${configDir}/: no environment files (*.json) found; copy config/dev.json to start`]);
  }
  const problems: string[] = [];
  const environments: EnvironmentConfig[] = [];
  const cached = readCache(cache);
  const validated: Record<string, EnvironmentConfig> = {};
  for (const name of files) {
    const file = `${configDir}/${name}`;
    const text = fs.readFileSync(path.join(dir, name), "utf8");
    const id = cache ? createHash("sha256").update(`${cache.key}\0${file}\0${text}`).digest("hex") : "";
    if (cached[id]) {
      environments.push((validated[id] = cached[id]));
      continue;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      problems.push(`${file}: is not valid JSON: ${jsonErrorLocation(text, error as Error)}`);
      continue;
    }
    const result = validator()(path.basename(name, ".json"), file, raw);
    if (result.config) environments.push((validated[id] = result.config));
    else problems.push(...result.problems);
  }
  problems.push(...crossEnvironmentProblems(environments));
  if (problems.length > 0) throw new ConfigError(problems);
  if (cache && JSON.stringify(validated) !== JSON.stringify(cached)) {
    fs.mkdirSync(path.dirname(cache.file), { recursive: true });
    fs.writeFileSync(`${cache.file}.${process.pid}.tmp`, JSON.stringify(validated));
    fs.renameSync(`${cache.file}.${process.pid}.tmp`, cache.file);
  }

  const warnings: string[] = [];
  for (const env of environments) {
    env.keyVault.secrets.forEach((secret, index) => {
      if (secret.source.kind === "file" && !fs.existsSync(path.join(projectRoot, secret.source.file))) {
        warnings.push(
          `${env.file}: keyVault.secrets[${index}].source.file = "${secret.source.file}": the file does not exist yet; ` +
            `synth goes on, but deploying ${env.environment} fails until you create it (see secrets/README.md)`,
        );
      }
    });
  }
  for (const env of environments) warnings.push(...placeholderCidrWarnings(env), ...sharedReaderWarnings(env), ...publicServiceWarnings(env));
  for (const env of environments.filter((e) => e.backend && !e.deployerObjectId)) {
    warnings.push(
      `${env.file}: deployerObjectId is not set: the deployer's cluster-admin role and vault access go to whoever runs Terraform, ` +
        `so a plan by another identity (a pull request's) shows them replaced; set it to the object ID of the identity that deploys ${env.environment}`,
    );
  }
  return { environments, warnings };
}

const and = (names: readonly string[]) => (names.length < 3 ? names.join(" and ") : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`);

/**
 * Where apps can read each other's secrets: apps on the add-on's node identity share it, whatever the
 * authorization; access policies grant each identity the whole vault.
 */
export function sharedReaderWarnings(env: EnvironmentConfig): string[] {
  const warnings: string[] = [];
  const onNodes = env.apps.filter((app) => app.identity === "addon").map((app) => app.name);
  if (onNodes.length > 1) {
    warnings.push(
      `${env.file}: apps ${and(onNodes)} read the vault as the add-on's node identity, which every pod on the nodes can use: each reads the other's secrets; give each "identity": "workload"`,
    );
  }
  const identities = new Set(env.apps.map((app) => (app.identity === "addon" ? "addon" : app.name)));
  if (env.keyVault.authorization === "accessPolicy" && identities.size > 1) {
    warnings.push(
      `${env.file}: keyVault.authorization "accessPolicy" grants vault-wide: ${and(env.apps.map((a) => a.name))} read every secret in ${env.keyVault.name}, each other's too; use "rbac" for grants on each app's own secrets`,
    );
  }
  return warnings;
}

/** A public Service admits its sourceRanges; the demo app shows every mounted secret to whoever reaches it. */
export function publicServiceWarnings(env: EnvironmentConfig): string[] {
  return env.apps.flatMap((app, index) =>
    app.service.type === "LoadBalancer"
      ? [
          `${env.file}: apps[${index}].service.type = "LoadBalancer": ${app.name} gets a public address admitting ${app.service.sourceRanges.join(", ")}; ` +
            `the demo app shows the secrets it mounts to anyone there. Keep it to a lab, or use "ClusterIP"`,
        ]
      : [],
  );
}

/** AKSKV_RUNNER_IP, validated: one IPv4 address (a hosted runner's public one), or undefined when unset. */
export function runnerAddress(value: string | undefined): string | undefined {
  if (value === undefined || value === "") return undefined;
  if (value.includes("/") || parseCidr(value) === undefined) {
    throw new ConfigError([`AKSKV_RUNNER_IP = ${JSON.stringify(value)}: must be one IPv4 address such as "203.0.113.7" (the runner's public address)`]);
  }
  return value;
}
