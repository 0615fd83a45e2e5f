import { randomUUID } from "node:crypto";
import {
  consumerAuth,
  exposeResourceUri,
  GatewayError,
  JsonRpcErrorCode,
  modernSessionKey,
  resourcePrefixOf,
  route,
  withConsumerAuth,
  type Caller,
  type GatewayContext,
  type JsonRpcRequest,
  type ServerConfig,
} from "@mcp-gateway/core";
import { CLIENT_CAPABILITIES_META_KEY } from "@modelcontextprotocol/server";
import { LegacyResourceSubscriptions, MAX_SUBSCRIBED_RESOURCES } from "../legacy-bridge/resource-subscriptions";
import { BackendResourceFeed, type FeedSubscriber } from "./backend-resource-feed";

/** A listen stream's resource subscriptions once opened upstream: the body the SDK is to acknowledge, and its end. */
export interface OpenedListen {
  /** The listen request with `resourceSubscriptions` narrowed to the honoured URIs (absent when none). */
  body: Record<string, unknown>;
  /** Tags the stream's bus listener: updates are published to this stream alone. */
  tag: object;
  /** Releases every upstream subscription of the stream (idempotent). */
  close(): void;
}

/** Where the front end publishes one update (the client's own exposed URI) to the listen stream tagged `tag`. */
export type PublishUpdate = (tag: object, uri: string) => void;

/** One requested URI the caller may watch: its owner and the upstream's own URI. */
interface Wanted {
  exposed: string;
  server: ServerConfig;
  upstreamUri: string;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === "object" && !Array.isArray(value);

// Streams of a 2026 upstream live as long as the client's listen stream: no expiry of their own.
const NO_EXPIRY = Number.MAX_SAFE_INTEGER;

/**
 * A 2026 client's `resourceSubscriptions` through the gateway. Before the SDK acknowledges the listen stream, each
 * requested (exposed) URI is resolved like a legacy `resources/subscribe` and admitted by the same policy check; the
 * ones allowed are subscribed upstream with the upstream's own URIs: a `subscriptions/listen` stream per (listen
 * stream, server) on 2026 upstreams, `resources/subscribe` plus the backend session's GET stream on 2025 ones. Only
 * the URIs the upstream accepted stay in the filter the SDK acknowledges; forbidden, unknown and refused URIs are left
 * out alike (the spec's "subset the server agreed to honor"), so the acknowledgement tells nothing about resources
 * the caller may not read. Updates reach the one stream that asked, with the client's own URI.
 */
export class ResourceListens {
  private readonly modern: LegacyResourceSubscriptions;
  private readonly legacy: BackendResourceFeed;
  /** Subscriber id → its open listen stream: where an update (canonical exposed URI) goes, and its end. */
  private readonly open = new Map<string, { update(canonical: string): void; lost(): void }>();

  constructor(
    private readonly context: GatewayContext,
    private readonly publish: PublishUpdate,
  ) {
    this.modern = new LegacyResourceSubscriptions(
      context,
      (subscriber, message) => {
        const params = message["params"] as { uri?: unknown } | undefined;
        if (typeof params?.uri === "string") this.open.get(subscriber)?.update(params.uri);
      },
      (subscriber) => this.open.get(subscriber)?.lost(),
    );
    this.legacy = new BackendResourceFeed(context);
  }

  /** Open upstream streams (2026 listen streams and 2025 GET streams) held for listen streams; for tests. */
  get upstreamStreams(): number {
    return this.modern.size + this.legacy.size;
  }

  /**
   * Subscribes upstream for a listen request that names `resourceSubscriptions`; `onLost` is called when an upstream
   * ends a subscription on its side (the stream should end so the client listens again). Throws the refusal of the
   * whole request (too many URIs, rate limited).
   */
  async openFor(caller: Caller, body: Json, onLost: () => void, callerToken?: string): Promise<OpenedListen> {
    const tag = {};
    const params = isObject(body["params"]) ? body["params"] : {};
    const filter = isObject(params["notifications"]) ? params["notifications"] : {};
    const requested = filter["resourceSubscriptions"];
    // Anything but an array of strings is the SDK's to refuse (-32602), untouched.
    if (!Array.isArray(requested) || !requested.every((uri) => typeof uri === "string")) {
      return { body, tag, close: () => undefined };
    }
    const id = body["id"] as string | number;
    const uris = [...new Set(requested as string[])];
    if (uris.length > MAX_SUBSCRIBED_RESOURCES) {
      throw new GatewayError(
        JsonRpcErrorCode.InvalidParams,
        `resourceSubscriptions names ${uris.length} resources; at most ${MAX_SUBSCRIBED_RESOURCES} per listen stream`,
        { id },
      );
    }
    const subscriber = `listen\u0000${randomUUID()}`;
    const wanted = await this.admitted(caller, uris, id, subscriber);
    const byUpstream = new Map<string, string[]>();
    for (const w of wanted) {
      const canonical = exposeResourceUri(resourcePrefixOf(w.server), w.upstreamUri);
      byUpstream.set(canonical, [...(byUpstream.get(canonical) ?? []), w.exposed]);
    }
    this.open.set(subscriber, {
      update: (canonical) => {
        for (const exposed of byUpstream.get(canonical) ?? []) this.deliver(caller, tag, exposed);
      },
      lost: onLost,
    });
    const feedSubscriber: FeedSubscriber = {
      updated: (server, uri) => {
        const owner = this.context.config().servers.find((s) => s.name === server);
        if (owner) this.open.get(subscriber)?.update(exposeResourceUri(resourcePrefixOf(owner), uri));
      },
      lost: () => this.open.get(subscriber)?.lost(),
    };
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      this.open.delete(subscriber);
      this.modern.closeSession(subscriber);
      void this.legacy.release(feedSubscriber);
    };
    try {
      const who = { caller, token: callerToken };
      const honoured = await this.subscribeUpstream(who, params, wanted, subscriber, feedSubscriber);
      const narrowed = { ...filter };
      const kept = uris.filter((uri) => honoured.has(uri));
      if (kept.length > 0) narrowed["resourceSubscriptions"] = kept;
      else delete narrowed["resourceSubscriptions"];
      return { body: { ...body, params: { ...params, notifications: narrowed } }, tag, close };
    } catch (error: unknown) {
      close();
      throw error;
    }
  }

  /** Ends every upstream subscription (shutdown). */
  close(): void {
    this.open.clear();
    this.modern.close();
    this.legacy.close();
  }

  /** The requested URIs the caller may subscribe to, resolved as the legacy `resources/subscribe` is. */
  private async admitted(caller: Caller, uris: string[], id: string | number, subscriber: string): Promise<Wanted[]> {
    const catalog = this.context.upstreams.catalogFor(caller.endpoint);
    const wanted: Wanted[] = [];
    for (const exposed of uris) {
      const params = { uri: exposed };
      const raw = { jsonrpc: "2.0", id, method: "resources/subscribe", params };
      const message: JsonRpcRequest = { kind: "request", id, method: "resources/subscribe", params, raw };
      const decision = route(message, catalog);
      if (decision.kind !== "upstream") continue;
      const server = decision.target.server;
      if (!this.context.upstreams.offersResourceSubscriptions(server.name)) continue;
      try {
        await this.context.security.gate.admit(caller, {
          method: "resources/subscribe",
          kind: "resource",
          exposed,
          normalized: decision.named.normalized,
          server: server.name,
          id,
          routedBytes: decision.body.length,
          args: undefined,
          session: subscriber,
        });
      } catch (error: unknown) {
        // Rate limited: the whole request is refused (retrying later helps); a denial only leaves the URI out.
        if (error instanceof GatewayError && error.httpStatus === 429) throw error;
        continue;
      }
      wanted.push({ exposed, server, upstreamUri: decision.target.name });
    }
    return wanted;
  }

  /** Subscribes upstream, one server at a time in parallel; resolves with the exposed URIs the upstreams accepted. */
  private async subscribeUpstream(
    { caller, token }: { caller: Caller; token: string | undefined },
    params: Json,
    wanted: Wanted[],
    subscriber: string,
    feedSubscriber: FeedSubscriber,
  ): Promise<Set<string>> {
    const servers = new Map<string, { server: ServerConfig; items: Wanted[] }>();
    for (const w of wanted) {
      const entry = servers.get(w.server.name) ?? { server: w.server, items: [] };
      entry.items.push(w);
      servers.set(w.server.name, entry);
    }
    const meta = isObject(params["_meta"]) ? params["_meta"] : {};
    const capabilities = isObject(meta[CLIENT_CAPABILITIES_META_KEY]) ? meta[CLIENT_CAPABILITIES_META_KEY] : {};
    const key = modernSessionKey(caller.identity.consumer, capabilities);
    const honoured = new Set<string>();
    await Promise.all(
      [...servers.values()].map(async ({ server, items }) => {
        const upstreamUris = [...new Set(items.map((w) => w.upstreamUri))];
        const accepted = await this.subscribeOne(
          server,
          upstreamUris,
          { key, capabilities, subscriber, token },
          feedSubscriber,
        );
        for (const w of items) if (accepted.has(w.upstreamUri)) honoured.add(w.exposed);
      }),
    );
    return honoured;
  }

  private async subscribeOne(
    served: ServerConfig,
    uris: string[],
    who: { key: string; capabilities: Json; subscriber: string; token: string | undefined },
    feedSubscriber: FeedSubscriber,
  ): Promise<Set<string>> {
    // The upstream streams are the caller's: a per-consumer server's carry its own credentials, or none is opened.
    let server: ServerConfig;
    try {
      server = withConsumerAuth(served, await consumerAuth(this.context.credentials, served, who.token));
    } catch (error: unknown) {
      this.context.logger.debug("resource subscriptions refused", { server: served.name, error: String(error) });
      return new Set();
    }
    if (this.context.upstreams.generation(server.name) === "2025") {
      const target = { key: who.key, capabilities: who.capabilities, server };
      return new Set(await this.legacy.subscribe(target, uris, feedSubscriber));
    }
    try {
      await this.modern.listen(who.subscriber, server, uris, NO_EXPIRY);
      return new Set(uris);
    } catch (error: unknown) {
      this.context.logger.debug("resource subscriptions refused", { server: server.name, error: String(error) });
      return new Set();
    }
  }

  /** Publishes one update, re-checking the policy in force now (a reload may have taken the resource away). */
  private deliver(caller: Caller, tag: object, exposed: string): void {
    const catalog = this.context.upstreams.catalogFor(caller.endpoint);
    const target = catalog.resolveResource(exposed);
    // Judged by its aggregated name, as policies are written; a shadowed resource (undefined) is never delivered.
    const canonical = target && catalog.canonicalName("resource", target, exposed);
    // The anonymous caller (`auth: none`) has no configured policy to look up again.
    const policy =
      caller.identity.method === "anonymous"
        ? caller.policy
        : this.context.security.gate.caller(caller.identity).policy;
    if (target && canonical !== undefined && policy.allows("resource", canonical, target.server.name))
      this.publish(tag, exposed);
  }
}
