/** A YAML mapping from an Envoy bootstrap, read field by field. */
export type YamlMap = Record<string, unknown>;

/** The Envoy config is malformed or uses something the harness does not emulate; the message names the YAML path. */
export class EnvoyConfigError extends Error {
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`${path}: ${problem}`);
    this.name = "EnvoyConfigError";
  }
}

/** Joins a parent YAML path and a key or list index into `a.b[0].c` form. */
export function childPath(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path === "" ? key : `${path}.${key}`;
}

/** The value as a mapping, or a config error naming `path`. */
export function asMap(value: unknown, path: string): YamlMap {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new EnvoyConfigError(path, "expected a mapping");
  }
  return value as YamlMap;
}

/** The value as a list, or a config error naming `path`. */
export function asList(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw new EnvoyConfigError(path, "expected a list");
  return value;
}

/** A mapping field that may be absent. */
export function optMap(parent: YamlMap, key: string, path: string): YamlMap | undefined {
  const value = parent[key];
  return value === undefined || value === null ? undefined : asMap(value, childPath(path, key));
}

/** A mapping field that must be present. */
export function reqMap(parent: YamlMap, key: string, path: string): YamlMap {
  const map = optMap(parent, key, path);
  if (!map) throw new EnvoyConfigError(childPath(path, key), "required");
  return map;
}

/** A list field; absent means empty. */
export function optList(parent: YamlMap, key: string, path: string): unknown[] {
  const value = parent[key];
  return value === undefined || value === null ? [] : asList(value, childPath(path, key));
}

/** A string field that may be absent. */
export function optString(parent: YamlMap, key: string, path: string): string | undefined {
  const value = parent[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new EnvoyConfigError(childPath(path, key), "expected a string");
  return value;
}

/** A string field that must be present and non-empty. */
export function reqString(parent: YamlMap, key: string, path: string): string {
  const value = optString(parent, key, path);
  if (!value) throw new EnvoyConfigError(childPath(path, key), "required string");
  return value;
}

/** A non-negative integer field (YAML may quote it, as protobuf JSON allows) that may be absent. */
export function optInteger(parent: YamlMap, key: string, path: string): number | undefined {
  const value = parent[key];
  if (value === undefined || value === null) return undefined;
  const parsed = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof parsed !== "number" || !Number.isInteger(parsed) || parsed < 0) {
    throw new EnvoyConfigError(childPath(path, key), "expected a non-negative integer");
  }
  return parsed;
}

/** A bool or `google.protobuf.BoolValue` (`{ value: true }`) field that may be absent. */
export function optBool(parent: YamlMap, key: string, path: string): boolean | undefined {
  const raw = parent[key];
  const value = typeof raw === "object" && raw !== null && !Array.isArray(raw) ? (raw as YamlMap).value : raw;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw new EnvoyConfigError(childPath(path, key), "expected a boolean");
  return value;
}

/** A `google.protobuf.Duration` field ("5s", "0.2s" or `{seconds, nanos}`) in milliseconds, or undefined. */
export function optDurationMs(parent: YamlMap, key: string, path: string): number | undefined {
  const value = parent[key];
  const where = childPath(path, key);
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") {
    const match = /^(\d+(?:\.\d+)?)s$/.exec(value);
    if (!match?.[1]) throw new EnvoyConfigError(where, `invalid duration "${value}" (expected e.g. "5s" or "0.2s")`);
    return Math.round(Number(match[1]) * 1000);
  }
  const map = asMap(value, where);
  const seconds = optInteger(map, "seconds", where) ?? 0;
  const nanos = optInteger(map, "nanos", where) ?? 0;
  return seconds * 1000 + Math.round(nanos / 1e6);
}

/** Throws when the mapping has a key the harness would silently ignore but Envoy would act on. */
export function rejectUnknownKeys(map: YamlMap, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(map)) {
    if (!allowed.includes(key)) {
      throw new EnvoyConfigError(childPath(path, key), "not supported by the Envoy harness");
    }
  }
}
