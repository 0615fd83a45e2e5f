import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { RunningServer } from "@mcp-gateway/example-kit";
import { toNodeHandler } from "@modelcontextprotocol/node";
import {
  McpServer,
  createMcpHandler,
  createRequestStateCodec,
  hostHeaderValidationResponse,
  localhostAllowedHostnames,
  localhostAllowedOrigins,
  originValidationResponse,
  type McpHttpHandler,
} from "@modelcontextprotocol/server";
import { createListGenerations } from "./fixture-list-generations";
import type { FixtureOptions } from "./fixture-server";
import { registerModernCatalog } from "./modern-fixture-catalog";
import type { ModernFixtureShared } from "./modern-fixture-context";
import { MRTR_TOOLS } from "./modern-fixture-mrtr-tools";
import { TASKS_EXTENSION, TaskStore } from "./modern-fixture-task-store";
import { registerModernTasks, taskRequirementResponse } from "./modern-fixture-tasks";
import { MODERN_BASE_TOOLS, registerModernTools } from "./modern-fixture-tools";

/** The name the 2026 fixture reports in `serverInfo`. */
export const MODERN_FIXTURE_SERVER_NAME = "mcp-gateway-conformance-fixture-2026";

/** Builds the McpServer of one request: every 2026 conformance tool, prompt, resource and completion. */
export function createModernFixtureServer(shared: ModernFixtureShared): McpServer {
  const mcp = new McpServer(
    { name: MODERN_FIXTURE_SERVER_NAME, version: "1.0.0" },
    {
      capabilities: {
        // The SDK sends ctx.mcpReq.log messages only when the server declares logging (and the request's _meta has
        // a log level): without it test_tool_with_logging logs nothing at any level.
        logging: {},
        tools: { listChanged: true },
        prompts: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        completions: {},
        extensions: { [TASKS_EXTENSION]: {} },
      },
      // A retry whose requestState fails the HMAC (tampered, expired, foreign) is refused with -32602 before any
      // handler runs.
      requestState: { verify: shared.requestState.verify },
    },
  );
  registerModernTools(mcp, [...MODERN_BASE_TOOLS, ...MRTR_TOOLS], shared);
  registerModernCatalog(mcp, shared.lists);
  registerModernTasks(mcp, shared);
  return mcp;
}

/** The fixture's MCP handler: 2026-07-28 only (`legacy: 'reject'`), one McpServer per request. */
export function createModernFixtureHandler(): McpHttpHandler {
  const requestState = createRequestStateCodec<Record<string, unknown>>({ key: randomBytes(32) });
  // The notifier is the handler's own; the factory only runs per request, after the handler exists.
  const shared: ModernFixtureShared = {
    requestState,
    lists: createListGenerations(),
    tasks: new TaskStore(),
    get notify() {
      return handler.notify;
    },
  };
  const handler: McpHttpHandler = createMcpHandler(() => createModernFixtureServer(shared), { legacy: "reject" });
  return handler;
}

/** Starts the 2026 fixture on 127.0.0.1 at /mcp: stateless, loopback Host and Origin only (DNS-rebinding guard). */
export async function startModernConformanceFixture(options: FixtureOptions = {}): Promise<RunningServer> {
  const handler = createModernFixtureHandler();
  const guarded = {
    fetch: async (request: Request): Promise<Response> =>
      hostHeaderValidationResponse(request, localhostAllowedHostnames()) ??
      originValidationResponse(request, localhostAllowedOrigins()) ??
      (await taskRequirementResponse(request)) ??
      handler.fetch(request),
  };
  const serve = toNodeHandler(guarded);
  const http = createServer((req, res) => {
    if (new URL(req.url ?? "/", "http://127.0.0.1").pathname !== "/mcp") {
      res.writeHead(404).end();
      return;
    }
    void serve(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = http.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    port,
    close: () => {
      closing ??= (async () => {
        await handler.close();
        http.closeAllConnections();
        await new Promise<void>((resolve) => http.close(() => resolve()));
      })();
      return closing;
    },
  };
}
