import { JsonRpcErrorCode as ErrorCode } from "@mcp-gateway/core";

// Envoy's own local replies (a route timeout, an unreachable upstream, a body over the buffer limit, the router
// failing, a request Envoy refuses) would reach an MCP client as plain text; these mappers give them the JSON-RPC
// error body every other gateway error has. The first mapper that matches wins.

/** ImmediateResponses of the router carry `details` starting with this (router/src/mutations.ts). */
export const ROUTER_DETAILS_PREFIX = "mcp_gateway_";

const cel = (expression: string): object => ({
  extension_filter: {
    name: "envoy.access_loggers.extension_filters.cel",
    typed_config: {
      "@type": "type.googleapis.com/envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter",
      expression,
    },
  },
});

/** A JSON-RPC error body (id unknown to Envoy: null). Messages are fixed text or Envoy's reason code, never addresses. */
const jsonRpcBody = (code: number, message: string): object => ({
  body_format_override: {
    json_format: { jsonrpc: "2.0", id: null, error: { code, message } },
    content_type: "application/json",
  },
});

/** Upstream response flags meaning the upstream could not be reached or gave up before answering. */
export const UNAVAILABLE_FLAGS = ["UH", "UF", "UO", "URX", "UC", "UR", "NC"] as const;

/** The HCM's `local_reply_config`: JSON-RPC error bodies for Envoy's own local replies, the router's left as they are. */
export function localReplyConfig(): object {
  return {
    mappers: [
      // The router's ImmediateResponses are local replies too, and already JSON-RPC (with the request's id): untouched.
      { filter: cel(`response.code_details.startsWith('${ROUTER_DETAILS_PREFIX}')`) },
      // ext_proc could not reach the router, or it did not answer within message_timeout: retryable, so 503.
      {
        filter: cel("response.code_details.startsWith('ext_proc')"),
        status_code: 503,
        ...jsonRpcBody(ErrorCode.UpstreamUnavailable, "the gateway's router is unavailable; retry later"),
      },
      {
        filter: { response_flag_filter: { flags: ["UT"] } },
        ...jsonRpcBody(ErrorCode.UpstreamTimeout, "the upstream server did not answer within its timeout"),
      },
      {
        filter: { response_flag_filter: { flags: [...UNAVAILABLE_FLAGS] } },
        ...jsonRpcBody(ErrorCode.UpstreamUnavailable, "the upstream server is unavailable"),
      },
      {
        filter: cel("response.code == 413"),
        ...jsonRpcBody(ErrorCode.RequestTooLarge, "request body too large"),
      },
      // Anything else Envoy refuses (an escaped slash in the path, a request not received within request_timeout, …):
      // Envoy's reason code names it. Server-side failures get fixed text: their reasons may describe the network.
      {
        filter: cel("response.code >= 400 && response.code < 500"),
        ...jsonRpcBody(ErrorCode.InvalidRequest, "request refused by the gateway: %RESPONSE_CODE_DETAILS%"),
      },
      { filter: cel("true"), ...jsonRpcBody(ErrorCode.InternalError, "the gateway failed to answer") },
    ],
  };
}
