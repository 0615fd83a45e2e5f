import type { GatewayConfig } from "@mcp-gateway/core";

const seconds = (ms: number): string => `${ms / 1000}s`;

/**
 * HCM settings for Envoy at the edge. Paths are normalized (RFC 3986 dot segments, merged slashes) before any filter
 * sees them, so the router's exact `/mcp` check, Envoy's routes and the broker judge one and the same path; an escaped
 * slash (`%2F`, `%5C`) is refused with 400 rather than guessed at. The client address is the TCP peer unless
 * `envoy.xffTrustedHops` proxies in front are trusted to append to x-forwarded-for. `request_timeout` bounds receiving
 * a whole request (`limits.requestTimeout`, as standalone) and is disarmed once the request is in: it never cuts a
 * response, so long GET streams stay open.
 */
export function edgeSettings(config: GatewayConfig): object {
  const requestTimeout = seconds(config.limits.requestTimeout);
  return {
    normalize_path: true,
    merge_slashes: true,
    path_with_escaped_slashes_action: "REJECT_REQUEST",
    use_remote_address: true,
    xff_num_trusted_hops: config.envoy.xffTrustedHops,
    request_timeout: requestTimeout,
    request_headers_timeout: requestTimeout,
  };
}
