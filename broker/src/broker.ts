import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Express, RequestHandler } from "express";
import {
  AccessPolicy,
  capText,
  type AccessLogWriter,
  createCallBridge,
  type BackendSession,
  type CallBridge,
  type Caller,
  type Catalog,
  type GatewayContext,
  type Logger,
  resolveEndpoint,
  type Security,
  type TokenBudgets,
} from "@mcp-gateway/core";
import type { Registry } from "prom-client";
import { createAccessLog, type TraceIdHook } from "./access-log";
import { createBrokerApp, type BrokerAppDeps } from "./app";
import { createBoundedServer } from "./http-server";
import { expressServerClasses } from "./post-chain";
import { ConsumerViews, currentIdentity, type ViewRound } from "./consumer-views";
import { watchConsumers, type ConsumerWatch } from "./consumer-watch";
import { BrokerMetrics } from "./metrics";
import { keepaliveIntervalMs, NotificationHub } from "./notification-hub";
import { createStandaloneForwarder } from "./standalone-forwarder";
import { UpstreamRelay } from "./upstream-relay";
import { createModernFrontEnd, type ModernFrontEnd, type UpstreamListHint } from "./modern";
import { createReplicas, type Replicas } from "./replicas";

/** A built broker: its app, notification hub and metrics. */
export interface Broker {
  app: Express;
  hub: NotificationHub;
  metrics: BrokerMetrics;
  /** Starts relaying a new backend session's own notifications; wire it to the context's `onBackendSessionCreated`. */
  onBackendSessionCreated(gatewaySession: string, server: string, session: BackendSession): Promise<void>;
  /** Relays list changes to each connected client whose view changed; wire it to the context's `onCatalogChange`. */
  onCatalogChange(catalog: Catalog, previous: Catalog): void;
  /**
   * Tells each connected client whose view a reloaded config changed (consumers, policies) which lists changed; wire
   * it to the context's `onReconfigure`.
   */
  onConfigReloaded(): void;
  /**
   * Tells the connected clients of a consumer of the admin API whose policy was just changed in this process which of
   * their lists changed (a consumer in the config file changes by reload, see `onConfigReloaded`).
   */
  onConsumerPolicyChanged(consumer: string, policy: string): void;
  /** Ends the open GET and listen streams of a consumer of the admin API just revoked (here or in another process). */
  onConsumerRevoked(consumer: string): void;
  /** Listens on `host:port` (port 0 = any); resolves to the bound port. */
  listen(host: string, port: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * Listens with a plain http server (Express 5's `app.listen` hands a listen error to its callback, no rejection),
 * bounded by `limits.requestTimeout` as configured at start-up.
 */
function listenHttp(app: Express, host: string, port: number, requestTimeoutMs: number): Promise<Server> {
  const listening = createBoundedServer(app, { requestTimeoutMs }, expressServerClasses(app));
  return new Promise((resolve, reject) => {
    listening.once("error", reject);
    listening.listen(port, host, () => {
      listening.off("error", reject);
      resolve(listening);
    });
  });
}

/** The gateway's access log (`accessLog` in the config); absent when it is off. */
export interface BrokerAccessLog {
  writer: AccessLogWriter;
  /** Where a line's trace id comes from (default: the client's `traceparent` header); see {@link TraceIdHook}. */
  traceId?: TraceIdHook;
}

/**
 * The access-log middleware: standalone is the edge and makes each request's id; behind Envoy the broker takes the id
 * Envoy made (`x-request-id`), so both lines of one request share it.
 */
function accessLogDeps(
  context: GatewayContext,
  { accessLog: access, standalone = false }: { accessLog?: BrokerAccessLog; standalone?: boolean },
): { accessLog?: RequestHandler } {
  if (!access) return {};
  const accessLog = createAccessLog({
    writer: access.writer,
    sessionDigest: (id) => context.security.gate.sessionDigest(id),
    ...(access.traceId ? { traceId: access.traceId } : {}),
    requestId: (request) => {
      const given = request.headers["x-request-id"];
      return !standalone && typeof given === "string" && given !== "" ? capText(given, 64) : randomUUID();
    },
  });
  return { accessLog };
}

/** Standalone mode's forwarder, counting forwarded calls in the broker's metrics. */
function standaloneForwarder(context: GatewayContext, metrics: BrokerMetrics) {
  return createStandaloneForwarder(context, {
    forwarded: (server, outcome) => metrics.forwardedCalls.inc({ server, outcome }),
    requestFinished: (request, seconds) => metrics.observeRequest(request, seconds),
  });
}

const LIST_METHODS = {
  tools: "tools/list",
  prompts: "prompts/list",
  resources: "resources/list",
  resourceTemplates: "resources/templates/list",
} as const;

/** The cache hint a 2026 upstream gave with one of its lists at its last listing (none for 2025 upstreams). */
function upstreamListHint(context: GatewayContext): UpstreamListHint {
  return (server, kind) => context.upstreams.listHints(server)[LIST_METHODS[kind]];
}

/** The 2026-07-28 front end, its call bridge to 2025 upstreams, and this process among the replicas holding calls. */
interface ModernParts {
  front: ModernFrontEnd;
  bridge: CallBridge;
  replicas: Replicas;
}

function modernParts(context: GatewayContext, logger: Logger, standalone: boolean): ModernParts {
  const replicas = createReplicas(context, logger, { standalone });
  const bridge = createCallBridge(context, { replica: replicas.id });
  const front = createModernFrontEnd({ context, callUpstream: bridge.call, upstreamHint: upstreamListHint(context) });
  return { front, bridge, replicas };
}

/** Sees everything: the view of a stream registered without its caller. */
const ANYONE: Caller = {
  identity: { consumer: "anonymous", policy: "open", method: "anonymous" },
  policy: AccessPolicy.open(),
};

/**
 * Connected callers' policies under the config in force now (a reload may have changed them), and for consumers of the
 * admin API the policy an admin last gave them in this process (`changedPolicies`, by consumer name).
 */
function consumerViews(context: GatewayContext, changedPolicies: ReadonlyMap<string, string>): ConsumerViews {
  const policy = (caller: Caller): AccessPolicy => {
    if (caller.identity.method === "anonymous") return caller.policy;
    const identity = currentIdentity(context.config(), caller.identity);
    const changed = changedPolicies.get(identity.consumer);
    const isConfigured = context.config().consumers.some((consumer) => consumer.name === identity.consumer);
    const effective = changed !== undefined && !isConfigured ? { ...identity, policy: changed } : identity;
    return context.security.gate.caller(effective).policy;
  };
  return new ConsumerViews(policy, {
    // The endpoint now at the caller's path (a reload may redefine a virtual server); gone: as it was.
    current: (caller) => {
      const endpoint = caller.endpoint;
      return endpoint && (resolveEndpoint(context.config(), endpoint.path) ?? endpoint);
    },
    catalogAt: (catalog, endpoint) => context.upstreams.catalogFor(endpoint, catalog),
  });
}

/** The callers of the open GET streams (undefined: registered without one) and listen streams. */
function streamCallers(hub: NotificationHub, modern: ModernParts | undefined): (Caller | undefined)[] {
  return [...hub.viewers().map(([, caller]) => caller), ...(modern?.front.listeners() ?? [])];
}

/** Ends a revoked admin-API consumer's GET streams (their sessions) and listen streams. */
function closeConsumerStreams(consumer: string, { hub, modern, logger }: Omit<ListRelay, "metrics">): void {
  let closed = modern?.front.closeConsumer(consumer) ?? 0;
  for (const [session, caller] of hub.viewers()) {
    if (caller?.identity.consumer !== consumer || caller.identity.method !== "api-key") continue;
    hub.closeSession(session);
    closed++;
  }
  if (closed > 0) logger.info("closed a revoked consumer's streams", { consumer, closed });
}

/** What {@link relayListChanges} tells and counts with. */
interface ListRelay {
  hub: NotificationHub;
  modern: ModernParts | undefined;
  metrics: BrokerMetrics;
  logger: Logger;
}

/** Sends each GET stream's session, then each listen stream, the list changes of its own caller's view. */
function relayListChanges(round: ViewRound, { hub, modern, metrics, logger }: ListRelay): void {
  const sent = new Map<string, number>();
  for (const [session, caller] of hub.viewers()) {
    // A stream registered without its caller (none today) hears every change, as before views existed.
    for (const method of round.changes(caller ?? ANYONE)) {
      if (hub.notify(session, { jsonrpc: "2.0", method })) sent.set(method, (sent.get(method) ?? 0) + 1);
    }
  }
  modern?.front.onListChanges(round);
  round.commit();
  // Upstreams come and go at start-up and on every reload: a change nobody was told of is not news (not logged).
  for (const [method, sessions] of sent) {
    metrics.notifications.inc({ kind: method.split("/")[1] ?? "other" }, sessions);
    logger.info("relayed list change", { method, sessions });
  }
}

/** Options of {@link createBroker}. */
export interface BrokerOptions {
  standalone?: boolean;
  accessLog?: BrokerAccessLog;
  /** The LLM endpoints' token budgets per consumer (policies' `llm.tokens`); without them such policies get 503. */
  tokenBudgets?: TokenBudgets;
  /** The security runtime the LLM endpoints use in a broker behind a router in another process (see LlmDeps). */
  llmSecurity?: Security;
}

/** The app's optional parts: the access log, the LLM endpoints' token budgets. */
function optionalAppDeps(context: GatewayContext, options: BrokerOptions): Partial<BrokerAppDeps> {
  return {
    ...accessLogDeps(context, options),
    llm: { budgets: options.tokenBudgets, security: options.llmSecurity },
  };
}

/** Stops listening and ends every open connection. */
function closeHttp(server: Server | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!server) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * Builds the broker; with `standalone`, it also forwards routed calls itself (one process serves /mcp completely).
 * The hub exists before the context starts discovering upstreams, so create the broker first and pass `broker.onCatalogChange` to `createGatewayContext`, then call `attach(context)`.
 */
export function createBroker(
  logger: Logger,
  given?: BrokerMetrics,
  extraRegistries: readonly Registry[] = [],
  options: BrokerOptions = {},
): Broker & { attach(context: GatewayContext): void } {
  const metrics = given ?? new BrokerMetrics({ standalone: options.standalone ?? false });
  const hub = new NotificationHub();
  let app: Express | undefined;
  let relay: UpstreamRelay | undefined;
  let modern: ModernParts | undefined;
  let server: Server | undefined;
  let views: { of: ConsumerViews; catalog: () => Catalog } | undefined;
  let watch: ConsumerWatch | undefined;
  let requestTimeoutMs = 30_000;
  const changedPolicies = new Map<string, string>();
  const broker = {
    hub,
    metrics,
    get app(): Express {
      if (!app) throw new Error("broker not attached to a gateway context");
      return app;
    },
    attach(context: GatewayContext): void {
      const forwarder = options.standalone ? standaloneForwarder(context, metrics) : undefined;
      const attached = (relay = new UpstreamRelay(context, hub, logger));
      hub.onSessionClosed = (session) => attached.stop(session);
      views = { of: consumerViews(context, changedPolicies), catalog: () => context.upstreams.catalog() };
      requestTimeoutMs = context.config().limits.requestTimeout;
      hub.keepaliveEvery(() => keepaliveIntervalMs(context.config().limits.streamIdleTimeout));
      modern = modernParts(context, logger, options.standalone ?? false);
      const deps = { context, hub, metrics, relay, extraRegistries, modern: modern.front, replicas: modern.replicas };
      app = createBrokerApp({ ...deps, ...(forwarder ? { forwarder } : {}), ...optionalAppDeps(context, options) });
      watch = watchConsumers(context, broker, () => streamCallers(hub, modern), { changedPolicies, logger });
    },
    async onBackendSessionCreated(gatewaySession: string, server: string, session: BackendSession): Promise<void> {
      await relay?.onBackendSession(gatewaySession, server, session);
    },
    onCatalogChange(catalog: Catalog, previous: Catalog): void {
      if (views) relayListChanges(views.of.round(previous, catalog), { hub, modern, metrics, logger });
    },
    onConfigReloaded(): void {
      const catalog = views?.catalog();
      if (views && catalog) relayListChanges(views.of.round(catalog, catalog), { hub, modern, metrics, logger });
    },
    onConsumerPolicyChanged(consumer: string, policy: string): void {
      changedPolicies.set(consumer, policy);
      broker.onConfigReloaded();
    },
    onConsumerRevoked: (consumer: string) => closeConsumerStreams(consumer, { hub, modern, logger }),
    async listen(host: string, port: number): Promise<number> {
      server = await listenHttp(broker.app, host, port, requestTimeoutMs);
      const bound = (server.address() as AddressInfo).port;
      await modern?.replicas.start(host, bound);
      return bound;
    },
    close: () => closeBroker(hub, relay, modern, server, watch).then(() => options.accessLog?.writer.close()),
  };
  return broker;
}

/**
 * Stops a broker: its consumer watch and replica registration first (other replicas stop sending it retries), then
 * streams, then HTTP.
 */
async function closeBroker(
  hub: NotificationHub,
  relay: UpstreamRelay | undefined,
  modern: ModernParts | undefined,
  server: Server | undefined,
  watch: ConsumerWatch | undefined,
): Promise<void> {
  watch?.close();
  await modern?.replicas.close();
  relay?.close();
  hub.closeAll();
  await modern?.front.close();
  modern?.bridge.close();
  await closeHttp(server);
}
