import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import {
  CallToolResultSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
  ResultSchema,
  type CallToolResult,
  type ElicitRequest,
  type ElicitResult,
  type GetPromptResult,
  type Prompt,
  type ReadResourceResult,
  type Resource,
  type ResourceTemplate,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import type { TokenSource } from "./oidc-token";

/** One server as `mcpgateway/servers` gives it (broker/src/consumer-servers.ts). */
export interface ConsumerServer {
  name: string;
  state: string;
  generation: string | null;
  protocolVersion: string | null;
  tools: number;
  prompts: number;
  resources: number;
  lastError: string | null;
  lastCheckedAt: string | null;
}

/**
 * How the console presents its key: the header's name (lower case) and the value sent in it, or, for an OIDC token
 * that expires, the source of the current token (then `key` is unused).
 */
export interface Credentials {
  header: string;
  key: string;
  token?: TokenSource;
}

/** What a consumer may use, as the gateway's MCP lists give it (already filtered by the consumer's policy). */
export interface Catalog {
  tools: Tool[];
  prompts: Prompt[];
  resources: Resource[];
  templates: ResourceTemplate[];
}

/** One progress or log notification that arrived while a call ran. */
export interface CallEvent {
  kind: "progress" | "log";
  text: string;
}

/** Answers an elicitation request (the console shows a dialog). */
export type ElicitationHandler = (request: ElicitRequest["params"]) => Promise<ElicitResult>;

/** The header value for a key: `Bearer <key>` in Authorization, the bare key in any other header. */
export function headerValue(credentials: Credentials): string {
  return credentials.header === "authorization" ? `Bearer ${credentials.key}` : credentials.key;
}

/** The retry time (seconds) of the last 429 the gateway answered, read from its Retry-After header. */
let lastRetryAfter: string | undefined;

/** Retry-After of the latest 429 (the SDK's error carries the status and body, not the headers). */
export function retryAfterOfLast429(): string | undefined {
  return lastRetryAfter;
}

const recordingFetch: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  if (response.status === 429) lastRetryAfter = response.headers.get("retry-after") ?? undefined;
  return response;
};

/** True for a 401 with a Bearer challenge: the gateway refused the token itself (expired, or not valid). */
function bearerChallenge(response: Response): boolean {
  return response.status === 401 && /^Bearer\b/i.test(response.headers.get("www-authenticate") ?? "");
}

/**
 * Fetch with the credentials in their header. A token source's current token is sent (renewed ahead of expiry); on
 * a 401 Bearer challenge it is renewed and the request sent once more (the SDK's bodies are strings, safe to resend).
 */
function credentialedFetch(credentials: Credentials): typeof fetch {
  const send = (input: Parameters<typeof fetch>[0], init: RequestInit | undefined, key: string) => {
    const headers = new Headers(init?.headers);
    headers.set(credentials.header, headerValue({ header: credentials.header, key }));
    return recordingFetch(input, { ...init, headers });
  };
  return async (input, init) => {
    const token = credentials.token;
    if (!token) return send(input, init, credentials.key);
    const sent = await token.current();
    const response = await send(input, init, sent);
    if (!bearerChallenge(response)) return response;
    await response.body?.cancel();
    return send(input, init, await token.renew(sent));
  };
}

/** Every page of a list method. */
async function allPages<T>(list: (cursor?: string) => Promise<{ items: T[]; nextCursor?: string }>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const result = await list(cursor);
    items.push(...result.items);
    cursor = result.nextCursor;
    if (!cursor) break;
  }
  return items;
}

/**
 * One MCP session with the gateway's /mcp, as the signed-in consumer. The key travels in a request header only
 * (never in the URL, a cookie or storage the console does not own), and the session ends with {@link close}.
 */
export class McpSession {
  private onLog: (event: CallEvent) => void = () => undefined;

  private constructor(private readonly client: Client) {}

  /** Connects to `/mcp` on this origin with the consumer's key; throws the gateway's refusal (401, 403, 429). */
  static async open(credentials: Credentials, elicit: ElicitationHandler): Promise<McpSession> {
    // The CSP allows no eval, so output schemas are checked by @cfworker/json-schema (Ajv compiles code at run time).
    const client = new Client(
      { name: "mcp-gateway-console", version: "0.1.0" },
      { capabilities: { elicitation: {} }, jsonSchemaValidator: new CfWorkerJsonSchemaValidator() },
    );
    const session = new McpSession(client);
    client.setRequestHandler(ElicitRequestSchema, (request) => elicit(request.params));
    client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
      const { level, logger, data } = notification.params;
      const text = typeof data === "string" ? data : JSON.stringify(data);
      session.onLog({ kind: "log", text: `[${level}]${logger ? ` ${logger}` : ""} ${text}` });
    });
    const url = new URL("/mcp", window.location.origin);
    await client.connect(new StreamableHTTPClientTransport(url, { fetch: credentialedFetch(credentials) }));
    return session;
  }

  /** The server's name and version as the gateway presents itself. */
  serverName(): string {
    const info = this.client.getServerVersion();
    return info ? `${info.name} ${info.version}` : "MCP gateway";
  }

  /** The servers this consumer may use, with their health (the gateway's `mcpgateway/servers`, policy-filtered). */
  async servers(): Promise<ConsumerServer[]> {
    const result = await this.client.request({ method: "mcpgateway/servers" }, ResultSchema);
    return (result as { servers?: ConsumerServer[] }).servers ?? [];
  }

  /** Everything the consumer may list; a list the gateway does not offer is empty. */
  async catalog(): Promise<Catalog> {
    const caps = this.client.getServerCapabilities() ?? {};
    const tools = caps.tools
      ? allPages(async (cursor) => {
          const r = await this.client.listTools(cursor ? { cursor } : {});
          return { items: r.tools, ...(r.nextCursor ? { nextCursor: r.nextCursor } : {}) };
        })
      : Promise.resolve([]);
    const prompts = caps.prompts
      ? allPages(async (cursor) => {
          const r = await this.client.listPrompts(cursor ? { cursor } : {});
          return { items: r.prompts, ...(r.nextCursor ? { nextCursor: r.nextCursor } : {}) };
        })
      : Promise.resolve([]);
    const resources = caps.resources
      ? allPages(async (cursor) => {
          const r = await this.client.listResources(cursor ? { cursor } : {});
          return { items: r.resources, ...(r.nextCursor ? { nextCursor: r.nextCursor } : {}) };
        })
      : Promise.resolve([]);
    const templates = caps.resources
      ? allPages(async (cursor) => {
          const r = await this.client.listResourceTemplates(cursor ? { cursor } : {});
          return { items: r.resourceTemplates, ...(r.nextCursor ? { nextCursor: r.nextCursor } : {}) };
        })
      : Promise.resolve([]);
    return { tools: await tools, prompts: await prompts, resources: await resources, templates: await templates };
  }

  /** Calls a tool; progress and log notifications go to `onEvent` while it runs; `signal` cancels it. */
  async callTool(
    name: string,
    args: Record<string, unknown>,
    onEvent: (event: CallEvent) => void,
    signal: AbortSignal,
  ): Promise<CallToolResult> {
    this.onLog = onEvent;
    try {
      const result = await this.client.callTool({ name, arguments: args }, CallToolResultSchema, {
        signal,
        timeout: 600_000,
        resetTimeoutOnProgress: true,
        onprogress: ({ progress, total, message }) =>
          onEvent({
            kind: "progress",
            text: `${progress}${total ? ` / ${total}` : ""}${message ? ` ${message}` : ""}`,
          }),
      });
      return result as CallToolResult;
    } finally {
      this.onLog = () => undefined;
    }
  }

  /** Reads one resource. */
  readResource(uri: string): Promise<ReadResourceResult> {
    return this.client.readResource({ uri });
  }

  /** Gets a prompt with its arguments. */
  getPrompt(name: string, args: Record<string, string>): Promise<GetPromptResult> {
    return this.client.getPrompt({ name, arguments: args });
  }

  /** Ends the session (DELETE /mcp). */
  async close(): Promise<void> {
    await this.client.close();
  }
}
