import {
  bodyTooLarge,
  isEndpointShaped,
  noEndpointError,
  PROTECTED_RESOURCE_WELL_KNOWN,
  type GatewayError,
} from "@mcp-gateway/core";

/** Paths anyone may read without credentials: the protected resource metadata (MCP authorization discovery). */
export function isPublicPath(path: string): boolean {
  const bare = path.split("?")[0] ?? "";
  return bare === PROTECTED_RESOURCE_WELL_KNOWN || bare.startsWith(`${PROTECTED_RESOURCE_WELL_KNOWN}/`);
}

/** The MCP endpoint: `/mcp`, with or without a query. */
export function isMcpPath(path: string): boolean {
  const bare = path.split("?")[0] ?? "";
  return bare === "/mcp";
}

/**
 * 404 for anything but an endpoint-shaped path (see isEndpointShaped) and, when the gateway advertises it
 * (`metadataAdvertised`), the public metadata: Envoy's default route leads to the broker, whose operations endpoints
 * (/status, /metrics) are for the private network, not for consumers coming through Envoy. Whether an endpoint-shaped
 * path is an endpoint (to this caller) is decided after authentication, so that no credentials learn nothing of it.
 */
export function pathError(path: string, metadataAdvertised: boolean): GatewayError | undefined {
  if (isEndpointShaped(path) || (metadataAdvertised && isPublicPath(path))) return undefined;
  return noEndpointError(path);
}

/** 413 when the declared content-length exceeds `limit` (checked again on the body itself). */
export function bodySizeError(headers: Readonly<Record<string, string>>, limit: number): GatewayError | undefined {
  const declared = Number(headers["content-length"] ?? "0");
  return declared > limit ? bodyTooLarge(declared, limit) : undefined;
}
