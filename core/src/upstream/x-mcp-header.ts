/**
 * The 2026-07-28 rules for `x-mcp-header` annotations in a tool's `inputSchema` (server/tools.mdx, "x-mcp-header";
 * basic/transports/streamable-http.mdx, "Custom Headers from Tool Parameters"). A client on Streamable HTTP must
 * drop a tool whose annotations break them, and the gateway is that client. The SDK applies the same rules inside
 * its client's `listTools` (it exports no validator); the differential test in test/src/upstream checks this module
 * against it.
 */

// RFC 9110 §5.1 token (1*tchar): no empty value, spaces, control characters (CR/LF included) or delimiters.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

// The spec admits integer, string and boolean; the SDK (and the conformance suite it follows) also admits number.
// The gateway follows the SDK: dropping a tool that every SDK client keeps would only make the gateway stricter than
// the upstream's other clients.
const PRIMITIVE_TYPES: ReadonlySet<string> = new Set(["string", "integer", "boolean", "number"]);

// Subschema positions that are not "statically reachable" through a chain of `properties`: an annotation there makes
// the tool invalid.
const UNREACHABLE_KEYWORDS = [
  "items",
  "prefixItems",
  "contains",
  "additionalProperties",
  "unevaluatedProperties",
  "unevaluatedItems",
  "propertyNames",
  "patternProperties",
  "dependentSchemas",
  "oneOf",
  "anyOf",
  "allOf",
  "not",
  "if",
  "then",
  "else",
  "$defs",
  "definitions",
] as const;

// Keywords whose value maps names to subschemas (not one subschema or an array of them).
const MAP_KEYWORDS: ReadonlySet<string> = new Set(["patternProperties", "dependentSchemas", "$defs", "definitions"]);

const KEY = "x-mcp-header";

type Node = Record<string, unknown>;

const isNode = (value: unknown): value is Node => value !== null && typeof value === "object";

function annotationProblem(schema: Node, path: readonly string[], reachable: boolean, seen: Map<string, string>) {
  const where = path.length === 0 ? "<root>" : path.join(".");
  if (!reachable || path.length === 0)
    return `${where}: x-mcp-header is only allowed on properties reachable through "properties" keys`;
  const name = schema[KEY];
  if (typeof name !== "string" || name === "") return `${where}: x-mcp-header must be a non-empty string`;
  if (!TOKEN.test(name)) return `${where}: x-mcp-header ${JSON.stringify(name)} is not an RFC 9110 token`;
  const type = typeof schema["type"] === "string" ? schema["type"] : undefined;
  if (type === undefined || !PRIMITIVE_TYPES.has(type))
    return `${where}: x-mcp-header is only allowed on a primitive-typed property (got ${type ?? "no type"})`;
  const prior = seen.get(name.toLowerCase());
  if (prior !== undefined) return `x-mcp-header ${JSON.stringify(name)} repeats ${JSON.stringify(prior)}`;
  seen.set(name.toLowerCase(), name);
  return undefined;
}

function branchesOf(keyword: string, sub: unknown): unknown[] {
  if (Array.isArray(sub)) return sub;
  if (isNode(sub) && MAP_KEYWORDS.has(keyword)) return Object.values(sub);
  return [sub];
}

/** Why a tool's `x-mcp-header` annotations are invalid, or undefined when they are valid (or there are none). */
export function xMcpHeaderProblem(inputSchema: unknown): string | undefined {
  const seen = new Map<string, string>();
  const visit = (node: unknown, path: readonly string[], reachable: boolean): string | undefined => {
    if (!isNode(node) || Array.isArray(node)) return undefined;
    if (Object.hasOwn(node, KEY)) {
      const problem = annotationProblem(node, path, reachable, seen);
      if (problem !== undefined) return problem;
    }
    const properties = node["properties"];
    if (isNode(properties)) {
      for (const [key, child] of Object.entries(properties)) {
        const problem = visit(child, [...path, key], reachable);
        if (problem !== undefined) return problem;
      }
    }
    for (const keyword of UNREACHABLE_KEYWORDS) {
      if (!Object.hasOwn(node, keyword)) continue;
      for (const branch of branchesOf(keyword, node[keyword])) {
        const problem = visit(branch, [...path, `<${keyword}>`], false);
        if (problem !== undefined) return problem;
      }
    }
    return undefined;
  };
  return visit(inputSchema, [], true);
}
