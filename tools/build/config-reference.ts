// What schema.ts gives people rather than code: the JSON Schema editors read
// (config/schema/environment.schema.json) and the field tables of
// docs/configuration.md. `npm run config-schema -- --write` writes both; a test
// fails when either differs from what this file generates.
import * as z from "zod";
import { defaultText, environmentFile } from "../../config/schema";

export const SCHEMA_FILE = "config/schema/environment.schema.json";
export const DOCS_FILE = "docs/configuration.md";

type Schema = z.core.$ZodType;

/** The schema under optional, default and transform wrappers, with what they say about the field. */
function unwrap(schema: Schema): { inner: Schema; optional: boolean; fallback?: unknown } {
  let inner = schema;
  let optional = false;
  let fallback: unknown;
  for (;;) {
    const def = inner._zod.def as z.core.$ZodTypeDef & { innerType?: Schema; in?: Schema; defaultValue?: unknown };
    if (def.type === "optional") optional = true;
    else if (def.type === "default") {
      optional = true;
      fallback = def.defaultValue;
    } else if (def.type !== "pipe") return { inner, optional, fallback };
    inner = def.type === "pipe" ? def.in! : def.innerType!;
  }
}

interface Field {
  readonly path: string;
  readonly required: boolean;
  readonly fallback: string;
  readonly rule: string;
}

/** An object's fields and, for nested objects and arrays of objects, their own tables under "<path>" and "<path>[]". */
function tables(schema: Schema, prefix: string, into: Map<string, Field[]>): Map<string, Field[]> {
  const shape = (unwrap(schema).inner._zod.def as unknown as { shape: Record<string, Schema> }).shape;
  const fields: Field[] = [];
  for (const [key, field] of Object.entries(shape)) {
    const { inner, optional, fallback } = unwrap(field);
    const path = prefix ? `${prefix}.${key}` : key;
    const text = defaultText.get(field)?.text ?? defaultText.get(inner)?.text;
    const shown = text ?? (fallback === undefined ? "" : `\`${typeof fallback === "string" ? fallback : JSON.stringify(fallback)}\``);
    const rule = z.globalRegistry.get(field)?.description ?? z.globalRegistry.get(inner)?.description ?? "";
    fields.push({ path, required: !optional, fallback: shown, rule });
    const def = inner._zod.def as z.core.$ZodTypeDef & { element?: Schema };
    if (def.type === "object" && key !== "source") tables(inner, path, into);
    if (def.type === "array" && unwrap(def.element!).inner._zod.def.type === "object") tables(def.element!, `${path}[]`, into);
  }
  into.set(prefix, fields);
  return into;
}

const FIELD_TABLES = tables(environmentFile, "", new Map());

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
  const schema = z.toJSONSchema(environmentFile, { io: "input", unrepresentable: "any", target: "draft-2020-12" });
  return `${JSON.stringify({ ...schema, title: "aks-keyvault-cdktf environment (config/<env>.json)" }, null, 2)}\n`;
}
