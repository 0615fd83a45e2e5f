import {
  exposeResourceUri,
  GatewayError,
  JsonRpcErrorCode,
  listenResourceUpdates,
  resourcePrefixOf,
  type GatewayContext,
  type ResourceUpdateStream,
  type ServerConfig,
} from "@mcp-gateway/core";

/** The gateway's client identity towards upstreams (as the upstream manager's). */
const CLIENT_INFO = { name: "mcp-gateway", version: "0.1.0" };

/**
 * Resources of one server a gateway session may be subscribed to at once: the filter of one listen stream is sent
 * whole on every change, so it stays small. Streams themselves are bounded by `limits.maxUpstreamStreams`.
 */
export const MAX_SUBSCRIBED_RESOURCES = 256;

/** Delivers one JSON-RPC notification to a gateway session's GET stream (dropped when it has none). */
export type DeliverToSession = (session: string, message: Record<string, unknown>) => void;

interface Held {
  /** The upstream's own URIs the session is subscribed to (what the current stream's filter names). */
  uris: ReadonlySet<string>;
  stream: ResourceUpdateStream;
  release: () => void;
  expiry: NodeJS.Timeout;
}

/** One change to a subscriber's subscriptions on one server: one URI added or removed, or the whole set replaced. */
interface Change {
  session: string;
  server: ServerConfig;
  uri: string;
  add: boolean;
  /** The whole set the stream must name from now on (a modern listen stream's fixed filter); `uri`/`add` unused. */
  replace?: ReadonlySet<string>;
  /** When the gateway session expires: the stream is closed then at the latest. */
  expiresAtMs: number;
}

const keyOf = (session: string, server: string): string => `${session}\u0000${server}`;

/**
 * Legacy clients' `resources/subscribe` / `resources/unsubscribe` for 2026 upstreams, which have no such methods:
 * per (gateway session, server) one `subscriptions/listen` stream whose `resourceSubscriptions` are the session's
 * subscribed URIs, replaced (new stream acknowledged first, then the old one closed, so no update falls in between)
 * whenever the set changes, closed when it empties, on DELETE of the session or at its expiry. Each update reaches the
 * session's GET stream with the URI in its exposed form. In-process: the broker replica that took the subscribe holds
 * the stream and must hold the client's GET stream too (documented limit, as for relayed requests).
 *
 * The key is a subscriber, not necessarily a gateway session: a 2026 client's `subscriptions/listen` stream is one too
 * (an id of the gateway's, see {@link LegacyResourceSubscriptions.listen}), its whole filter set at once.
 */
export class LegacyResourceSubscriptions {
  private readonly held = new Map<string, Held>();
  /** Changes of one key run one after the other: each builds on the set the previous one left. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly context: GatewayContext,
    private readonly deliver: DeliverToSession,
    /** Told when an upstream ended a subscriber's stream on its side (its updates from that server stopped). */
    private readonly onEnded?: (session: string, server: string) => void,
  ) {}

  /** Subscribes the session to one of the server's resources (its own URI); resolves once the upstream listens. */
  subscribe(session: string, server: ServerConfig, uri: string, expiresAtMs: number): Promise<void> {
    return this.enqueue({ session, server, uri, add: true, expiresAtMs });
  }

  /** Unsubscribes the session from one resource; the stream narrows, or closes with the last one. */
  unsubscribe(session: string, server: ServerConfig, uri: string): Promise<void> {
    return this.enqueue({ session, server, uri, add: false, expiresAtMs: Date.now() });
  }

  /**
   * Sets the subscriber's resources of one server to exactly `uris` (the upstream's own URIs) in one stream: what a
   * modern listen stream, whose filter never changes, asks for; resolves once the upstream acknowledged every URI.
   */
  listen(subscriber: string, server: ServerConfig, uris: readonly string[], expiresAtMs: number): Promise<void> {
    return this.enqueue({ session: subscriber, server, uri: "", add: false, replace: new Set(uris), expiresAtMs });
  }

  /** Closes every stream of a session (DELETE, expiry). */
  closeSession(session: string): void {
    for (const key of [...this.held.keys()]) if (key.startsWith(`${session}\u0000`)) this.drop(key);
  }

  /** Number of open streams (for tests and status). */
  get size(): number {
    return this.held.size;
  }

  /** Closes everything (shutdown). */
  close(): void {
    for (const key of [...this.held.keys()]) this.drop(key);
  }

  private enqueue(change: Change): Promise<void> {
    const key = keyOf(change.session, change.server.name);
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.apply(key, change));
    this.queues.set(key, next);
    void next
      .catch(() => undefined)
      .finally(() => {
        if (this.queues.get(key) === next) this.queues.delete(key);
      });
    return next;
  }

  private async apply(key: string, change: Change): Promise<void> {
    const current = this.held.get(key);
    const uris = new Set(change.replace ?? current?.uris);
    if (change.replace === undefined && change.add) uris.add(change.uri);
    else if (change.replace === undefined) uris.delete(change.uri);
    if (uris.size === 0) return this.drop(key);
    if (current && uris.size === current.uris.size && [...uris].every((uri) => current.uris.has(uri))) return;
    if (uris.size > MAX_SUBSCRIBED_RESOURCES) {
      throw new GatewayError(
        JsonRpcErrorCode.InvalidParams,
        `at most ${MAX_SUBSCRIBED_RESOURCES} resources of server "${change.server.name}" can be subscribed per session`,
      );
    }
    const release = this.context.http.reserveStream(change.server);
    let stream: ResourceUpdateStream;
    try {
      stream = await this.open(key, change, uris);
    } catch (error: unknown) {
      release();
      throw error;
    }
    const expiry = current?.expiry ?? this.expiryTimer(change.session, change.expiresAtMs);
    this.held.set(key, { uris, stream, release, expiry });
    if (current) {
      current.release();
      await current.stream.close().catch(() => undefined);
    }
    // A DELETE that ended the session while the stream was opening must not leave it behind.
    if (await this.context.store.isRevoked(change.session).catch(() => false)) this.drop(key);
  }

  private async open(key: string, change: Change, uris: ReadonlySet<string>): Promise<ResourceUpdateStream> {
    const { server, session } = change;
    const prefix = resourcePrefixOf(server);
    const self: { stream?: ResourceUpdateStream } = {};
    // Only the key's current stream delivers: a replaced stream still open for a moment stays silent.
    const onUpdated = (uri: string): void => {
      if (self.stream === undefined || this.held.get(key)?.stream !== self.stream) return;
      const params = { uri: exposeResourceUri(prefix, uri) };
      this.deliver(session, { jsonrpc: "2.0", method: "notifications/resources/updated", params });
    };
    const opened = await listenResourceUpdates(server, [...uris], onUpdated, {
      clientInfo: CLIENT_INFO,
      discover: this.context.upstreams.discoverResult(server.name),
      timeoutMs: this.context.config().limits.upstreamTimeout,
      credentials: this.context.credentials,
    });
    self.stream = opened;
    void opened.closed.then((reason) => {
      const held = this.held.get(key);
      if (held?.stream !== opened) return;
      // The upstream ended or dropped the stream: the session's subscriptions there are gone (no silent re-listen).
      this.context.logger.debug("upstream ended a resource subscription stream", { server: server.name, reason });
      this.drop(key);
      this.onEnded?.(session, server.name);
    });
    return opened;
  }

  private expiryTimer(session: string, expiresAtMs: number): NodeJS.Timeout {
    const delay = Math.min(Math.max(0, expiresAtMs - Date.now()), 2 ** 31 - 1);
    const timer = setTimeout(() => this.closeSession(session), delay);
    timer.unref();
    return timer;
  }

  private drop(key: string): void {
    const held = this.held.get(key);
    if (!held) return;
    this.held.delete(key);
    clearTimeout(held.expiry);
    held.release();
    void held.stream.close().catch(() => undefined);
  }
}
