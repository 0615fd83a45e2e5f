import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";

/** A file-like upstream: `fs://host/public/readme` and `fs://host/private/key`, recording every read it serves. */
export interface ResourceUpstream {
  url: string;
  /** The `params.uri` of every resources/read that reached it, as received. */
  reads: string[];
  close(): Promise<void>;
}

/** The secret the private resource holds: it must never reach a consumer allowed only public/. */
export const PRIVATE_KEY_TEXT = "PRIVATE-KEY-MATERIAL-e2e";

function newServer(): McpServer {
  const server = new McpServer({ name: "files", version: "1.0.0" });
  // The SDK's own lookup (`new URL(uri).href`) is what resolves `public/.\t./private/key` to the private file.
  const serve = (text: string) => (uri: URL) => {
    return { contents: [{ uri: uri.href, mimeType: "text/plain", text }] };
  };
  server.registerResource("readme", "fs://host/public/readme", {}, serve("public readme"));
  server.registerResource("key", "fs://host/private/key", {}, serve(PRIVATE_KEY_TEXT));
  // The gateway requires the tools capability of every upstream.
  server.registerTool("stat", { description: "Says the file server is up." }, () => ({
    content: [{ type: "text", text: "up" }],
  }));
  server.server.onerror = () => undefined;
  return server;
}

/**
 * Starts the upstream on 127.0.0.1 (stateful Streamable HTTP, one SDK server per session); `build` makes each
 * session's SDK server (default: the file-like one above).
 */
export async function startResourceUpstream(build: () => McpServer = newServer): Promise<ResourceUpstream> {
  const reads: string[] = [];
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const body = text === "" ? undefined : (JSON.parse(text) as Record<string, unknown>);
    const params = body?.["params"] as Record<string, unknown> | undefined;
    if (body?.["method"] === "resources/read") reads.push(String(params?.["uri"]));
    const id = req.headers["mcp-session-id"];
    let transport = typeof id === "string" ? sessions.get(id) : undefined;
    if (!transport) {
      if (typeof id === "string") {
        res.writeHead(404).end();
        return;
      }
      const created = new StreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        onsessioninitialized: (sid) => void sessions.set(sid, created),
      });
      await build().connect(created);
      transport = created;
    }
    await transport.handleRequest(req, res, body);
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.headersSent || res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    reads,
    async close() {
      await Promise.all([...sessions.values()].map((t) => t.close()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
