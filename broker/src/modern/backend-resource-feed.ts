import {
  readSseMessages,
  replyFormat,
  type BackendSession,
  type GatewayContext,
  type ServerConfig,
} from "@mcp-gateway/core";
import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";

/** A listen stream as the 2025 feed sees it: told of each update of a URI it holds, and when its feed is gone. */
export interface FeedSubscriber {
  /** The upstream said `uri` (its own URI) changed. */
  updated(server: string, uri: string): void;
  /** The upstream's notification stream ended on its side: this subscriber's updates from `server` stopped. */
  lost(server: string): void;
}

/** One backend session's resource subscriptions and the GET stream that carries their updates. */
interface Feed {
  server: ServerConfig;
  backend: BackendSession;
  /** Upstream URI → the subscribers holding it (the upstream is subscribed while the set is not empty). */
  refs: Map<string, Set<FeedSubscriber>>;
  controller: AbortController;
}

/** What {@link BackendResourceFeed.subscribe} needs to find (or create) the backend session. */
export interface FeedTarget {
  /** The backend-session key (a modern client's `modern\0<consumer>\0<capabilities hash>`). */
  key: string;
  /** The client capabilities a new backend session declares at initialize. */
  capabilities: Readonly<Record<string, unknown>>;
  server: ServerConfig;
}

const feedKey = (key: string, server: string): string => `${key}\u0000${server}`;

/**
 * 2026 clients' resource subscriptions on 2025 upstreams: `resources/subscribe` with the upstream's own URI on the
 * backend session keyed by (consumer, client capabilities), the one the client's calls use (a 2025 server's
 * subscriptions are per session), and that session's GET notification stream, opened before the first subscribe so
 * no update falls in between and counted against `limits.maxUpstreamStreams`. Subscriptions are reference-counted per
 * URI across the listen streams sharing the session: `resources/unsubscribe` goes out when the last one holding a URI
 * closes, and the GET stream closes with the session's last subscription. In-process (the replica holding the
 * client's listen stream holds the GET stream); operations on one feed run one after the other.
 */
export class BackendResourceFeed {
  private readonly feeds = new Map<string, Feed>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly held = new Map<FeedSubscriber, Set<string>>();

  constructor(private readonly context: GatewayContext) {}

  /** Number of open upstream GET streams (for tests and status). */
  get size(): number {
    return this.feeds.size;
  }

  /**
   * Subscribes `subscriber` to `uris` (the upstream's own URIs) of one server; resolves with those the upstream
   * accepted (none when the session or its stream cannot be had: budget spent, no GET stream, upstream down).
   */
  subscribe(target: FeedTarget, uris: readonly string[], subscriber: FeedSubscriber): Promise<string[]> {
    const key = feedKey(target.key, target.server.name);
    return this.enqueue(key, async () => {
      const feed = this.feeds.get(key) ?? (await this.open(key, target));
      if (!feed) return [];
      const accepted: string[] = [];
      for (const uri of new Set(uris)) {
        const holders = feed.refs.get(uri);
        if (holders === undefined && !(await this.send(feed, "resources/subscribe", uri))) continue;
        feed.refs.set(uri, (holders ?? new Set()).add(subscriber));
        accepted.push(uri);
      }
      if (accepted.length > 0) this.heldBy(subscriber).add(key);
      if (feed.refs.size === 0) this.drop(key);
      return accepted;
    });
  }

  /** Releases everything `subscriber` holds (its listen stream closed); resolves once the upstreams were told. */
  async release(subscriber: FeedSubscriber): Promise<void> {
    const keys = this.held.get(subscriber);
    this.held.delete(subscriber);
    await Promise.all([...(keys ?? [])].map((key) => this.enqueue(key, () => this.releaseIn(key, subscriber))));
  }

  /** Closes every GET stream (shutdown); upstream subscriptions end with their sessions. */
  close(): void {
    for (const key of [...this.feeds.keys()]) this.drop(key);
    this.held.clear();
  }

  private heldBy(subscriber: FeedSubscriber): Set<string> {
    let keys = this.held.get(subscriber);
    if (!keys) this.held.set(subscriber, (keys = new Set()));
    return keys;
  }

  private async releaseIn(key: string, subscriber: FeedSubscriber): Promise<void> {
    const feed = this.feeds.get(key);
    if (!feed) return;
    for (const [uri, holders] of [...feed.refs]) {
      if (!holders.delete(subscriber) || holders.size > 0) continue;
      feed.refs.delete(uri);
      await this.send(feed, "resources/unsubscribe", uri);
    }
    if (feed.refs.size === 0) this.drop(key);
  }

  private enqueue<T>(key: string, operation: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(operation);
    this.queues.set(key, next);
    void next
      .catch(() => undefined)
      .finally(() => {
        if (this.queues.get(key) === next) this.queues.delete(key);
      });
    return next;
  }

  /** The backend session and its open GET stream, or undefined (logged) when either cannot be had. */
  private async open(key: string, target: FeedTarget): Promise<Feed | undefined> {
    const { server } = target;
    const controller = new AbortController();
    try {
      const ttl = this.context.config().sessions.ttl;
      const backend = await this.context.backendSessions.acquire(
        target.key,
        server,
        LATEST_PROTOCOL_VERSION,
        ttl,
        undefined,
        target.capabilities,
      );
      // A stateless 2025 upstream (no session id) has no notification stream to carry updates.
      if (backend.sessionId === "") return undefined;
      const reply = await this.context.http.openNotifications(server, backend, controller.signal);
      const format = replyFormat(reply.headers);
      if (reply.status !== 200 || format.kind !== "sse" || format.encoded) {
        // 405: no GET stream; 409: another one is open on this session (another replica's); 404: session gone.
        controller.abort();
        reply.body.resume();
        if (reply.status === 404)
          await this.context.backendSessions.invalidate(target.key, server.name, backend.sessionId);
        this.context.logger.debug("no notification stream for resource subscriptions", {
          server: server.name,
          status: reply.status,
        });
        return undefined;
      }
      const feed: Feed = { server, backend, refs: new Map(), controller };
      this.feeds.set(key, feed);
      void this.read(key, feed, reply.body);
      return feed;
    } catch (error: unknown) {
      controller.abort();
      this.context.logger.debug("resource subscriptions unavailable", { server: server.name, error: String(error) });
      return undefined;
    }
  }

  /** Reads the GET stream until it ends; only `notifications/resources/updated` for a held URI is passed on. */
  private async read(key: string, feed: Feed, body: AsyncIterable<Buffer>): Promise<void> {
    try {
      await readSseMessages(body, (message) => {
        if (message["method"] !== "notifications/resources/updated") return;
        const params = message["params"] as { uri?: unknown } | undefined;
        const uri = params?.uri;
        if (typeof uri !== "string") return;
        for (const subscriber of feed.refs.get(uri) ?? []) subscriber.updated(feed.server.name, uri);
      });
    } catch {
      // Dropped or oversized: the same as ended, below.
    }
    if (feed.controller.signal.aborted || this.feeds.get(key) !== feed) return;
    // The upstream ended the stream (restart, session expiry): its subscriptions are gone with it. Say so, so each
    // listen stream can end and its client listen again, rather than wait for updates that never come.
    this.feeds.delete(key);
    const lost = new Set([...feed.refs.values()].flatMap((holders) => [...holders]));
    for (const subscriber of lost) subscriber.lost(feed.server.name);
  }

  private async send(feed: Feed, method: "resources/subscribe" | "resources/unsubscribe", uri: string) {
    try {
      const reply = await this.context.http.post(
        feed.server,
        { jsonrpc: "2.0", id: `gw-${method}`, method, params: { uri } },
        {
          sessionId: feed.backend.sessionId,
          protocolVersion: feed.backend.protocolVersion,
          timeoutMs: this.context.config().limits.upstreamTimeout,
        },
      );
      return reply.status === 200 && reply.message !== undefined && "result" in reply.message;
    } catch (error: unknown) {
      this.context.logger.debug("resource subscription refused upstream", { server: feed.server.name, method });
      void error;
      return false;
    }
  }

  private drop(key: string): void {
    const feed = this.feeds.get(key);
    if (!feed) return;
    this.feeds.delete(key);
    feed.controller.abort();
  }
}
