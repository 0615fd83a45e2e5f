import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A plain JSON-RPC MCP upstream whose tools fail the way Envoy answers itself: `slow` replies after `slowMs` (past a
 * route timeout), `reset` drops the connection without a reply; `echo` answers at once.
 */
export interface EdgeUpstream {
  url: string;
  /** tools/call requests received so far, by tool name. */
  readonly calls: string[];
  stop(): Promise<void>;
}

type Message = { id?: unknown; method?: unknown; params?: Record<string, unknown> };

const TOOLS = ["echo", "slow", "reset"].map((name) => ({ name, inputSchema: { type: "object" } }));

function result(message: Message): unknown {
  if (message.method === "initialize") {
    const protocolVersion = message.params?.["protocolVersion"];
    return { protocolVersion, capabilities: { tools: {} }, serverInfo: { name: "edge", version: "1.0.0" } };
  }
  if (message.method === "tools/list") return { tools: TOOLS };
  if (message.method === "tools/call") return { content: [{ type: "text", text: "done" }] };
  return {};
}

/** Starts the upstream on a free port of 127.0.0.1. */
export async function startEdgeUpstream(slowMs = 3_000): Promise<EdgeUpstream> {
  const calls: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const handle = (request: IncomingMessage, response: ServerResponse, body: string): void => {
    if (request.method !== "POST") return void response.writeHead(request.method === "DELETE" ? 200 : 405).end();
    const message = JSON.parse(body) as Message;
    if (message.id === undefined) return void response.writeHead(202).end();
    const tool = message.method === "tools/call" ? String(message.params?.["name"]) : undefined;
    if (tool !== undefined) calls.push(tool);
    if (tool === "reset") return void request.socket.destroy();
    const headers = { "content-type": "application/json", "mcp-session-id": "edge-session-1" };
    const reply = (): void =>
      void response
        .writeHead(200, headers)
        .end(JSON.stringify({ jsonrpc: "2.0", id: message.id, result: result(message) }));
    if (tool !== "slow") return reply();
    const timer = setTimeout(() => (timers.delete(timer), reply()), slowMs);
    timers.add(timer);
  };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => handle(request, response, Buffer.concat(chunks).toString("utf8")));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    calls,
    stop: async () => {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
