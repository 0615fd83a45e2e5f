import type { Json } from "../../routing/result-uris";

/** Notifications kept for the next round while a call is held between rounds; older ones are dropped beyond it. */
const MAX_BUFFERED = 64;

/** RFC 5424 severities in MCP's order (logging.mdx): a level lets through itself and every later one. */
const LOG_LEVELS: readonly string[] = ["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"];

/** True for a log level MCP defines. */
export function isLogLevel(level: unknown): level is string {
  return typeof level === "string" && LOG_LEVELS.includes(level);
}

/** Where a round's notifications go: the client request driving it. */
export interface RoundSink {
  notify(notification: { method: string; params?: Record<string, unknown> }): Promise<void>;
  /** The client's `_meta.progressToken` for this request, if it asked for progress. */
  progressToken?: string | number | undefined;
  /** The request's log level; without one no log message reaches the client (logging.mdx: request-scoped). */
  logLevel?: string | undefined;
}

/**
 * The notifications of a bridged call as its rounds' client requests must see them. Log messages are filtered here,
 * by the level of the request being answered, rather than with `logging/setLevel` on the upstream: the backend
 * session is shared by every request of one consumer and capability set, so a level set there would apply to all of
 * them at once. Progress carries the client's own token. Between rounds they wait (bounded) for the next request.
 */
export class RoundNotifications {
  private sink: RoundSink | undefined;
  private buffered: { method: string; params: Json }[] = [];

  /** A round begins: what waited is delivered to its request. */
  attach(sink: RoundSink): void {
    this.sink = sink;
    const waiting = this.buffered;
    this.buffered = [];
    for (const { method, params } of waiting) this.push(method, params);
  }

  /** The round ended: later notifications wait for the next one. */
  detach(): void {
    this.sink = undefined;
  }

  /** One notification of the upstream (progress for the call's token, a log message, anything else dropped). */
  push(method: string, params: Json): void {
    if (method !== "notifications/progress" && method !== "notifications/message") return;
    const sink = this.sink;
    if (sink === undefined) {
      if (this.buffered.push({ method, params }) > MAX_BUFFERED) this.buffered.shift();
      return;
    }
    const notification = this.forRound(sink, method, params);
    if (notification !== undefined) void sink.notify(notification).catch(() => undefined);
  }

  private forRound(
    sink: RoundSink,
    method: string,
    params: Json,
  ): { method: string; params: Record<string, unknown> } | undefined {
    if (method === "notifications/progress") {
      return sink.progressToken === undefined
        ? undefined
        : { method, params: { ...params, progressToken: sink.progressToken } };
    }
    const level = params["level"];
    if (sink.logLevel === undefined || !isLogLevel(level)) return undefined;
    return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(sink.logLevel) ? { method, params } : undefined;
  }
}
