import type { Catalog, CatalogTarget } from "../catalog/catalog";
import { GatewayError, JsonRpcErrorCode } from "../errors";
import type { JsonRpcMessage, JsonRpcRequest } from "../jsonrpc/message";
import { isRoutedMethod, type RoutedMethod } from "../jsonrpc/methods";

/** Where one JSON-RPC message goes: plain data, no Envoy or HTTP types. */
export type RouteDecision =
  | { kind: "broker" }
  | { kind: "upstream"; method: RoutedMethod; id: string | number; target: CatalogTarget; body: Buffer }
  | { kind: "reject"; error: GatewayError };

const NAME_FIELD: Record<RoutedMethod, "name" | "uri"> = {
  "tools/call": "name",
  "prompts/get": "name",
  "resources/read": "uri",
};
const WHAT: Record<RoutedMethod, string> = {
  "tools/call": "tool",
  "prompts/get": "prompt",
  "resources/read": "resource",
};

function invalidParams(message: string, id: string | number): RouteDecision {
  return { kind: "reject", error: new GatewayError(JsonRpcErrorCode.InvalidParams, message, { id }) };
}

function resolve(catalog: Catalog, method: RoutedMethod, name: string): CatalogTarget | undefined {
  if (method === "tools/call") return catalog.resolveTool(name);
  if (method === "prompts/get") return catalog.resolvePrompt(name);
  return catalog.resolveResource(name);
}

function routeRequest(request: JsonRpcRequest, method: RoutedMethod, catalog: Catalog): RouteDecision {
  const field = NAME_FIELD[method];
  const params = request.params;
  const name = params !== undefined && !Array.isArray(params) ? params[field] : undefined;
  if (typeof name !== "string" || name.length === 0) {
    return invalidParams(`${method} needs params.${field} (a non-empty string)`, request.id);
  }
  const target = resolve(catalog, method, name);
  if (!target) return invalidParams(`unknown ${WHAT[method]}: ${JSON.stringify(name)}`, request.id);
  // Rewrite only the routed name; every other field reaches the upstream as the client sent it.
  const rewritten = { ...request.raw, params: { ...(params as Record<string, unknown>), [field]: target.name } };
  return { kind: "upstream", method, id: request.id, target, body: Buffer.from(JSON.stringify(rewritten)) };
}

/**
 * Decides where a message goes: `tools/call`, `prompts/get` and `resources/read` to the upstream owning the
 * (prefixed) name, everything else to the broker. Unknown names are rejected with -32602 naming them.
 */
export function route(message: JsonRpcMessage, catalog: Catalog): RouteDecision {
  if (message.kind !== "request" || !isRoutedMethod(message.method)) return { kind: "broker" };
  return routeRequest(message, message.method, catalog);
}
