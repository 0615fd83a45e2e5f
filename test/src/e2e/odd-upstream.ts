import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * An upstream MCP server with odd data in what becomes header values: tools whose names hold characters outside
 * visible ASCII (CR LF, NUL, Unicode, `%`), and a session id of its choosing per path (`/<label>/mcp` answers
 * initialize with `sessionIds[label]`, `/mcp` with a well-formed one). Plain JSON-RPC over HTTP, no SDK, so nothing
 * checks or normalizes what it sends. Every `x-mcp-tool` header it receives is recorded as it arrived (latin1).
 */
export interface OddUpstream {
  url(label?: string): string;
  /** The `x-mcp-tool` values of the tools/call requests received so far, in order. */
  readonly toolHeaders: string[];
  stop(): Promise<void>;
}

const json = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  response.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
};

function answer(
  message: { id?: unknown; method?: unknown; params?: Record<string, unknown> },
  tools: readonly string[],
): unknown {
  switch (message.method) {
    case "initialize":
      return {
        protocolVersion: message.params?.["protocolVersion"],
        capabilities: { tools: {} },
        serverInfo: { name: "odd", version: "1.0.0" },
      };
    case "tools/list":
      return { tools: tools.map((name) => ({ name, inputSchema: { type: "object" } })) };
    case "tools/call":
      return { content: [{ type: "text", text: `called ${JSON.stringify(message.params?.["name"])}` }] };
    case "ping":
      return {};
    default:
      return undefined;
  }
}

/** Starts the odd upstream on a free port of 127.0.0.1. */
export async function startOddUpstream(
  tools: readonly string[],
  sessionIds: Readonly<Record<string, string>> = {},
): Promise<OddUpstream> {
  const toolHeaders: string[] = [];
  const handle = (request: IncomingMessage, response: ServerResponse, body: string): void => {
    if (request.method === "DELETE") return void response.writeHead(200).end();
    if (request.method !== "POST") return void response.writeHead(405).end();
    const label = /^\/([^/]+)\/mcp$/.exec(request.url ?? "")?.[1];
    const message = JSON.parse(body) as { id?: unknown; method?: unknown; params?: Record<string, unknown> };
    if (message.id === undefined) return void response.writeHead(202).end();
    if (message.method === "tools/call") toolHeaders.push(String(request.headers["x-mcp-tool"]));
    const result = answer(message, tools);
    if (result === undefined) {
      return json(response, 200, { jsonrpc: "2.0", id: message.id, error: { code: -32601, message: "not found" } });
    }
    const session: Record<string, string> = {};
    if (message.method === "initialize") {
      session["mcp-session-id"] = label === undefined ? "odd-session-1" : (sessionIds[label] ?? "");
    }
    json(response, 200, { jsonrpc: "2.0", id: message.id, result }, session);
  };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => handle(request, response, Buffer.concat(chunks).toString("utf8")));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (label) => `http://127.0.0.1:${port}${label === undefined ? "" : `/${label}`}/mcp`,
    toolHeaders,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
