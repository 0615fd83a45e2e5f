import type { ServerConfig } from "../config/schema";
import type { BackendSession } from "../session/backend-store";
import { buildUpstreamHeaders, SESSION_HEADER } from "./headers";

/** The revision a 2026 upstream is spoken to in. */
const MODERN_REVISION = "2026-07-28";

/** The standard header a 2026 request names its tool, prompt or resource in (streamable-http.mdx). */
export const MCP_NAME_HEADER = "mcp-name";

/**
 * Modern methods the router sends straight to a 2026 upstream (they name one upstream's tool, prompt or resource);
 * every other modern request is the broker's (its SDK front end answers it).
 */
export const MODERN_ROUTED_METHODS: ReadonlySet<string> = new Set([
  "tools/call",
  "prompts/get",
  "resources/read",
  "completion/complete",
]);

// The methods whose Mcp-Name mirrors params.name / params.uri (streamable-http.mdx, "Standard Request Headers"), and
// those of the tasks extension, whose Mcp-Name mirrors params.taskId (SEP-2663, "Streamable HTTP: Routing Headers").
const NAMED_METHODS: ReadonlySet<string> = new Set([
  "tools/call",
  "prompts/get",
  "resources/read",
  "tasks/get",
  "tasks/update",
  "tasks/cancel",
]);

// A value that goes plain: visible ASCII, inner spaces allowed, no leading or trailing whitespace.
const PLAIN = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;
const SENTINEL_PREFIX = "=?base64?";

/**
 * An `Mcp-Name` (or `Mcp-Param-*`) value as the spec says a client writes it: plain when it is visible ASCII without
 * surrounding whitespace, else (and whenever it looks like the sentinel itself) `=?base64?<UTF-8 as base64>?=`.
 */
export function encodeMcpHeaderValue(value: string): string {
  if (PLAIN.test(value) && !value.startsWith(SENTINEL_PREFIX)) return value;
  return `${SENTINEL_PREFIX}${Buffer.from(value, "utf8").toString("base64")}?=`;
}

/** The backend of a call to a 2026 upstream: no session, the 2026 revision. */
export const MODERN_BACKEND: BackendSession = Object.freeze({ sessionId: "", protocolVersion: MODERN_REVISION });

/**
 * The headers of a modern call sent straight to a 2026 upstream: those of any routed call (target, credentials
 * removed, the upstream's configured headers), no session header, and `Mcp-Name` rewritten to the upstream's own
 * name or URI (the client's names the prefixed one, which the upstream must refuse as a mismatch with the body).
 * `Mcp-Method` and `Mcp-Param-*` go on as the client sent them (the arguments reach the upstream unchanged).
 */
export function modernCallHeaders(
  call: { server: ServerConfig; method: string; targetName: string; body: Buffer },
  credentialHeaders: readonly string[],
): { setHeaders: Record<string, string>; removeHeaders: string[] } {
  const built = buildUpstreamHeaders({ ...call, backend: MODERN_BACKEND }, credentialHeaders);
  if (!built.removeHeaders.includes(SESSION_HEADER)) built.removeHeaders.push(SESSION_HEADER);
  if (NAMED_METHODS.has(call.method)) built.setHeaders[MCP_NAME_HEADER] = encodeMcpHeaderValue(call.targetName);
  return built;
}
