import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import type { ListedItem, ListedResource, ListedTemplate, UpstreamListing } from "../catalog/catalog";
import type { GatewayConfig, ServerConfig } from "../config/schema";
import type { Logger } from "../logging";
import { listAll, promptProblem, resourceProblem, templateProblem, toolProblem, validateItems } from "./listing";

/** Lifecycle state of one upstream as the gateway sees it. */
export type UpstreamState = "connecting" | "ready" | "unhealthy" | "invalid";

/** What `/status` shows for one upstream. */
export interface UpstreamStatus {
  name: string;
  url: string;
  state: UpstreamState;
  protocolVersion: string | undefined;
  toolCount: number;
  promptCount: number;
  resourceCount: number;
  droppedTools: readonly string[];
  lastError: string | undefined;
  lastCheckedAt: string | undefined;
}

/** Settings of an {@link UpstreamConnection}. */
export interface UpstreamConnectionOptions {
  health: GatewayConfig["health"];
  logger: Logger;
  clientInfo: { name: string; version: string };
  /** Called whenever the listing or state changes (the catalog must be rebuilt). */
  onChange: () => void;
}

/** A validation failure: the server answered but does not meet the gateway's requirements. */
class InvalidUpstream extends Error {}

/**
 * The broker's own MCP client session with one upstream: initialize and validate, list everything (paginated),
 * re-list on `list_changed`, ping on an interval and reconnect with exponential backoff. While it is not ready its
 * listing is withdrawn, so an unhealthy server's tools disappear and come back when it recovers.
 */
export class UpstreamConnection {
  private client: Client | undefined;
  private listing: UpstreamListing | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private relistAfterConnect = false;
  private closed = false;
  private refreshing: Promise<void> = Promise.resolve();
  private state: UpstreamState = "connecting";
  private protocolVersion: string | undefined;
  private droppedTools: string[] = [];
  private lastError: string | undefined;
  private lastCheckedAt: Date | undefined;
  private health: GatewayConfig["health"];
  /** The initialize exchange in flight (or the last one), never rejecting. */
  private initializing: Promise<unknown> = Promise.resolve();
  private settledOnce!: () => void;
  /** Resolves once the first connection attempt has finished, either way. */
  readonly firstAttempt = new Promise<void>((resolve) => (this.settledOnce = resolve));

  constructor(
    /** The server's config entry; replaced in place when a reload changes only its prefix or filters. */
    public server: ServerConfig,
    private readonly options: UpstreamConnectionOptions,
  ) {
    this.health = options.health;
  }

  /** Starts connecting in the background. */
  start(): void {
    void this.connect();
  }

  /** Applies new health-check settings (hot reload) from the next check or retry on, keeping the session. */
  setHealth(health: GatewayConfig["health"]): void {
    this.health = health;
  }

  /** The last listing received (kept while unhealthy, so calls stay routable), or undefined before the first. */
  lastListing(): UpstreamListing | undefined {
    return this.listing;
  }

  /** True while the upstream is connected and passing health checks. */
  isReady(): boolean {
    return this.state === "ready";
  }

  /** A snapshot for `/status`. */
  status(): UpstreamStatus {
    return {
      name: this.server.name,
      url: this.server.url,
      state: this.state,
      protocolVersion: this.protocolVersion,
      toolCount: this.listing?.tools.length ?? 0,
      promptCount: this.listing?.prompts.length ?? 0,
      resourceCount: this.listing?.resources.length ?? 0,
      droppedTools: this.droppedTools,
      lastError: this.lastError,
      lastCheckedAt: this.lastCheckedAt?.toISOString(),
    };
  }

  /** Stops health checks and closes the upstream session. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.settledOnce();
    // An initialize in flight may already have opened a session upstream: let it finish (it is bounded by the health
    // timeout) so the session id is known and ended, instead of aborting it and leaving the session behind.
    await this.initializing;
    await this.dropClient();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const log = this.options.logger;
    try {
      const client = new Client(this.options.clientInfo, { capabilities: {} });
      const transport = new StreamableHTTPClientTransport(new URL(this.server.url), {
        requestInit: { headers: { ...this.server.headers } },
        reconnectionOptions: {
          maxRetries: 0,
          initialReconnectionDelay: 1000,
          maxReconnectionDelay: 1000,
          reconnectionDelayGrowFactor: 1,
        },
      });
      this.client = client;
      client.onerror = () => undefined;
      const initialized = client.connect(transport, { timeout: this.health.timeout });
      this.initializing = initialized.catch(() => undefined);
      await initialized;
      if (this.closed) return; // close() ends the session just opened.
      this.protocolVersion = transport.protocolVersion;
      if (!client.getServerCapabilities()?.tools)
        throw new InvalidUpstream("server does not declare the tools capability");
      this.watchListChanges(client);
      await this.refresh(client);
      this.failures = 0;
      this.relistAfterConnect = true;
      this.setState("ready", undefined);
      log.info("upstream ready", {
        server: this.server.name,
        protocolVersion: this.protocolVersion,
        tools: this.listing?.tools.length ?? 0,
      });
      this.schedule(this.health.interval, () => this.healthCheck());
    } catch (error: unknown) {
      await this.fail(error, error instanceof InvalidUpstream ? "invalid" : "unhealthy");
    } finally {
      this.settledOnce();
    }
  }

  private watchListChanges(client: Client): void {
    const relist = (): void => {
      this.refreshing = this.refreshing
        .then(() => this.refresh(client))
        .catch((error: unknown) => this.fail(error, "unhealthy"));
    };
    client.setNotificationHandler(ToolListChangedNotificationSchema, relist);
    client.setNotificationHandler(PromptListChangedNotificationSchema, relist);
    client.setNotificationHandler(ResourceListChangedNotificationSchema, relist);
  }

  private async refresh(client: Client): Promise<void> {
    if (client !== this.client) return;
    const capabilities = client.getServerCapabilities() ?? {};
    const timeout = this.health.timeout;
    const tools = validateItems<ListedItem>(await listAll(client, "tools/list", "tools", timeout), toolProblem);
    const prompts = capabilities.prompts
      ? validateItems<ListedItem>(await listAll(client, "prompts/list", "prompts", timeout), promptProblem)
      : { valid: [], dropped: [] };
    const none = { valid: [], dropped: [] };
    const resources = capabilities.resources
      ? validateItems<ListedResource>(await listAll(client, "resources/list", "resources", timeout), resourceProblem)
      : none;
    const templates = capabilities.resources
      ? validateItems<ListedTemplate>(
          await listAll(client, "resources/templates/list", "resourceTemplates", timeout),
          templateProblem,
        )
      : none;
    for (const { name, problem } of [
      ...tools.dropped,
      ...prompts.dropped,
      ...resources.dropped,
      ...templates.dropped,
    ]) {
      this.options.logger.warn("upstream item dropped", { server: this.server.name, item: name, problem });
    }
    this.droppedTools = tools.dropped.map((d) => d.name);
    this.listing = {
      tools: tools.valid,
      prompts: prompts.valid,
      resources: resources.valid,
      resourceTemplates: templates.valid,
    };
    this.lastCheckedAt = new Date();
    this.options.onChange();
  }

  private async healthCheck(): Promise<void> {
    const client = this.client;
    if (!client || this.closed) return;
    try {
      await client.ping({ timeout: this.health.timeout });
      this.lastCheckedAt = new Date();
      if (this.relistAfterConnect) {
        // The SDK opens the GET notification stream after connect returns; a list_changed sent before it was open
        // is lost, so the first health check lists once more.
        this.relistAfterConnect = false;
        await this.refresh(client);
      }
      this.schedule(this.health.interval, () => this.healthCheck());
    } catch (error: unknown) {
      await this.fail(error, "unhealthy");
    }
  }

  private async fail(error: unknown, state: "unhealthy" | "invalid"): Promise<void> {
    if (this.closed) return;
    const message = error instanceof Error ? error.message : String(error);
    this.failures += 1;
    // Not awaited: ending the old session may take up to a health timeout and must not delay the retry.
    void this.dropClient();
    this.setState(state, message);
    const delay = Math.min(this.health.interval * 2 ** Math.min(this.failures - 1, 16), this.health.maxBackoff);
    this.options.logger.warn("upstream unavailable", {
      server: this.server.name,
      state,
      error: message,
      retryInMs: delay,
    });
    this.schedule(delay, () => this.connect());
  }

  private setState(state: UpstreamState, lastError: string | undefined): void {
    const changed = this.state !== state;
    this.state = state;
    this.lastError = lastError ?? this.lastError;
    this.lastCheckedAt = new Date();
    if (changed) this.options.onChange();
  }

  private schedule(delayMs: number, task: () => Promise<void>): void {
    clearTimeout(this.timer);
    if (this.closed) return;
    this.timer = setTimeout(() => void task(), delayMs);
    this.timer.unref();
  }

  /**
   * Ends the upstream session (DELETE) and closes the client. Also after a failure: an upstream that is up but was
   * judged invalid, or answered a ping too late, would otherwise keep one abandoned session per retry. The DELETE is
   * bounded by the health timeout (then `client.close()` aborts it), so a hung upstream cannot stall close or reload.
   */
  private async dropClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    const transport = client.transport as StreamableHTTPClientTransport | undefined;
    if (transport?.sessionId) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.health.timeout)));
      // A dead or hung upstream fails or never answers the DELETE; there is nothing left to release then.
      await Promise.race([transport.terminateSession().catch(() => undefined), timedOut]);
      clearTimeout(timer);
    }
    await client.close().catch(() => undefined);
  }
}
