import { SUPPORTED_PROTOCOL_VERSIONS } from "@modelcontextprotocol/sdk/types.js";
import { GatewayError, JsonRpcErrorCode } from "../errors";
import type { Logger } from "../logging";
import type { UpstreamHttp, UpstreamReply, UpstreamTarget } from "../upstream/upstream-http";
import { upstreamRefusal } from "../upstream-auth/upstream-refusal";
import type { BackendSession, BackendSessionStore, DroppedBackendSession } from "./backend-store";
import type { SessionEnder } from "./session-ender";
import { traceChild } from "../tracing/request-span";

// MCP session ids are visible ASCII (0x21-0x7E). An upstream's goes back to it in a header on every call.
const SESSION_ID = /^[\x21-\x7e]+$/;

/** The store setting holding a client's `logging/setLevel` level, inherited by its new backend sessions. */
export const LOG_LEVEL_SETTING = "logLevel";

/** How a backend session was obtained, for metrics. */
export type BackendSessionOutcome = "reused" | "created" | "joined" | "failed";

/** Dependencies and limits of a {@link BackendSessionManager}. */
export interface BackendSessionManagerOptions {
  store: BackendSessionStore;
  http: UpstreamHttp;
  /** Bound on the whole lazy initialize + initialized exchange; below Envoy's ext_proc message_timeout. */
  initTimeoutMs: number;
  /** Ends upstream sessions the gateway stops using (DELETE, bounded concurrency). */
  ender: SessionEnder;
  /** `sessions.backendIdleTimeout`: a backend session without a call for this long is ended (read at each use). */
  idleTimeoutMs: () => number;
  /** The configured upstreams, to find where a dropped mapping's session lives. */
  targets: () => readonly UpstreamTarget[];
  clientInfo: { name: string; version: string };
  onAcquire?: (server: string, outcome: BackendSessionOutcome) => void;
  /** Debug lines of the lifecycle (created, reused, joined, failed, lost, ended); never a session id. */
  logger?: Logger;
  /**
   * A backend session was created; the call that created it waits for the returned promise, so the broker can open
   * the session's notification stream before the upstream handles the call (its messages would otherwise be lost).
   */
  onCreated?: (gatewaySession: string, server: string, session: BackendSession) => void | Promise<void>;
}

/**
 * Creates upstream sessions lazily on a client's first routed call to a server: the gateway itself sends `initialize`
 * and `notifications/initialized` to the upstream. Concurrent first calls for one (gateway session, server) share one
 * initialize (single-flight in this process; `setIfAbsent` settles races between replicas and the loser's upstream
 * session is ended).
 */
export class BackendSessionManager {
  private readonly inflight = new Map<string, Promise<BackendSession>>();
  private sweeper: NodeJS.Timeout | undefined;
  private sweeping = false;
  private closed = false;

  constructor(private readonly options: BackendSessionManagerOptions) {
    options.store.onDrop((dropped) => this.endDropped(dropped));
  }

  /** How long a mapping lives without a call: the idle timeout, never past the gateway session's `ttlMs`. */
  lifetime(ttlMs: number): number {
    return Math.max(1, Math.min(ttlMs, this.options.idleTimeoutMs()));
  }

  /** Starts sweeping the store for idle mappings (a quarter of the idle timeout apart, at most 30 s). */
  startSweeping(): void {
    if (this.sweeping || this.closed) return;
    this.sweeping = true;
    this.scheduleSweep();
  }

  /** Stops the sweep timer (close() does too). */
  stopSweeping(): void {
    this.sweeping = false;
    clearTimeout(this.sweeper);
  }

  private scheduleSweep(): void {
    const interval = Math.min(30_000, Math.max(50, Math.floor(this.options.idleTimeoutMs() / 4)));
    this.sweeper = setTimeout(() => {
      void this.options.store
        .sweep()
        .catch(() => undefined)
        .finally(() => {
          if (this.sweeping) this.scheduleSweep();
        });
    }, interval);
    this.sweeper.unref();
  }

  /** Ends (upstream and in the store) every backend session of `target`, e.g. when a reload removes the server. */
  async endServer(target: UpstreamTarget): Promise<void> {
    const held = this.options.store.held().filter((h) => h.server === target.name);
    await Promise.all(
      held.map(async ({ gatewaySession, session }) => {
        await this.options.store.deleteIf(gatewaySession, target.name, session.sessionId).catch(() => false);
        void this.options.ender.end(target, session.sessionId, "server_removed");
      }),
    );
  }

  /** Stops sweeping and ends every backend session this process holds; resolves when the DELETEs are done. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopSweeping();
    const targets = new Map(this.options.targets().map((t) => [t.name, t]));
    const ending = Promise.all(
      this.options.store.held().map(async ({ gatewaySession, server, session }) => {
        const target = targets.get(server);
        if (!target) return;
        await this.options.store.deleteIf(gatewaySession, server, session.sessionId).catch(() => false);
        await this.options.ender.end(target, session.sessionId, "shutdown");
      }),
    );
    // Shutdown waits for the DELETEs one upstream timeout at most: an unreachable upstream must not hold it up.
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.initTimeoutMs)));
    await Promise.race([ending, bound]);
    clearTimeout(timer);
  }

  private endDropped({ server, session, reason }: DroppedBackendSession): void {
    const target = this.options.targets().find((t) => t.name === server);
    if (target) void this.options.ender.end(target, session.sessionId, reason);
  }

  /** The backend session for (gateway session, server), created if there is none. */
  async acquire(
    gatewaySession: string,
    target: UpstreamTarget,
    protocolVersion: string,
    ttlMs: number,
    /** What the caller already looked up (null: known to be absent), saving a store round trip. */
    known?: BackendSession | null,
    /** Client capabilities a new session declares at initialize (a modern client's, from its `_meta`); default none. */
    capabilities: Readonly<Record<string, unknown>> = {},
  ): Promise<BackendSession> {
    const lifetime = this.lifetime(ttlMs);
    // A use restarts the mapping's idle TTL (the hot path's `known` came from a lookup that already did).
    const existing =
      known === undefined ? (await this.options.store.lookup(gatewaySession, target.name, lifetime)).session : known;
    if (existing) {
      this.acquired(target.name, "reused");
      return existing;
    }
    const key = `${target.name}\u0000${gatewaySession}`;
    const pending = this.inflight.get(key);
    if (pending) {
      this.acquired(target.name, "joined");
      return pending;
    }
    const created = this.create(gatewaySession, target, protocolVersion, lifetime, capabilities).finally(() =>
      this.inflight.delete(key),
    );
    this.inflight.set(key, created);
    return created;
  }

  /** Forgets a mapping after the upstream answered 404 for it; the next call re-initializes. */
  async invalidate(gatewaySession: string, server: string, upstreamSessionId: string): Promise<boolean> {
    const forgotten = await this.options.store.deleteIf(gatewaySession, server, upstreamSessionId);
    this.lifecycle("backend session lost upstream (404): forgotten, the next call re-initializes", {
      server,
      forgotten,
    });
    return forgotten;
  }

  /** Ends every upstream session of a gateway session (on DELETE) and forgets the mappings. */
  async endAll(gatewaySession: string, targets: readonly UpstreamTarget[]): Promise<void> {
    await Promise.all(
      targets.map(async (target) => {
        const session = await this.options.store.get(gatewaySession, target.name);
        if (!session) return;
        await this.options.store.deleteIf(gatewaySession, target.name, session.sessionId);
        this.lifecycle("backend session ended (client DELETE)", { server: target.name });
        await this.options.ender.end(target, session.sessionId, "client_delete");
      }),
    );
  }

  /**
   * Sends one JSON-RPC request to the existing backend session of every target (e.g. `logging/setLevel`); an upstream
   * that refuses it (no such capability) is skipped. Resolves when every upstream answered or failed.
   */
  async sendToAll(
    gatewaySession: string,
    targets: readonly UpstreamTarget[],
    method: string,
    params: object,
  ): Promise<void> {
    await Promise.all(
      targets.map(async (target) => {
        const session = await this.options.store.get(gatewaySession, target.name);
        if (session) await this.send(target, session, method, params);
      }),
    );
  }

  // A backend session created after the client set its logging level starts at that level too.
  private async inheritSettings(
    gatewaySession: string,
    target: UpstreamTarget,
    session: BackendSession,
  ): Promise<void> {
    const level = await this.options.store.getSetting(gatewaySession, LOG_LEVEL_SETTING);
    if (level !== undefined) await this.send(target, session, "logging/setLevel", { level });
  }

  private async send(target: UpstreamTarget, session: BackendSession, method: string, params: object): Promise<void> {
    await this.options.http
      .post(
        target,
        { jsonrpc: "2.0", id: `gw-${method}`, method, params },
        {
          sessionId: session.sessionId,
          protocolVersion: session.protocolVersion,
          timeoutMs: this.options.initTimeoutMs,
        },
      )
      .catch(() => undefined);
  }

  private async create(
    gatewaySession: string,
    target: UpstreamTarget,
    protocolVersion: string,
    ttlMs: number,
    capabilities: Readonly<Record<string, unknown>>,
  ): Promise<BackendSession> {
    try {
      const session = await traceChild("initialize backend session", { "mcp_gateway.server": target.name }, () =>
        initializeUpstream(this.options, target, protocolVersion, capabilities),
      );
      const winner = await this.options.store.setIfAbsent(gatewaySession, target.name, session, ttlMs);
      if (winner.sessionId !== session.sessionId && session.sessionId !== "") {
        void this.options.ender.end(target, session.sessionId, "superseded");
      } else {
        await this.inheritSettings(gatewaySession, target, winner);
      }
      this.acquired(target.name, "created", { protocolVersion: winner.protocolVersion });
      await this.options.onCreated?.(gatewaySession, target.name, winner);
      return winner;
    } catch (error: unknown) {
      this.acquired(target.name, "failed", { error });
      throw error;
    }
  }

  // Reuse is on every routed call: with debug off, one level check and nothing built.
  private acquired(server: string, outcome: BackendSessionOutcome, fields?: Record<string, unknown>): void {
    this.options.onAcquire?.(server, outcome);
    if (this.options.logger?.enabled("debug")) this.lifecycle(`backend session ${outcome}`, { server, ...fields });
  }

  private lifecycle(message: string, fields: Record<string, unknown>): void {
    if (this.options.logger?.enabled("debug")) this.options.logger.debug(message, fields);
  }
}

function refused(target: UpstreamTarget, detail: string): GatewayError {
  return new GatewayError(
    JsonRpcErrorCode.UpstreamUnavailable,
    `upstream "${target.name}" could not be initialized: ${detail}`,
    {
      httpStatus: 502,
    },
  );
}

/** The upstream's own reason when it answered initialize with a JSON-RPC error, e.g. `initialize failed: ...`. */
function initializeErrorOf(message: Record<string, unknown> | undefined): string | undefined {
  const error = message?.["error"] as { code?: unknown; message?: unknown } | undefined;
  if (typeof error?.message !== "string") return undefined;
  return `initialize failed: ${error.message}${typeof error.code === "number" ? ` (${error.code})` : ""}`;
}

/** How long an initialize the gateway stopped waiting for may still answer; a session it then opens is ended. */
const LATE_INITIALIZE_GRACE_MS = 30_000;

/**
 * Sends `initialize`, waiting at most `initTimeoutMs` (then a 504 naming the upstream, as any timed-out call). The
 * request itself is not cut at that deadline: an upstream that answers late has opened a session nobody will use, so
 * the reply is still read (within a grace period) and that session ended with DELETE instead of being left behind.
 */
async function initializeWithin(
  options: Pick<BackendSessionManagerOptions, "http" | "initTimeoutMs">,
  target: UpstreamTarget,
  message: object,
): Promise<UpstreamReply> {
  const { http, initTimeoutMs } = options;
  const sent = http.post(target, message, { timeoutMs: initTimeoutMs + LATE_INITIALIZE_GRACE_MS });
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<"expired">((resolve) => (timer = setTimeout(() => resolve("expired"), initTimeoutMs)));
  try {
    const first = await Promise.race([sent, expired]);
    if (first !== "expired") return first;
  } finally {
    clearTimeout(timer);
  }
  void sent.then(
    (late) => {
      const id = late.sessionId ?? "";
      if (id !== "" && SESSION_ID.test(id)) void http.deleteSession(target, id, initTimeoutMs).catch(() => undefined);
    },
    () => undefined,
  );
  throw new GatewayError(
    JsonRpcErrorCode.UpstreamTimeout,
    `upstream "${target.name}" did not answer within ${initTimeoutMs} ms`,
    { httpStatus: 504 },
  );
}

/** Runs the MCP handshake against an upstream within one time budget and returns its session. */
export async function initializeUpstream(
  options: Pick<BackendSessionManagerOptions, "http" | "initTimeoutMs" | "clientInfo">,
  target: UpstreamTarget,
  protocolVersion: string,
  capabilities: Readonly<Record<string, unknown>> = {},
): Promise<BackendSession> {
  const deadline = Date.now() + options.initTimeoutMs;
  const remaining = (): number => Math.max(1, deadline - Date.now());
  const reply = await initializeWithin(options, target, {
    jsonrpc: "2.0",
    id: 0,
    method: "initialize",
    params: { protocolVersion, capabilities, clientInfo: options.clientInfo },
  });
  const challenge: Record<string, string> =
    reply.wwwAuthenticate === undefined ? {} : { "www-authenticate": reply.wwwAuthenticate };
  const refusal = upstreamRefusal(target, reply.status, challenge, null, undefined);
  if (refusal) throw refusal;
  if (reply.status !== 200) throw refused(target, `HTTP ${reply.status} to initialize`);
  const sessionId = reply.sessionId ?? "";
  // Refused before anything else, and without a DELETE: such an id may not even be sendable in a header.
  if (sessionId !== "" && !SESSION_ID.test(sessionId)) {
    throw refused(target, "its session id is not visible ASCII (0x21-0x7E)");
  }
  try {
    const result = reply.message?.["result"] as { protocolVersion?: unknown } | undefined;
    if (!result) throw refused(target, initializeErrorOf(reply.message) ?? "no initialize result in the reply");
    const agreed = result.protocolVersion;
    if (typeof agreed !== "string" || !SUPPORTED_PROTOCOL_VERSIONS.includes(agreed)) {
      throw refused(target, `unsupported protocol version ${JSON.stringify(agreed)}`);
    }
    const ack = await options.http.post(
      target,
      { jsonrpc: "2.0", method: "notifications/initialized" },
      { sessionId, protocolVersion: agreed, timeoutMs: remaining() },
    );
    if (ack.status >= 300) throw refused(target, `HTTP ${ack.status} to notifications/initialized`);
    return { sessionId, protocolVersion: agreed };
  } catch (error: unknown) {
    // The upstream opened a session the gateway will never use: end it, or every failed attempt leaves one behind.
    if (sessionId !== "") void options.http.deleteSession(target, sessionId, options.initTimeoutMs);
    throw error;
  }
}
