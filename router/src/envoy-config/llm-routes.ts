import { CLIENT_ADDRESS_HEADER, IDENTITY_HEADER, INTERNAL_HEADERS } from "@mcp-gateway/core";

/** The OpenAI-compatible LLM endpoints the broker serves (docs/llm-proxy.md), matched exactly. */
export const LLM_PATHS: readonly string[] = ["/v1/chat/completions", "/v1/responses"];

/**
 * The gateway's own headers, which on other routes the router strips from the client's request (x-destination-mcp and
 * the x-mcp-* family: the signed identity, the client address it vouches for, the replica hop marker, …). Without
 * ext_proc Envoy removes the ones the gateway uses by name, so no client copy reaches the broker on these routes.
 */
export const LLM_STRIPPED_HEADERS: readonly string[] = [
  ...INTERNAL_HEADERS,
  IDENTITY_HEADER,
  CLIENT_ADDRESS_HEADER,
  "x-mcp-gateway-hop",
];

/** typed_per_filter_config that turns ext_proc off on a route whose body is not MCP. */
export function extProcDisabled(): object {
  return {
    "envoy.filters.http.ext_proc": {
      "@type": "type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExtProcPerRoute",
      disabled: true,
    },
  };
}

/**
 * The LLM endpoints go to the broker without ext_proc, as the console's files do: their bodies are OpenAI requests,
 * not JSON-RPC, and the broker authenticates the consumer, checks Host and Origin, answers CORS and caps the body
 * itself, as in standalone mode (the client's address comes from Envoy, in x-mcp-client-address) (Envoy streams the body through under flow control; it buffers nothing here). Exact
 * paths rather than the `/v1/` prefix: Envoy passes paths as sent (edge-settings.ts), so a prefix would also send
 * `/v1/../mcp` past ext_proc; anything else under /v1 takes the default route, where the router answers 404.
 * No route timeout: a streamed answer with tool rounds runs as long as it keeps sending; the listener's
 * stream_idle_timeout (limits.streamIdleTimeout) still ends a stream that goes silent, and the provider timeouts
 * bound each model turn.
 */
export function llmRoutes(brokerCluster: string): object[] {
  return LLM_PATHS.map((path) => ({
    name: `llm_${path.slice("/v1/".length).replace(/\//g, "_")}`,
    match: { path },
    route: { cluster: brokerCluster, timeout: "0s" },
    request_headers_to_remove: [...LLM_STRIPPED_HEADERS],
    // No router sees these requests: Envoy itself tells the broker the client's address (after its XFF handling, as
    // the router's source.address), for the LLM request's audit event. Envoy removes before it adds.
    request_headers_to_add: [
      {
        header: { key: CLIENT_ADDRESS_HEADER, value: "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%" },
        append_action: "OVERWRITE_IF_EXISTS_OR_ADD",
      },
    ],
    typed_per_filter_config: extProcDisabled(),
  }));
}
