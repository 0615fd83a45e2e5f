import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { toNodeHandler } from "@modelcontextprotocol/node";
import { createMcpHandler, inputRequired, Server } from "@modelcontextprotocol/server";

/** A tool as a 2026 upstream lists it (raw JSON, so tests can list invalid ones too). */
export type ModernTool = Record<string, unknown> & { name: string };

/** What a {@link startModernUpstream} serves; every field may change while it runs (see `setTools`). */
export interface ModernUpstreamOptions {
  name?: string;
  tools?: ModernTool[];
  /** Tools per tools/list page (pagination); default: all on one page. */
  pageSize?: number;
  /** `ttlMs` of tools/list results; absent: none. */
  ttlMs?: number;
  /** `cacheScope` of tools/list results; absent: none. */
  cacheScope?: "public" | "private";
}

/** One request as the upstream received it: the JSON-RPC method, its params, and the standard headers. */
export interface ModernRequestRecord {
  method: string;
  params: Record<string, unknown>;
  headers: Record<string, string>;
}

/** A running 2026-07-28-only upstream (SDK v2, `legacy: 'reject'`): its URL, what it received, and controls. */
export interface ModernUpstream {
  url: string;
  requests: ModernRequestRecord[];
  setTools(tools: ModernTool[]): void;
  /** Publishes tools/list_changed on every open subscriptions/listen stream. */
  toolsChanged(): void;
  close(): Promise<void>;
}

/** A two-round tool (SEP-2322): asks to confirm, then (with requestState "confirmed") which scope, then answers. */
export const WIPE = "wipe";

const elicit = (message: string, field: string, type: string) =>
  inputRequired.elicit({
    message,
    requestedSchema: { type: "object", properties: { [field]: { type } }, required: [field] } as never,
  });

function answered(params: Record<string, unknown>, key: string): Record<string, unknown> | undefined {
  const responses = params["inputResponses"] as Record<string, { action?: string; content?: unknown }> | undefined;
  const answer = responses?.[key];
  return answer?.action === "accept" ? (answer.content as Record<string, unknown>) : undefined;
}

function wipe(params: Record<string, unknown>) {
  if (params["requestState"] !== "confirmed") {
    if (answered(params, "confirm")?.["confirm"] !== true)
      return inputRequired({ inputRequests: { confirm: elicit("Really wipe?", "confirm", "boolean") } });
    return inputRequired({
      inputRequests: { scope: elicit("Which scope?", "scope", "string") },
      requestState: "confirmed",
    });
  }
  return { content: [{ type: "text", text: `Wiped ${String(answered(params, "scope")?.["scope"] ?? "nothing")}` }] };
}

/** A tool answering with a resource_link to `memo://<text>` (list it with `tools`: its result names a resource). */
export const LINK: ModernTool = {
  name: "link",
  description: "Links to the memo named by its text argument.",
  inputSchema: { type: "object", properties: { text: { type: "string" } } },
};

const ECHO: ModernTool = {
  name: "echo",
  description: "Echoes its text argument.",
  inputSchema: { type: "object", properties: { text: { type: "string" } } },
};

/**
 * Starts a 2026-07-28 upstream on 127.0.0.1: the SDK's strict entry over a low-level server whose tools/list pages
 * and cache hints the test controls, and whose tools/call echoes `arguments.text` (prefixed by the tool's name).
 */
export async function startModernUpstream(options: ModernUpstreamOptions = {}): Promise<ModernUpstream> {
  let tools = options.tools ?? [ECHO];
  const requests: ModernRequestRecord[] = [];
  const pageSize = options.pageSize ?? Number.MAX_SAFE_INTEGER;
  const factory = (): Server => {
    const server = new Server(
      { name: options.name ?? "modern-upstream", version: "1.0.0" },
      { capabilities: { tools: { listChanged: true } } },
    );
    server.setRequestHandler("tools/list", (request) => {
      const start = Number(request.params?.cursor ?? 0);
      const page = tools.slice(start, start + pageSize);
      const next = start + pageSize < tools.length ? { nextCursor: String(start + pageSize) } : {};
      const hints = {
        ...(options.ttlMs !== undefined && { ttlMs: options.ttlMs }),
        ...(options.cacheScope !== undefined && { cacheScope: options.cacheScope }),
      };
      return { tools: page, ...next, ...hints } as never;
    });
    server.setRequestHandler("tools/call", (request, ctx) => {
      // The SDK lifts inputResponses and requestState out of params into the context.
      const round = { inputResponses: ctx.mcpReq.inputResponses, requestState: ctx.mcpReq.requestState() };
      if (request.params.name === WIPE) return wipe(round as Record<string, unknown>) as never;
      const text = String((request.params.arguments as { text?: unknown } | undefined)?.text ?? "");
      if (request.params.name === LINK.name)
        return { content: [{ type: "resource_link", uri: `memo://${text}`, name: text }] } as never;
      return { content: [{ type: "text", text: `${request.params.name}: ${text}` }] };
    });
    return server;
  };
  const handler = createMcpHandler(factory, { legacy: "reject" });
  const node = toNodeHandler(handler);
  const http = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown;
      try {
        body = text === "" ? undefined : JSON.parse(text);
      } catch {
        body = undefined;
      }
      const message = body as { method?: unknown; params?: unknown } | undefined;
      if (typeof message?.method === "string") {
        const headers = Object.fromEntries(
          Object.entries(req.headers).flatMap(([k, v]) => (typeof v === "string" ? [[k, v]] : [])),
        );
        requests.push({ method: message.method, params: (message.params ?? {}) as Record<string, unknown>, headers });
      }
      void node(req, res, body);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    requests,
    setTools: (next) => void (tools = next),
    toolsChanged: () => handler.notify.toolsChanged(),
    close: async () => {
      await handler.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
