import { lookupOwn, lookupTable } from "@mcp-gateway/core";
import * as protobuf from "protobufjs";

const TYPE_URL_PREFIX = "type.googleapis.com/";
const DURATION_RE = /^-?\d+(\.\d{1,9})?s$/;
const WRAPPERS = lookupTable({
  "google.protobuf.BoolValue": "bool",
  "google.protobuf.StringValue": "string",
  "google.protobuf.BytesValue": "bytes",
  "google.protobuf.UInt32Value": "uint32",
  "google.protobuf.Int32Value": "int32",
  "google.protobuf.UInt64Value": "uint64",
  "google.protobuf.Int64Value": "int64",
  "google.protobuf.DoubleValue": "double",
  "google.protobuf.FloatValue": "float",
});

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

function scalarProblem(type: string, value: unknown): string | undefined {
  switch (type) {
    case "string":
      return typeof value === "string" ? undefined : "expected a string";
    case "bool":
      return typeof value === "boolean" ? undefined : "expected a boolean";
    case "bytes":
      return typeof value === "string" && /^[A-Za-z0-9+/_-]*={0,2}$/.test(value) ? undefined : "expected base64 bytes";
    case "double":
    case "float":
      return typeof value === "number" ? undefined : "expected a number";
    default: {
      // int32, uint32, int64, uint64, sint*, fixed*: ProtoJSON allows numbers and (for 64-bit) decimal strings.
      const number = typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : value;
      if (typeof number !== "number" || !Number.isInteger(number)) return "expected an integer";
      return type.startsWith("u") && number < 0 ? "expected a non-negative integer" : undefined;
    }
  }
}

/**
 * A strict ProtoJSON checker over protobufjs reflection: every key must be a field of its message (proto or JSON
 * name), every value of the field's type, enums by name, oneofs with at most one member set, `Any` resolved through
 * its `@type` and checked as that message, Duration as `"5s"`, wrappers as plain values.
 */
export class ProtoJsonChecker {
  constructor(private readonly root: protobuf.Root) {}

  /** Problems found checking `value` as message `typeName` (empty when it is valid). */
  check(typeName: string, value: unknown): string[] {
    const issues: string[] = [];
    this.message(this.root.lookupType(typeName), value, "", issues);
    return issues;
  }

  private message(type: protobuf.Type, value: unknown, path: string, issues: string[]): void {
    if (!isObject(value)) {
      issues.push(`${path || "(root)"}: expected a ${type.fullName.slice(1)} object`);
      return;
    }
    const byJsonName = new Map(type.fieldsArray.map((f) => [toJsonName(f.name), f]));
    for (const [key, child] of Object.entries(value)) {
      // Own keys only: a document key such as "constructor" is no field of any message.
      const field = lookupOwn(type.fields, key) ?? byJsonName.get(key);
      const at = path ? `${path}.${key}` : key;
      if (!field) issues.push(`${at}: no field "${key}" in ${type.fullName.slice(1)}`);
      else this.field(field, child, at, issues);
    }
    for (const oneof of type.oneofsArray) {
      const set = oneof.fieldsArray.filter(
        (f) => value[f.name] !== undefined || value[toJsonName(f.name)] !== undefined,
      );
      if (set.length > 1)
        issues.push(
          `${path || "(root)"}: oneof ${oneof.name} has several members set (${set.map((f) => f.name).join(", ")})`,
        );
    }
  }

  private field(field: protobuf.Field, value: unknown, path: string, issues: string[]): void {
    field.resolve();
    if (field instanceof protobuf.MapField) {
      if (!isObject(value)) issues.push(`${path}: expected a map`);
      else for (const [key, item] of Object.entries(value)) this.single(field, item, `${path}.${key}`, issues);
      return;
    }
    if (field.repeated) {
      if (!Array.isArray(value)) issues.push(`${path}: expected a list`);
      else value.forEach((item, index) => this.single(field, item, `${path}[${index}]`, issues));
      return;
    }
    this.single(field, value, path, issues);
  }

  private single(field: protobuf.Field, value: unknown, path: string, issues: string[]): void {
    const resolved = field.resolvedType;
    if (resolved instanceof protobuf.Enum) {
      const valid =
        typeof value === "string"
          ? Object.hasOwn(resolved.values, value)
          : typeof value === "number" && Object.values(resolved.values).includes(value);
      if (!valid) issues.push(`${path}: ${JSON.stringify(value)} is not a value of ${resolved.fullName.slice(1)}`);
      return;
    }
    if (resolved instanceof protobuf.Type) {
      this.wellKnownOrMessage(resolved, value, path, issues);
      return;
    }
    const problem = scalarProblem(field.type, value);
    if (problem) issues.push(`${path}: ${problem}, got ${JSON.stringify(value)}`);
  }

  private wellKnownOrMessage(type: protobuf.Type, value: unknown, path: string, issues: string[]): void {
    const name = type.fullName.slice(1);
    const wrapped = WRAPPERS[name];
    if (wrapped) {
      const problem = scalarProblem(wrapped, value);
      if (problem) issues.push(`${path}: ${problem}, got ${JSON.stringify(value)}`);
    } else if (name === "google.protobuf.Duration") {
      if (typeof value !== "string" || !DURATION_RE.test(value))
        issues.push(`${path}: expected a duration like "5s", got ${JSON.stringify(value)}`);
    } else if (name === "google.protobuf.Struct" || name === "google.protobuf.Value") {
      return;
    } else if (name === "google.protobuf.Any") {
      this.any(value, path, issues);
    } else {
      this.message(type, value, path, issues);
    }
  }

  private any(value: unknown, path: string, issues: string[]): void {
    const typeUrl = isObject(value) ? value["@type"] : undefined;
    if (typeof typeUrl !== "string" || !typeUrl.startsWith(TYPE_URL_PREFIX)) {
      issues.push(`${path}: an Any needs "@type": "${TYPE_URL_PREFIX}<message>"`);
      return;
    }
    const typeName = typeUrl.slice(TYPE_URL_PREFIX.length);
    let type: protobuf.Type;
    try {
      type = this.root.lookupType(typeName);
    } catch {
      issues.push(`${path}.@type: unknown message ${typeName}`);
      return;
    }
    const rest = { ...(value as Record<string, unknown>) };
    delete rest["@type"];
    this.message(type, rest, path, issues);
  }
}

function toJsonName(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}
