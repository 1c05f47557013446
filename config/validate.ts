// Turns the parsed JSON of one environment file into an EnvironmentConfig, or
// into a list of one-line problems: "<file>: <field path> = <value>: <rule>".
// Every problem in the file is reported, not only the first, so one run fixes all.
// The rules themselves are in schema.ts; this file only words zod's findings.
import type * as z from "zod";
import * as rules from "./rules";
import { environmentFile } from "./schema";
import { show } from "./show";
import type { EnvironmentConfig } from "./types";


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
