import type { Caller } from "@mcp-gateway/core";
import type { ServerEvent, ServerEventBus } from "@modelcontextprotocol/server";

/** Decides whether one listening caller may be told about an event. */
export type Audience = (caller: Caller) => boolean;

interface Listener {
  caller: Caller | undefined;
  /** The listen stream's own tag (see {@link ScopedEventBus.publishToStream}), when its request set one. */
  tag: object | undefined;
  deliver(event: ServerEvent): void;
}

/**
 * The `subscriptions/listen` event bus, scoped per consumer. The SDK's listen router subscribes one listener per open
 * stream from inside the request that opened it, so `currentCaller` (the front end's async-local request scope) tags
 * each listener with who is listening. {@link ScopedEventBus.publishTo} then tells
 * only the listeners whose caller the audience accepts, so a consumer never learns of changes it cannot see. A
 * listener without a caller (subscribed outside a request scope) receives nothing published with an audience: fail closed.
 */
export class ScopedEventBus implements ServerEventBus {
  private readonly listeners = new Set<Listener>();

  constructor(
    private readonly currentCaller: () => Caller | undefined,
    private readonly onError: (error: unknown) => void = () => undefined,
    private readonly currentTag: () => object | undefined = () => undefined,
  ) {}

  /** Number of open listeners (one per listen stream). */
  get size(): number {
    return this.listeners.size;
  }

  /** Publishes to every listener, whoever it is (the SDK's `handler.notify` path); the gateway uses publishTo. */
  publish(event: ServerEvent): void {
    this.publishTo(event, () => true, true);
  }

  /** Publishes to the listeners whose caller `audience` accepts. */
  publishTo(event: ServerEvent, audience: Audience, everyone = false): number {
    let told = 0;
    for (const listener of [...this.listeners]) {
      const accepted = listener.caller === undefined ? everyone : everyone || audience(listener.caller);
      if (!accepted) continue;
      try {
        listener.deliver(event);
        told++;
      } catch (error: unknown) {
        this.onError(error);
      }
    }
    return told;
  }

  /**
   * Publishes to the one listen stream whose request was tagged `tag` (a resource update the gateway subscribed to
   * upstream for that stream alone); the SDK still applies the stream's acknowledged filter.
   */
  publishToStream(event: ServerEvent, tag: object): number {
    let told = 0;
    for (const listener of [...this.listeners]) {
      if (listener.tag !== tag) continue;
      try {
        listener.deliver(event);
        told++;
      } catch (error: unknown) {
        this.onError(error);
      }
    }
    return told;
  }

  /** Registers a listen stream's listener, tagged with the caller (and stream tag) of the request that opened it. */
  subscribe(deliver: (event: ServerEvent) => void): () => void {
    const listener: Listener = { caller: this.currentCaller(), tag: this.currentTag(), deliver };
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }
}
