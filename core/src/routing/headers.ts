import type { ServerConfig } from "../config/schema";
import { nullRecord } from "../own-keys";
import type { BackendSession } from "../session/backend-store";
import { encodeHeaderText } from "./header-value";
import { STDIO_BRIDGE_TOKEN_HEADER } from "../stdio/bridge-token";

/** The MCP session header (Streamable HTTP). */
export const SESSION_HEADER = "mcp-session-id";

/** The header Envoy routes on: the name of the upstream server. */
export const DESTINATION_HEADER = "x-destination-mcp";

/**
 * Headers only the gateway may set. A client-supplied copy is stripped on arrival: `x-destination-mcp` selects the
 * Envoy route, so a client that could set it would pick any cluster; the `x-mcp-*` family is trusted downstream (the
 * stdio bridge's token among them: a client must neither send nor see it).
 */
export const INTERNAL_HEADERS: readonly string[] = [
  DESTINATION_HEADER,
  "x-mcp-tool",
  "x-mcp-method",
  "x-mcp-server",
  STDIO_BRIDGE_TOKEN_HEADER,
];

/** True for a header name the client must not send (see {@link INTERNAL_HEADERS}); expects lower case. */
export function isInternalHeader(name: string): boolean {
  return name === DESTINATION_HEADER || name.startsWith("x-mcp-");
}

// The client's credentials are for the gateway, never for an upstream (MCP forbids token passthrough); cookies
// likewise stay at the edge. Upstream credentials come from the server's configured headers.
const CLIENT_ONLY_HEADERS = ["authorization", "cookie", "proxy-authorization"];

// The gateway reads replies (ids, URIs, redaction): it asks upstreams for them uncompressed, whatever the client takes.
const NOT_NEGOTIATED = ["accept-encoding"];

// Addresses a client asserts about itself or its path (any proxy in front of the gateway is the gateway's business,
// and Envoy appends the real peer itself): an upstream must not take a client's word for them.
const CLIENT_ADDRESS_HEADERS: ReadonlySet<string> = new Set([
  "forwarded",
  "via",
  "x-real-ip",
  "x-client-ip",
  "true-client-ip",
  "cf-connecting-ip",
]);

/**
 * True for a client header that never reaches an upstream, whatever the call: client-asserted addresses
 * (`forwarded`, `x-forwarded-*`, `x-real-ip`, …), `last-event-id` and `origin`. Event ids on the client's side are the
 * gateway's (its GET stream is the broker's, not an upstream's), and a routed POST resumes nothing, so an upstream
 * would read a client's id as one of its own. `Origin` names the page that called the gateway, which the gateway
 * checked at its edge (host guard, CORS); the upstream's call comes from the gateway, and an upstream that refuses
 * cross-origin calls (the stdio bridge, SDK servers guarding against DNS rebinding) would refuse a browser's call.
 * Expects a lower-case name.
 */
export function isClientAssertedHeader(name: string): boolean {
  return (
    CLIENT_ADDRESS_HEADERS.has(name) || name.startsWith("x-forwarded-") || name === "last-event-id" || name === "origin"
  );
}

/** What every call to one server shares, derived once from its (frozen) config entry. */
interface ServerRoute {
  authority: string;
  path: string;
  /** The configured upstream headers, names in lower case. */
  headers: Readonly<Record<string, string>>;
  /** Client-only headers to remove (those the config does not set itself). */
  remove: readonly string[];
}

// Keyed by the config object: a reload brings new objects, and the old entries go with them.
const routes = new WeakMap<ServerConfig, ServerRoute>();

function serverRoute(server: ServerConfig): ServerRoute {
  let route = routes.get(server);
  if (!route) {
    const url = new URL(server.url);
    const headers = nullRecord(Object.entries(server.headers).map(([name, value]) => [name.toLowerCase(), value]));
    const remove = [...CLIENT_ONLY_HEADERS.filter((name) => !Object.hasOwn(headers, name)), ...NOT_NEGOTIATED];
    route = { authority: url.host, path: url.pathname + url.search, headers, remove };
    routes.set(server, route);
  }
  return route;
}

/** The headers of an upstream call derived from its target and sessions. */
export function buildUpstreamHeaders(
  call: {
    server: ServerConfig;
    method: string;
    targetName: string;
    backend: BackendSession;
    body: Buffer;
  },
  /** More client-only headers (the configured API key header, the router's identity header); lower case. */
  credentialHeaders: readonly string[] = [],
): { setHeaders: Record<string, string>; removeHeaders: string[] } {
  const route = serverRoute(call.server);
  const setHeaders = nullRecord<string>([
    [":authority", route.authority],
    [":path", route.path],
    [DESTINATION_HEADER, call.server.name],
    ["x-mcp-method", call.method],
    ["mcp-protocol-version", call.backend.protocolVersion],
    ["content-length", String(call.body.length)],
  ]);
  // The upstream's own tool name, which it chose freely: percent-encoded outside visible ASCII (docs/envoy-mode.md).
  // The other values are safe as they are: server names and methods by construction, the protocol version from the
  // supported list, the backend session id checked when the upstream issued it (backend-sessions.ts).
  if (call.method === "tools/call") setHeaders["x-mcp-tool"] = encodeHeaderText(call.targetName);
  const removeHeaders = [...route.remove];
  for (const name of credentialHeaders) {
    if (!Object.hasOwn(route.headers, name) && !removeHeaders.includes(name)) removeHeaders.push(name);
  }
  if (call.backend.sessionId === "") removeHeaders.push(SESSION_HEADER);
  else setHeaders[SESSION_HEADER] = call.backend.sessionId;
  Object.assign(setHeaders, route.headers);
  return { setHeaders, removeHeaders };
}

/** Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection, and each connection sets its own. */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
]);

// Hop-by-hop and framing headers describe one connection, not the message; the HTTP client sets its own.
const NOT_FORWARDED = new Set(["host", ...HOP_BY_HOP_HEADERS, "content-length", "expect"]);

/**
 * The headers the gateway itself sends upstream for a routed call (standalone forwarding, replay after a lost
 * session): the client's end-to-end headers minus pseudo, hop-by-hop, internal and client-only ones, plus the call's.
 */
export function forwardHeaders(
  client: Readonly<Record<string, string>>,
  call: { setHeaders: Readonly<Record<string, string>>; removeHeaders: readonly string[] },
): Record<string, string> {
  const headers = nullRecord<string>();
  // Own names only, one array of them: a routed call's hot path (Object.entries makes a pair array per header).
  for (const name of Object.keys(client)) {
    if (name.startsWith(":") || NOT_FORWARDED.has(name) || isInternalHeader(name) || isClientAssertedHeader(name))
      continue;
    if (call.removeHeaders.includes(name)) continue;
    headers[name] = client[name] as string;
  }
  const set = call.setHeaders;
  for (const name of Object.keys(set)) if (!name.startsWith(":")) headers[name] = set[name] as string;
  return headers;
}
