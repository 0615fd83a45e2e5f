import type { GatewayConfig } from "@mcp-gateway/core";

const thresholds = (max: number): object => ({
  circuit_breakers: {
    thresholds: [{ priority: "DEFAULT", max_connections: max, max_pending_requests: max, max_requests: max }],
  },
});

/**
 * The broker cluster's bound, `limits.maxBrokerRequests`: the broker speaks HTTP/1.1, so every open GET notification
 * stream holds one request and one connection for its whole life, next to `initialize`, lists and DELETEs. Envoy's
 * default (1024) would cap all clients' streams together far below what a broker holds; past the bound Envoy answers
 * 503 at once.
 */
export function brokerCircuitBreakers(limits: GatewayConfig["limits"]): object {
  return thresholds(limits.maxBrokerRequests);
}

/**
 * The router cluster's bound: one ext_proc stream per request in flight, for the request's whole life (a GET stream's
 * included). Every request goes on to the broker or an upstream, each bounded by its own circuit breaker, so the
 * router needs room for their sum (a lower bound would fail requests those clusters accept), and as much again for
 * requests the router answers itself (refusals, CORS preflights), which never reach a cluster.
 */
export function routerCircuitBreakers(config: GatewayConfig): object {
  const routed = config.limits.maxBrokerRequests + config.servers.length * config.limits.maxUpstreamConnections;
  return thresholds(2 * routed);
}
