// test support
/**
 * Fixture HTTP servers for tests of the gateway's upstream side (test support only: nothing outside `*.test.ts`
 * imports this). Every server binds 127.0.0.1 and is closed by the test that started it.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import {
  ListToolsRequestSchema,
  type ListToolsResult,
  type ServerCapabilities,
} from "@modelcontextprotocol/sdk/types.js";
import { parseConfig } from "../config/load";
import type { GatewayConfig } from "../config/schema";

/** A listening fixture (test support): its MCP URL and a close() that also drops open connections. */
export interface FixtureServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves `handler` on 127.0.0.1 (test support); `port` 0 picks a free port. */
export async function listenFixture(handler: RequestListener, port = 0): Promise<FixtureServer> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      // A fixture that never answers keeps its requests open; drop them so close() does not wait on them.
      server.closeAllConnections();
    });
  return { url: `http://127.0.0.1:${bound}/mcp`, port: bound, close: () => (closing ??= close()) };
}

/** Reads a whole request body as text (test support). */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** A port nothing listens on right now (test support): bound once, then released. */
export async function freePort(): Promise<number> {
  const fixture = await listenFixture(() => undefined);
  await fixture.close();
  return fixture.port;
}

/** One page of a tools/list answer; items are sent as given, valid or not. */
export interface ToolPage {
  tools?: unknown[];
  nextCursor?: string;
}

/** What an {@link startMcpFixture} server declares and lists (test support). */
export interface McpFixtureOptions {
  /** Capabilities declared at initialize; default `{ tools: {} }`. */
  capabilities?: ServerCapabilities;
  /** The tools/list page for a cursor (undefined for the first page); default: no tools. */
  listTools?: (cursor: string | undefined) => ToolPage;
  /** Never answer DELETE (an upstream that hangs while the gateway ends its session). */
  stallDeletes?: boolean;
  /** Hold each initialize reply this long after its session exists (the window where a client may give up on it). */
  initializeDelayMs?: number;
}

/** A running MCP fixture (test support). */
export interface McpFixture extends FixtureServer {
  /** Number of initialized sessions not yet ended (DELETE or close). */
  sessionCount(): number;
  /** Number of sessions ever initialized. */
  initializeCount(): number;
  /** Number of tools/list requests answered so far. */
  listCalls(): number;
}

/**
 * A stateful Streamable HTTP MCP server built on the SDK's low-level `Server` (test support), for listings the example
 * servers cannot produce: arbitrary (invalid) tools, several pages, missing capabilities.
 */
export async function startMcpFixture(options: McpFixtureOptions = {}): Promise<McpFixture> {
  const capabilities = options.capabilities ?? { tools: {} };
  const listTools = options.listTools ?? (() => ({ tools: [] }));
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  let listCalls = 0;
  let initializeCount = 0;

  const newSession = async (): Promise<StreamableHTTPServerTransport> => {
    const server = new Server({ name: "fixture", version: "0.0.0" }, { capabilities });
    if (capabilities.tools) {
      server.setRequestHandler(ListToolsRequestSchema, (request) => {
        listCalls += 1;
        // Deliberately unchecked: the point of this fixture is to send what a faulty upstream would.
        return listTools(request.params?.cursor) as ListToolsResult;
      });
    }
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: async (id) => {
        initializeCount += 1;
        sessions.set(id, transport);
        await new Promise((resolve) => setTimeout(resolve, options.initializeDelayMs ?? 0));
      },
    });
    transport.onclose = () => {
      if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    return transport;
  };

  const serve = async (req: IncomingMessage, res: Parameters<RequestListener>[1]): Promise<void> => {
    if (options.stallDeletes && req.method === "DELETE") return;
    const id = req.headers["mcp-session-id"];
    if (typeof id === "string") {
      const transport = sessions.get(id);
      if (transport) return transport.handleRequest(req, res);
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32001, message: "Session not found" }, id: null }));
      return;
    }
    const transport = await newSession();
    await transport.handleRequest(req, res);
    if (transport.sessionId === undefined) await transport.close();
  };

  const fixture = await listenFixture((req, res) => void serve(req, res));
  return {
    ...fixture,
    sessionCount: () => sessions.size,
    initializeCount: () => initializeCount,
    listCalls: () => listCalls,
    close: async () => {
      await Promise.all([...sessions.values()].map((transport) => transport.close()));
      await fixture.close();
    },
  };
}

/** Polls `condition` every 10 ms until it holds (test support); fails naming `what` after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Health settings of {@link fixtureConfig}, as YAML durations. */
export interface FixtureHealth {
  interval: string;
  maxBackoff: string;
  timeout: string;
}

/**
 * A gateway config for `servers` (name to URL, or to URL and prefix) with fast health checks (test support): by
 * default pings every 100 ms, backoff 100 → 200 → 400 ms, 1 s request timeout.
 */
export function fixtureConfig(
  servers: Readonly<Record<string, string | { url: string; prefix: string }>>,
  health: Partial<FixtureHealth> = {},
): GatewayConfig {
  const { interval, maxBackoff, timeout }: FixtureHealth = {
    interval: "100ms",
    maxBackoff: "400ms",
    timeout: "1s",
    ...health,
  };
  const entries = Object.entries(servers).map(([name, server]) => {
    const { url, prefix } = typeof server === "string" ? { url: server, prefix: undefined } : server;
    return `  - { name: ${name}, url: "${url}"${prefix === undefined ? "" : `, prefix: "${prefix}"`} }`;
  });
  const yaml = [
    "version: 1",
    "auth: none",
    `health: { interval: ${interval}, maxBackoff: ${maxBackoff}, timeout: ${timeout} }`,
    "servers:",
    ...entries,
  ];
  return parseConfig(`${yaml.join("\n")}\n`, {});
}
