import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { createMcpHttpApp, SessionRegistry } from "@mcp-gateway/example-kit";
import { z } from "zod";

/** The upstream of the console's form and rendering tests (a real MCP SDK server). */
export interface ConsoleUpstream {
  url: string;
  close(): Promise<void>;
}

/** Markup an upstream might send hoping a console renders it as HTML. */
export const HOSTILE_HTML = `<img src=x onerror="globalThis.__pwned=1"><script>globalThis.__pwned=2</script>`;

// An SVG can carry script: the console must not show one as an image.
const SVG = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" onload="globalThis.__pwned=3"/>`).toString("base64");

function consoleMcpServer(): McpServer {
  const server = new McpServer({ name: "shop", version: "1.0.0" }, { capabilities: { logging: {} } });
  // Every kind of field the generated form builds: nested object, array of objects, enum, number, integer, boolean.
  server.registerTool(
    "place_order",
    {
      description: "Places an order and echoes it back as JSON",
      inputSchema: {
        customer: z.object({ name: z.string(), vip: z.boolean().optional() }),
        items: z.array(z.object({ sku: z.string(), quantity: z.number().int().min(1) })),
        shipping: z.enum(["standard", "express"]),
        tip: z.number().optional(),
      },
    },
    (args) => ({ content: [{ type: "text", text: JSON.stringify(args) }] }),
  );
  // Hostile content in every block type: text, an HTML resource, an SVG "image", an SVG resource blob.
  server.registerTool("hostile_content", { description: "Returns markup in every content type" }, () => ({
    content: [
      { type: "text", text: HOSTILE_HTML },
      { type: "resource", resource: { uri: "shop://page", mimeType: "text/html", text: HOSTILE_HTML } },
      { type: "image", mimeType: "image/svg+xml", data: SVG },
      { type: "resource", resource: { uri: "shop://logo", mimeType: "image/svg+xml", blob: SVG } },
    ],
  }));
  // Log notifications on the call's own stream while it runs, then the result.
  server.registerTool("pack_with_logs", { description: "Logs each packing step, then answers" }, async (extra) => {
    for (const step of ["picking", "packing", "labelling"]) {
      await extra.sendNotification({
        method: "notifications/message",
        params: { level: "info", logger: "shop", data: step },
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return { content: [{ type: "text", text: "packed" }] };
  });
  return server;
}

/** Starts a {@link ConsoleUpstream} on 127.0.0.1 and a free port. */
export async function startConsoleUpstream(): Promise<ConsoleUpstream> {
  const sessions = new SessionRegistry(consoleMcpServer);
  const app = createMcpHttpApp(sessions);
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    close: async () => {
      await sessions.closeAll();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
