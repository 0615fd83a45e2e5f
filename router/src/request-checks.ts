import { bodyTooLarge, GatewayError, JsonRpcErrorCode, PROTECTED_RESOURCE_WELL_KNOWN } from "@mcp-gateway/core";

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
 * 404 for anything but /mcp and, when the gateway advertises it (`metadataAdvertised`), the public metadata: Envoy's
 * default route leads to the broker, whose operations endpoints (/status, /metrics) are for the private network, not
 * for consumers coming through Envoy.
 */
export function pathError(
  path: string,
  metadataAdvertised: boolean,
  /** Whether the path is one of the config's other MCP endpoints (`/mcp/<server>`, virtual servers), exactly. */
  isEndpoint: (path: string) => boolean = () => false,
): GatewayError | undefined {
  if (isMcpPath(path) || isEndpoint(path) || (metadataAdvertised && isPublicPath(path))) return undefined;
  const under = path.startsWith("/mcp/")
    ? ", /mcp/<server> (a configured server's name) or a virtual server's path"
    : "";
  return new GatewayError(
    JsonRpcErrorCode.InvalidRequest,
    `no MCP endpoint at ${JSON.stringify(path.split("?")[0])}; use /mcp${under}`,
    {
      httpStatus: 404,
    },
  );
}

/** 413 when the declared content-length exceeds `limit` (checked again on the body itself). */
export function bodySizeError(headers: Readonly<Record<string, string>>, limit: number): GatewayError | undefined {
  const declared = Number(headers["content-length"] ?? "0");
  return declared > limit ? bodyTooLarge(declared, limit) : undefined;
}
