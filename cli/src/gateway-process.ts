import type { Server } from "node:http";
import {
  createAccessLogWriter,
  createGatewayContext,
  ConfigWatcher,
  stdioBridgeToken,
  stdioBridgeUrl,
  withStdioBridgeToken,
  type AuditLog,
  type GatewayConfig,
  type GatewayContext,
  type Logger,
} from "@mcp-gateway/core";
import {
  BrokerMetrics,
  createAdminApp,
  createBoundedServer,
  createBroker,
  isStdioServer,
  StdioBridge,
  type Broker,
} from "@mcp-gateway/broker";
import {
  createMetricsServer,
  createRouter,
  RouterMetrics,
  SecurityMetrics,
  SessionEndMetrics,
  type Router,
} from "@mcp-gateway/router";
import { splitHostPort } from "./args";
import { openLlmRuntime, type LlmRuntime } from "./llm-runtime";

/** Which parts of the gateway this process runs. */
export interface Roles {
  router: boolean;
  broker: boolean;
  /** Standalone: the broker also forwards routed calls itself and listens on `standalone.listen`. */
  standalone?: boolean;
}

/** Options of {@link startGatewayProcess}. */
export interface GatewayProcessOptions {
  config: GatewayConfig;
  configPath?: string;
  env: Readonly<Record<string, string | undefined>>;
  roles: Roles;
  logger: Logger;
  /** Where ready lines go (stdout): tests and operators read the bound addresses from them. */
  announce: (line: string) => void;
}

/** A running gateway process. */
export interface GatewayProcess {
  context: GatewayContext;
  routerPort?: number;
  brokerPort?: number;
  close(): Promise<void>;
}

/**
 * Starts the router, the broker, or both. Both in one process share one context (store, catalog, sessions), which
 * is the default for a single replica; alone, each needs the shared Redis store and an explicit session secret.
 */
export async function startGatewayProcess(options: GatewayProcessOptions): Promise<GatewayProcess> {
  const { config, roles, logger } = options;
  // Together (or standalone), the broker's /metrics also serves the routing metrics: one scrape target per process,
  // and its process metrics are exported once, by the broker's registry.
  const labels = { toolLabel: config.metrics.toolLabel, toolLabelLimit: config.metrics.toolLabelLimit };
  const routerMetrics = new RouterMetrics({ ...labels, defaultMetrics: !roles.broker, extProc: roles.router });
  const brokerMetrics = roles.broker
    ? new BrokerMetrics({
        ...labels,
        consumerLabel: config.metrics.consumerLabel,
        consumerLabelLimit: config.metrics.consumerLabelLimit,
        standalone: roles.standalone ?? false,
      })
    : undefined;
  const llm = await openLlmRuntime(config, roles, logger);
  const broker = brokerMetrics ? brokerOf(options, brokerMetrics, routerMetrics, llm) : undefined;
  // The stdio bridge's credential: every request to it carries the token (stdio servers' upstream headers).
  const bridgeToken = stdioBridgeToken(config.sessions.secret);
  const bridges = new BridgeHolder(roles.broker ? await startStdioBridge(options, config, bridgeToken) : undefined);
  let audit: () => AuditLog | undefined = () => undefined;
  const security = new SecurityMetrics(routerMetrics.registry, () => audit());
  // Router and broker both end backend sessions: counted in whichever registry this process serves.
  const sessionEnds = new SessionEndMetrics(brokerMetrics?.registry ?? routerMetrics.registry);
  const context = await createGatewayContext(withStdioBridgeToken(config, bridgeToken), {
    onSecurityDecision: (decision, reason) => security.refusal(decision, reason),
    logger,
    splitDeployment: roles.router !== roles.broker && !roles.standalone,
    // A broker behind a router in another process trusts the router's signed identity and enforces nothing itself.
    enforcesSecurity: roles.router || roles.standalone === true,
    ...(roles.standalone ? { publicListen: config.standalone.listen } : {}),
    onBackendSession: (server, outcome) => routerMetrics.backendSession(server, outcome),
    onBackendSessionEnd: (server, reason, result) => sessionEnds.end(server, reason, result),
    ...(broker
      ? {
          onCatalogChange: (c, p) => broker.onCatalogChange(c, p),
          onReconfigure: () => {
            llm?.reconfigure(context.config());
            broker.onConfigReloaded();
          },
          onBackendSessionCreated: (g, s, b) => broker.onBackendSessionCreated(g, s, b),
        }
      : {}),
  });
  audit = () => context.security.audit;
  const closers: (() => Promise<void>)[] = [];
  const running: GatewayProcess = { context, close: async () => undefined };
  const closeAll = async (): Promise<void> => {
    await Promise.all(closers.map((close) => close()));
    await context.close();
    await llm?.close();
    await bridges.close();
  };
  try {
    if (roles.router) running.routerPort = await startRouter(options, context, routerMetrics, closers);
    if (broker) running.brokerPort = await startBroker(options, context, broker, closers);
    if (context.security.registry) closers.push(await startAdmin(options, context, broker));
  } catch (error: unknown) {
    await closeAll();
    throw error;
  }
  if (options.configPath) closers.push(watchConfig(options, context, { bridges, token: bridgeToken }));
  running.close = closeAll;
  return running;
}

/** The broker of a process that runs one: its metrics (with the router's, together), access log and LLM runtime. */
function brokerOf(
  options: GatewayProcessOptions,
  brokerMetrics: BrokerMetrics,
  routerMetrics: RouterMetrics,
  llm: LlmRuntime | undefined,
): ReturnType<typeof createBroker> {
  const { config, roles, logger } = options;
  return createBroker(
    logger.child({ component: roles.standalone ? "gateway" : "broker" }),
    brokerMetrics,
    roles.router || roles.standalone ? [routerMetrics.registry] : [],
    {
      standalone: roles.standalone ?? false,
      ...(config.accessLog.enabled ? { accessLog: { writer: createAccessLogWriter(config.accessLog) } } : {}),
      ...(llm ? { tokenBudgets: llm.tokenBudgets } : {}),
      ...(llm?.llmSecurity ? { llmSecurity: llm.llmSecurity } : {}),
    },
  );
}

async function startRouter(
  options: GatewayProcessOptions,
  context: GatewayContext,
  metrics: RouterMetrics,
  closers: (() => Promise<void>)[],
): Promise<number> {
  const { config } = options;
  const router: Router = createRouter({ context, logger: options.logger.child({ component: "router" }), metrics });
  const port = await router.listen(config.router.listen);
  closers.push(() => router.shutdown());
  options.announce(
    `router (ext_proc gRPC) listening on ${splitHostPort(config.router.listen, "router.listen").host}:${port}`,
  );
  if (!options.roles.broker) closers.push(await serveRouterMetrics(config, metrics, options.announce));
  return port;
}

async function startBroker(
  options: GatewayProcessOptions,
  context: GatewayContext,
  broker: ReturnType<typeof createBroker>,
  closers: (() => Promise<void>)[],
): Promise<number> {
  const standalone = options.roles.standalone === true;
  broker.attach(context);
  const listen = standalone ? options.config.standalone.listen : options.config.broker.listen;
  const { host, port } = splitHostPort(listen, standalone ? "standalone.listen" : "broker.listen");
  const bound = await broker.listen(host, port);
  closers.push(() => broker.close());
  options.announce(`${standalone ? "gateway" : "broker"} listening on http://${host}:${bound}/mcp`);
  return bound;
}

/** The admin API (consumers and their keys) on its own listener, only in processes that authenticate. */
async function startAdmin(
  options: GatewayProcessOptions,
  context: GatewayContext,
  broker: Broker | undefined,
): Promise<() => Promise<void>> {
  const admin = options.config.admin;
  const registry = context.security.registry;
  if (!admin || !registry) throw new Error("admin API without admin config");
  const app = createAdminApp({
    registry,
    adminTokenHash: admin.tokenHash,
    logger: options.logger.child({ component: "admin" }),
    audit: context.security.audit,
    ...(context.security.auditTap ? { auditTap: context.security.auditTap } : {}),
    console: context,
    ...(broker
      ? {
          onPolicyChanged: (name, policy) => broker.onConsumerPolicyChanged(name, policy),
          onRevoked: (name) => broker.onConsumerRevoked(name),
        }
      : {}),
  });
  const { host, port } = splitHostPort(admin.listen, "admin.listen");
  const server = createBoundedServer(app, { requestTimeoutMs: options.config.limits.requestTimeout });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  options.announce(
    `admin API listening on http://${host}:${typeof address === "object" && address ? address.port : port}`,
  );
  return () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
}

/**
 * The stdio bridge, when the config has stdio servers (`servers[].command`); a process without them binds nothing.
 * Started before the context, which lists its upstreams at once: the stdio servers are among them, at the bridge's URL;
 * closed after it, whose close ends its upstream sessions (the stdio ones through the bridge).
 */
async function startStdioBridge(
  options: GatewayProcessOptions,
  config: GatewayConfig,
  token: string,
): Promise<StdioBridge | undefined> {
  if (!config.servers.some(isStdioServer)) return undefined;
  const bridge = new StdioBridge({
    logger: options.logger.child({ component: "stdio" }),
    initTimeoutMs: config.sessions.backendInitTimeout,
    idleTimeoutMs: config.sessions.backendIdleTimeout,
    maxBodyBytes: config.limits.maxBodyBytes,
    requestTimeoutMs: config.limits.requestTimeout,
    allowedHost: new URL(stdioBridgeUrl(config.stdioBridge.listen, "_")).host,
    token,
  });
  await bridge.reconfigure(config.servers);
  const { host, port } = splitHostPort(config.stdioBridge.listen, "stdioBridge.listen");
  const bound = await bridge.listen(host, port).catch(async (error: unknown) => {
    await bridge.close();
    throw error;
  });
  options.announce(`stdio bridge listening on http://${host}:${bound}`);
  return bridge;
}

/**
 * The process's stdio bridge, if any: a reload that brings the first stdio server starts it. Reloads apply in order,
 * each once the bridge it needs listens (the first calls to a new stdio server find it); close waits for a start.
 */
class BridgeHolder {
  private queue: Promise<void> = Promise.resolve();

  constructor(private bridge: StdioBridge | undefined) {}

  /** Reconfigures the running bridge (its processes stop in the background), or starts one, then runs `then`. */
  apply(options: GatewayProcessOptions, config: GatewayConfig, token: string, then: () => void): void {
    this.queue = this.queue.then(async () => {
      if (this.bridge) void this.bridge.reconfigure(config.servers, config.sessions.backendIdleTimeout);
      else if (options.roles.broker && config.servers.some(isStdioServer)) {
        this.bridge = await startStdioBridge(options, config, token).catch((error: unknown) => {
          options.logger.error("stdio bridge failed to start on reload: restart to serve stdio servers", {
            listen: config.stdioBridge.listen,
            error: error instanceof Error ? error.message : String(error),
          });
          return undefined;
        });
      }
      then();
    });
  }

  async close(): Promise<void> {
    await this.queue;
    await this.bridge?.close();
  }
}

function watchConfig(
  options: GatewayProcessOptions,
  context: GatewayContext,
  stdio: { bridges: BridgeHolder; token: string },
): () => Promise<void> {
  const { configPath: path = "", env, logger } = options;
  const watcher = new ConfigWatcher(path, {
    env,
    onReload: (config) => {
      logger.info("config reloaded", { path, servers: config.servers.length });
      stdio.bridges.apply(options, config, stdio.token, () => {
        const applying = context.reconfigure(withStdioBridgeToken(config, stdio.token));
        const restartRequired = context.restartRequired();
        if (restartRequired.length > 0) {
          logger.warn("config reloaded, but these changes take effect only after a restart", { path, restartRequired });
        }
        void applying;
      });
    },
    onError: (error) =>
      logger.error("config reload rejected; keeping the previous config", {
        path,
        error: error instanceof Error ? error.message : String(error),
      }),
  });
  watcher.start();
  return () => Promise.resolve(watcher.close());
}

async function serveRouterMetrics(
  config: GatewayConfig,
  metrics: RouterMetrics,
  announce: (line: string) => void,
): Promise<() => Promise<void>> {
  const { host, port } = splitHostPort(config.router.metricsListen, "router.metricsListen");
  const server: Server = createMetricsServer(metrics.registry, () => true);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  announce(`router metrics on http://${host}:${typeof address === "object" && address ? address.port : port}/metrics`);
  return () => new Promise((resolve) => server.close(() => resolve()));
}
