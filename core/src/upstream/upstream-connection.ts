import { describeErrorChain } from "../connection-url";
import type { DiscoverResult } from "@modelcontextprotocol/client";
import type { ListedItem, ListedResource, ListedTemplate, UpstreamListing } from "../catalog/catalog";
import { nameFilter } from "../catalog/glob";
import type { GatewayConfig, ServerConfig } from "../config/schema";
import type { Logger } from "../logging";
import { LegacySession } from "./legacy-session";
import type { UpstreamCredentials } from "../upstream-auth/upstream-credentials";
import {
  listPages,
  modernToolProblem,
  promptProblem,
  resourceProblem,
  templateProblem,
  toolProblem,
  validateItems,
  type ItemProblem,
} from "./listing";
import { ModernSession } from "./modern-session";
import type { ListHint, ListMethod, UpstreamGeneration, UpstreamSession } from "./upstream-session";

/** Lifecycle state of one upstream as the gateway sees it. */
export type UpstreamState = "connecting" | "ready" | "unhealthy" | "invalid";

/** What `/status` shows for one upstream. */
export interface UpstreamStatus {
  name: string;
  url: string;
  state: UpstreamState;
  protocolVersion: string | undefined;
  /** The MCP generation detected at the last connect (undefined before the first). */
  generation: UpstreamGeneration | undefined;
  toolCount: number;
  promptCount: number;
  resourceCount: number;
  droppedTools: readonly string[];
  lastError: string | undefined;
  lastCheckedAt: string | undefined;
  /** The cache hints the upstream gave with each list at the last listing (2026 upstreams; empty for 2025 ones). */
  listHints: Readonly<Partial<Record<ListMethod, ListHint>>>;
}

/** Settings of an {@link UpstreamConnection}. */
export interface UpstreamConnectionOptions {
  health: GatewayConfig["health"];
  logger: Logger;
  clientInfo: { name: string; version: string };
  /** Upstream credentials (`servers[].auth`) for discovery and health. */
  credentials?: UpstreamCredentials | undefined;
  /** Called whenever the listing or state changes (the catalog must be rebuilt). */
  onChange: () => void;
}

/** A validation failure: the server answered but does not meet the gateway's requirements. */
class InvalidUpstream extends Error {}

/**
 * The broker's own MCP client session with one upstream: detect its generation (server/discover, else initialize),
 * validate, list everything (paginated), re-list on `list_changed` (2025) or a `subscriptions/listen` notification
 * and when a list's `ttlMs` ran out (2026), check it on an interval and reconnect with exponential backoff. While it is not ready its
 * listing is withdrawn, so an unhealthy server's tools disappear and come back when it recovers.
 */
export class UpstreamConnection {
  private session: UpstreamSession | undefined;
  /** Ends a 2025 session whose initialize is still in flight (so close() can end what it opened). */
  private closeOpening: ((timeoutMs: number) => Promise<void>) | undefined;
  private generation: UpstreamGeneration | undefined;
  private hints: Partial<Record<ListMethod, ListHint>> = {};
  private listedAt = 0;
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

  /** The server/discover advertisement of a 2026 upstream (undefined for 2025 ones and before the first connect). */
  discoverResult(): DiscoverResult | undefined {
    return this.session instanceof ModernSession ? this.session.discoverResult() : undefined;
  }

  /** Whether the connected upstream offers per-resource update subscriptions (false before the first connect). */
  offersResourceSubscriptions(): boolean {
    return this.session?.offersResourceSubscriptions() ?? false;
  }

  /** True while the upstream is connected and passing health checks. */
  isReady(): boolean {
    return this.state === "ready";
  }

  /** The MCP generation detected at the last connect (read on every routed call: no status snapshot is built). */
  detectedGeneration(): UpstreamGeneration | undefined {
    return this.generation;
  }

  /** A snapshot for `/status`. */
  status(): UpstreamStatus {
    const exposed = nameFilter(this.server.tools);
    return {
      name: this.server.name,
      url: this.server.url,
      state: this.state,
      protocolVersion: this.protocolVersion,
      generation: this.generation,
      // Exposed tools only: a tool the server's `tools` filter excludes is not the gateway's to count.
      toolCount: this.listing?.tools.filter((tool) => exposed(tool.name)).length ?? 0,
      promptCount: this.listing?.prompts.length ?? 0,
      resourceCount: this.listing?.resources.length ?? 0,
      droppedTools: this.droppedTools,
      lastError: this.lastError,
      lastCheckedAt: this.lastCheckedAt?.toISOString(),
      listHints: { ...this.hints },
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
      const session = await this.openSession();
      if (!session || this.closed) return; // close() ends the session just opened.
      this.protocolVersion = session.protocolVersion;
      this.generation = session.generation;
      if (!session.offers("tools")) throw new InvalidUpstream("server does not declare the tools capability");
      await session.watch(() => this.relist(session));
      await this.refresh(session);
      this.failures = 0;
      // A 2025 upstream's GET stream opens after connect returns, so a list_changed sent before it was open is lost:
      // the first health check lists once more. A 2026 listen stream is acknowledged before watch() returns.
      this.relistAfterConnect = session.generation === "2025";
      this.setState("ready", undefined);
      log.info("upstream ready", {
        server: this.server.name,
        generation: session.generation,
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

  /**
   * Detects the upstream's generation on every connect (an upgraded server is found at its next reconnect): the
   * `server/discover` probe first, and the 2025 initialize handshake when the upstream answered it as a 2025 server.
   */
  private async openSession(): Promise<UpstreamSession | undefined> {
    const target = {
      server: this.server,
      clientInfo: this.options.clientInfo,
      timeoutMs: this.health.timeout,
      credentials: this.options.credentials,
    };
    const probing = ModernSession.probe(target);
    this.initializing = probing.catch(() => undefined);
    const modern = await probing;
    if (modern) {
      this.session = modern;
      return this.closed ? undefined : modern;
    }
    if (this.closed) return undefined;
    const opening = LegacySession.open(target, (close) => (this.closeOpening = close));
    this.initializing = opening.catch(() => undefined);
    this.session = await opening;
    this.closeOpening = undefined;
    return this.closed ? undefined : this.session;
  }

  private relist(session: UpstreamSession): void {
    this.refreshing = this.refreshing
      .then(() => this.refresh(session))
      .catch((error: unknown) => this.fail(error, "unhealthy"));
  }

  /** Lists one method and validates its items; an upstream without the capability lists nothing. */
  private async listOne<T extends ListedItem | ListedResource | ListedTemplate>(
    session: UpstreamSession,
    method: ListMethod,
    field: string,
    problemOf: (item: unknown) => ItemProblem,
  ): Promise<{ valid: T[]; dropped: { name: string; problem: string }[] }> {
    const listed = await listPages(session, method, field, this.health.timeout);
    this.hints[method] = listed.hint;
    return validateItems<T>(listed.items, problemOf);
  }

  private async refresh(session: UpstreamSession): Promise<void> {
    if (session !== this.session) return;
    const none = { valid: [], dropped: [] };
    this.hints = {};
    const toolCheck = session.generation === "2026" ? modernToolProblem : toolProblem;
    const tools = await this.listOne<ListedItem>(session, "tools/list", "tools", toolCheck);
    const prompts = session.offers("prompts")
      ? await this.listOne<ListedItem>(session, "prompts/list", "prompts", promptProblem)
      : none;
    const resources = session.offers("resources")
      ? await this.listOne<ListedResource>(session, "resources/list", "resources", resourceProblem)
      : none;
    const templates = session.offers("resources")
      ? await this.listOne<ListedTemplate>(session, "resources/templates/list", "resourceTemplates", templateProblem)
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
    this.listedAt = Date.now();
    this.options.onChange();
  }

  /** True when a list's `ttlMs` has run out since the last listing (2026 upstreams; checked at each health check). */
  private listingExpired(): boolean {
    const ttls = Object.values(this.hints).flatMap((hint) => (hint.ttlMs === undefined ? [] : [hint.ttlMs]));
    return ttls.length > 0 && Date.now() - this.listedAt >= Math.min(...ttls);
  }

  private async healthCheck(): Promise<void> {
    const session = this.session;
    if (!session || this.closed) return;
    try {
      await session.check(this.health.timeout);
      this.lastCheckedAt = new Date();
      if (this.relistAfterConnect || this.listingExpired()) {
        this.relistAfterConnect = false;
        await this.refresh(session);
      }
      this.schedule(this.health.interval, () => this.healthCheck());
    } catch (error: unknown) {
      await this.fail(error, "unhealthy");
    }
  }

  private async fail(error: unknown, state: "unhealthy" | "invalid"): Promise<void> {
    if (this.closed) return;
    // The whole cause chain: "fetch failed" alone does not tell the operator the upstream refused the connection.
    const message = describeErrorChain(error);
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
    if (changed) {
      const cause = state === "ready" ? undefined : lastError;
      this.options.logger.debug("upstream state changed", {
        server: this.server.name,
        from: this.state,
        to: state,
        cause,
      });
    }
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

  /** Ends the upstream session and closes its client (see {@link UpstreamSession.close}); also after a failure. */
  private async dropClient(): Promise<void> {
    const session = this.session;
    const opening = this.closeOpening;
    this.session = undefined;
    this.closeOpening = undefined;
    if (session) await session.close(this.health.timeout);
    else if (opening) await opening(this.health.timeout);
  }
}
