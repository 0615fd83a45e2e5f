// Kept identical in examples/weather-server and examples/notes-server: each example is a self-contained package.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Express, NextFunction, Request, Response } from "express";
import { createMcpExpressApp } from "@modelcontextprotocol/sdk/server/express.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import type { SessionRegistry } from "./session-registry";

/** JSON-RPC code the MCP spec pairs with HTTP 404: the session is gone, re-initialize. The gateway relies on it. */
export const SESSION_NOT_FOUND = -32001;
/** JSON-RPC code the SDK uses for transport-level bad requests. */
export const BAD_REQUEST = -32000;

/** Where and how an example server listens. */
export interface StartOptions {
  /** TCP port; 0 picks a free one. Each server has its own default. */
  port?: number;
  /** Interface to bind; defaults to 127.0.0.1 (loopback only). */
  host?: string;
  /** Host-header names to accept; by default only localhost names (the SDK's DNS-rebinding protection). */
  allowedHosts?: readonly string[];
}

/** A listening example server. */
export interface RunningServer {
  /** The MCP endpoint, e.g. `http://127.0.0.1:9101/mcp`. */
  url: string;
  /** The port actually bound (useful with port 0). */
  port: number;
  /** Closes every session and the HTTP server; safe to call twice. */
  close(): Promise<void>;
}

/** Builds (without listening) an Express app serving MCP Streamable HTTP at POST/GET/DELETE /mcp. */
export function createMcpHttpApp(sessions: SessionRegistry, options: StartOptions = {}): Express {
  const app = createMcpExpressApp({
    host: options.host ?? "127.0.0.1",
    ...(options.allowedHosts ? { allowedHosts: [...options.allowedHosts] } : {}),
  });
  app.post("/mcp", (req, res) => handlePost(sessions, req, res));
  app.get("/mcp", (req, res) => handleSessionRequest(sessions, req, res));
  app.delete("/mcp", (req, res) => handleSessionRequest(sessions, req, res));
  app.use(handleError);
  return app;
}

/** Listens with `app` and returns a handle whose close() also ends every session in `sessions`. */
export async function listenMcpHttpApp(
  app: Express,
  sessions: SessionRegistry,
  options: StartOptions & { port: number },
): Promise<RunningServer> {
  const host = options.host ?? "127.0.0.1";
  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    await sessions.closeAll();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Sessions are closed, so whatever connection remains is idle keep-alive or mid-request: drop it.
      server.closeAllConnections();
    });
  };
  return { url: `http://${urlHost(host)}:${port}/mcp`, port, close: () => (closing ??= close()) };
}

/** Writes a JSON-RPC error body (id null: it answers no particular request) with an HTTP status. */
export function sendJsonRpcError(res: Response, status: number, code: number, message: string): void {
  res.status(status).json({ jsonrpc: "2.0", error: { code, message }, id: null });
}

async function handlePost(sessions: SessionRegistry, req: Request, res: Response): Promise<void> {
  if (sessionIdOf(req) !== undefined) return handleSessionRequest(sessions, req, res);
  if (!isInitializeRequest(req.body)) {
    return sendJsonRpcError(res, 400, BAD_REQUEST, "Bad Request: no Mcp-Session-Id and not an initialize request");
  }
  await sessions.initialize(req, res, req.body);
}

async function handleSessionRequest(sessions: SessionRegistry, req: Request, res: Response): Promise<void> {
  const sessionId = sessionIdOf(req);
  if (sessionId === undefined) {
    return sendJsonRpcError(res, 400, BAD_REQUEST, "Bad Request: Mcp-Session-Id header is required");
  }
  const transport = sessions.get(sessionId);
  if (transport === undefined) return sendJsonRpcError(res, 404, SESSION_NOT_FOUND, "Session not found");
  await transport.handleRequest(req, res, req.body);
}

function sessionIdOf(req: Request): string | undefined {
  const value = req.headers["mcp-session-id"];
  return typeof value === "string" && value !== "" ? value : undefined;
}

// Express 5 routes rejected promises here; answer in JSON-RPC rather than Express's HTML error page.
function handleError(err: unknown, _req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) return next(err);
  const status = httpStatusOf(err);
  // The only 4xx Express raises before a route runs is from express.json(): a malformed or oversized body.
  if (status < 500) return sendJsonRpcError(res, status, -32700, "Parse error");
  sendJsonRpcError(res, status, -32603, "Internal error");
}

function httpStatusOf(err: unknown): number {
  const status = typeof err === "object" && err !== null && "status" in err ? err.status : undefined;
  return typeof status === "number" && status >= 400 && status < 600 ? status : 500;
}

function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}
