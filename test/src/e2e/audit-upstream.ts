import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A plain JSON-RPC MCP upstream for the audit tests: `slow_sse` sends its SSE headers at once and its result after
 * `slowMs`; `fails` and `fails_sse` return a tool result with `isError: true` (JSON, SSE); `ok` answers at once.
 */
export interface AuditUpstream {
  url: string;
  stop(): Promise<void>;
}

type Message = { id?: unknown; method?: unknown; params?: Record<string, unknown> };

const TOOLS = ["ok", "slow_sse", "fails", "fails_sse"].map((name) => ({ name, inputSchema: { type: "object" } }));

function result(message: Message, tool: string | undefined): unknown {
  if (message.method === "initialize") {
    const protocolVersion = message.params?.["protocolVersion"];
    return { protocolVersion, capabilities: { tools: {} }, serverInfo: { name: "audit", version: "1.0.0" } };
  }
  if (message.method === "tools/list") return { tools: TOOLS };
  if (tool?.startsWith("fails")) return { content: [{ type: "text", text: "it broke" }], isError: true };
  if (tool !== undefined) return { content: [{ type: "text", text: "done" }] };
  return {};
}

/** Starts the upstream on a free port of 127.0.0.1. */
export async function startAuditUpstream(slowMs: number): Promise<AuditUpstream> {
  const timers = new Set<NodeJS.Timeout>();
  const handle = (request: IncomingMessage, response: ServerResponse, body: string): void => {
    if (request.method !== "POST") return void response.writeHead(request.method === "DELETE" ? 200 : 405).end();
    const message = JSON.parse(body) as Message;
    if (message.id === undefined) return void response.writeHead(202).end();
    const tool = message.method === "tools/call" ? String(message.params?.["name"]) : undefined;
    const reply = JSON.stringify({ jsonrpc: "2.0", id: message.id, result: result(message, tool) });
    const session = { "mcp-session-id": "audit-session-1" };
    if (!tool?.endsWith("_sse")) {
      return void response.writeHead(200, { "content-type": "application/json", ...session }).end(reply);
    }
    response.writeHead(200, { "content-type": "text/event-stream", ...session });
    response.flushHeaders();
    const timer = setTimeout(
      () => (timers.delete(timer), response.end(`event: message\ndata: ${reply}\n\n`)),
      tool === "slow_sse" ? slowMs : 0,
    );
    timers.add(timer);
  };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => handle(request, response, Buffer.concat(chunks).toString("utf8")));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    stop: async () => {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
