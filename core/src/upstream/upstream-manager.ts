import type { DiscoverResult } from "@modelcontextprotocol/client";
import { Catalog, type UpstreamListing } from "../catalog/catalog";
import type { GatewayConfig, ServerConfig } from "../config/schema";
import type { Logger } from "../logging";
import { exposureOf } from "../endpoints/endpoint-exposure";
import type { Endpoint } from "../endpoints/endpoints";
import { UpstreamConnection, type UpstreamStatus } from "./upstream-connection";
import type { ListHint, ListMethod, UpstreamGeneration } from "./upstream-session";
import type { UpstreamCredentials } from "../upstream-auth/upstream-credentials";

/** The inputs an aggregated catalog was built from, and the endpoint catalogs built from the same. */
interface CatalogBuild {
  servers: readonly ServerConfig[];
  listings: ReadonlyMap<string, UpstreamListing>;
  ready: ReadonlySet<string>;
  endpoints: WeakMap<Endpoint, Catalog>;
}

/** How long after a server is configured a name that is unknown may be waiting for its first listing. */
export const NEW_SERVER_GRACE_MS = 30_000;

/** Settings of an {@link UpstreamManager}. */
export interface UpstreamManagerOptions {
  logger: Logger;
  clientInfo: { name: string; version: string };
  /** Upstream credentials (`servers[].auth`) for discovery and health. */
  credentials?: UpstreamCredentials;
  /** Called after the catalog changed (tools, prompts or resources appeared, changed or disappeared). */
  onCatalogChange?: (catalog: Catalog, previous: Catalog) => void;
}

// Only where and how the gateway connects needs a new session; prefix and tool filters are applied by the catalog.
const sameConnection = (a: ServerConfig, b: ServerConfig): boolean =>
  a.url === b.url &&
  JSON.stringify(a.headers) === JSON.stringify(b.headers) &&
  JSON.stringify(a.auth) === JSON.stringify(b.auth);

/**
 * Keeps one {@link UpstreamConnection} per configured server and the {@link Catalog} built from their listings.
 * Reconfiguring (hot reload) keeps connections whose server entry did not change.
 */
export class UpstreamManager {
  private connections = new Map<string, UpstreamConnection>();
  private servers: readonly ServerConfig[] = [];
  private current = Catalog.empty();
  /**
   * What each aggregated catalog still referenced was built from, with its endpoint catalogs (built on first use):
   * a change compares each endpoint's previous catalog with its current one, so both stay at hand.
   */
  private readonly builds = new WeakMap<Catalog, CatalogBuild>();
  private conflictsLogged = new Set<string>();
  /** When each connection was started: a server configured moments ago may not have listed yet. */
  private readonly startedAt = new WeakMap<UpstreamConnection, number>();
  /** Woken on every catalog rebuild (see {@link awaitNewServers}). */
  private rebuildWaiters = new Set<() => void>();

  constructor(
    private health: GatewayConfig["health"],
    private readonly options: UpstreamManagerOptions,
  ) {
    this.builds.set(this.current, { servers: [], listings: new Map(), ready: new Set(), endpoints: new WeakMap() });
  }

  /** The catalog in force; replaced whole on every change. */
  catalog(): Catalog {
    return this.current;
  }

  /**
   * The catalog of one endpoint (see endpoints/endpoints.ts): the aggregated one for `/mcp`, else one built from the
   * same listings with what that endpoint exposes, cached with it. `of` is the aggregated catalog to start from: the
   * one in force, or an earlier one handed to `onCatalogChange` (its endpoint's view before the change).
   */
  catalogFor(endpoint: Endpoint | undefined, of: Catalog = this.current): Catalog {
    if (endpoint === undefined || endpoint.kind === "aggregate") return of;
    const built = this.builds.get(of);
    // Only catalogs this manager built are known; any other is no view of this gateway's upstreams.
    if (!built) throw new Error("catalogFor: not a catalog of this gateway's upstreams");
    let catalog = built.endpoints.get(endpoint);
    if (!catalog) {
      catalog = Catalog.build(built.servers, built.listings, built.ready, exposureOf(endpoint), of);
      built.endpoints.set(endpoint, catalog);
    }
    return catalog;
  }

  /** Per-upstream status for `/status`. */
  statuses(): UpstreamStatus[] {
    return this.servers
      .map((server) => this.connections.get(server.name)?.status())
      .filter((s): s is UpstreamStatus => s !== undefined);
  }

  /** The MCP generation detected for the named server; undefined before its first connect or for no such server. */
  generation(server: string): UpstreamGeneration | undefined {
    return this.connections.get(server)?.detectedGeneration();
  }

  /** The cached server/discover advertisement of a 2026 upstream; undefined otherwise. */
  discoverResult(server: string): DiscoverResult | undefined {
    return this.connections.get(server)?.discoverResult();
  }

  /** Whether the named server offers per-resource update subscriptions (`resources.subscribe`); false if unknown. */
  offersResourceSubscriptions(server: string): boolean {
    return this.connections.get(server)?.offersResourceSubscriptions() ?? false;
  }

  /**
   * The cache hints (`ttlMs`, `cacheScope`) the named server gave with each list at its last listing: what a modern
   * front end folds into its own list answers (minimum TTL, private when any upstream said so). Empty for 2025
   * upstreams and unknown servers.
   */
  listHints(server: string): Readonly<Partial<Record<ListMethod, ListHint>>> {
    return this.connections.get(server)?.status().listHints ?? {};
  }

  /** Applies a (new) server list: starts new connections, closes removed or changed ones. */
  async configure(config: GatewayConfig): Promise<void> {
    this.health = config.health;
    const next = new Map<string, UpstreamConnection>();
    const closing: Promise<void>[] = [];
    const started: UpstreamConnection[] = [];
    for (const server of config.servers) {
      const existing = this.connections.get(server.name);
      if (existing && sameConnection(existing.server, server)) {
        existing.setHealth(config.health);
        existing.server = server;
        next.set(server.name, existing);
      } else {
        const connection = this.connect(server);
        next.set(server.name, connection);
        started.push(connection);
      }
    }
    for (const [name, connection] of this.connections) {
      if (next.get(name) !== connection) closing.push(connection.close());
    }
    this.connections = next;
    this.servers = config.servers;
    this.rebuild();
    // Started only once registered, so their first change finds them in the map.
    for (const connection of started) {
      this.startedAt.set(connection, Date.now());
      connection.start();
    }
    await Promise.all(closing);
  }

  /**
   * Waits, up to `timeoutMs`, while a server configured within the last {@link NEW_SERVER_GRACE_MS} has not listed
   * yet; resolves true as soon as one of them has listed (the catalog then knows its names), false at the bound. A name that is unknown only because its server was just
   * added (a reload reaching the router and the broker at slightly different moments, a client calling a tool the
   * broker listed a moment before the router learnt it) is then resolved instead of refused. Servers that listed
   * once, or were configured long ago, never make a caller wait: a typo against a server that is down costs nothing.
   */
  async awaitNewServers(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const awaited = this.newServersUnlisted();
    while (awaited.length > 0 && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.rebuildWaiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, deadline - Date.now());
        this.rebuildWaiters.add(wake);
      });
      if (awaited.some((connection) => connection.lastListing() !== undefined)) return true;
    }
    return false;
  }

  /** The connections started within the grace period that have not listed yet. */
  private newServersUnlisted(): UpstreamConnection[] {
    const now = Date.now();
    return [...this.connections.values()].filter(
      (connection) =>
        connection.lastListing() === undefined && now - (this.startedAt.get(connection) ?? 0) < NEW_SERVER_GRACE_MS,
    );
  }

  /** Resolves when every upstream has finished its first connection attempt (ready or not). */
  async settled(): Promise<void> {
    await Promise.all([...this.connections.values()].map((c) => c.firstAttempt));
  }

  /** True when every configured upstream is ready. */
  allReady(): boolean {
    return [...this.connections.values()].every((c) => c.status().state === "ready");
  }

  /** Closes every upstream session. */
  async close(): Promise<void> {
    const connections = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(connections.map((c) => c.close()));
  }

  private connect(server: ServerConfig): UpstreamConnection {
    return new UpstreamConnection(server, {
      health: this.health,
      logger: this.options.logger,
      clientInfo: this.options.clientInfo,
      credentials: this.options.credentials,
      onChange: () => this.rebuild(),
    });
  }

  private rebuild(): void {
    const listings = new Map<string, UpstreamListing>();
    const ready = new Set<string>();
    for (const [name, connection] of this.connections) {
      const listing = connection.lastListing();
      if (listing) listings.set(name, listing);
      if (connection.isReady()) ready.add(name);
    }
    const previous = this.current;
    this.current = Catalog.build(this.servers, listings, ready);
    this.builds.set(this.current, { servers: this.servers, listings, ready, endpoints: new WeakMap() });
    for (const conflict of this.current.conflicts) {
      const key = `${conflict.kind}:${conflict.name}:${conflict.dropped}`;
      if (this.conflictsLogged.has(key)) continue;
      this.conflictsLogged.add(key);
      this.options.logger.error("name collision across servers", {
        ...conflict,
        resolution: `"${conflict.dropped}"'s ${conflict.kind} is hidden and refused at every endpoint; give one server a distinct prefix`,
      });
    }
    this.options.onCatalogChange?.(this.current, previous);
    for (const wake of [...this.rebuildWaiters]) wake();
  }
}
