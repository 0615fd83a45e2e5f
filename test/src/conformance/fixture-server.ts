import type { NextFunction, Request, Response } from "express";
import {
  BAD_REQUEST,
  SessionRegistry,
  createMcpHttpApp,
  listenMcpHttpApp,
  sendJsonRpcError,
  type RunningServer,
} from "@mcp-gateway/example-kit";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { createMcpExpressApp } from "@modelcontextprotocol/sdk/server/express.js";
import { SetLevelRequestSchema, type ServerCapabilities } from "@modelcontextprotocol/sdk/types.js";
import { addFixtureCompletion } from "./fixture-completion";
import { addFixturePrompts } from "./fixture-prompts";
import { addFixtureResources } from "./fixture-resources";
import { createListGenerations } from "./fixture-list-generations";
import { createFixtureSession } from "./fixture-session";
import type { FixtureShared } from "./fixture-shared";
import { addFixtureTools } from "./fixture-tools";

/** The name the fixture reports in `serverInfo`. */
export const FIXTURE_SERVER_NAME = "mcp-gateway-conformance-fixture";

/** Where the fixture listens. It always binds 127.0.0.1: DNS-rebinding protection is part of what it shows. */
export interface FixtureOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
}

// Host names a loopback server answers to; anything else in Host or Origin is a DNS-rebinding or cross-site attempt.
const LOOPBACK_HOSTNAMES: ReadonlySet<string> = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** What the fixture declares in `initialize`: listChanged because test_trigger_*_change change and announce lists. */
export const FIXTURE_CAPABILITIES: ServerCapabilities = {
  tools: { listChanged: true },
  prompts: { listChanged: true },
  resources: { subscribe: true },
  logging: {},
  completions: {},
};

/** Builds the MCP server of one session of `fixture`: every conformance tool, prompt, resource, completion, level. */
export function createFixtureServer(fixture: FixtureShared): McpServer {
  // McpServer is only the shell SessionRegistry expects. It gets no capabilities in its constructor (which would
  // install its own zod-based handlers and add listChanged); every handler is set on the low-level Server instead,
  // so tools/list carries exactly the JSON Schemas of the fixture.
  const mcp = new McpServer({ name: FIXTURE_SERVER_NAME, version: "1.0.0" });
  mcp.server.registerCapabilities(FIXTURE_CAPABILITIES);
  const session = createFixtureSession();
  // Tool logs travel on the call's stream (extra.sendNotification), outside the SDK's own per-session filter, so the
  // fixture keeps the level itself.
  mcp.server.setRequestHandler(SetLevelRequestSchema, (request) => {
    session.logLevel = request.params.level;
    return {};
  });
  addFixtureTools(mcp.server, session, fixture);
  addFixturePrompts(mcp.server, fixture.lists);
  addFixtureResources(mcp.server, session);
  addFixtureCompletion(mcp.server);
  return mcp;
}

/** Middleware: 403 for a request whose Origin names a non-loopback host (a request without Origin passes). */
export function rejectForeignOrigin(req: Request, res: Response, next: NextFunction): void {
  const origin = req.headers.origin;
  if (origin === undefined || isLoopbackOrigin(origin)) return next();
  sendJsonRpcError(res, 403, BAD_REQUEST, `Invalid Origin: ${origin}`);
}

function isLoopbackOrigin(origin: string): boolean {
  try {
    return LOOPBACK_HOSTNAMES.has(new URL(origin).hostname);
  } catch {
    return false; // "null" (sandboxed or opaque origins) and garbage are not loopback.
  }
}

/** Starts the fixture on 127.0.0.1 with stateful Streamable HTTP sessions at /mcp. */
export async function startConformanceFixture(options: FixtureOptions = {}): Promise<RunningServer> {
  const lists = createListGenerations();
  const sessions = new SessionRegistry((live) => createFixtureServer({ sessions: live, lists }));
  // createMcpExpressApp on 127.0.0.1 answers 403 to a non-loopback Host before reading the body; the Origin check
  // follows. The example-kit app mounted below routes POST/GET/DELETE /mcp to one transport per Mcp-Session-Id.
  const app = createMcpExpressApp({ host: "127.0.0.1" });
  app.use(rejectForeignOrigin);
  app.use(createMcpHttpApp(sessions));
  return listenMcpHttpApp(app, sessions, { port: options.port ?? 0, host: "127.0.0.1" });
}
