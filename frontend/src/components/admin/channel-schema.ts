// A channel account's settings form, built from the JSON Schema the server gives for its type
// (GET /channels/types → config_schema, Pydantic's model_json_schema): the fields (strings,
// numbers, booleans, enums, string lists, nested objects), their values as the form holds
// them, the settings to send, and where a server error (`field`: "config.a.b") belongs.
// Secret fields are never shown back by the server: on edit they start empty, say whether
// they are set, and an empty one is left out so it keeps its value.

export type JsonSchema = { [key: string]: unknown };

export type FieldKind = "string" | "number" | "integer" | "boolean" | "enum" | "list" | "object" | "json";

export interface SchemaField {
  /** The dotted path inside the settings: "webhook_url", "smtp.host". */
  path: string;
  key: string;
  kind: FieldKind;
  label: string;
  description: string | null;
  required: boolean;
  nullable: boolean;
  secret: boolean;
  options: (string | number)[];
  defaultValue: unknown;
  minimum: number | null;
  maximum: number | null;
  /** The bounds themselves are not allowed (exclusiveMinimum / exclusiveMaximum). */
  exclusiveMinimum: boolean;
  exclusiveMaximum: boolean;
  minLength: number | null;
  maxLength: number | null;
  /** A URL, an e-mail address, a multi-line text … (the schema's `format`, or a guess from the name). */
  format: string | null;
  children: SchemaField[];
}

/** In an optional group's values: whether the group is filled in at all (off: null). */
export const ENABLED = "$enabled";

/** The form's values: a nested object of strings, numbers, booleans, lists. */
export type FormValues = { [key: string]: FormValue };
export type FormValue = string | number | boolean | null | string[] | FormValues;

function resolve(node: JsonSchema, root: JsonSchema): JsonSchema {
  const ref = node.$ref;
  if (typeof ref !== "string" || !ref.startsWith("#/")) return node;
  const target = ref
    .slice(2)
    .split("/")
    .reduce<unknown>((at, part) => (at && typeof at === "object" ? (at as JsonSchema)[part] : undefined), root);
  if (!target || typeof target !== "object") return node;
  // Keywords beside the $ref (description, default) win over the target's.
  const { $ref: _ref, ...rest } = node;
  return { ...resolve(target as JsonSchema, root), ...rest };
}

/** `anyOf: [X, {type: null}]` (an optional field) → X, nullable. */
function unwrapNullable(node: JsonSchema, root: JsonSchema): { schema: JsonSchema; nullable: boolean } {
  const resolved = resolve(node, root);
  const variants = (resolved.anyOf ?? resolved.oneOf) as JsonSchema[] | undefined;
  if (!Array.isArray(variants)) return { schema: resolved, nullable: resolved.type === "null" };
  const others = variants.filter((v) => v.type !== "null");
  const nullable = others.length < variants.length;
  if (others.length !== 1) return { schema: resolved, nullable };
  const { anyOf: _a, oneOf: _o, ...outer } = resolved;
  return { schema: { ...resolve(others[0] as JsonSchema, root), ...outer }, nullable };
}

function num(value: unknown): number | null {
  return typeof value === "number" ? value : null;
}

/** "webhook_url" → "Webhook url" when the schema has no title. */
function labelOf(key: string, schema: JsonSchema): string {
  if (typeof schema.title === "string" && schema.title) return schema.title;
  const words = key.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function kindOf(schema: JsonSchema): FieldKind {
  if (Array.isArray(schema.enum)) return "enum";
  if (schema.const !== undefined) return "enum";
  switch (schema.type) {
    case "string":
      return "string";
    case "integer":
      return "integer";
    case "number":
      return "number";
    case "boolean":
      return "boolean";
    case "object":
      return schema.properties ? "object" : "json";
    case "array": {
      const items = schema.items as JsonSchema | undefined;
      return items && items.type === "string" && !Array.isArray(items.enum) ? "list" : "json";
    }
    default:
      return "json";
  }
}

function guessFormat(key: string, schema: JsonSchema): string | null {
  if (typeof schema.format === "string") return schema.format;
  if (/(^|_)url$/.test(key)) return "uri";
  if (/(^|_)(email|address)$/.test(key)) return "email";
  if ((num(schema.maxLength) ?? 0) > 2000) return "textarea";
  return null;
}

/** The fields of a settings schema, in the schema's order. `secrets` are the type's secret
 * field names (top-level or dotted). */
export function schemaFields(schema: JsonSchema, secrets: readonly string[] = [], root: JsonSchema = schema, prefix = ""): SchemaField[] {
  const top = resolve(schema, root);
  const properties = (top.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((top.required as string[] | undefined) ?? []);
  return Object.entries(properties).map(([key, raw]) => {
    const { schema: s, nullable } = unwrapNullable(raw, root);
    const path = prefix ? `${prefix}.${key}` : key;
    const kind = kindOf(s);
    const secret = secrets.includes(path) || s.writeOnly === true || s.format === "password";
    const options = Array.isArray(s.enum) ? (s.enum as (string | number)[]) : s.const !== undefined ? [s.const as string] : [];
    return {
      path,
      key,
      kind,
      label: labelOf(key, s),
      description: typeof s.description === "string" ? s.description : null,
      required: required.has(key) && !nullable,
      nullable,
      secret,
      options,
      defaultValue: s.default,
      minimum: num(s.minimum) ?? num(s.exclusiveMinimum),
      maximum: num(s.maximum) ?? num(s.exclusiveMaximum),
      exclusiveMinimum: num(s.minimum) === null && num(s.exclusiveMinimum) !== null,
      exclusiveMaximum: num(s.maximum) === null && num(s.exclusiveMaximum) !== null,
      minLength: num(s.minLength),
      maxLength: num(s.maxLength),
      format: kind === "string" ? guessFormat(key, s) : null,
      children: kind === "object" ? schemaFields(s, secrets, root, path) : [],
    };
  });
}

function initial(field: SchemaField, current: unknown, editing: boolean): FormValue {
  if (field.secret) return ""; // never shown back: typed anew or left empty
  const value = current !== undefined ? current : editing ? null : field.defaultValue;
  switch (field.kind) {
    case "boolean":
      return Boolean(value ?? false);
    case "number":
    case "integer":
      return typeof value === "number" ? String(value) : "";
    case "list":
      return Array.isArray(value) ? value.map(String) : [];
    case "object": {
      const inner = initialValues(field.children, (value as Record<string, unknown> | null) ?? {}, editing);
      // An optional group (e.g. a PBX's event socket) starts off unless it has settings.
      if (field.nullable) inner[ENABLED] = value !== undefined && value !== null;
      return inner;
    }
    case "json":
      return value === undefined || value === null ? "" : JSON.stringify(value, null, 2);
    case "enum":
      return value === undefined || value === null ? (field.required && field.options.length ? (field.options[0] as string) : null) : (value as string);
    default:
      return value === undefined || value === null ? "" : String(value);
  }
}

/** The form's starting values: the account's settings on edit, the schema's defaults on create. */
export function initialValues(fields: SchemaField[], config: Record<string, unknown> = {}, editing = false): FormValues {
  const out: FormValues = {};
  for (const f of fields) out[f.key] = initial(f, config[f.key], editing);
  return out;
}

export interface BuildResult {
  config: Record<string, unknown>;
  /** path → what is wrong, found before asking the server. */
  errors: Record<string, string>;
}

export type Messages = {
  required: string;
  number: string;
  integer: string;
  min: (n: number) => string;
  max: (n: number) => string;
  above: (n: number) => string;
  below: (n: number) => string;
  minLength: (n: number) => string;
  maxLength: (n: number) => string;
  json: string;
};

function build(fields: SchemaField[], values: FormValues, editing: boolean, m: Messages, errors: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const v = values[f.key];
    if (f.kind === "object") {
      const group = (v as FormValues) ?? {};
      if (f.nullable && !group[ENABLED]) {
        if (editing) out[f.key] = null; // switched off: cleared
        continue;
      }
      out[f.key] = build(f.children, group, editing, m, errors);
      continue;
    }
    if (f.kind === "boolean") {
      out[f.key] = Boolean(v);
      continue;
    }
    if (f.kind === "list") {
      out[f.key] = ((v as string[] | null) ?? []).map((s) => s.trim()).filter(Boolean);
      continue;
    }
    if (f.kind === "enum") {
      if (v === null || v === "" || v === undefined) {
        if (f.nullable) out[f.key] = null;
        else if (f.required) errors[f.path] = m.required;
      } else out[f.key] = v;
      continue;
    }
    const text = typeof v === "string" ? v.trim() : v === null || v === undefined ? "" : String(v);
    if (!text) {
      // A secret left empty keeps its value (edit) or lets the server make one (create);
      // an empty optional field is cleared on edit, left to its default on create.
      if (f.secret) continue;
      if (f.required && f.defaultValue === undefined) errors[f.path] = m.required;
      else if (f.nullable && editing) out[f.key] = null;
      continue;
    }
    if (f.kind === "number" || f.kind === "integer") {
      const n = Number(text);
      if (!Number.isFinite(n)) errors[f.path] = m.number;
      else if (f.kind === "integer" && !Number.isInteger(n)) errors[f.path] = m.integer;
      else if (f.minimum !== null && f.exclusiveMinimum && n <= f.minimum) errors[f.path] = m.above(f.minimum);
      else if (f.minimum !== null && n < f.minimum) errors[f.path] = m.min(f.minimum);
      else if (f.maximum !== null && f.exclusiveMaximum && n >= f.maximum) errors[f.path] = m.below(f.maximum);
      else if (f.maximum !== null && n > f.maximum) errors[f.path] = m.max(f.maximum);
      else out[f.key] = n;
      continue;
    }
    if (f.kind === "json") {
      try {
        out[f.key] = JSON.parse(text);
      } catch {
        errors[f.path] = m.json;
      }
      continue;
    }
    if (f.minLength !== null && text.length < f.minLength) errors[f.path] = m.minLength(f.minLength);
    else if (f.maxLength !== null && text.length > f.maxLength) errors[f.path] = m.maxLength(f.maxLength);
    else out[f.key] = text;
  }
  return out;
}

/** The settings to send, and what the form itself can tell is wrong. */
export function buildConfig(fields: SchemaField[], values: FormValues, editing: boolean, messages: Messages): BuildResult {
  const errors: Record<string, string> = {};
  const config = build(fields, values, editing, messages, errors);
  return { config, errors };
}

/** Where a server error belongs: "config.smtp.port" → "smtp.port" when the form has that
 * field (or its parent), "name" for the account's name; null: show it above the form. */
export function errorPath(field: string | undefined | null, fields: SchemaField[]): string | null {
  if (!field) return null;
  if (field === "name" || field === "type") return field;
  const inner = field.replace(/^(body\.)?config\./, "");
  if (inner === field && !field.startsWith("config")) return null;
  const known = new Set<string>();
  const walk = (list: SchemaField[]) => list.forEach((f) => (known.add(f.path), walk(f.children)));
  walk(fields);
  const parts = inner.split(".");
  for (let n = parts.length; n > 0; n--) {
    const path = parts.slice(0, n).join(".");
    if (known.has(path)) return path;
  }
  return null;
}
