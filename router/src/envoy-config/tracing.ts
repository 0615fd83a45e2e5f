import { verifiedTlsTransport } from "./upstream-tls";
import { tracesUrl, type GatewayConfig } from "@mcp-gateway/core";

/** The cluster of the trace collector Envoy exports its spans to. */
export const TRACE_COLLECTOR_CLUSTER = "mcp_trace_collector";

/**
 * The HCM's `tracing` when `tracing.enabled`: Envoy's OpenTelemetry tracer exporting OTLP/HTTP (protobuf) to the same
 * collector as the gateway, as service `<serviceName>-envoy`, sampling new traces at `sampleRatio` (a client's sampled
 * traceparent is followed). Envoy's request span parents the router's (its context reaches the router in the ext_proc
 * stream's metadata) and its upstream span carries the call (`spawn_upstream_span`). Empty when tracing is off.
 */
export function hcmTracing(config: GatewayConfig): object {
  const tracing = config.tracing;
  if (!tracing.enabled) return {};
  const headers = Object.entries(tracing.headers).map(([key, value]) => ({ header: { key, value } }));
  return {
    tracing: {
      random_sampling: { value: tracing.sampleRatio * 100 },
      spawn_upstream_span: true,
      provider: {
        name: "envoy.tracers.opentelemetry",
        typed_config: {
          "@type": "type.googleapis.com/envoy.config.trace.v3.OpenTelemetryConfig",
          service_name: `${tracing.serviceName}-envoy`,
          http_service: {
            http_uri: { uri: tracesUrl(tracing.endpoint), cluster: TRACE_COLLECTOR_CLUSTER, timeout: "5s" },
            ...(headers.length > 0 ? { request_headers_to_add: headers } : {}),
          },
        },
      },
    },
  };
}

/** The collector's cluster (TLS for an https endpoint), or none when tracing is off. */
export function traceCollectorClusters(config: GatewayConfig): object[] {
  if (!config.tracing.enabled) return [];
  const url = new URL(config.tracing.endpoint);
  const tls = url.protocol === "https:";
  const address = url.hostname.replace(/^\[|\]$/g, "");
  const port = Number(url.port || (tls ? 443 : 80));
  return [
    {
      name: TRACE_COLLECTOR_CLUSTER,
      type: "STRICT_DNS",
      connect_timeout: "5s",
      load_assignment: {
        cluster_name: TRACE_COLLECTOR_CLUSTER,
        endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address, port_value: port } } } }] }],
      },
      ...verifiedTlsTransport(url),
    },
  ];
}
