import type { Catalog } from "./catalog/catalog";
import { restartRequired } from "./config/reload-fields";
import type { GatewayConfig } from "./config/schema";
import type { Logger } from "./logging";
import { createSecurity, type Security, type SecurityOptions } from "./policy/create-security";
import { RequestStateCodec } from "./modern/request-state";
import { TaskIdCodec } from "./modern/task-ids";
import { RequestPipeline } from "./routing/pipeline";
import { CorsPolicy } from "./security/cors";
import { HostGuard } from "./security/host-guard";
import { BackendSessionManager, type BackendSessionOutcome } from "./session/backend-sessions";
import type { BackendSession, BackendSessionStore } from "./session/backend-store";
import { ephemeralSessionSecret, GatewaySessionCodec } from "./session/gateway-session";
import { MemoryBackendSessionStore } from "./session/memory-store";
import { SessionEnder, type SessionEndReason, type SessionEndResult } from "./session/session-ender";
import { RedisBackendSessionStore } from "./session/redis-store";
import { UpstreamHttp } from "./upstream/upstream-http";
import { UpstreamManager } from "./upstream/upstream-manager";
import { createTracing, type GatewayTracing } from "./tracing/tracing";
import { UpstreamCredentials } from "./upstream-auth/upstream-credentials";

/** The gateway's identity towards upstreams. */
export const GATEWAY_CLIENT_INFO = { name: "mcp-gateway", version: "0.1.0" } as const;

/** Options of {@link createGatewayContext}. */
export interface GatewayContextOptions {
  logger: Logger;
  /** True when this process runs next to a peer in another process (router or broker alone): memory stores are refused. */
  splitDeployment?: boolean;
  /** The gateway's own public listener (standalone); undefined behind Envoy. Sets the default Host check. */
  publicListen?: string;
  /**
   * False for a broker behind a router in another process: it trusts the router's signed identity header and neither
   * authenticates, rate-limits nor audits itself. Default true.
   */
  enforcesSecurity?: boolean;
  /** Told about every security refusal (metrics). */
  onSecurityDecision?: SecurityOptions["onDecision"];
  onCatalogChange?: (catalog: Catalog, previous: Catalog) => void;
  /**
   * A reloaded config is in force (consumers and policies included), before its server changes are applied: the
   * broker tells connected clients whose lists the new policies changed.
   */
  onReconfigure?: () => void;
  onBackendSession?: (server: string, outcome: BackendSessionOutcome) => void;
  /** A backend session the gateway stopped using was ended upstream, or could not be (metrics). */
  onBackendSessionEnd?: (server: string, reason: SessionEndReason, result: SessionEndResult) => void;
  /** A backend session was created in this process (the broker relays its notifications). */
  onBackendSessionCreated?: (gatewaySession: string, server: string, session: BackendSession) => void | Promise<void>;
}

/** Everything the router and the broker share in one process: config, sessions, stores, upstreams, pipeline. */
export interface GatewayContext {
  config(): GatewayConfig;
  /** The process logger (structured, never secrets). */
  readonly logger: Logger;
  readonly sessions: GatewaySessionCodec;
  /** Seals and opens the MRTR `requestState` of modern clients (key derived from `sessions.secret`). */
  readonly requestStates: RequestStateCodec;
  readonly store: BackendSessionStore;
  readonly http: UpstreamHttp;
  readonly backendSessions: BackendSessionManager;
  readonly upstreams: UpstreamManager;
  /** Upstream credentials (`servers[].auth`): tokens for every request the gateway itself sends to an upstream. */
  readonly credentials: UpstreamCredentials;
  readonly pipeline: RequestPipeline;
  /** Authentication, policy, rate limits, audit and redaction. */
  readonly security: Security;
  /** OpenTelemetry tracing; undefined when `tracing.enabled` is false (read at start, like the session store). */
  readonly tracing: GatewayTracing | undefined;
  /** CORS for allowed browser origins; rebuilt on reload. */
  cors(): CorsPolicy;
  /** DNS-rebinding protection (Host/Origin); rebuilt on reload. */
  hostGuard(): HostGuard;
  /** Applies a hot-reloaded config; the restart-only fields (see `RELOAD_EFFECTS`) stay as started. */
  reconfigure(config: GatewayConfig): Promise<void>;
  /** The restart-only fields the config in force changes from the one this process started with (see `/status`). */
  restartRequired(): readonly string[];
  close(): Promise<void>;
}

async function openStore(config: GatewayConfig, options: GatewayContextOptions): Promise<BackendSessionStore> {
  const store = config.sessions.store;
  if (store === "memory") {
    if (options.splitDeployment) {
      throw new Error(
        'sessions.store: "memory" cannot be shared between a router and a broker in separate processes; set a redis:// URL or run both in one process (mcp-gateway envoy)',
      );
    }
    return new MemoryBackendSessionStore(config.sessions.maxBackendSessions);
  }
  return RedisBackendSessionStore.connect(store);
}

/** The configured session secret, or (one process only) a random one with a warning. */
function sessionSecret(config: GatewayConfig, options: GatewayContextOptions): string {
  if (config.sessions.secret !== undefined) return config.sessions.secret;
  if (options.splitDeployment) {
    throw new Error("sessions.secret is required when the router and the broker run in separate processes");
  }
  options.logger.warn("sessions.secret is not set: using a random secret, so sessions end when this process restarts");
  return ephemeralSessionSecret();
}

function backendSessionManager(
  config: () => GatewayConfig,
  options: GatewayContextOptions,
  store: BackendSessionStore,
  http: UpstreamHttp,
): BackendSessionManager {
  const initTimeoutMs = config().sessions.backendInitTimeout;
  const ender = new SessionEnder({
    http,
    timeoutMs: initTimeoutMs,
    logger: options.logger.child({ component: "backend-sessions" }),
    ...(options.onBackendSessionEnd ? { onEnd: options.onBackendSessionEnd } : {}),
  });
  const manager = new BackendSessionManager({
    store,
    http,
    ender,
    idleTimeoutMs: () => config().sessions.backendIdleTimeout,
    targets: () => config().servers,
    initTimeoutMs,
    clientInfo: GATEWAY_CLIENT_INFO,
    logger: options.logger.child({ component: "backend-sessions" }),
    ...(options.onBackendSession ? { onAcquire: options.onBackendSession } : {}),
    ...(options.onBackendSessionCreated ? { onCreated: options.onBackendSessionCreated } : {}),
  });
  manager.startSweeping();
  return manager;
}

/** Servers of `before` that `after` removes, or moves to another url: their backend sessions are ended. */
function removedServers(before: GatewayConfig, after: GatewayConfig): GatewayConfig["servers"] {
  const urls = new Map(after.servers.map((server) => [server.name, server.url]));
  return before.servers.filter((server) => urls.get(server.name) !== server.url);
}

/** The security runtime; with `auth: none`, a warning that the gateway is open. */
async function openSecurity(config: GatewayConfig, options: GatewayContextOptions, secret: string): Promise<Security> {
  if (config.auth === "none") {
    options.logger.warn(
      "auth: none — every client may call every tool without credentials; configure consumers before production",
    );
  }
  return createSecurity(config, {
    logger: options.logger,
    secret,
    enforces: options.enforcesSecurity ?? true,
    onDecision: options.onSecurityDecision,
  });
}

function warnIfHostsUnchecked(hostGuard: HostGuard, logger: Logger): void {
  if (hostGuard.checksHosts) return;
  logger.warn(
    "security.allowedHosts is not set: Host headers are not checked (DNS rebinding protection); list the names clients use",
  );
}

/** The upstream HTTP client: the call pool sized once from `limits`, the stream budget following reloads. */
function upstreamHttp(config: () => GatewayConfig, logger: Logger, credentials: UpstreamCredentials): UpstreamHttp {
  return new UpstreamHttp({
    logger,
    credentials,
    callConnections: config().limits.maxUpstreamConnections,
    maxStreams: () => config().limits.maxUpstreamStreams,
  });
}

/** The upstream manager (discovery, health, catalog), told about catalog changes. */
function upstreamManager(
  config: GatewayConfig,
  options: GatewayContextOptions,
  credentials: UpstreamCredentials,
): UpstreamManager {
  return new UpstreamManager(config.health, {
    credentials,
    logger: options.logger.child({ component: "upstreams" }),
    clientInfo: GATEWAY_CLIENT_INFO,
    ...(options.onCatalogChange ? { onCatalogChange: options.onCatalogChange } : {}),
  });
}

/** Upstream credentials; refuses to start a split deployment with a refresh-token store it cannot share. */
function upstreamCredentials(config: GatewayConfig, options: GatewayContextOptions): UpstreamCredentials {
  const credentials = new UpstreamCredentials({ splitDeployment: options.splitDeployment ?? false });
  const unshared = credentials.unsharedStores(config.servers);
  if (unshared.length > 0)
    throw new Error(
      `servers ${unshared.join(", ")}: auth.store.file cannot be shared by a router and a broker in separate processes; use store.redis or store.postgres, or run both in one process (mcp-gateway envoy)`,
    );
  return credentials;
}

/** Tracing as a part to close (nothing when it is off). */
function tracingCloser(tracing: { shutdown(): Promise<unknown> } | undefined): {
  close(): Promise<unknown> | undefined;
} {
  return { close: () => tracing?.shutdown() };
}

/** Closes each part after the one before it has closed. */
async function closeInOrder(parts: readonly { close(): Promise<unknown> | undefined }[]): Promise<void> {
  for (const part of parts) await part.close();
}

/** Builds the shared runtime from a validated config and starts discovering upstreams. */
export async function createGatewayContext(
  initial: GatewayConfig,
  options: GatewayContextOptions,
): Promise<GatewayContext> {
  let config = initial;
  const { logger } = options;
  const secret = sessionSecret(config, options);
  const store = await openStore(config, options);
  const sessions = new GatewaySessionCodec(secret, () => config.sessions.ttl);
  const requestStates = new RequestStateCodec(secret);
  const credentials = upstreamCredentials(config, options);
  const http = upstreamHttp(() => config, logger.child({ component: "upstream-http" }), credentials);
  const security = await openSecurity(config, options, secret);
  const backendSessions = backendSessionManager(() => config, options, store, http);
  const upstreams = upstreamManager(config, options, credentials);
  const tracing = createTracing(config.tracing, GATEWAY_CLIENT_INFO.version, () => security.gate.anyCallRedactor());
  const pipeline = new RequestPipeline({
    config: () => config,
    catalog: (endpoint) => upstreams.catalogFor(endpoint),
    ...{ sessions, store, backendSessions, security: security.gate },
    logger: logger.child({ component: "pipeline" }),
    generation: (server) => upstreams.generation(server),
    // Gateway task ids verify on every replica that holds sessions.secret (see modern/task-ids.ts).
    taskIds: new TaskIdCodec(secret),
    credentials,
    awaitNewServers: (timeoutMs) => upstreams.awaitNewServers(timeoutMs),
  });
  await upstreams.configure(config);
  let cors = new CorsPolicy(config);
  let hostGuard = new HostGuard(config, options.publicListen);
  warnIfHostsUnchecked(hostGuard, logger);
  return {
    config: () => config,
    logger,
    sessions,
    requestStates,
    store,
    http,
    backendSessions,
    upstreams,
    credentials,
    pipeline,
    security,
    tracing,
    cors: () => cors,
    hostGuard: () => hostGuard,
    async reconfigure(next) {
      // The new config is in force at once (synchronously: a caller may read restartRequired() right after); the
      // sessions of removed or moved servers are ended beside the upstreams' reconfiguration.
      const removed = removedServers(config, next);
      config = next;
      hostGuard = new HostGuard(next, options.publicListen);
      cors = new CorsPolicy(next);
      security.reconfigure(next);
      options.onReconfigure?.();
      await Promise.all([...removed.map((server) => backendSessions.endServer(server)), upstreams.configure(next)]);
    },
    restartRequired: () => restartRequired(initial, config),
    // Backend sessions first: their DELETEs need the HTTP client and the store.
    close: () => closeInOrder([backendSessions, upstreams, security, http, credentials, store, tracingCloser(tracing)]),
  };
}
