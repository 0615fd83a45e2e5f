import {
  GATEWAY_CLIENT_INFO,
  forModernClient,
  GatewayError,
  logUnexpected,
  route,
  toJsonRpcMessage,
  visibleLists,
  type Caller,
  type GatewayContext,
} from "@mcp-gateway/core";
import {
  CLIENT_CAPABILITIES_META_KEY,
  inputRequired,
  LOG_LEVEL_META_KEY,
  ProtocolError,
  Server,
  type ServerContext,
} from "@modelcontextprotocol/server";
import { INSTRUCTIONS } from "../broker-methods";
import { discoverCacheHint, listCacheHint, type ListKind, type UpstreamListHint } from "./cache-hint";
import { consumerCapabilities, tasksOffered } from "./capabilities";
import type { ModernCaller, ModernCallInput, ModernCallOutcome } from "./upstream-call";

/** One modern request as the front end saw it: who sent it and the JSON-RPC body exactly as received. */
export interface ModernRequest {
  caller: Caller;
  body: Record<string, unknown>;
  /** The bearer token the caller authenticated with (JWT callers), for per-consumer upstream credentials. */
  token?: string;
}

/** What the per-request server answers from. */
export interface ModernServerDeps {
  context: GatewayContext;
  callUpstream: ModernCaller;
  upstreamHint?: UpstreamListHint;
  /** Whether a server's resource updates can reach listen streams (declares `resources.subscribe`). */
  subscribable?: (server: string) => boolean;
}

type RoutedMethod = ModernCallInput["method"];
type Result = Record<string, unknown>;

const LISTS: readonly { method: string; kind: ListKind; field: string }[] = [
  { method: "tools/list", kind: "tools", field: "tools" },
  { method: "prompts/list", kind: "prompts", field: "prompts" },
  { method: "resources/list", kind: "resources", field: "resources" },
  { method: "resources/templates/list", kind: "resourceTemplates", field: "resourceTemplates" },
];

/** Which capability a method needs: the SDK refuses a handler for a capability the server did not declare. */
const NEEDS: ReadonlyMap<string, "tools" | "prompts" | "resources" | "completions"> = new Map([
  ["tools/list", "tools"],
  ["tools/call", "tools"],
  ["prompts/list", "prompts"],
  ["prompts/get", "prompts"],
  ["resources/list", "resources"],
  ["resources/templates/list", "resources"],
  ["resources/read", "resources"],
  ["completion/complete", "completions"],
] as const);

const ROUTED: readonly RoutedMethod[] = ["tools/call", "prompts/get", "resources/read", "completion/complete"];

const isObject = (value: unknown): value is Result =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * Builds the low-level SDK v2 `Server` that answers one modern request for its caller: serverInfo and instructions
 * are the gateway's, capabilities what this consumer can use (the SDK answers `server/discover` from them), lists
 * from the catalog filtered by the caller's policy with cache hints, routed methods through the call bridge. The SDK
 * stamps `resultType` and serverInfo in `_meta` itself.
 */
export function buildModernServer(deps: ModernServerDeps, request: ModernRequest): Server {
  const config = deps.context.config();
  const catalog = deps.context.upstreams.catalogFor(request.caller.endpoint);
  const { policy } = request.caller;
  const offersTasks = tasksOffered(deps.context, catalog, policy);
  const capabilities = consumerCapabilities(catalog, policy, deps.subscribable, offersTasks);
  const server = new Server(
    { name: GATEWAY_CLIENT_INFO.name, version: GATEWAY_CLIENT_INFO.version },
    { capabilities, instructions: INSTRUCTIONS, cacheHints: { "server/discover": discoverCacheHint(config) } },
  );
  const offered = (method: string): boolean => {
    const needed = NEEDS.get(method);
    return needed !== undefined && capabilities[needed] !== undefined;
  };
  for (const list of LISTS) {
    if (!offered(list.method)) continue;
    server.setRequestHandler(list.method as "tools/list", () => {
      const items = visibleLists(catalog, policy)[list.kind];
      const hint = listCacheHint(list.kind, catalog, policy, config, deps.upstreamHint);
      return { [list.field]: [...items], ...hint } as never;
    });
  }
  for (const method of ROUTED) {
    if (!offered(method)) continue;
    server.setRequestHandler(method as "tools/call", (_parsed, ctx) => routedCall(deps, request, method, ctx) as never);
  }
  return server;
}

/** Resolves the prefixed target exactly as the legacy router does, then hands the call to the call bridge. */
async function routedCall(
  deps: ModernServerDeps,
  request: ModernRequest,
  method: RoutedMethod,
  ctx: ServerContext,
): Promise<Result> {
  const id = ctx.mcpReq.id;
  try {
    const decision = route(toJsonRpcMessage(request.body), deps.context.upstreams.catalogFor(request.caller.endpoint));
    if (decision.kind === "reject") throw decision.error;
    const params = isObject(request.body["params"]) ? request.body["params"] : {};
    const meta = isObject(params["_meta"]) ? params["_meta"] : {};
    const capabilities = meta[CLIENT_CAPABILITIES_META_KEY];
    const logLevel = meta[LOG_LEVEL_META_KEY];
    const outcome = await deps.callUpstream({
      caller: request.caller,
      ...(request.token === undefined ? {} : { callerToken: request.token }),
      method,
      params,
      requestId: id,
      clientCapabilities: isObject(capabilities) ? capabilities : {},
      ...(typeof logLevel === "string" ? { logLevel } : {}),
      signal: ctx.mcpReq.signal,
      notify: (notification) => ctx.mcpReq.notify(notification),
    });
    return toHandlerResult(outcome);
  } catch (error: unknown) {
    throw toProtocolError(deps, error, id);
  }
}

/** The value the SDK handler returns for an outcome: the result as is, or an input-required round. */
export function toHandlerResult(outcome: ModernCallOutcome): Result {
  if (outcome.kind === "result") return outcome.result;
  return inputRequired({
    ...(outcome.inputRequests !== undefined ? { inputRequests: outcome.inputRequests as never } : {}),
    ...(outcome.requestState !== undefined ? { requestState: outcome.requestState } : {}),
  }) as unknown as Result;
}

/**
 * A thrown error as the SDK sends it: a GatewayError keeps its code, message and data (the SDK answers it in-band,
 * HTTP 200); anything else is logged and becomes a bare internal error (its message may hold internals).
 */
export function toProtocolError(deps: Pick<ModernServerDeps, "context">, error: unknown, id: string | number): Error {
  if (error instanceof ProtocolError) return error;
  // A 2025-only code (resource not found, -32002) becomes the one 2026-07-28 prescribes (-32602, SEP-2164).
  const gatewayError = forModernClient(GatewayError.from(error, id));
  logUnexpected(deps.context.logger, gatewayError, { path: "/mcp" });
  return new ProtocolError(gatewayError.code, gatewayError.message, gatewayError.data);
}
