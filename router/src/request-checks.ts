import { GatewayError, JsonRpcErrorCode, PROTECTED_RESOURCE_WELL_KNOWN } from "@mcp-gateway/core";

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
 * 404 for anything but /mcp and the public metadata: Envoy's default route leads to the broker, whose operations
 * endpoints (/status, /metrics) are for the private network, not for consumers coming through Envoy.
 */
export function pathError(path: string): GatewayError | undefined {
  if (isMcpPath(path) || isPublicPath(path)) return undefined;
  return new GatewayError(
    JsonRpcErrorCode.InvalidRequest,
    `no MCP endpoint at ${JSON.stringify(path.split("?")[0])}; use /mcp`,
    {
      httpStatus: 404,
    },
  );
}

/** 431 when the request's header names and values together exceed `limit` bytes. */
export function headerSizeError(headers: Readonly<Record<string, string>>, limit: number): GatewayError | undefined {
  let size = 0;
  for (const [name, value] of Object.entries(headers)) size += name.length + value.length;
  if (size <= limit) return undefined;
  return new GatewayError(
    JsonRpcErrorCode.RequestTooLarge,
    `request headers of ${size} bytes exceed the limit of ${limit} bytes`,
    { httpStatus: 431 },
  );
}

/** 413 when the declared content-length exceeds `limit` (checked again on the body itself). */
export function bodySizeError(headers: Readonly<Record<string, string>>, limit: number): GatewayError | undefined {
  const declared = Number(headers["content-length"] ?? "0");
  if (!(declared > limit)) return undefined;
  return new GatewayError(
    JsonRpcErrorCode.RequestTooLarge,
    `request body of ${declared} bytes exceeds the limit of ${limit} bytes`,
    { httpStatus: 413 },
  );
}
