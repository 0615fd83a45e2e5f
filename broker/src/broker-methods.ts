import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from "@modelcontextprotocol/sdk/types.js";
import {
  GATEWAY_CLIENT_INFO,
  GatewayError,
  isRoutedMethod,
  JsonRpcErrorCode,
  visibleLists,
  type AccessPolicy,
  type Catalog,
  type JsonRpcRequest,
} from "@mcp-gateway/core";

/** What the gateway tells clients it can do: aggregated lists whose changes it relays. */
export const GATEWAY_CAPABILITIES = {
  tools: { listChanged: true },
  prompts: { listChanged: true },
  resources: { subscribe: true, listChanged: true },
  logging: {},
  completions: {},
} as const;

/** Instructions sent at initialize; short, so clients can show them. */
export const INSTRUCTIONS =
  "MCP gateway: tools, prompts and resources of several MCP servers, each tool prefixed with its server's name.";

/** Picks the protocol version for `initialize`: the client's when supported, else the latest this gateway speaks. */
export function negotiateProtocolVersion(requested: unknown): string {
  return typeof requested === "string" && SUPPORTED_PROTOCOL_VERSIONS.includes(requested)
    ? requested
    : LATEST_PROTOCOL_VERSION;
}

/** The `initialize` result for a client. */
export function initializeResult(request: JsonRpcRequest): Record<string, unknown> {
  const params = request.params;
  if (params === undefined || Array.isArray(params)) {
    throw new GatewayError(
      JsonRpcErrorCode.InvalidParams,
      "initialize needs params {protocolVersion, capabilities, clientInfo}",
      { id: request.id },
    );
  }
  return {
    protocolVersion: negotiateProtocolVersion(params["protocolVersion"]),
    capabilities: GATEWAY_CAPABILITIES,
    serverInfo: { name: GATEWAY_CLIENT_INFO.name, version: GATEWAY_CLIENT_INFO.version },
    instructions: INSTRUCTIONS,
  };
}

type Handler = (catalog: Catalog, policy: AccessPolicy) => Record<string, unknown>;

// A Map, not an object literal: a method named after an Object.prototype member ("constructor", "toString") must find
// no handler. An inherited `Object` "handler" once answered with the whole catalog, server configs included.
const HANDLERS: ReadonlyMap<string, Handler> = new Map<string, Handler>([
  ["ping", () => ({})],
  ["tools/list", (catalog, policy) => ({ tools: visibleLists(catalog, policy).tools })],
  ["prompts/list", (catalog, policy) => ({ prompts: visibleLists(catalog, policy).prompts })],
  ["resources/list", (catalog, policy) => ({ resources: visibleLists(catalog, policy).resources })],
  [
    "resources/templates/list",
    (catalog, policy) => ({ resourceTemplates: visibleLists(catalog, policy).resourceTemplates }),
  ],
  ["logging/setLevel", () => ({})],
]);

/**
 * Answers a request the broker serves (everything but initialize, which needs a new session); lists show only what
 * the caller's policy allows.
 */
export function brokerResult(catalog: Catalog, request: JsonRpcRequest, policy: AccessPolicy): Record<string, unknown> {
  const handler = HANDLERS.get(request.method);
  if (handler) return handler(catalog, policy);
  if (isRoutedMethod(request.method)) {
    // Routed methods never reach the broker through the router; arriving here means a routing misconfiguration.
    throw new GatewayError(
      JsonRpcErrorCode.InternalError,
      `${request.method} must be routed by the gateway router, not the broker`,
      { id: request.id, httpStatus: 500 },
    );
  }
  throw new GatewayError(JsonRpcErrorCode.MethodNotFound, `method not found: ${JSON.stringify(request.method)}`, {
    id: request.id,
  });
}
