import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { tokenVerifier } from "./protected-upstream";

/** One request the proxy passed on: HTTP method, JSON-RPC method (POSTs), session id and the token's verified subject. */
export interface ProxiedRequest {
  method: string;
  rpc?: string | undefined;
  sessionId?: string | undefined;
  subject?: string | undefined;
  refused?: string | undefined;
}

/** A token-checking front of an unprotected upstream: what each request carried, then the upstream's answer. */
export interface TokenRecordingProxy {
  url: string;
  readonly seen: ProxiedRequest[];
  close(): Promise<void>;
}

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function rpcOf(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString("utf8")) as { method?: unknown };
    return typeof parsed.method === "string" ? parsed.method : undefined;
  } catch {
    return undefined;
  }
}

const FORWARDED = [
  "accept",
  "content-type",
  "mcp-session-id",
  "mcp-protocol-version",
  "mcp-method",
  "mcp-name",
  "last-event-id",
];

/**
 * Starts a proxy on 127.0.0.1 in front of `target` (an MCP endpoint URL) that verifies every request's bearer token
 * against the issuer's JWKS for `audience` (401 otherwise, as a protected upstream would), records whose it was, and
 * forwards the request without the token (responses, SSE included, are streamed back).
 */
export async function startTokenRecordingProxy(
  target: string,
  options: { issuer: string; jwksUrl: string; audience: string },
): Promise<TokenRecordingProxy> {
  const verify = tokenVerifier(options.jwksUrl);
  const seen: ProxiedRequest[] = [];
  const controllers = new Set<AbortController>();
  const server = createServer((req, res) => {
    void (async () => {
      const method = req.method ?? "";
      const body = await bodyOf(req);
      const sessionId = typeof req.headers["mcp-session-id"] === "string" ? req.headers["mcp-session-id"] : undefined;
      const record: ProxiedRequest = { method, rpc: method === "POST" ? rpcOf(body) : undefined, sessionId };
      seen.push(record);
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
      try {
        if (!token) throw new Error("no token");
        record.subject = (await verify(token, options.issuer, options.audience)).sub;
      } catch (error: unknown) {
        record.refused = (error as Error).message;
        res.writeHead(401, { "www-authenticate": 'Bearer error="invalid_token"' }).end();
        return;
      }
      const headers: Record<string, string> = {};
      for (const name of FORWARDED) {
        const value = req.headers[name];
        if (typeof value === "string") headers[name] = value;
      }
      const controller = new AbortController();
      controllers.add(controller);
      res.once("close", () => {
        controller.abort();
        controllers.delete(controller);
      });
      const reply = await fetch(target, {
        method,
        headers,
        ...(method === "GET" || method === "DELETE" ? {} : { body }),
        signal: controller.signal,
      });
      const out: Record<string, string> = {};
      reply.headers.forEach((value, name) => {
        if (name !== "content-length" && name !== "transfer-encoding" && name !== "connection") out[name] = value;
      });
      res.writeHead(reply.status, out);
      res.flushHeaders();
      if (!reply.body) return void res.end();
      // A stream the gateway (or the proxy's close) ends mid-way aborts the upstream read: not a failure here.
      await pipeline(Readable.fromWeb(reply.body as never), res).catch(() => undefined);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    seen,
    close: async () => {
      for (const controller of controllers) controller.abort();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
