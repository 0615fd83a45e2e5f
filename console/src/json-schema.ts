/** The part of JSON Schema the generated forms understand; anything else is edited as raw JSON. */
export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
}

/** The schema's main type: the first non-null one of a type list; inferred from properties, items or enum. */
export function schemaType(schema: JsonSchema): string {
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  if (type) return type;
  if (schema.properties) return "object";
  if (schema.items) return "array";
  if (schema.enum) return "enum";
  return "unknown";
}

/** A JSON value's own fields as a record (a fresh object for anything else). */
export function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** The starting value for a schema: its default, else {} for an object with its required fields' defaults. */
export function initialValue(schema: JsonSchema): unknown {
  if (schema.default !== undefined) return schema.default;
  if (schemaType(schema) !== "object") return undefined;
  const required = schema.required ?? [];
  // Object.fromEntries defines own properties: a property named __proto__ stays a field, never a prototype.
  return Object.fromEntries(
    Object.entries(schema.properties ?? {})
      .filter(([name]) => required.includes(name))
      .map(([name, property]) => [name, initialValue(property)] as const)
      .filter(([, initial]) => initial !== undefined),
  );
}

/** A field's own value (never one inherited from Object.prototype, such as `constructor`). */
export function ownField(value: unknown, name: string): unknown {
  const record = asRecord(value);
  return Object.hasOwn(record, name) ? record[name] : undefined;
}

/** Sets or (for undefined) removes one field, returning a new object (own properties only, see initialValue). */
export function withField(value: unknown, name: string, field: unknown): Record<string, unknown> {
  const others = Object.entries(asRecord(value)).filter(([key]) => key !== name);
  return Object.fromEntries(field === undefined ? others : [...others, [name, field]]);
}

/** Required fields of an object schema that `value` lacks. */
export function missingRequired(schema: JsonSchema, value: unknown): string[] {
  const record = asRecord(value);
  return (schema.required ?? []).filter((name) => !Object.hasOwn(record, name));
}
