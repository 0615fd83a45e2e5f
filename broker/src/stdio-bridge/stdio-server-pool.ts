import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";
import { StdioInstance, type Logger, type ServerConfig, type StdioLaunch } from "@mcp-gateway/core";

/** A stdio server's entry (one with `command`). */
export type StdioServerConfig = ServerConfig & { command: string };

interface BridgeSession {
  transport: StreamableHTTPServerTransport;
  instance: StdioInstance;
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
  private shared: StdioInstance | undefined;
  /** perSession processes running or starting. */
  private perSession = 0;
  private closed = false;

  constructor(
    readonly server: StdioServerConfig,
    private readonly launch: StdioLaunch,
    private readonly logger: Logger,
  ) {}

  /** The pids of this server's running processes (for status and tests). */
  pids(): number[] {
    const instances = new Set([...this.sessions.values()].map((session) => session.instance));
    if (this.shared) instances.add(this.shared);
    return [...instances].flatMap((instance) => (instance.pid === undefined ? [] : [instance.pid]));
  }

  /** Serves one HTTP request for this server: a session's request, or an initialize that opens one. */
  async handle(request: IncomingMessage, response: ServerResponse, body: unknown): Promise<void> {
    const sessionId = request.headers["mcp-session-id"];
    if (typeof sessionId === "string") {
      const session = this.sessions.get(sessionId);
      if (!session) return reply(response, 404, undefined, "Session not found");
      return session.transport.handleRequest(request, response, body);
    }
    const message = body as Body | undefined;
    if (request.method !== "POST" || message?.["method"] !== "initialize" || message["id"] === undefined) {
      return reply(response, 400, undefined, "Bad Request: no Mcp-Session-Id; a session starts with initialize");
    }
    await this.open(request, response, message);
  }

  /** Ends every session and stops every process of this server. */
  async close(): Promise<void> {
    this.closed = true;
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(sessions.map((session) => session.transport.close().catch(() => undefined)));
    await Promise.all([...sessions.map((s) => s.instance.stop()), this.shared?.stop()]);
  }

  private async open(request: IncomingMessage, response: ServerResponse, message: Body): Promise<void> {
    const id = message["id"] as RequestId;
    const instance = this.instanceForNewSession();
    if (typeof instance === "string") return reply(response, 200, id, instance);
    let result: Body;
    try {
      result = await instance.initialize((message["params"] ?? {}) as Body);
    } catch (error: unknown) {
      if (instance !== this.shared) await this.release(instance);
      return reply(response, 200, id, error instanceof Error ? error.message : String(error));
    }
    if (this.closed) return reply(response, 503, id, `stdio server "${this.server.name}" was removed`);
    const transport = this.transportFor(instance, result);
    await transport.start();
    await transport.handleRequest(request, response, message);
  }

  /** The process a new session attaches to, or why there is none. */
  private instanceForNewSession(): StdioInstance | string {
    if (this.closed) return `stdio server "${this.server.name}" was removed`;
    const mode = this.server.stdio;
    if (mode?.instances !== "perSession") return (this.shared ??= new StdioInstance(this.launch, this.logger));
    if (this.perSession >= mode.maxInstances) {
      return `stdio server "${this.server.name}": all ${String(mode.maxInstances)} per-session processes are in use (stdio.maxInstances); a new session can start when one ends`;
    }
    this.perSession += 1;
    return new StdioInstance(this.launch, this.logger);
  }

  private transportFor(instance: StdioInstance, result: Body): StreamableHTTPServerTransport {
    let sessionId = "";
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessionId = id;
        this.sessions.set(id, { transport, instance });
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
    this.perSession -= 1;
    await instance.stop();
  }
}

async function deliver(transport: StreamableHTTPServerTransport, message: JSONRPCMessage, related?: RequestId) {
  await transport
    .send(message, related === undefined ? undefined : { relatedRequestId: related })
    .catch(() => undefined);
}

function reply(response: ServerResponse, status: number, id: RequestId | undefined, message: string): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify({ jsonrpc: "2.0", id: id ?? null, error: { code: SERVER_ERROR, message } }));
}
