// Kept identical in examples/weather-server and examples/notes-server: each example is a self-contained package.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";

/** What a per-session McpServer may ask about the sessions around it. */
export interface LiveSessions {
  /** Number of initialized sessions that have not closed. */
  count(): number;
  /** Every connected McpServer, including one whose `initialize` is still in flight. */
  servers(): Iterable<McpServer>;
}

/** Builds the McpServer for one new session; called once per `initialize`. */
export type McpServerFactory = (sessions: LiveSessions) => McpServer;

/** Stateful Streamable HTTP sessions: one McpServer and one transport per `Mcp-Session-Id`. */
export class SessionRegistry implements LiveSessions {
  private readonly transports = new Map<string, StreamableHTTPServerTransport>();
  private readonly connected = new Set<McpServer>();

  /** `createServer` builds the McpServer for each new session. */
  constructor(private readonly createServer: McpServerFactory) {}

  /** Number of initialized sessions that have not closed. */
  count(): number {
    return this.transports.size;
  }

  /** Every connected McpServer, including one whose `initialize` is still in flight. */
  servers(): Iterable<McpServer> {
    return this.connected.values();
  }

  /** The transport of a live session, or undefined when the id is unknown or closed. */
  get(sessionId: string): StreamableHTTPServerTransport | undefined {
    return this.transports.get(sessionId);
  }

  /** Serves an `initialize` POST on a new session; the session exists only if the transport accepted it. */
  async initialize(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const transport = await this.connect();
    await transport.handleRequest(req, res, body);
    // A rejected initialize (bad protocol version, batch, ...) never gets a session id: drop its server.
    const id = transport.sessionId;
    if (id === undefined || !this.transports.has(id)) await transport.close();
  }

  /** Closes every session (and so every SSE stream), e.g. on shutdown. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.transports.values()].map((transport) => transport.close()));
  }

  private async connect(): Promise<StreamableHTTPServerTransport> {
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (id) => {
        this.transports.set(id, transport);
      },
    });
    const server = this.createServer(this);
    // Set before connect(): Protocol.connect chains its own close handler after this one.
    transport.onclose = () => {
      if (transport.sessionId !== undefined) this.transports.delete(transport.sessionId);
      this.connected.delete(server);
    };
    this.connected.add(server);
    await server.connect(transport);
    return transport;
  }
}
