import type { GatewayConfig, ServerConfig } from "@mcp-gateway/core";
import { EXT_PROC_SERVICE_NAME } from "../router";

const seconds = (ms: number): string => `${ms / 1000}s`;

/**
 * The timing every active check shares, from the gateway's `health` section (the broker checks upstreams on the same
 * interval and timeout, so Envoy and the broker notice a dead upstream within the same period). Two failures in a row
 * mark a host unhealthy (one dropped packet does not), one success brings it back. `no_traffic_interval` is Envoy's
 * interval for a cluster that has not had traffic yet (60 s by default): the same interval, so a host that comes back
 * is seen as quickly as one that dies.
 */
function activeCheck(health: GatewayConfig["health"], check: object): object {
  const interval = seconds(health.interval);
  return {
    timeout: seconds(health.timeout),
    interval,
    no_traffic_interval: interval,
    unhealthy_threshold: 2,
    healthy_threshold: 1,
    ...check,
  };
}

/**
 * No traffic to a host that failed its checks or was ejected, even when it is the only one: Envoy's default panic
 * threshold (50 %) would send calls to an unhealthy single host anyway and let each wait for its connect timeout.
 * At 0 a cluster without a healthy host answers 503 (`no_healthy_upstream`) at once.
 */
const NO_PANIC = { common_lb_config: { healthy_panic_threshold: { value: 0 } } };

/**
 * The router cluster's health: grpc.health.v1 `Check` on the ext_proc service, which the router reports SERVING once
 * it listens and NOT_SERVING while it shuts down. A router failing it gets no ext_proc stream; with
 * `failure_mode_allow: false` Envoy then fails the request at once instead of waiting on a dead router.
 */
export function routerClusterHealth(config: GatewayConfig): object {
  return {
    health_checks: [activeCheck(config.health, { grpc_health_check: { service_name: EXT_PROC_SERVICE_NAME } })],
    ...NO_PANIC,
  };
}

/**
 * The broker cluster's health: `GET /healthz` (the process serves HTTP). Not `/readyz`, which is 503 while no upstream
 * is ready: the broker still answers `initialize`, lists and GET streams then (and heals once an upstream is back),
 * so ejecting it would turn those JSON-RPC answers into Envoy's 503.
 */
export function brokerClusterHealth(config: GatewayConfig): object {
  return {
    health_checks: [activeCheck(config.health, { http_health_check: { path: "/healthz" } })],
    ...NO_PANIC,
  };
}

/**
 * Outlier detection on an upstream cluster: calls that fail to connect, are reset or time out (local-origin errors,
 * counted apart from the upstream's own replies) eject the host after 3 in a row; so do 5 gateway errors (502, 503,
 * 504) the upstream itself answers. Other 5xx never eject: an MCP server's 500 is about one call, not the server.
 * Every host may be ejected (an MCP server is usually a single host). An ejection lasts `base_ejection_time` (longer
 * when repeated), or until the next passing active check.
 */
const OUTLIER_DETECTION = {
  split_external_local_origin_errors: true,
  consecutive_local_origin_failure: 3,
  consecutive_gateway_failure: 5,
  enforcing_consecutive_gateway_failure: 100,
  enforcing_consecutive_5xx: 0,
  base_ejection_time: "10s",
  max_ejection_percent: 100,
};

/**
 * An upstream MCP server's health: outlier detection on real calls, plus (unless `servers[].healthCheck: none`) an
 * active TCP check: a connect on the server's port (through TLS for https), no request. MCP has no health endpoint
 * and a `ping` needs a session, so a connect is the only active check that assumes nothing about the server.
 */
export function upstreamClusterHealth(server: ServerConfig, health: GatewayConfig["health"]): object {
  const active =
    server.healthCheck === "none" ? {} : { health_checks: [activeCheck(health, { tcp_health_check: {} })] };
  return { ...active, outlier_detection: OUTLIER_DETECTION, ...NO_PANIC };
}
