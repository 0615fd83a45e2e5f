/**
 * The ext_proc settings every attachment of the router shares: the Envoy config `render-envoy` writes and the
 * controller's Envoy Gateway `EnvoyExtensionPolicy` and Istio `EnvoyFilter`. Kept here so the controller needs no
 * dependency on the router workspace and the attachments cannot drift apart.
 */

/**
 * The dynamic-metadata namespace the router writes for Envoy's access log (`%DYNAMIC_METADATA(mcp_gateway:…)%`). The
 * ext_proc filter accepts exactly this namespace (`metadata_options.receiving_namespaces`).
 */
export const ACCESS_METADATA_NAMESPACE = "mcp_gateway";

/**
 * The attributes Envoy sends with the request headers: the client's address as Envoy resolved it (the TCP peer, or
 * past the trusted hops in x-forwarded-for), for the audit log and the pass-through x-mcp-client-address.
 */
export const EXT_PROC_REQUEST_ATTRIBUTES: readonly string[] = Object.freeze(["source.address"]);

/**
 * The processing mode (Envoy v3 field names): the router reads request headers and whole request bodies and response
 * headers, never trailers; it overrides the mode per request (`allow_mode_override`) to read a reply's body.
 */
export const EXT_PROC_PROCESSING_MODE = Object.freeze({
  request_header_mode: "SEND",
  request_body_mode: "BUFFERED",
  response_header_mode: "SEND",
  response_body_mode: "NONE",
  request_trailer_mode: "SKIP",
  response_trailer_mode: "SKIP",
} as const);

/** sessions.backendInitTimeout when the config leaves it out. */
export const DEFAULT_BACKEND_INIT_TIMEOUT_MS = 4_000;

/**
 * The least ext_proc message timeout. Envoy's default (200 ms) is far too short: the router may legitimately hold a
 * message for seconds (replaying a call after an upstream lost its session, waiting for a just-added server's first
 * tool listing, fetching JWKS); past the timeout Envoy fails the call itself, without the router's JSON-RPC error.
 */
export const EXT_PROC_MESSAGE_TIMEOUT_MS = 5_000;

/**
 * The ext_proc message timeout for a sessions.backendInitTimeout: at least `floorMs`, and a second more than the
 * backend initialize the router may run (initialize + initialized to the upstream) while Envoy waits for its answer.
 */
export function extProcMessageTimeoutMs(backendInitTimeoutMs: number, floorMs = EXT_PROC_MESSAGE_TIMEOUT_MS): number {
  return Math.max(floorMs, backendInitTimeoutMs + 1_000);
}
