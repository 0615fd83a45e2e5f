import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import {
  GATEWAY_CLIENT_INFO,
  toolRefusalOutcome,
  toolResultOutcome,
  type McpToolInfo,
  type ToolOutcome,
} from "@mcp-gateway/core";
import { Agent, fetch as undiciFetch, type Dispatcher } from "undici";

/** Where and as whom the LLM proxy reaches the gateway's own MCP endpoint. */
export interface McpToolTarget {
  /** The gateway's MCP endpoint (llm.mcpUrl, or standalone's own listener). */
  url: string;
  /** The caller's own credential headers (lower-case names), so every call is the caller's. */
  credentials: Record<string, string>;
  /** The Host the caller sent (the host guard accepts it); undefined keeps the URL's. */
  host: string | undefined;
  /** Bound on each MCP request. */
  timeoutMs: number;
}

// fetch drops a Host header; this interceptor puts the caller's back on every request to the MCP endpoint.
function withHost(host: string): Dispatcher {
  return new Agent().compose((dispatch) => (options, handler) => {
    const given = options.headers;
    const headers = Array.isArray(given)
      ? [...(given as string[]), "host", host]
      : { ...(given as Record<string, string> | null | undefined), host };
    return dispatch({ ...options, headers }, handler);
  });
}

/**
 * An MCP session with the gateway's own endpoint under the caller's credentials: the tools it lists are exactly the
 * ones the caller may call, and every call passes the gateway's auth, policy, rate limits, redaction and audit.
 */
export class McpToolSession {
  private constructor(
    private readonly client: Client,
    private readonly transport: StreamableHTTPClientTransport,
    private readonly dispatcher: Dispatcher | undefined,
    private readonly timeoutMs: number,
  ) {}

  /** Opens the session (initialize); throws when the endpoint refuses the caller or cannot be reached. */
  static async open(target: McpToolTarget): Promise<McpToolSession> {
    const dispatcher = target.host === undefined ? undefined : withHost(target.host);
    const transport = new StreamableHTTPClientTransport(new URL(target.url), {
      requestInit: { headers: target.credentials },
      ...(dispatcher
        ? {
            fetch: ((url: string | URL, init?: RequestInit) =>
              undiciFetch(url, { ...(init as object), dispatcher })) as unknown as typeof fetch,
          }
        : {}),
    });
    const client = new Client({ name: `${GATEWAY_CLIENT_INFO.name}-llm`, version: GATEWAY_CLIENT_INFO.version });
    try {
      await client.connect(transport, { timeout: target.timeoutMs });
    } catch (error: unknown) {
      await dispatcher?.close().catch(() => undefined);
      throw error;
    }
    return new McpToolSession(client, transport, dispatcher, target.timeoutMs);
  }

  /** Every tool the caller may call (all pages), names as the gateway exposes them. */
  async tools(): Promise<McpToolInfo[]> {
    const tools: McpToolInfo[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.client.listTools(cursor === undefined ? {} : { cursor }, { timeout: this.timeoutMs });
      for (const tool of page.tools)
        tools.push({ name: tool.name, description: tool.description, inputSchema: tool.inputSchema });
      cursor = page.nextCursor;
    } while (cursor !== undefined && tools.length < 10_000);
    return tools;
  }

  /** Calls `name`; a refusal or failure comes back as the outcome the model is told, never as a throw. */
  async call(name: string, args: Record<string, unknown>): Promise<ToolOutcome> {
    try {
      const result = await this.client.callTool({ name, arguments: args }, undefined, { timeout: this.timeoutMs });
      return toolResultOutcome(result as { content?: unknown; structuredContent?: unknown; isError?: unknown });
    } catch (error: unknown) {
      return toolRefusalOutcome(error instanceof Error ? error.message : String(error));
    }
  }

  /** Ends the MCP session (DELETE) and closes the connection. */
  async close(): Promise<void> {
    await this.transport.terminateSession().catch(() => undefined);
    await this.client.close().catch(() => undefined);
    await this.dispatcher?.close().catch(() => undefined);
  }
}
