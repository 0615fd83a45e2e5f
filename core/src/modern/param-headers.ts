import { McpServer, type ServerCapabilities } from "@modelcontextprotocol/server";
import type { Catalog } from "../catalog/catalog";

/**
 * The `inputSchema` of the exposed tool a `tools/call` names, when it carries `x-mcp-header` annotations (SEP-2243);
 * undefined when the tool is unknown or declares none (the SDK then has no `Mcp-Param-*` header to check).
 */
export type ToolSchemaLookup = (exposedName: string) => Readonly<Record<string, unknown>> | undefined;

const ANNOTATION = "x-mcp-header";

/** True when `schema` mentions the annotation anywhere: a superset of what the SDK's scan turns into declarations. */
function mentionsAnnotation(schema: unknown): boolean {
  if (schema === null || typeof schema !== "object") return false;
  if (Object.hasOwn(schema, ANNOTATION)) return true;
  return Object.values(schema).some(mentionsAnnotation);
}

// One lookup per catalog version (catalogs are immutable and swapped whole), memoizing each name the catalog knows:
// names a client makes up are never stored, so the memo is bounded by the catalog.
const lookups = new WeakMap<Catalog, ToolSchemaLookup>();

/**
 * The tool schemas the gateway checks `Mcp-Param-*` headers against: each exposed tool's own `inputSchema` (the
 * upstream's, with its `x-mcp-header` annotations), whatever the upstream's generation. A 2025 upstream never sees
 * these headers, so the gateway is the only server that can check them; a 2026 upstream checks them again.
 */
export function paramHeaderSchemas(catalog: Catalog): ToolSchemaLookup {
  let lookup = lookups.get(catalog);
  if (lookup) return lookup;
  const memo = new Map<string, Readonly<Record<string, unknown>> | null>();
  lookup = (exposedName) => {
    const known = memo.get(exposedName);
    if (known !== undefined) return known ?? undefined;
    const tool = catalog.toolDefinition(exposedName);
    if (tool === undefined) return undefined;
    const schema = tool["inputSchema"];
    const annotated = mentionsAnnotation(schema) ? (schema as Readonly<Record<string, unknown>>) : null;
    memo.set(exposedName, annotated);
    return annotated ?? undefined;
  };
  lookups.set(catalog, lookup);
  return lookup;
}

/**
 * A probe server for one `tools/call` whose tool carries `x-mcp-header` annotations. The SDK's strict HTTP entry
 * checks `Mcp-Param-*` headers (its `param-header-validation` rung: presence, the `=?base64?…?=` form, equality
 * with the body) only for an `McpServer` that knows the tool, asking it for the tool's JSON `inputSchema` through
 * `toolInputSchemaJson`. This server answers that question with the catalog's schema for the one tool the request
 * names, so the SDK itself runs its scan and comparison on exactly what the upstream declared; it registers no tool
 * (no handler, no argument validation, no warnings per request) and answers the call, as every other probe method,
 * with an empty result from the fallback handler. Every refusal therefore comes from the SDK's rungs alone.
 */
export class ParamHeaderProbe extends McpServer {
  constructor(
    private readonly toolName: string,
    private readonly schema: Readonly<Record<string, unknown>>,
    capabilities: ServerCapabilities,
  ) {
    // No tools/prompts/resources capability at construction: McpServer would install its own handlers for them.
    super({ name: "mcp-gateway-ladder", version: "1" });
    this.server.registerCapabilities(capabilities);
    this.server.fallbackRequestHandler = () => Promise.resolve({});
  }

  /** The tool's JSON `inputSchema` for the SDK's `Mcp-Param-*` check: the catalog's, for the named tool only. */
  override toolInputSchemaJson(name: string): Record<string, unknown> | undefined {
    return name === this.toolName ? (this.schema as Record<string, unknown>) : undefined;
  }
}
