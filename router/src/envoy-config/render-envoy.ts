import { verifiedTlsTransport } from "./upstream-tls";
import { stringify } from "yaml";
import type { GatewayConfig, ServerConfig } from "@mcp-gateway/core";
import {
  DESTINATION_HEADER,
  EXT_PROC_MESSAGE_TIMEOUT_MS,
  EXT_PROC_PROCESSING_MODE,
  EXT_PROC_REQUEST_ATTRIBUTES,
  extProcMessageTimeoutMs,
} from "@mcp-gateway/core";
import { brokerClusterHealth, routerClusterHealth, upstreamClusterHealth } from "./cluster-health";
import { brokerCircuitBreakers, routerCircuitBreakers } from "./own-circuit-breakers";
import { accessLogs, extProcMetadataOptions } from "./access-log";
import { edgeSettings } from "./edge-settings";
import { listenerTls } from "./listener-tls";
import { consoleRoutes } from "./console-routes";
import { llmRoutes } from "./llm-routes";
import { localReplyConfig } from "./local-replies";
import { routerProtocolOptions } from "./router-cluster";
import { hcmTracing, traceCollectorClusters } from "./tracing";

/** A host and port Envoy reaches or listens on. */
export interface Endpoint {
  address: string;
  port: number;
}

/** Where the rendered Envoy listens and how it reaches the gateway's own processes. */
export interface EnvoyRenderOptions {
  listener: Endpoint;
  router: Endpoint;
  broker: Endpoint;
  admin: Endpoint;
  /** ext_proc message_timeout: bounds each phase, including a lazy upstream initialize. */
  messageTimeoutMs: number;
}

/** Defaults for the example topology: Envoy on :8080, router gRPC :9000 and broker :8081 on loopback. */
export const DEFAULT_RENDER_OPTIONS: EnvoyRenderOptions = {
  listener: { address: "0.0.0.0", port: 8080 },
  router: { address: "127.0.0.1", port: 9000 },
  broker: { address: "127.0.0.1", port: 8081 },
  admin: { address: "127.0.0.1", port: 9901 },
  messageTimeoutMs: EXT_PROC_MESSAGE_TIMEOUT_MS,
};

/** Cluster names: fixed for the gateway's processes, one per upstream server. */
export const ROUTER_CLUSTER = "mcp_router";
export const BROKER_CLUSTER = "mcp_broker";
/** The cluster serving one upstream server. */
export const serverCluster = (server: ServerConfig): string => `mcp_server_${server.name.replace(/-/g, "_")}`;

const seconds = (ms: number): string => `${ms / 1000}s`;
const socketAddress = (endpoint: Endpoint): object => ({
  socket_address: { address: endpoint.address, port_value: endpoint.port },
});

function cluster(name: string, endpoint: Endpoint, extra: object = {}): object {
  return {
    name,
    type: "STRICT_DNS",
    connect_timeout: "5s",
    load_assignment: {
      cluster_name: name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress(endpoint) } }] }],
    },
    ...extra,
  };
}

/**
 * Envoy's connection pool bound for an upstream cluster, from `limits.maxUpstreamConnections` (the standalone call
 * pool's size): past it Envoy queues up to as many calls again, then answers 503 at once instead of letting calls
 * hang. Routed calls alone use these clusters; the broker's upstream notification streams do not go through Envoy.
 */
export function upstreamCircuitBreakers(limits: GatewayConfig["limits"]): object {
  const max = limits.maxUpstreamConnections;
  return {
    circuit_breakers: {
      thresholds: [{ priority: "DEFAULT", max_connections: max, max_pending_requests: max, max_requests: max }],
    },
  };
}

function upstreamCluster(server: ServerConfig, config: GatewayConfig): object {
  const url = new URL(server.url);
  const tls = url.protocol === "https:";
  const endpoint = { address: url.hostname.replace(/^\[|\]$/g, ""), port: Number(url.port || (tls ? 443 : 80)) };
  const transport = verifiedTlsTransport(url);
  return cluster(serverCluster(server), endpoint, {
    ...transport,
    ...upstreamCircuitBreakers(config.limits),
    ...upstreamClusterHealth(server, config.health),
  });
}

function routes(config: GatewayConfig): object[] {
  // The router sets x-destination-mcp and rewrites :path to the upstream's path, then clears the route cache, so
  // these routes match on the header alone; anything without it (initialize, lists, GET streams, DELETE) is the broker's.
  const upstreamRoutes = config.servers.map((server) => ({
    name: `server_${server.name}`,
    match: { prefix: "/", headers: [{ name: DESTINATION_HEADER, string_match: { exact: server.name } }] },
    // servers[].timeout bounds a whole call to that server (standalone mode applies the same bound); none: unbounded.
    route: { cluster: serverCluster(server), timeout: server.timeout === undefined ? "0s" : seconds(server.timeout) },
  }));
  return [
    ...consoleRoutes(config, BROKER_CLUSTER),
    ...llmRoutes(BROKER_CLUSTER),
    ...upstreamRoutes,
    { name: "broker", match: { prefix: "/" }, route: { cluster: BROKER_CLUSTER, timeout: "0s" } },
  ];
}

/**
 * Envoy's own header cap: twice limits.maxHeaderBytes (in KiB, within Envoy's 1..8192 range). The router enforces the
 * exact figure with a JSON-RPC 431; Envoy's cap is only a backstop, because a local reply Envoy's HTTP/1 codec makes
 * for oversize headers passes through ext_proc's response phase and is lost when the codec closes the connection
 * (the client sees the connection close, no 431). The margin keeps every near miss on the router's clean path.
 */
export function headerCapKb(maxHeaderBytes: number): number {
  return Math.min(8192, Math.max(1, Math.ceil((2 * maxHeaderBytes) / 1024)));
}

/**
 * ext_proc's message_timeout: the render option (5 s), or longer when sessions.backendInitTimeout needs it, because the
 * router may create a backend session (initialize + initialized to the upstream) while Envoy waits for its answer;
 * past the timeout Envoy would fail the call itself, without the router's JSON-RPC error.
 */
export function messageTimeoutMs(config: GatewayConfig, options: EnvoyRenderOptions): number {
  return extProcMessageTimeoutMs(config.sessions.backendInitTimeout, options.messageTimeoutMs);
}

function extProcFilter(config: GatewayConfig, options: EnvoyRenderOptions): object {
  return {
    name: "envoy.filters.http.ext_proc",
    typed_config: {
      "@type": "type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor",
      grpc_service: { envoy_grpc: { cluster_name: ROUTER_CLUSTER } },
      failure_mode_allow: false,
      allow_mode_override: true,
      message_timeout: seconds(messageTimeoutMs(config, options)),
      mutation_rules: { allow_all_routing: true },
      ...extProcMetadataOptions(),
      // The client's address as Envoy resolved it (the TCP peer, or past envoy.xffTrustedHops in x-forwarded-for: the
      // address its access log shows), for the audit log. Envoy sends it with the request headers.
      request_attributes: [...EXT_PROC_REQUEST_ATTRIBUTES],
      processing_mode: { ...EXT_PROC_PROCESSING_MODE },
    },
  };
}

/** Renders the Envoy v3 bootstrap (as a plain object) for a gateway config. */
export function renderEnvoyConfig(config: GatewayConfig, options: EnvoyRenderOptions = DEFAULT_RENDER_OPTIONS): object {
  const hcm = {
    "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
    stat_prefix: "mcp",
    codec_type: "AUTO",
    // SSE streams (GET notifications, streamed tool results) are long-lived: no route timeout, an idle bound instead.
    stream_idle_timeout: seconds(config.limits.streamIdleTimeout),
    max_request_headers_kb: headerCapKb(config.limits.maxHeaderBytes),
    access_log: accessLogs(config),
    ...edgeSettings(config),
    local_reply_config: localReplyConfig(),
    ...hcmTracing(config),
    route_config: { name: "mcp", virtual_hosts: [{ name: "mcp", domains: ["*"], routes: routes(config) }] },
    http_filters: [
      extProcFilter(config, options),
      {
        name: "envoy.filters.http.router",
        typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" },
      },
    ],
  };
  return {
    admin: { address: socketAddress(options.admin) },
    static_resources: {
      listeners: [
        {
          name: "mcp",
          address: socketAddress(options.listener),
          // ext_proc buffers a request body within this limit (Envoy's default is 1 MiB; above it Envoy answers 413):
          // limits.maxBodyBytes is the figure a client sees, whatever Envoy's default.
          per_connection_buffer_limit_bytes: config.limits.maxBodyBytes,
          filter_chains: [
            {
              filters: [{ name: "envoy.filters.network.http_connection_manager", typed_config: hcm }],
              ...listenerTls(config),
            },
          ],
        },
      ],
      clusters: [
        cluster(ROUTER_CLUSTER, options.router, {
          ...routerProtocolOptions(),
          ...routerCircuitBreakers(config),
          ...routerClusterHealth(config),
        }),
        cluster(BROKER_CLUSTER, options.broker, {
          ...brokerCircuitBreakers(config.limits),
          ...brokerClusterHealth(config),
        }),
        ...config.servers.map((server) => upstreamCluster(server, config)),
        ...traceCollectorClusters(config),
      ],
    },
  };
}

/** Renders the Envoy config as YAML with a header naming its source. */
export function renderEnvoyYaml(
  config: GatewayConfig,
  source: string,
  options: EnvoyRenderOptions = DEFAULT_RENDER_OPTIONS,
): string {
  const header = `# Rendered by \`mcp-gateway render-envoy ${source}\`; do not edit by hand.\n`;
  return header + stringify(renderEnvoyConfig(config, options), { lineWidth: 0 });
}
