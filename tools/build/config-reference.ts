// What schema.ts gives people rather than code: the JSON Schema editors read
// (config/schema/environment.schema.json) and the field tables of
// docs/configuration.md. `npm run ci:config-schema -- --write` writes both; a test
// fails when either differs from what this file generates.
import * as z from "zod";
import { environmentFile } from "../../config/schema";

export const SCHEMA_FILE = "config/schema/environment.schema.json";
export const DOCS_FILE = "docs/configuration.md";

interface Field {
  readonly path: string;
  readonly required: boolean;
  readonly fallback: string;
  readonly rule: string;
}

/** A node of the exported JSON Schema, as far as the tables read it. */
interface SchemaNode {
  readonly type?: string;
  readonly properties?: Record<string, SchemaNode>;
  readonly required?: readonly string[];
  readonly items?: SchemaNode;
  readonly default?: unknown;
  /** A default that is computed or has a meaning, in words (config/schema.ts's defaulted()). */
  readonly "x-default"?: string;
  readonly description?: string;
}

/** An object's fields and, for nested objects and arrays of objects, their own tables under "<path>" and "<path>[]". */
function tables(schema: SchemaNode, prefix: string, into: Map<string, Field[]>): Map<string, Field[]> {
  const fields: Field[] = [];
  for (const [key, node] of Object.entries(schema.properties ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    const fallback = node["x-default"] ?? (node.default === undefined ? "" : `\`${typeof node.default === "string" ? node.default : JSON.stringify(node.default)}\``);
    fields.push({ path, required: (schema.required ?? []).includes(key), fallback, rule: node.description ?? "" });
    // A secret's source is one of two shapes, described in the prose rather than as a table.
    if (node.type === "object" && node.properties && key !== "source") tables(node, path, into);
    if (node.type === "array" && node.items?.type === "object" && node.items.properties) tables(node.items, `${path}[]`, into);
  }
  into.set(prefix, fields);
  return into;
}

/** The JSON Schema of an environment file as written (defaults and optional fields, no transforms). */
function exportedSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(environmentFile, { io: "input", unrepresentable: "any", target: "draft-2020-12" });
  return { ...schema, title: "aks-keyvault-cdktf environment (config/<env>.json)" };
}

// The docs' tables come from the exported JSON Schema, so they say what editors check.
const FIELD_TABLES = tables(exportedSchema() as SchemaNode, "", new Map());

/** Every field an environment file may have, as docs/configuration.md names them. */
export const KNOWN_FIELDS: readonly string[] = [...FIELD_TABLES.values()].flat().map((f) => f.path);

/** The Markdown table of one section ("" for the top level, "aks", "keyVault.secrets[]", ...). */
export function fieldTable(section: string): string {
  const fields = FIELD_TABLES.get(section);
  if (!fields) throw new Error(`no section ${JSON.stringify(section)} in the schema`);
  const cell = (text: string) => text.replace(/\|/g, "\\|");
  return [
    "| Field | Required | Default | Rule |",
    "| --- | --- | --- | --- |",
    ...fields.map((f) => `| \`${f.path}\` | ${f.required ? "yes" : "no"} |${f.fallback ? ` ${cell(f.fallback)} ` : " "}| ${cell(f.rule)} |`),
  ].join("\n");
}

export const FIELD_SECTIONS: readonly string[] = [...FIELD_TABLES.keys()];

const begin = (section: string) => `<!-- fields: ${section || "top level"} -->`;
const END = "<!-- /fields -->";

/** The docs with every section's generated table put between its markers. */
export function docsWithTables(docs: string): string {
  let text = docs;
  for (const section of FIELD_SECTIONS) {
    const start = text.indexOf(begin(section));
    const end = text.indexOf(END, start);
    if (start < 0 || end < 0) throw new Error(`${DOCS_FILE} has no ${begin(section)} ... ${END} markers`);
    text = `${text.slice(0, start + begin(section).length)}\n${fieldTable(section)}\n${text.slice(end)}`;
  }
  return text;
}

/** The JSON Schema of an environment file as written (defaults and optional fields, no transforms). */
export function jsonSchemaText(): string {
  return `${JSON.stringify(exportedSchema(), null, 2)}\n`;
}
