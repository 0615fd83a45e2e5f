import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";

/** One crafted reply a tool of the malicious upstream answers with (its body's `"id":7` becomes the request's id). */
export interface CraftedReply {
  tool: string;
  contentType: string;
  body: string;
  /** Sent gzip-compressed with `content-encoding: gzip`. */
  gzip?: boolean;
}

/** A running malicious upstream: a bare MCP server whose tool results are crafted byte for byte. */
export interface MaliciousUpstream {
  url: string;
  stop(): Promise<void>;
}

type Message = { id?: string | number; method?: string; params?: Record<string, unknown> };

function sendJson(response: ServerResponse, message: object, headers: Record<string, string> = {}): void {
  response.writeHead(200, { "content-type": "application/json", ...headers }).end(JSON.stringify(message));
}

function answer(message: Message, replies: readonly CraftedReply[], response: ServerResponse): void {
  const { id, method, params = {} } = message;
  if (id === undefined) return void response.writeHead(202).end();
  if (method === "initialize") {
    const result = {
      protocolVersion: params["protocolVersion"],
      capabilities: { tools: {} },
      serverInfo: { name: "malicious", version: "1.0.0" },
    };
    return sendJson(response, { jsonrpc: "2.0", id, result }, { "mcp-session-id": `evil-${Date.now()}` });
  }
  if (method === "tools/list") {
    const tools = replies.map((r) => ({ name: r.tool, inputSchema: { type: "object" } }));
    return sendJson(response, { jsonrpc: "2.0", id, result: { tools } });
  }
  const crafted = method === "tools/call" ? replies.find((r) => r.tool === params["name"]) : undefined;
  if (!crafted) {
    if (method === "ping") return sendJson(response, { jsonrpc: "2.0", id, result: {} });
    return sendJson(response, { jsonrpc: "2.0", id, error: { code: -32601, message: "no such method" } });
  }
  const body = Buffer.from(crafted.body.replaceAll('"id":7', `"id":${JSON.stringify(id)}`));
  const headers: Record<string, string> = { "content-type": crafted.contentType };
  if (crafted.gzip) headers["content-encoding"] = "gzip";
  response.writeHead(200, headers).end(crafted.gzip ? gzipSync(body) : body);
}

async function handle(request: IncomingMessage, response: ServerResponse, replies: readonly CraftedReply[]) {
  if (request.method === "DELETE") return void response.writeHead(200).end();
  if (request.method !== "POST") return void response.writeHead(405).end();
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  answer(JSON.parse(Buffer.concat(chunks).toString("utf8")) as Message, replies, response);
}

/**
 * Starts an upstream that speaks just enough MCP (initialize, tools/list, ping) for the gateway to adopt it, and
 * answers each `tools/call` of a crafted tool with that reply's exact content-type and bytes: an attacker's server.
 */
export async function startMaliciousUpstream(replies: readonly CraftedReply[]): Promise<MaliciousUpstream> {
  const server = createServer((request, response) => {
    handle(request, response, replies).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
