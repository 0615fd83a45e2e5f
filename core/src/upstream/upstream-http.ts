import type { Readable } from "node:stream";
import { Agent, request, type Dispatcher } from "undici";
import { GatewayError, JsonRpcErrorCode } from "../errors";
import type { Logger } from "../logging";
import { nullRecord } from "../own-keys";
import { SlotBudget, type ReleaseSlot } from "../policy/slot-budget";
import { parseBody } from "../tracing/propagation";
import { tracedUpstreamCall } from "../tracing/request-span";
import { ConnectionSlots } from "./connection-slots";
import { callDeadline, type CallDeadline } from "./call-deadline";
import { parseSse } from "./sse";
import { ReplyTooLargeError, upstreamFailure } from "./upstream-failure";
import type { UpstreamAuth } from "../config/upstream-auth-schema";
import { isPerConsumer, requireConsumerAuth, type UpstreamCredentials } from "../upstream-auth/upstream-credentials";

/** Where and how to reach one upstream MCP server. */
export interface UpstreamTarget {
  name: string;
  url: string;
  /** Credentials and other headers the gateway adds for this upstream (from config). */
  headers: Readonly<Record<string, string>>;
  /** How the gateway authenticates to it; its token goes under the static headers (which win: a call's own). */
  auth?: UpstreamAuth | undefined;
}

/** What came back from a JSON-RPC POST to an upstream. */
export interface UpstreamReply {
  status: number;
  sessionId: string | undefined;
  /** The JSON-RPC response to our request, if the upstream sent one (JSON body or SSE event). */
  message: Record<string, unknown> | undefined;
  /** The upstream's challenge with a 401 (relayed to a passthrough server's caller). */
  wwwAuthenticate?: string | undefined;
}

/** A whole upstream reply, buffered. */
export interface ForwardedReply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** An upstream response whose body is still arriving (JSON or an SSE stream). */
export interface StreamingReply {
  status: number;
  headers: Record<string, string>;
  body: Readable;
}

/** Bounds of a streamed call. */
export interface StreamOptions {
  /** Time until the upstream's response headers arrive. */
  headersTimeoutMs: number;
  /** Longest silence between body chunks (SSE streams stay open while a tool works). */
  idleTimeoutMs: number;
  /** Aborts the call (the client went away). */
  signal?: AbortSignal;
}

/** Options of one upstream POST. */
export interface PostOptions {
  sessionId?: string | undefined;
  protocolVersion?: string | undefined;
  timeoutMs: number;
}

/** Largest upstream reply the gateway reads whole (initialize, replays, JSON results it rewrites). */
export const MAX_REPLY_BYTES = 4 * 1024 * 1024;

/** Connection bounds of an {@link UpstreamHttp}. */
export interface UpstreamHttpOptions {
  /**
   * Connections per upstream origin for request/response exchanges (calls, initialize, DELETE); read once. A call
   * that finds them all in use waits for one within its own deadline, then fails with 503 naming the upstream.
   */
  callConnections?: number;
  /** Open GET notification streams per upstream origin; read at every open, so reloads apply. */
  maxStreams?: () => number;
  /** Receives the detail of failed calls (it may name upstream addresses, which clients never see). */
  logger?: Logger;
  /** Upstream credentials (`servers[].auth`) for the gateway's own requests (initialize, streams, DELETE). */
  credentials?: UpstreamCredentials;
}

const DEFAULT_CONNECTIONS = 256;

/** What one upstream origin's call connections are doing now. */
export interface CallConnectionUse {
  inUse: number;
  queued: number;
  limit: number;
}

/**
 * The gateway's own HTTP calls to upstreams (lazy initialize, routed calls, session DELETE) over one pooled keep-alive
 * agent, and the backend sessions' long-lived GET notification streams over another, with a budget of their own:
 * streams held for hours never take a connection a call needs (one client's many streams must not starve the calls
 * of every client). Calls take a connection slot first ({@link ConnectionSlots}): the wait for one counts against the
 * call's deadline, which undici's own queue would not honor. Every call is bounded by a timeout and fails with a
 * {@link GatewayError} naming the upstream.
 */
export class UpstreamHttp {
  private readonly agent: Agent;
  private readonly calls: ConnectionSlots;
  private readonly origins = new Map<string, string>();
  // No connection cap of its own: the stream budget below refuses before undici would queue.
  private readonly streamAgent = new Agent({ keepAliveTimeout: 30_000 });
  private readonly streams = new SlotBudget();
  private readonly maxStreams: () => number;
  private readonly logger: Logger | undefined;
  private readonly credentials: UpstreamCredentials | undefined;

  constructor(options: UpstreamHttpOptions = {}) {
    this.logger = options.logger;
    this.credentials = options.credentials;
    const connections = options.callConnections ?? DEFAULT_CONNECTIONS;
    // The slots admit at most `connections` requests per origin, so the agent's own queue stays (all but) empty.
    this.agent = new Agent({ keepAliveTimeout: 30_000, connections });
    this.calls = new ConnectionSlots(connections);
    this.maxStreams = options.maxStreams ?? (() => DEFAULT_CONNECTIONS);
  }

  /** Notification streams open to the upstream at `url`'s origin now. */
  openStreams(url: string): number {
    return this.streams.held(this.originOf(url));
  }

  /** Call connections to the upstream at `url`'s origin: in use, waiting for one, and their limit. */
  callConnections(url: string): CallConnectionUse {
    const origin = this.originOf(url);
    return { inUse: this.calls.inUse(origin), queued: this.calls.queued(origin), limit: this.calls.limit };
  }

  /** POSTs one JSON-RPC message and reads the reply (JSON, or the SSE event answering `id`). */
  async post(target: UpstreamTarget, message: object, options: PostOptions): Promise<UpstreamReply> {
    const headers = nullRecord([
      ...Object.entries(await this.targetHeaders(target)),
      ["content-type", "application/json"],
      ["accept", "application/json, text/event-stream"],
    ]);
    if (options.sessionId) headers["mcp-session-id"] = options.sessionId;
    if (options.protocolVersion) headers["mcp-protocol-version"] = options.protocolVersion;
    const traced = tracedUpstreamCall(target.name, target.url, () => message);
    if (traced) Object.assign(headers, traced.fields);
    try {
      const signal = AbortSignal.timeout(options.timeoutMs);
      const release = await this.callSlot(target, signal, signal, options.timeoutMs);
      const pending = request(target.url, {
        method: "POST",
        headers,
        body: JSON.stringify(traced ? traced.inject(message) : message),
        dispatcher: this.agent,
        signal,
      });
      holdUntilDone(pending, release);
      const response = await headersWithin(pending, signal);
      const sessionHeader = response.headers["mcp-session-id"];
      const contentType = String(response.headers["content-type"] ?? "");
      const text = (await readLimited(response.body, MAX_REPLY_BYTES)).toString("utf8");
      traced?.end(response.statusCode);
      return {
        status: response.statusCode,
        sessionId: typeof sessionHeader === "string" ? sessionHeader : undefined,
        message: findReply(text, contentType, "id" in message ? (message as { id: unknown }).id : undefined),
        wwwAuthenticate: flattenHeaders(response.headers)["www-authenticate"],
      };
    } catch (error: unknown) {
      traced?.end(undefined, error);
      throw upstreamFailure(target, error, options.timeoutMs, this.logger);
    }
  }

  /**
   * Sends a routed call's body with its headers and buffers the whole reply (JSON, or an SSE stream that the upstream
   * ends after its response). Used to replay a call once after the upstream lost the backend session.
   */
  async forward(
    target: UpstreamTarget,
    headers: Readonly<Record<string, string>>,
    body: Buffer,
    timeoutMs: number,
  ): Promise<ForwardedReply> {
    // One deadline for the whole exchange, body included: the replayed reply is buffered, not streamed.
    const signal = AbortSignal.timeout(timeoutMs);
    const reply = await this.open(target, headers, body, {
      headersTimeoutMs: timeoutMs,
      idleTimeoutMs: timeoutMs,
      signal,
    });
    try {
      return { status: reply.status, headers: reply.headers, body: await readLimited(reply.body, MAX_REPLY_BYTES) };
    } catch (error: unknown) {
      throw upstreamFailure(target, error, timeoutMs, this.logger);
    }
  }

  /** Sends a routed call and returns as soon as the response headers arrive; the body streams with backpressure. */
  async open(
    target: UpstreamTarget,
    headers: Readonly<Record<string, string>>,
    body: Buffer,
    options: StreamOptions,
  ): Promise<StreamingReply> {
    // Traced: the call's own span and context go out in the headers and (one more parse and serialization) `_meta`.
    const parsed = { message: undefined as unknown };
    const traced = tracedUpstreamCall(target.name, target.url, () => (parsed.message = parseBody(body)));
    if (traced) {
      headers = { ...headers, ...traced.fields };
      if (parsed.message !== undefined && traced.span.isRecording())
        body = Buffer.from(JSON.stringify(traced.inject(parsed.message)));
    }
    // The deadline starts before the wait for a connection: `upstreamTimeout` covers the queue too.
    const deadline = callDeadline(options.headersTimeoutMs, options.signal);
    try {
      // A free slot is taken at once; only a call that must wait for one needs the deadline's signals.
      const free = options.signal?.aborted ? undefined : this.calls.tryAcquire(this.originOf(target.url));
      const release = free ?? (await this.callSlot(target, deadline.bound, deadline.signal, options.headersTimeoutMs));
      const pending = request(target.url, {
        method: "POST",
        headers: { ...headers, "content-length": String(body.length) },
        body,
        dispatcher: this.agent,
        headersTimeout: options.headersTimeoutMs,
        bodyTimeout: options.idleTimeoutMs,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      holdUntilDone(pending, release);
      const response = await headersWithin(pending, deadline);
      const replyHeaders = flattenHeaders(response.headers);
      if (!traced) return { status: response.statusCode, headers: replyHeaders, body: response.body };
      const replyBody = traced.watchReply(response.body, replyHeaders["content-type"] ?? "");
      replyBody.once("close", () => traced.end(response.statusCode));
      return { status: response.statusCode, headers: replyHeaders, body: replyBody };
    } catch (error: unknown) {
      traced?.end(undefined, error);
      throw upstreamFailure(target, error, options.headersTimeoutMs, this.logger);
    } finally {
      deadline.clear();
    }
  }

  /**
   * Opens a backend session's own GET notification stream (server-initiated messages outside any call). No idle
   * timeout: such a stream may be quiet for hours; the caller aborts it through `signal`.
   */
  async openNotifications(
    target: UpstreamTarget,
    session: { sessionId: string; protocolVersion: string },
    signal: AbortSignal,
  ): Promise<StreamingReply> {
    const headers = {
      ...(await this.targetHeaders(target)),
      accept: "text/event-stream",
      "mcp-session-id": session.sessionId,
      "mcp-protocol-version": session.protocolVersion,
    };
    const release = this.takeStream(target);
    try {
      const response = await request(target.url, {
        method: "GET",
        headers,
        dispatcher: this.streamAgent,
        bodyTimeout: 0,
        signal,
      });
      response.body.once("close", release);
      if (response.body.destroyed) release();
      return { status: response.statusCode, headers: flattenHeaders(response.headers), body: response.body };
    } catch (error: unknown) {
      release();
      throw upstreamFailure(target, error, 0, this.logger);
    }
  }

  /**
   * Takes one slot of the upstream's notification-stream budget (`limits.maxUpstreamStreams`, shared with the GET
   * streams this client opens) for a stream opened by other means (a 2026 `subscriptions/listen`); returns its
   * release, or throws a 503 naming the upstream when the budget is spent.
   */
  reserveStream(target: UpstreamTarget): () => void {
    return this.takeStream(target);
  }

  /** One slot of the upstream's stream budget, or a 503 naming the upstream when it is spent. */
  private takeStream(target: UpstreamTarget): () => void {
    const limit = this.maxStreams();
    const taken = this.streams.tryTake([
      { key: this.originOf(target.url), limit, what: `notification streams to upstream "${target.name}"` },
    ]);
    if (typeof taken === "function") return taken;
    throw new GatewayError(
      JsonRpcErrorCode.UpstreamUnavailable,
      `upstream "${target.name}" has ${limit} notification streams open, its limit (limits.maxUpstreamStreams)`,
      { httpStatus: 503 },
    );
  }

  /** Ends an upstream session (DELETE); failures are reported, not thrown (405 means the upstream does not allow it). */
  async deleteSession(target: UpstreamTarget, sessionId: string, timeoutMs: number): Promise<number | undefined> {
    try {
      const signal = AbortSignal.timeout(timeoutMs);
      const release = await this.callSlot(target, signal, signal, timeoutMs);
      const pending = request(target.url, {
        method: "DELETE",
        headers: { ...(await this.targetHeaders(target)), "mcp-session-id": sessionId },
        dispatcher: this.agent,
        signal,
      });
      holdUntilDone(pending, release);
      const response = await headersWithin(pending, signal);
      await response.body.dump();
      return response.statusCode;
    } catch {
      return undefined;
    }
  }

  /**
   * A connection slot at `target`'s origin, waiting at most until `signal` aborts. Past `deadline` without one: a 503
   * naming the upstream and its pool (a client that went away gets the abort itself).
   */
  private async callSlot(
    target: UpstreamTarget,
    signal: AbortSignal,
    deadline: AbortSignal,
    timeoutMs: number,
  ): Promise<ReleaseSlot> {
    const origin = this.originOf(target.url);
    try {
      return await this.calls.acquire(origin, signal);
    } catch (error: unknown) {
      if (!deadline.aborted) throw error;
      const inUse = this.calls.inUse(origin);
      throw new GatewayError(
        JsonRpcErrorCode.UpstreamUnavailable,
        `upstream "${target.name}": no connection free within ${timeoutMs} ms (${inUse} in use, limits.maxUpstreamConnections)`,
        { httpStatus: 503, cause: error },
      );
    }
  }

  /**
   * The target's static headers over its gateway credentials (a token-fetch failure names the server). Every request
   * here is made for a consumer: a per-consumer server's target must carry that consumer's credentials already.
   */
  private async targetHeaders(target: UpstreamTarget): Promise<Readonly<Record<string, string>>> {
    if (!target.auth || !this.credentials) return target.headers;
    if (isPerConsumer(target)) {
      requireConsumerAuth(target, target.headers);
      return target.headers;
    }
    return { ...(await this.credentials.gatewayHeaders(target)), ...target.headers };
  }

  /** `url`'s origin, the key of its pools (remembered: parsing a URL on every call costs). */
  private originOf(url: string): string {
    let origin = this.origins.get(url);
    if (origin === undefined) {
      origin = new URL(url).origin;
      // Bounded by the configured servers' URLs; a reload that changes them leaves a few stale entries at most.
      if (this.origins.size < 4096) this.origins.set(url, origin);
    }
    return origin;
  }

  /** Closes pooled connections. */
  async close(): Promise<void> {
    await Promise.all([this.agent.close(), this.streamAgent.close()]);
  }
}

/**
 * Holds a connection slot for the request's whole life: until its response body closes (read, dumped or destroyed,
 * also when it arrives after its caller gave up) or the request fails.
 */
function holdUntilDone(pending: Promise<Dispatcher.ResponseData>, release: ReleaseSlot): void {
  pending.then((response) => {
    if (response.body.destroyed) release();
    else response.body.once("close", release);
  }, release);
}

/**
 * Waits for a response's headers but gives up when `signal` aborts: undici leaves a request queued behind a full pool
 * deaf to its signal until a connection frees up (nodejs/undici#386), and a call must not outlive its deadline while
 * it waits there. A response that still comes later is discarded, so its connection returns to the pool.
 */
async function headersWithin(
  pending: Promise<Dispatcher.ResponseData>,
  signal: AbortSignal | CallDeadline,
): Promise<Dispatcher.ResponseData> {
  try {
    return await ("race" in signal ? signal.race(pending) : raceSignal(pending, signal));
  } catch (error: unknown) {
    pending.then(
      (late) => late.body.destroy(),
      () => undefined,
    );
    throw error;
  }
}

/** `pending`, or a rejection with `signal`'s reason as soon as it aborts. */
async function raceSignal<T>(pending: Promise<T>, signal: AbortSignal): Promise<T> {
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason as Error);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([pending, aborted]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/** Reads a whole body, failing past `limit` bytes (replies the gateway must see whole). */
export async function readLimited(body: AsyncIterable<Buffer>, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) throw new ReplyTooLargeError(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function findReply(text: string, contentType: string, id: unknown): Record<string, unknown> | undefined {
  const candidates = contentType.includes("text/event-stream")
    ? parseSse(text).map((event) => event.data)
    : text.trim() === ""
      ? []
      : [text];
  for (const candidate of candidates) {
    try {
      const parsed = JSON.parse(candidate) as unknown;
      if (parsed !== null && typeof parsed === "object" && (parsed as { id?: unknown }).id === id) {
        return parsed as Record<string, unknown>;
      }
    } catch {
      // Not JSON: not our reply.
    }
  }
  return undefined;
}

/** Response headers as one string per name (repeated headers joined with ", "). */
function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  // Null-prototype: the names are the upstream's, and a missing header must read as undefined whatever its name.
  const flat = nullRecord<string>();
  // Own names only, one array of them (Object.entries would add a pair array per header, per call).
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (typeof value === "string") flat[name] = value;
    else if (Array.isArray(value)) flat[name] = value.join(", ");
  }
  return flat;
}
