import type { Catalog, CatalogTarget } from "../catalog/catalog";
import { exposeResourceUri, resourcePrefixOf } from "../catalog/resource-uris";
import { GatewayError, JsonRpcErrorCode } from "../errors";
import type { ServerConfig } from "../config/schema";
import type { JsonRpcMessage, JsonRpcRequest, JsonRpcResponse } from "../jsonrpc/message";
import { isRoutedMethod, type RoutedMethod } from "../jsonrpc/methods";
import { checkResourceUri } from "../policy/resource-uri";
import { capText, quoteCapped } from "../text-cap";
import { decodeServerRequestId } from "./server-request-ids";

/** What a message routed to one upstream is: a request naming its target, or a response to the upstream's request. */
export type UpstreamMethod = RoutedMethod | "response";

/** Where one JSON-RPC message goes: plain data, no Envoy or HTTP types. */
export type RouteDecision =
  | { kind: "broker" }
  | {
      kind: "upstream";
      method: UpstreamMethod;
      id: string | number;
      target: CatalogTarget;
      /**
       * What the client named: a tool or prompt by exposed name, a resource by exposed URI; "" for a response. A read
       * or (un)subscribe also carries the exposed form of the URI as the upstream will normalize it.
       */
      named: { kind: Kind | "response"; exposed: string; args?: unknown; normalized?: string | undefined };
      body: Buffer;
    }
  | {
      kind: "reject";
      error: GatewayError;
      /** Set when the name is unknown to the catalog (rather than malformed or shadowed). */
      unknownName?: true;
    };

type Params = Record<string, unknown>;
type Kind = "tool" | "prompt" | "resource";

/** Where a routed method names its target, and how to write the upstream's own name back. */
interface Reference {
  kind: Kind;
  name: string;
  rewrite(original: string): Params;
}

const isObject = (value: unknown): value is Params =>
  value !== null && typeof value === "object" && !Array.isArray(value);

function field(params: Params, key: "name" | "uri", kind: Kind): Reference | string {
  const name = params[key];
  if (typeof name !== "string" || name.length === 0) return `params.${key} (a non-empty string)`;
  return { kind, name, rewrite: (original) => ({ ...params, [key]: original }) };
}

// completion/complete names what it completes in params.ref: a prompt by name or a resource (template) by URI.
function completionRef(params: Params): Reference | string {
  const ref = params["ref"];
  if (!isObject(ref)) return 'params.ref ({"type": "ref/prompt", "name"} or {"type": "ref/resource", "uri"})';
  const inner =
    ref["type"] === "ref/prompt"
      ? field(ref, "name", "prompt")
      : ref["type"] === "ref/resource"
        ? field(ref, "uri", "resource")
        : undefined;
  if (inner === undefined) return 'params.ref.type "ref/prompt" or "ref/resource"';
  if (typeof inner === "string") return `params.ref.${inner.slice("params.".length)}`;
  return { ...inner, rewrite: (original) => ({ ...params, ref: inner.rewrite(original) }) };
}

type ReferenceOf = (params: Params) => Reference | string;

// Written as a record so the compiler checks every routed method has an entry; looked up as a Map (own keys only).
const REFERENCES: ReadonlyMap<string, ReferenceOf> = new Map(
  Object.entries({
    "tools/call": (p) => field(p, "name", "tool"),
    "prompts/get": (p) => field(p, "name", "prompt"),
    "resources/read": (p) => field(p, "uri", "resource"),
    "resources/subscribe": (p) => field(p, "uri", "resource"),
    "resources/unsubscribe": (p) => field(p, "uri", "resource"),
    "completion/complete": completionRef,
  } satisfies Record<RoutedMethod, ReferenceOf>),
);

function resolve(catalog: Catalog, reference: Reference): CatalogTarget | undefined {
  if (reference.kind === "tool") return catalog.resolveTool(reference.name);
  if (reference.kind === "prompt") return catalog.resolvePrompt(reference.name);
  return catalog.resolveResource(reference.name);
}

function invalidParams(message: string, id: string | number): RouteDecision {
  return { kind: "reject", error: new GatewayError(JsonRpcErrorCode.InvalidParams, message, { id }) };
}

/**
 * A `resources/read` of a URI no upstream serves: -32002 with the URI in `data`, as MCP 2025-11-25 asks (a modern
 * client gets -32602 through `forModernClient`, SEP-2164). The URI in `data` is capped like the message.
 */
function resourceNotFound(uri: string, id: string | number): RouteDecision {
  const error = new GatewayError(JsonRpcErrorCode.ResourceNotFound, `unknown resource: ${quoteCapped(uri)}`, {
    id,
    data: { uri: capText(uri) },
  });
  return { kind: "reject", error, unknownName: true };
}

/**
 * A name whose target's aggregated name belongs to another server (a name collision across servers): refused, since
 * policy, rate limits, redaction and audit would judge it by the other server's name. The conflict is in /status.
 */
function shadowed(reference: { kind: string; name: string }, id: string | number): RouteDecision {
  return invalidParams(
    `${reference.kind} ${quoteCapped(reference.name)} is unavailable: its name at the aggregated endpoint /mcp belongs to another server (a name collision; give the servers distinct prefixes)`,
    id,
  );
}

function routeRequest(request: JsonRpcRequest, method: RoutedMethod, catalog: Catalog): RouteDecision {
  const params = isObject(request.params) ? request.params : {};
  const referenceOf = REFERENCES.get(method);
  if (referenceOf === undefined) return { kind: "broker" };
  const reference = referenceOf(params);
  if (typeof reference === "string") return invalidParams(`${method} needs ${reference}`, request.id);
  const target = resolve(catalog, reference);
  if (!target && method === "resources/read") return resourceNotFound(reference.name, request.id);
  if (!target)
    return {
      kind: "reject",
      error: new GatewayError(
        JsonRpcErrorCode.InvalidParams,
        `unknown ${reference.kind}: ${quoteCapped(reference.name)}`,
        { id: request.id },
      ),
      unknownName: true,
    };
  let normalized: string | undefined;
  if (method.startsWith("resources/")) {
    // Checked as the upstream receives it (without our prefix): policy must see what the upstream's parser will read.
    const uri = checkResourceUri(target.name);
    if (!uri.ok)
      return invalidParams(`${method}: resource URI ${quoteCapped(reference.name)} ${uri.problem}`, request.id);
    normalized = exposeResourceUri(resourcePrefixOf(target.server), uri.normalized);
  }
  // Rewrite only the routed name; every other field reaches the upstream as the client sent it.
  const rewritten = { ...request.raw, params: reference.rewrite(target.name) };
  // Past the aggregated endpoint, policy, rate limits, redaction and audit know the target by its aggregated name.
  const exposed = catalog.canonicalName(reference.kind, target, reference.name);
  if (exposed === undefined) return shadowed(reference, request.id);
  const named = { kind: reference.kind, exposed, args: params["arguments"], normalized };
  return { kind: "upstream", method, id: request.id, target, named, body: Buffer.from(JSON.stringify(rewritten)) };
}

/**
 * Decides where a message goes: requests that name one upstream's tool, prompt or resource (`tools/call`,
 * `prompts/get`, `resources/read`, `resources/subscribe`, `resources/unsubscribe`, `completion/complete`) to that
 * upstream with the upstream's own name, everything else to the broker. Unknown names are rejected with -32602.
 */
export function route(message: JsonRpcMessage, catalog: Catalog, servers: readonly ServerConfig[] = []): RouteDecision {
  if (message.kind === "response") return routeResponse(message, servers);
  if (message.kind !== "request" || !isRoutedMethod(message.method)) return { kind: "broker" };
  return routeRequest(message, message.method, catalog);
}

/**
 * A client's answer to a server-to-client request (sampling, elicitation, roots) goes back to the upstream that
 * asked, named by the id the gateway gave that request; the upstream gets its own id back. Other responses (to no
 * request of ours) are the broker's, which accepts and drops them.
 */
function routeResponse(message: JsonRpcResponse, servers: readonly ServerConfig[]): RouteDecision {
  const origin = decodeServerRequestId(message.id);
  if (!origin) return { kind: "broker" };
  const server = servers.find((s) => s.name === origin.server);
  if (!server) {
    const error = new GatewayError(
      JsonRpcErrorCode.InvalidParams,
      `response for unknown server ${quoteCapped(origin.server)}`,
      {
        id: message.id,
        httpStatus: 400,
      },
    );
    return { kind: "reject", error };
  }
  const body = Buffer.from(JSON.stringify({ ...message.raw, id: origin.id }));
  const named = { kind: "response" as const, exposed: "" };
  return { kind: "upstream", method: "response", id: origin.id, target: { server, name: "" }, named, body };
}
