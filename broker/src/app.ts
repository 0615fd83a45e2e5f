import express, { type Express, type Request, type RequestHandler, type Response } from "express";
import { isEndpointShaped, PROTECTED_RESOURCE_WELL_KNOWN, type GatewayContext } from "@mcp-gateway/core";
import { createLegacyBridge } from "./legacy-bridge/legacy-bridge";
import { createCallerResolver } from "./caller";
import { createEdgeChecks, createProtectedResourceHandler } from "./edge-checks";
import { Registry } from "prom-client";
import { bodyErrorHandler, createDeleteHandler, createGetHandler, createPostHandler } from "./mcp-routes";
import { exactPaths, refuseBodyOutsidePost, routeExactly } from "./exact-paths";
import { handlerChain } from "./handler-chain";
import { mountPostChain } from "./post-chain";
import { rawBodyReader } from "./raw-body";
import { sendError } from "./http-errors";
import type { BrokerMetrics } from "./metrics";
import { lowerHeaders } from "./request-headers";
import { createRequestTracing, createStreamTracing } from "./request-tracing";
import type { NotificationHub } from "./notification-hub";
import type { UpstreamRelay } from "./upstream-relay";
import type { ModernFrontEnd } from "./modern";
import type { Replicas } from "./replicas";
import { CONSOLE_PATH, mountConsole } from "./console/serve-console";
import { LLM_PATHS, mountLlmRoutes } from "./llm/llm-routes";
import type { LlmDeps } from "./llm/llm-handler";

/** Dependencies of {@link createBrokerApp}. */
export interface BrokerAppDeps {
  context: GatewayContext;
  hub: NotificationHub;
  metrics: BrokerMetrics;
  relay?: UpstreamRelay;
  /** Standalone mode: handles routed POSTs before the broker sees them (see standalone-forwarder.ts). */
  forwarder?: RequestHandler;
  /**
   * True when this app is the gateway's edge (standalone): it answers CORS, checks header sizes and authenticates
   * clients itself. False behind Envoy, where the router has done all that and signed the identity.
   */
  edge?: boolean;
  /** Registries served at /metrics next to the broker's (the router's, when both run in one process). */
  extraRegistries?: readonly Registry[];
  /**
   * The 2026-07-28 front end (see modern/modern-edge.ts), with its call bridge and catalog-change feed.
   * It runs before the standalone forwarder and the legacy handler, so modern requests never reach the session path.
   */
  modern: ModernFrontEnd;
  /** The access log (see access-log.ts): mounted first, so it sees every request and every refusal. */
  accessLog?: RequestHandler;
  /** This process among the gateway's replicas: forwards retries and answers for calls other replicas hold. */
  replicas?: Replicas;
  /** The LLM endpoints' token budgets and default MCP endpoint (see llm/llm-handler.ts). */
  llm?: Pick<LlmDeps, "budgets" | "security">;
}

/** 405 for a method /mcp does not serve. */
function methodNotAllowed(_request: Request, response: Response): void {
  response
    .status(405)
    .setHeader("allow", "GET, POST, DELETE")
    .json({ jsonrpc: "2.0", id: null, error: { code: -32600, message: "method not allowed" } });
}

/** The broker's endpoints, each answered at exactly this path (case-sensitive, no trailing slash). */
const BROKER_PATHS = ["/mcp", "/healthz", "/readyz", "/status", "/metrics", PROTECTED_RESOURCE_WELL_KNOWN];

/**
 * What every endpoint request passes before its body is read: DNS-rebinding protection first (a foreign Host or Origin
 * gets 403 before anything is read), then at the edge CORS and header sizes, then who the caller is; as in Envoy mode,
 * where the router sees the body only once the headers have passed.
 */
function requestGate(context: GatewayContext, edge: boolean): RequestHandler[] {
  const checkHostAndOrigin: RequestHandler = function checkHostAndOrigin(request, response, next) {
    const denied = context.hostGuard().check(lowerHeaders(request));
    if (denied) sendError(response, denied);
    else next();
  };
  return [checkHostAndOrigin, ...(edge ? [createEdgeChecks(context)] : []), createCallerResolver(context, edge)];
}

/** Builds the broker's Express app (without listening): /mcp, /v1 (LLM) plus /healthz, /readyz, /status, /metrics. */
export function createBrokerApp(deps: BrokerAppDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  routeExactly(app);
  if (deps.accessLog) app.use(deps.accessLog);
  // /mcp, and any path of an endpoint's shape: whether it is one (to the caller) is decided once it is authenticated
  // (see caller.ts), so no credentials learn nothing of which servers exist.
  app.use(
    exactPaths(
      [...BROKER_PATHS, ...LLM_PATHS, CONSOLE_PATH],
      [`${PROTECTED_RESOURCE_WELL_KNOWN}/`, `${CONSOLE_PATH}/`],
      isEndpointShaped,
    ),
  );
  const routeDeps = {
    context: deps.context,
    hub: deps.hub,
    metrics: deps.metrics,
    ...(deps.relay ? { relay: deps.relay } : {}),
  };
  // The body is read raw and parsed by core, so every malformed body gets the same JSON-RPC error as in the router.
  const rawBody = rawBodyReader(() => deps.context.config().limits.maxBodyBytes);
  const gate = requestGate(deps.context, deps.edge ?? deps.forwarder !== undefined);
  const { modern } = deps;
  // Legacy clients' calls to 2026 upstreams (and their answers to relayed requests) reach the broker in both modes.
  const bridge = createLegacyBridge(deps.context, deps.hub, deps.replicas?.id);
  // Standalone: the forwarder answers refusals and forwards calls to upstreams (2026 upstreams for modern clients);
  // every other modern request goes to the SDK v2 front end, legacy ones on to the bridge and the session handler.
  const tracing = createRequestTracing(deps.context);
  const post = [
    ...gate,
    rawBody,
    ...(tracing ? [tracing] : []),
    ...(deps.replicas ? [deps.replicas.middleware] : []),
    ...(deps.forwarder ? [deps.forwarder] : []),
    modern.middleware,
    bridge.post,
    createPostHandler(routeDeps),
  ];
  // POST /mcp, the hot path, runs its handlers as one chain (see handlerChain), taken before Express's router unless
  // the access log (mounted first) must see it; other methods go through Express.
  mountPostChain(app, handlerChain(post, methodNotAllowed), !deps.accessLog);
  // GET, DELETE and the rest, at every endpoint: a body outside POST is refused after authentication, as the router
  // does.
  const streamTracing = createStreamTracing(deps.context);
  const traced = streamTracing ? [streamTracing] : [];
  const byMethod = new Map<string, RequestHandler>([
    ["GET", handlerChain([...traced, createGetHandler(routeDeps)], methodNotAllowed)],
    ["DELETE", handlerChain([...traced, bridge.onDelete, createDeleteHandler(routeDeps)], methodNotAllowed)],
  ]);
  const otherChain = handlerChain([...gate, refuseBodyOutsidePost], function dispatchMethod(request, response, next) {
    (byMethod.get(request.method) ?? methodNotAllowed)(request, response, next);
  });
  app.use(function mcpOther(request, response, next) {
    if (isEndpointShaped(request.path)) otherChain(request, response, next);
    else next();
  });
  app.use(bodyErrorHandler);

  // MCP authorization discovery (RFC 9728): public, and served behind Envoy too (the router lets it through).
  app.get(
    [PROTECTED_RESOURCE_WELL_KNOWN, `${PROTECTED_RESOURCE_WELL_KNOWN}/*rest`],
    createProtectedResourceHandler(deps.context),
  );

  addOtherRoutes(app, deps);
  return app;
}

/** The LLM endpoints, the operations endpoints and the console. */
function addOtherRoutes(app: Express, deps: BrokerAppDeps): void {
  // Exact POST routes: /mcp's middlewares above only take endpoint-shaped paths, which /v1/* is not.
  const edge = deps.edge ?? deps.forwarder !== undefined;
  mountLlmRoutes(app, deps.context, edge, { ...deps.llm, metrics: deps.metrics.llm });
  addOperationsRoutes(app, deps);
  mountConsole(app, deps.context);
}

/** /healthz, /readyz, /status and /metrics: unauthenticated operations endpoints (bind them to a private network). */
function addOperationsRoutes(app: Express, deps: BrokerAppDeps): void {
  app.get("/healthz", (_request, response) => {
    response.json({ status: "ok" });
  });
  app.get("/readyz", (_request, response) => {
    // Ready means serving the current config correctly: once an upstream is ready, or at once with none configured
    // (initialize, empty lists and unknown-tool errors are then the correct answers; unready would drop every pod).
    const statuses = deps.context.upstreams.statuses();
    const ready = statuses.length === 0 || statuses.some((s) => s.state === "ready");
    response
      .status(ready ? 200 : 503)
      .json({ ready, upstreams: statuses.map((s) => ({ name: s.name, state: s.state })) });
  });
  app.get("/status", (_request, response) => {
    response.json({
      upstreams: deps.context.upstreams.statuses(),
      conflicts: deps.context.upstreams.catalog().conflicts,
      openStreams: deps.hub.size,
      // Restart-only fields a reload changed: still as started until the process restarts.
      restartRequired: deps.context.restartRequired(),
    });
  });
  app.get("/metrics", async (_request, response) => {
    // Reset first: a server removed by a config reload must vanish, not stay frozen at its last value.
    deps.metrics.upstreamUp.reset();
    deps.metrics.upstreamTools.reset();
    for (const status of deps.context.upstreams.statuses()) {
      deps.metrics.upstreamUp.set({ server: status.name }, status.state === "ready" ? 1 : 0);
      deps.metrics.upstreamTools.set({ server: status.name }, status.toolCount);
    }
    setPoolGauges(deps.metrics, deps.context);
    deps.metrics.openStreams.set(deps.hub.size);
    deps.metrics.openSessions.set(deps.hub.sessions().length);
    const registry = Registry.merge([deps.metrics.registry, ...(deps.extraRegistries ?? [])]);
    response.setHeader("content-type", registry.contentType).send(await registry.metrics());
  });
}

/** Each configured upstream's call connections and streams (counted per origin: servers on one origin share them). */
function setPoolGauges(metrics: BrokerMetrics, context: GatewayContext): void {
  const gauges = [metrics.upstreamConnectionsInUse, metrics.upstreamConnectionsQueued, metrics.upstreamStreamsOpen];
  for (const gauge of gauges) gauge.reset();
  for (const server of context.config().servers) {
    const labels = { server: server.name };
    const calls = context.http.callConnections(server.url);
    metrics.upstreamConnectionsInUse.set(labels, calls.inUse);
    metrics.upstreamConnectionsQueued.set(labels, calls.queued);
    metrics.upstreamStreamsOpen.set(labels, context.http.openStreams(server.url));
  }
}
