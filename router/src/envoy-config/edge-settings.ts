import type { GatewayConfig } from "@mcp-gateway/core";

const seconds = (ms: number): string => `${ms / 1000}s`;

/**
 * HCM settings for Envoy at the edge. The gateway serves one exact path, `/mcp` (and the public metadata), in both
 * modes: Envoy passes the path as the client sent it and the router refuses every variant with 404 (`//mcp`, `/./mcp`,
 * `/%6dcp`, `/MCP`, …), so nothing but the exact path reaches the broker or an upstream (routed calls get the
 * upstream's own path from the router). Normalizing (`normalize_path`, `merge_slashes`) would only widen what is
 * accepted, and make Envoy mode differ from standalone. An escaped slash or backslash (`%2F`, `%5C`) is refused by
 * Envoy itself with 400, before any filter. The client address is the TCP peer unless `envoy.xffTrustedHops` proxies
 * in front are trusted to append to x-forwarded-for. `request_timeout` bounds receiving a whole request
 * (`limits.requestTimeout`, as standalone) and is disarmed once the request is in: it never cuts a response, so long
 * GET streams stay open.
 */
export function edgeSettings(config: GatewayConfig): object {
  const requestTimeout = seconds(config.limits.requestTimeout);
  return {
    normalize_path: false,
    merge_slashes: false,
    path_with_escaped_slashes_action: "REJECT_REQUEST",
    use_remote_address: true,
    xff_num_trusted_hops: config.envoy.xffTrustedHops,
    request_timeout: requestTimeout,
    request_headers_timeout: requestTimeout,
  };
}
