import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";

/** A connected SDK client and its transport (for the session id the gateway issued). */
export interface ConnectedClient {
  client: Client;
  transport: StreamableHTTPClientTransport;
  close(): Promise<void>;
}

/** Connects a real MCP SDK client to `url` (initialize + initialized), sending `headers` (credentials) on every request. */
export async function connectClient(
  url: string,
  name = "e2e-client",
  headers: Record<string, string> = {},
): Promise<ConnectedClient> {
  const client = new Client({ name, version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
  await client.connect(transport);
  return {
    client,
    transport,
    close: async () => {
      await client.close().catch(() => undefined);
    },
  };
}

/** The JSON a text tool result carries (the example servers answer JSON text). */
export function resultJson<T = Record<string, unknown>>(result: unknown): T {
  const content = (result as CallToolResult).content;
  const first = content[0];
  if (!first || first.type !== "text") throw new Error(`expected a text result, got ${JSON.stringify(result)}`);
  return JSON.parse(first.text) as T;
}

/** What `server_info` reports: which server answered and on which (backend) session. */
export interface ServerInfo {
  server: string;
  sessionId: string;
  sessionCount: number;
}

/** Calls `<prefix>server_info` and returns its report. */
export async function serverInfo(client: Client, prefixedName: string): Promise<ServerInfo> {
  return resultJson<ServerInfo>(await client.callTool({ name: prefixedName, arguments: {} }));
}

/** Posts one raw JSON-RPC body (as a string, so malformed bodies can be sent) and returns status, headers and JSON. */
export async function rawPost(
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
    body,
  });
  const text = await response.text();
  const dataLine = text.split("\n").find((line) => line.startsWith("data: "));
  const json =
    (response.headers.get("content-type") ?? "").includes("text/event-stream") && dataLine
      ? JSON.parse(dataLine.slice(6))
      : text
        ? JSON.parse(text)
        : {};
  return { status: response.status, headers: response.headers, json: json as Record<string, unknown> };
}

/**
 * Retries `attempt` until it resolves with a value `done` accepts (at most `timeoutMs`): in a split deployment the router
 * discovers upstreams on its own, a little after the broker reports them ready.
 */
export async function untilRouted<T>(
  attempt: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await attempt().catch((error: unknown) => {
      if (Date.now() > deadline) throw error;
      return undefined;
    });
    if (value !== undefined && (done(value) || Date.now() > deadline)) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
