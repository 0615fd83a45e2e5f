import { SESSION_HEADER } from "./headers";

/**
 * The upstream response headers a client may see; every other one is dropped. An MCP reply needs its media type and
 * length, `cache-control` (SSE streams say `no-cache`), `retry-after` (on 429/503) and the session id (which the
 * gateway replaces with its own). Everything else is the upstream's business, and some of it is harmful at the
 * gateway's origin: CORS headers (`access-control-allow-origin: *` would override the gateway's CORS policy),
 * `set-cookie` (cookies scoped to the gateway), `www-authenticate` (a challenge for the upstream's credentials, which
 * the client must not try to answer: no token passthrough), `location`, `server`, `x-powered-by` (fingerprints).
 * `content-encoding` is dropped as well: the gateway asks upstreams for identity encoding and reads what it relays.
 */
export const RELAYED_RESPONSE_HEADERS: ReadonlySet<string> = new Set([
  "content-type",
  "content-length",
  "cache-control",
  "retry-after",
  SESSION_HEADER,
]);

/**
 * True for an upstream response header the client may see (expects a lower-case name). A body the gateway rewrites
 * changes length and goes out chunked, so its `content-length` is not relayed either.
 */
export function isRelayedResponseHeader(name: string, rewritten = false): boolean {
  return RELAYED_RESPONSE_HEADERS.has(name) && !(rewritten && name === "content-length");
}

/**
 * The upstream response headers to remove in Envoy mode (the router's response-headers phase): all but the relayed
 * ones, never pseudo-headers, `host` or Envoy's own `x-envoy-*` (Envoy does not let ext_proc remove those), nor the
 * names in `keep` (headers the gateway sets in the same mutation). `rewritten`: the body goes through the gateway's
 * rewriter (see {@link isRelayedResponseHeader}).
 */
export function unrelayedResponseHeaders(
  headers: Readonly<Record<string, string>>,
  keep: Readonly<Record<string, string>> = {},
  rewritten = false,
): string[] {
  return Object.keys(headers).filter(
    (name) =>
      !name.startsWith(":") &&
      !name.startsWith("x-envoy-") &&
      name !== "host" &&
      !isRelayedResponseHeader(name, rewritten) &&
      !Object.hasOwn(keep, name),
  );
}
