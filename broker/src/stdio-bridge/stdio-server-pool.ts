import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";
import {
  LineBudget,
  STDERR_LINES_PER_SECOND,
  StdioInstance,
  type Logger,
  type ServerConfig,
  type StdioLaunch,
} from "@mcp-gateway/core";

/** A stdio server's entry (one with `command`). */
export type StdioServerConfig = ServerConfig & { command: string };

interface BridgeSession {
  transport: StreamableHTTPServerTransport;
  instance: StdioInstance;
  /** HTTP requests of the session being served now (an open stream is one): a busy session never idles out. */
  active: number;
  lastUsed: number;
}

type Body = Record<string, unknown>;

/** JSON-RPC -32000: the bridge's own refusals (no session, the cap reached, the process unable to start). */
const SERVER_ERROR = -32000;

/**
 * The Streamable HTTP sessions of one stdio server on the bridge, each attached to a process: the one shared process,
 * or its own (`stdio.instances: perSession`, at most `stdio.maxInstances` at once). Each session is an SDK
 * {@link StreamableHTTPServerTransport}, so the gateway (and Envoy) see a 2025 Streamable HTTP upstream.
 */
export class StdioServerPool {
  private readonly sessions = new Map<string, BridgeSession>();
  /** Every process started and not yet stopped (the shared one, each perSession one, also before its session exists). */
  private readonly instances = new Set<StdioInstance>();
  private shared: StdioInstance | undefined;
  /** perSession processes running or starting. */
  private perSession = 0;
  private closed = false;
  private readonly sweeper: NodeJS.Timeout;
  /** One stderr rate limit for all of this server's processes. */
  private readonly stderrBudget = new LineBudget(STDERR_LINES_PER_SECOND);

  /**
   * `idleTimeoutMs` ends a session no request used for that long (`sessions.backendIdleTimeout`): a gateway process
   * that restarted never DELETEs the sessions it held, and each may hold a process.
   */
  constructor(
    readonly server: StdioServerConfig,
    private readonly launch: StdioLaunch,
    private readonly logger: Logger,
    private readonly idleTimeoutMs: () => number,
  ) {
    this.sweeper = setInterval(() => this.endIdle(), Math.max(1_000, Math.min(idleTimeoutMs() / 4, 60_000)));
    this.sweeper.unref();
  }

  /** The pids of this server's running processes (for status and tests). */
  pids(): number[] {
    return [...this.instances].flatMap((instance) => (instance.pid === undefined ? [] : [instance.pid]));
  }

  /** Serves one HTTP request for this server: a session's request, or an initialize that opens one. */
  async handle(request: IncomingMessage, response: ServerResponse, body: unknown): Promise<void> {
    const sessionId = request.headers["mcp-session-id"];
    if (typeof sessionId === "string") {
      const session = this.sessions.get(sessionId);
      if (!session) return reply(response, 404, undefined, "Session not found");
      return this.serve(session, request, response, body);
    }
    const message = body as Body | undefined;
    if (request.method !== "POST" || message?.["method"] !== "initialize" || message["id"] === undefined) {
      return reply(response, 400, undefined, "Bad Request: no Mcp-Session-Id; a session starts with initialize");
    }
    // Checked before a process starts for it: the transport would refuse the request only after.
    const unacceptable = unacceptableInitialize(request);
    if (unacceptable) return reply(response, unacceptable[0], message["id"] as RequestId, unacceptable[1]);
    await this.open(request, response, message);
  }

  /** Ends every session and stops every process of this server. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(sessions.map((session) => session.transport.close().catch(() => undefined)));
    const instances = [...this.instances];
    this.instances.clear();
    await Promise.all(instances.map((instance) => instance.stop()));
  }

  private async open(request: IncomingMessage, response: ServerResponse, message: Body): Promise<void> {
    const id = message["id"] as RequestId;
    const instance = this.instanceForNewSession();
    if (typeof instance === "string") return reply(response, 200, id, instance);
    let registered = false;
    try {
      const result = await instance.initialize((message["params"] ?? {}) as Body);
      if (this.closed) return reply(response, 503, id, `stdio server "${this.server.name}" was removed`);
      // The client gave up while the process started (past its init timeout): no session for it (finally frees it).
      if (response.destroyed) return this.noteAnswerLost();
      const transport = this.transportFor(instance, result);
      await transport.start();
      this.endIfAnswerLost(response, transport);
      await transport.handleRequest(request, response, message);
      registered = [...this.sessions.values()].some((session) => session.transport === transport);
      if (!registered) await transport.close().catch(() => undefined);
    } catch (error: unknown) {
      return reply(response, 200, id, error instanceof Error ? error.message : String(error));
    } finally {
      // A process no session holds (the start failed, or the transport refused the request) must not keep its slot.
      if (!registered && instance !== this.shared) await this.release(instance);
    }
  }

  /**
   * Ends a session whose initialize answer never wholly reached its client (the gateway stopped waiting, e.g. past its
   * init timeout while the process started): nobody knows its id, so nobody would ever end it, and in `perSession` mode
   * it would hold a process slot until the idle timeout.
   */
  private endIfAnswerLost(response: ServerResponse, transport: StreamableHTTPServerTransport): void {
    response.once("close", () => {
      const id = transport.sessionId;
      if (response.writableFinished || id === undefined || !this.sessions.has(id)) return;
      this.noteAnswerLost();
      void transport.close().catch(() => undefined);
      void this.end(id);
    });
  }

  private noteAnswerLost(): void {
    this.logger.info("stdio bridge session ended: its initialize answer did not reach the client", {
      server: this.server.name,
    });
  }

  /** Serves a session's request, keeping it from idling out meanwhile. */
  private async serve(session: BridgeSession, request: IncomingMessage, response: ServerResponse, body: unknown) {
    session.active += 1;
    response.once("close", () => {
      session.active -= 1;
      session.lastUsed = Date.now();
    });
    session.lastUsed = Date.now();
    await session.transport.handleRequest(request, response, body);
  }

  /** Ends the sessions no request used within the idle timeout. */
  private endIdle(): void {
    const idleMs = this.idleTimeoutMs();
    const cutoff = Date.now() - idleMs;
    for (const [id, session] of this.sessions) {
      if (session.active > 0 || session.lastUsed > cutoff) continue;
      this.logger.info("stdio bridge session idle: ended", { server: this.server.name, idleMs });
      void session.transport.close().catch(() => undefined);
      void this.end(id);
    }
  }

  /** The process a new session attaches to, or why there is none. */
  private instanceForNewSession(): StdioInstance | string {
    if (this.closed) return `stdio server "${this.server.name}" was removed`;
    const mode = this.server.stdio;
    if (mode?.instances !== "perSession") return (this.shared ??= this.started());
    if (this.perSession >= mode.maxInstances) {
      return `stdio server "${this.server.name}": all ${String(mode.maxInstances)} per-session processes are in use (stdio.maxInstances); a new session can start when one ends`;
    }
    this.perSession += 1;
    return this.started();
  }

  private started(): StdioInstance {
    const instance = new StdioInstance(this.launch, this.logger, this.stderrBudget);
    this.instances.add(instance);
    return instance;
  }

  private transportFor(instance: StdioInstance, result: Body): StreamableHTTPServerTransport {
    let sessionId = "";
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessionId = id;
        this.sessions.set(id, { transport, instance, active: 0, lastUsed: Date.now() });
        instance.attach({ id, send: (out, related) => void deliver(transport, out, related) });
      },
      onsessionclosed: (id) => void this.end(id),
    });
    transport.onclose = () => void this.end(sessionId);
    transport.onmessage = (message) => {
      const raw = message as Body;
      // The process was initialized once (by the bridge); each session's own handshake is answered here.
      if (raw["method"] === "initialize" && raw["id"] !== undefined) {
        void deliver(transport, { jsonrpc: "2.0", id: raw["id"] as RequestId, result }, raw["id"] as RequestId);
      } else if (raw["method"] !== "notifications/initialized") instance.fromSession(sessionId, message);
    };
    return transport;
  }

  private async end(sessionId: string): Promise<void> {
    const session = this.sessions.get(sessionId);
    if (!session) return;
    this.sessions.delete(sessionId);
    session.instance.detach(sessionId);
    if (session.instance !== this.shared) await this.release(session.instance);
  }

  private async release(instance: StdioInstance): Promise<void> {
    if (!this.instances.delete(instance)) return;
    this.perSession -= 1;
    await instance.stop();
  }
}

async function deliver(transport: StreamableHTTPServerTransport, message: JSONRPCMessage, related?: RequestId) {
  await transport
    .send(message, related === undefined ? undefined : { relatedRequestId: related })
    .catch(() => undefined);
}

/**
 * Why the SDK transport would refuse this initialize (406 without both JSON and SSE in `Accept`, 415 without a JSON
 * `Content-Type`), checked before a process is started for it; undefined when it is acceptable.
 */
function unacceptableInitialize(request: IncomingMessage): [number, string] | undefined {
  const accept = request.headers.accept ?? "";
  if (!accept.includes("application/json") || !accept.includes("text/event-stream")) {
    return [406, "Not Acceptable: Client must accept both application/json and text/event-stream"];
  }
  if (!(request.headers["content-type"] ?? "").includes("application/json")) {
    return [415, "Unsupported Media Type: Content-Type must be application/json"];
  }
  return undefined;
}

function reply(response: ServerResponse, status: number, id: RequestId | undefined, message: string): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify({ jsonrpc: "2.0", id: id ?? null, error: { code: SERVER_ERROR, message } }));
}
