import type { AuthError } from "../auth/auth-errors";
import { resourceMetadataUrl, wwwAuthenticate } from "../auth/protected-resource";
import type { GatewayConfig } from "../config/schema";
import { AGGREGATE_PATH } from "../endpoints/endpoints";
import { metadataPathOf } from "../endpoints/endpoint-access";
import { GatewayError, JsonRpcErrorCode } from "../errors";

/**
 * The protected resource a request addressed: the endpoint at `endpointPath` (`/mcp`, `/mcp/<server>`, a virtual
 * server's path), under the configured resource (`auth.resourceMetadata.resource` names `/mcp`; another endpoint's
 * path continues it: `https://gw.example/mcp` → `https://gw.example/mcp/weather`), else derived from the Host.
 */
export function resourceUrl(
  config: GatewayConfig,
  headers: Readonly<Record<string, string>>,
  endpointPath: string = AGGREGATE_PATH,
): string {
  const configured = config.auth === "none" ? undefined : config.auth.resourceMetadata.resource;
  const below = endpointPath.startsWith(`${AGGREGATE_PATH}/`) ? endpointPath.slice(AGGREGATE_PATH.length) : "";
  if (configured !== undefined) {
    if (below === "") return configured;
    const url = new URL(configured);
    url.pathname = `${url.pathname.replace(/\/$/, "")}${below}`;
    return url.href;
  }
  // Only http or https: anything else a client puts in x-forwarded-proto must not break (or steer) the challenge.
  const forwarded = (headers["x-forwarded-proto"] ?? "").split(",")[0]?.trim().toLowerCase();
  const proto = forwarded === "https" ? "https" : "http";
  const host = headers["host"] ?? headers[":authority"] ?? "localhost";
  return `${proto}://${host}${AGGREGATE_PATH}${below}`;
}

/**
 * The endpoint path a request target names: an endpoint's, or any endpoint-shaped path as if it were one (see
 * metadataPathOf: a 401 tells no one which endpoints exist); `/mcp` for any other target.
 */
function endpointPathOf(config: GatewayConfig, target: string | undefined): string {
  return (target === undefined ? undefined : metadataPathOf(config, target)) ?? AGGREGATE_PATH;
}

/**
 * Whether the gateway advertises OAuth protected resource metadata (the well-known document and `resource_metadata`
 * in 401 challenges): only when authorization servers are configured. Advertising an empty list makes MCP clients
 * (the Inspector 2.x among them) start an OAuth flow that cannot succeed, when an API key is all they need.
 */
export function advertisesProtectedResource(config: GatewayConfig): boolean {
  return config.auth !== "none" && config.auth.resourceMetadata.authorizationServers.length > 0;
}

/**
 * An authentication failure as the client must see it: 401 with `WWW-Authenticate` pointing at the protected
 * resource metadata (MCP authorization, RFC 9728) when it is advertised, else a plain `Bearer` challenge;
 * `invalid_token` when credentials were sent but refused; 403 for a
 * valid identity without a policy; 503 when the token cannot be checked right now (JWKS unreachable). `target` (the
 * request target; Envoy's `:path` by default) picks the endpoint whose metadata the challenge names (RFC 9728 §3.1).
 */
export function authFailure(
  config: GatewayConfig,
  headers: Readonly<Record<string, string>>,
  error: AuthError,
  target: string | undefined = headers[":path"],
): GatewayError {
  if (error.reason === "no-policy") {
    return new GatewayError(JsonRpcErrorCode.Forbidden, error.message, { httpStatus: 403 });
  }
  if (error.reason === "jwks-unavailable") {
    return new GatewayError(JsonRpcErrorCode.Unauthorized, "the token cannot be verified right now; retry later", {
      httpStatus: 503,
      headers: { "retry-after": "5" },
    });
  }
  const metadata = advertisesProtectedResource(config)
    ? { resourceMetadataUrl: resourceMetadataUrl(resourceUrl(config, headers, endpointPathOf(config, target))) }
    : {};
  const challenge =
    error.reason === "missing-credentials"
      ? wwwAuthenticate(metadata)
      : wwwAuthenticate({ ...metadata, error: "invalid_token", description: error.message });
  return new GatewayError(JsonRpcErrorCode.Unauthorized, `unauthorized: ${error.message}`, {
    httpStatus: 401,
    headers: { "www-authenticate": challenge },
  });
}
