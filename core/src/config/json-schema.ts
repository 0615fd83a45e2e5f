import { z } from "zod";
import { configSchema } from "./schema";

/**
 * `${env:NAME}` somewhere in a string. References are replaced before validation, so the file's text may hold one
 * wherever a string goes (`token: ${env:ADMIN_TOKEN}` is shorter than the token's 32 characters, `url: ${env:URL}`
 * is no URI): the JSON Schema accepts it in place of any constrained string.
 */
const ENV_REFERENCE = { type: "string", pattern: "\\$\\{env:[A-Za-z_][A-Za-z0-9_]*\\}" } as const;

/** Keywords that constrain a string's text: a string with one of them may also be an `${env:NAME}` reference. */
const STRING_CONSTRAINTS = ["pattern", "format", "minLength", "maxLength", "enum", "const"];

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Wraps every constrained string schema of the tree as `anyOf: [itself, an env reference]`. */
function allowEnvReferences(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(allowEnvReferences);
  if (!isObject(node)) return node;
  const walked = Object.fromEntries(Object.entries(node).map(([key, value]) => [key, allowEnvReferences(value)]));
  if (walked["type"] !== "string" || !STRING_CONSTRAINTS.some((key) => Object.hasOwn(walked, key))) return walked;
  const { default: defaultValue, ...constrained } = walked;
  return {
    ...(defaultValue === undefined ? {} : { default: defaultValue }),
    anyOf: [constrained, ENV_REFERENCE],
  };
}

/**
 * The gateway config's JSON Schema (draft-07, what editors' YAML support reads), generated from the zod schema: the
 * file's shape before defaults and `${env:NAME}` substitution. Checks zod cannot express as JSON Schema (durations'
 * syntax, listen ports, cross-field rules) are left to `mcp-gateway validate`.
 */
export function configJsonSchema(): JsonObject {
  const generated = z.toJSONSchema(configSchema, { io: "input", target: "draft-7" });
  const { $schema, ...body } = allowEnvReferences(generated) as JsonObject;
  return {
    $schema,
    title: "mcp-gateway config",
    description: "Gateway configuration (version 1); see docs/configuration.md. Generated: `mcp-gateway schema`.",
    ...body,
  };
}
