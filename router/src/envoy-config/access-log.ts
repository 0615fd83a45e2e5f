import { lookupTable, type GatewayConfig } from "@mcp-gateway/core";
import { METADATA_NAMESPACE, type AccessField } from "../access-metadata";

/** Longest request path written (client data; Envoy truncates the value to this many bytes). */
export const ACCESS_LOG_PATH_MAX = 512;
/** Longest `x-request-id` written: Envoy generates a 36-character UUID, a client may send anything. */
export const ACCESS_LOG_REQUEST_ID_MAX = 64;

const mcp = (field: AccessField): string => `%DYNAMIC_METADATA(${METADATA_NAMESPACE}:${field})%`;

/**
 * One JSON object per request. Envoy's JSON formatter escapes every value, so a client-chosen path or tool name cannot
 * forge a line; values from client headers are cut by Envoy (`:N`), those from the body by the router before they
 * become metadata. Fields that do not apply (no upstream, no session) are null.
 */
export const ACCESS_LOG_FORMAT: Readonly<Record<string, string>> = lookupTable({
  start_time: "%START_TIME%",
  method: "%REQ(:METHOD):16%",
  path: `%REQ(:PATH):${ACCESS_LOG_PATH_MAX}%`,
  protocol: "%PROTOCOL%",
  // The peer, or the address x-forwarded-for names past envoy.xffTrustedHops trusted proxies (use_remote_address).
  client_address: "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%",
  response_code: "%RESPONSE_CODE%",
  response_code_details: "%RESPONSE_CODE_DETAILS%",
  response_flags: "%RESPONSE_FLAGS%",
  duration_ms: "%DURATION%",
  bytes_received: "%BYTES_RECEIVED%",
  bytes_sent: "%BYTES_SENT%",
  upstream_cluster: "%UPSTREAM_CLUSTER%",
  request_id: `%REQ(X-REQUEST-ID):${ACCESS_LOG_REQUEST_ID_MAX}%`,
  // The active span's trace id when Envoy traces (null otherwise).
  trace_id: "%TRACE_ID%",
  jsonrpc_id: mcp("jsonrpc_id"),
  mcp_method: mcp("method"),
  mcp_server: mcp("server"),
  mcp_target: mcp("target"),
  mcp_consumer: mcp("consumer"),
  mcp_session: mcp("session"),
  mcp_decision: mcp("decision"),
  mcp_reason: mcp("reason"),
  mcp_protocol_version: mcp("protocol_version"),
});

/** The HCM's `access_log` list for `envoy.accessLog`: stdout, a file, or none. */
export function accessLogs(config: GatewayConfig): object[] {
  const target = config.envoy.accessLog;
  if (target === "off") return [];
  const log_format = { json_format: ACCESS_LOG_FORMAT };
  if (target === "stdout") {
    return [
      {
        name: "envoy.access_loggers.stdout",
        typed_config: {
          "@type": "type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog",
          log_format,
        },
      },
    ];
  }
  return [
    {
      name: "envoy.access_loggers.file",
      typed_config: {
        "@type": "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog",
        path: target,
        log_format,
      },
    },
  ];
}

/** The ext_proc filter's `metadata_options`: Envoy writes the router's dynamic metadata only for listed namespaces. */
export function extProcMetadataOptions(): object {
  return { metadata_options: { receiving_namespaces: { untyped: [METADATA_NAMESPACE] } } };
}
