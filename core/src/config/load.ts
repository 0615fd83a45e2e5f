import { readFile } from "node:fs/promises";
import { parseDocument, type YAMLError } from "yaml";
import type { z } from "zod";
import { nullRecord } from "../own-keys";
import { configSchema, type GatewayConfig } from "./schema";
import { configIssueMessage, formatPath } from "./issue-messages";
import { checkEndpoints } from "./endpoint-checks";
import { checkResourcePrefixes } from "./resource-prefix-checks";
import { checkSecurity } from "./security-checks";

/** A configuration problem; `issues` lists every finding as `path: message`. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly source: string,
    readonly issues: readonly string[],
  ) {
    super(`invalid config ${source}:\n  - ${issues.join("\n  - ")}`);
  }
}

export { formatPath } from "./issue-messages";

const ENV_REF_RE = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Replaces `${env:NAME}` in every string of the tree; a missing variable is reported with its YAML path. */
export function interpolateEnv(
  node: unknown,
  env: Readonly<Record<string, string | undefined>>,
  issues: string[],
  path: PropertyKey[] = [],
): unknown {
  if (typeof node === "string") {
    return node.replace(ENV_REF_RE, (_match, name: string) => {
      const value = env[name];
      if (value === undefined) {
        issues.push(`${formatPath(path)}: environment variable ${name} is not set`);
        return "";
      }
      return value;
    });
  }
  if (Array.isArray(node)) return node.map((item, index) => interpolateEnv(item, env, issues, [...path, index]));
  if (node !== null && typeof node === "object") {
    const out = nullRecord<unknown>();
    for (const [key, value] of Object.entries(node)) {
      // The schema would drop such a key silently (a credential header or a policy would vanish): say so instead.
      if (key === "__proto__") issues.push(`${formatPath([...path, key])}: "__proto__" cannot be used as a name`);
      else out[key] = interpolateEnv(value, env, issues, [...path, key]);
    }
    return out;
  }
  return node;
}

/** Every finding as `path: message`; a union whose value got past a branch's shape reports that branch's findings. */
function zodIssues(issues: readonly z.core.$ZodIssue[], base: readonly PropertyKey[] = []): string[] {
  return issues.flatMap((issue) => {
    const path = [...base, ...issue.path];
    const deeper =
      issue.code === "invalid_union" ? issue.errors.find((branch) => branch.some((i) => i.path.length > 0)) : undefined;
    return deeper ? zodIssues(deeper, path) : [`${formatPath(path)}: ${issue.message}`];
  });
}

/**
 * A YAML syntax error as `line L, column C: message` and the yaml package's own excerpt with a caret under the spot
 * (its `prettyErrors` output: the position suffix it appends to the message is moved to the front).
 */
function yamlIssue(error: YAMLError): string {
  const start = error.linePos?.[0];
  if (start === undefined) return error.message;
  const where = `line ${String(start.line)}, column ${String(start.col)}`;
  const suffix = ` at ${where}`;
  const cut = error.message.indexOf(suffix);
  if (cut < 0) return `${where}: ${error.message}`;
  const excerpt = error.message
    .slice(cut + suffix.length)
    .replace(/^:/, "")
    .split("\n")
    .filter((line) => line.trim() !== "");
  return [`${where}: ${error.message.slice(0, cut)}`, ...excerpt.map((line) => `    ${maskSecrets(line)}`)].join("\n");
}

// A key that may hold a credential (secret, token, password, API key, key hash, authorization, …) and its value.
const SECRET_VALUE =
  /((?:^|[\s{,[])["']?[\w.-]*(?:secret|token|passw|key|authorization|credential|hash)[\w.-]*["']?\s*:\s*)([^,}\]\n]+)/gi;

/**
 * An excerpt line with the values of credential-like keys masked: errors are logged (a bad reload at error level),
 * and a literal secret on the broken line must not reach the log. `${env:NAME}` references are kept, they are names.
 */
function maskSecrets(line: string): string {
  return line.replace(SECRET_VALUE, (_match, key: string, value: string) =>
    /^\s*["']?\$\{env:/.test(value) ? `${key}${value}` : `${key}***`,
  );
}

/** Checks that cannot be expressed per field: unique names, prefixes that do not shadow each other. */
export function crossCheck(config: GatewayConfig): string[] {
  const issues: string[] = [];
  const seen = new Map<string, number>();
  config.servers.forEach((server, index) => {
    const first = seen.get(server.name);
    if (first !== undefined)
      issues.push(`servers[${index}].name: duplicate server name "${server.name}" (also servers[${first}])`);
    else seen.set(server.name, index);
  });
  config.servers.forEach((a, i) => {
    config.servers.forEach((b, j) => {
      if (i >= j || a.prefix === "" || b.prefix === "") return;
      if (a.prefix === b.prefix) {
        issues.push(`servers[${j}].prefix: prefix "${b.prefix}" is already used by server "${a.name}"`);
      } else if (b.prefix.startsWith(a.prefix) || a.prefix.startsWith(b.prefix)) {
        const [short, long] = a.prefix.length < b.prefix.length ? [a, b] : [b, a];
        issues.push(
          `servers[${config.servers.indexOf(long)}].prefix: prefix "${long.prefix}" of "${long.name}" is shadowed by prefix "${short.prefix}" of "${short.name}" (tool names would be ambiguous)`,
        );
      }
    });
  });
  return [...issues, ...checkResourcePrefixes(config), ...checkEndpoints(config), ...checkSecurity(config)];
}

/** Parses, interpolates and validates config text; throws {@link ConfigError} naming the problems of the first stage that has any (syntax, env references, fields, cross-field rules). */
export function parseConfig(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
  source = "<config>",
): GatewayConfig {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new ConfigError(source, doc.errors.map(yamlIssue));
  const issues: string[] = [];
  const raw = interpolateEnv(doc.toJS(), env, issues);
  if (issues.length > 0) throw new ConfigError(source, issues);
  const result = configSchema.safeParse(raw, { error: configIssueMessage });
  if (!result.success) throw new ConfigError(source, zodIssues(result.error.issues));
  const crossIssues = crossCheck(result.data);
  if (crossIssues.length > 0) throw new ConfigError(source, crossIssues);
  return deepFreeze(result.data);
}

/** Reads and validates a config file. */
export async function loadConfigFile(
  path: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<GatewayConfig> {
  return parseConfig(await readFile(path, "utf8"), env, path);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
