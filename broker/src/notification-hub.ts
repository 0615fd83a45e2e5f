import type { Response } from "express";
import type { Caller } from "@mcp-gateway/core";

const KEEPALIVE_MS = 20_000;

/**
 * How often a quiet stream gets a comment line: every 20 s, or twice per `streamIdleTimeoutMs` when that is shorter,
 * because Envoy's stream_idle_timeout (rendered from limits.streamIdleTimeout) cuts a stream quiet for that long.
 */
export function keepaliveIntervalMs(streamIdleTimeoutMs: number): number {
  return Math.max(100, Math.min(KEEPALIVE_MS, Math.floor(streamIdleTimeoutMs / 2)));
}

/**
 * The open GET notification streams (SSE), by gateway session. A session may hold several streams; a server
 * notification goes to one stream per session (the MCP spec: never the same message on more than one stream).
 */
export class NotificationHub {
  private readonly streams = new Map<string, Set<Response>>();
  /** Who opened each session's streams (its owner), for list changes decided per consumer. */
  private readonly callers = new Map<string, Caller>();
  private keepalive: NodeJS.Timeout | undefined;
  private keepaliveEveryMs: () => number = () => KEEPALIVE_MS;

  /** Called when a session's last stream closes. */
  onSessionClosed: ((session: string) => void) | undefined;

  /** Run by {@link closeAll}: what feeds the streams (upstream subscriptions) shuts down with them. */
  private readonly onCloseAll: (() => void)[] = [];

  constructor() {
    this.scheduleKeepalive();
  }

  /** Sets the keepalive interval, read before each keepalive (so it follows config reloads); default 20 s. */
  keepaliveEvery(intervalMs: () => number): void {
    this.keepaliveEveryMs = intervalMs;
    this.scheduleKeepalive();
  }

  // Comment lines keep idle proxies (Envoy's stream_idle_timeout among them) from closing quiet streams.
  private scheduleKeepalive(): void {
    clearTimeout(this.keepalive);
    this.keepalive = setTimeout(() => {
      this.each((response) => response.write(": keepalive\n\n"));
      this.scheduleKeepalive();
    }, this.keepaliveEveryMs());
    this.keepalive.unref();
  }

  /** Number of open streams (for metrics). */
  get size(): number {
    let count = 0;
    for (const set of this.streams.values()) count += set.size;
    return count;
  }

  /**
   * Registers an open SSE response for a session; it is removed when the client goes away and ended at `expiresAtMs`.
   * `caller` (who opened it) lets list changes go only to sessions whose own view changed (see {@link viewers}).
   */
  add(session: string, response: Response, expiresAtMs?: number, caller?: Caller): void {
    // The client may leave while its GET is being checked: its "close" has then already fired and would never
    // remove it, so it would stay first in line and swallow the session's notifications.
    if (response.destroyed || response.writableEnded) return;
    let set = this.streams.get(session);
    if (!set) {
      set = new Set();
      this.streams.set(session, set);
    }
    set.add(response);
    if (caller && !this.callers.has(session)) this.callers.set(session, caller);
    // A stream must not outlive its session: it ends when the session id expires (timers cap at ~24 days).
    const expiry =
      expiresAtMs === undefined
        ? undefined
        : setTimeout(() => response.end(), Math.min(Math.max(0, expiresAtMs - Date.now()), 2 ** 31 - 1));
    expiry?.unref();
    response.on("close", () => {
      clearTimeout(expiry);
      this.remove(session, response);
    });
  }

  /** Sends a JSON-RPC notification to every session (on one of its streams). */
  broadcast(message: object): number {
    const event = `event: message\ndata: ${JSON.stringify(message)}\n\n`;
    let sent = 0;
    for (const set of this.streams.values()) {
      const first = set.values().next().value;
      if (first) {
        first.write(event);
        sent += 1;
      }
    }
    return sent;
  }

  /** Each session with an open stream and the caller that opened it (undefined when registered without one). */
  viewers(): [session: string, caller: Caller | undefined][] {
    return [...this.streams.keys()].map((session) => [session, this.callers.get(session)]);
  }

  /** Writes one JSON-RPC notification to one of the session's streams; false when it has none. */
  notify(session: string, message: object): boolean {
    return this.sendTo(session, Buffer.from(`event: message\ndata: ${JSON.stringify(message)}\n\n`));
  }

  /** True while the session has an open stream. */
  has(session: string): boolean {
    return this.streams.has(session);
  }

  /** Sessions with an open stream. */
  sessions(): string[] {
    return [...this.streams.keys()];
  }

  /** Writes already-framed SSE bytes to one of the session's streams; false when it has none. */
  sendTo(session: string, events: Buffer): boolean {
    const first = this.streams.get(session)?.values().next().value;
    if (!first) return false;
    first.write(events);
    return true;
  }

  /** Ends every stream of a session (it was deleted). */
  closeSession(session: string): void {
    for (const response of this.streams.get(session) ?? []) response.end();
    this.callers.delete(session);
    if (this.streams.delete(session)) this.onSessionClosed?.(session);
  }

  /** Registers something to shut down with the streams (see {@link closeAll}). */
  whenClosed(action: () => void): void {
    this.onCloseAll.push(action);
  }

  /** Ends every stream (shutdown). */
  closeAll(): void {
    for (const action of this.onCloseAll.splice(0)) action();
    clearTimeout(this.keepalive);
    this.each((response) => response.end());
    this.streams.clear();
    this.callers.clear();
  }

  private remove(session: string, response: Response): void {
    const set = this.streams.get(session);
    if (!set) return;
    set.delete(response);
    if (set.size === 0) {
      this.streams.delete(session);
      this.callers.delete(session);
      this.onSessionClosed?.(session);
    }
  }

  private each(action: (response: Response) => void): void {
    for (const set of this.streams.values()) for (const response of set) action(response);
  }
}
