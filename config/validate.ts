// Turns the parsed JSON of one environment file into an EnvironmentConfig, or
// into a list of one-line problems: "<file>: <field path> = <value>: <rule>".
// Every problem in the file is reported, not only the first, so one run fixes all.
// The rules themselves are in schema.ts; this file only words zod's findings.
import type * as z from "zod";
import * as rules from "./rules";
import { environmentFile } from "./schema";
import type { EnvironmentConfig } from "./types";

/** A value as the user wrote it, short enough for one line. */
export function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** ["keyVault", "secrets", 0, "objectName"] -> "keyVault.secrets[0].objectName". */
function pathText(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => (typeof key === "number" ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)), "");
}

const startsWith = (path: readonly PropertyKey[], prefix: readonly PropertyKey[]) => prefix.every((key, i) => path[i] === key);

/** zod lists an object's unknown keys after its fields' problems; a typo reads better first. */
function unknownFieldsFirst(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  const ordered = [...issues];
  for (const issue of issues.filter((i) => i.code === "unrecognized_keys")) {
    const from = ordered.indexOf(issue);
    const to = ordered.findIndex((other) => startsWith(other.path, issue.path));
    ordered.splice(from, 1);
    ordered.splice(to, 0, issue);
  }
  return ordered;
}

/** One line per problem: where, what was written, and the rule. */
function problemLines(file: string, issues: readonly z.core.$ZodIssue[]): string[] {
  const lines: string[] = [];
  for (const issue of unknownFieldsFirst(issues)) {
    const where = pathText(issue.path);
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) lines.push(`${file}: ${pathText([...issue.path, key])} = ${show((issue.input as Record<string, unknown>)?.[key])}: ${issue.message}`);
    } else if (issue.code === "invalid_key") {
      lines.push(`${file}: ${where} = ${show(issue.path.at(-1))}: ${issue.issues[0]?.message ?? issue.message}`);
    } else if (issue.input === undefined || (issue.code === "custom" && issue.params?.missing)) {
      lines.push(`${file}: ${where} is missing: ${issue.message}`);
    } else {
      lines.push(`${file}: ${where} = ${show(issue.input)}: ${issue.message}`);
    }
  }
  return [...new Set(lines)];
}

/**
 * Validates one environment file's parsed JSON.
 * Returns the config, or the problems found (never both).
 */
export function validateEnvironment(
  environment: string,
  file: string,
  raw: unknown,
): { config: EnvironmentConfig; problems: [] } | { config: undefined; problems: string[] } {
  const problems: string[] = [];
  if (!rules.environmentName.test(environment)) problems.push(`${file}: ${rules.environmentName.describe}`);
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { config: undefined, problems: [...problems, `${file}: the file must hold one JSON object`] };
  }
  const result = environmentFile.safeParse(raw, { reportInput: true });
  if (!result.success) problems.push(...problemLines(file, result.error.issues));
  if (!result.success || problems.length > 0) return { config: undefined, problems };
  return { config: { environment, file, ...result.data }, problems: [] };
}

/**
 * Rules across environments: names that Azure treats as global or shared must
 * differ, or one environment's deploy or destroy would act on another's resources.
 */
export function crossEnvironmentProblems(configs: readonly EnvironmentConfig[]): string[] {
  const lines: string[] = [];
  const check = (what: string, pick: (c: EnvironmentConfig) => string, rule: string) => {
    const seen = new Map<string, EnvironmentConfig>();
    for (const config of configs) {
      const value = pick(config).toLowerCase();
      const first = seen.get(value);
      if (first) lines.push(`${config.file}: ${what} = ${show(pick(config))}: ${rule}; ${first.file} uses it already`);
      else seen.set(value, config);
    }
  };
  check("keyVault.name", (c) => c.keyVault.name, "vault names are global in Azure and must differ per environment");
  check(
    "resourceGroupName",
    (c) => c.resourceGroupName,
    "each environment owns its resource group (destroying one would delete the other's)",
  );
  const accounts = new Map<string, EnvironmentConfig>();
  for (const config of configs) {
    if (!config.backend) continue;
    const name = config.backend.storageAccountName;
    const first = accounts.get(name);
    if (first && first.backend!.resourceGroupName !== config.backend.resourceGroupName) {
      lines.push(
        `${config.file}: backend.resourceGroupName = ${show(config.backend.resourceGroupName)}: ` +
          `${first.file} puts storage account ${show(name)} in ${show(first.backend!.resourceGroupName)}; one account lives in one group`,
      );
    } else if (!first) accounts.set(name, config);
    const owner = configs.find((c) => c.resourceGroupName.toLowerCase() === config.backend!.resourceGroupName.toLowerCase());
    if (owner) {
      lines.push(
        `${config.file}: backend.resourceGroupName = ${show(config.backend.resourceGroupName)}: must not be an environment's resource group ` +
          `(${owner.file} owns it; destroying ${owner.environment} would delete every environment's state)`,
      );
    }
  }
  return lines;
}
