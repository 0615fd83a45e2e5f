import { createHash, randomBytes } from "node:crypto";

/** A random W3C traceparent (sampled) with its trace id. */
export function newTraceparent(): { traceId: string; spanId: string; traceparent: string } {
  const traceId = randomBytes(16).toString("hex");
  const spanId = randomBytes(8).toString("hex");
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

/** `sha256:<hex>` of an API key, as a consumer's `keyHash`. */
export function keyHash(key: string): string {
  return `sha256:${createHash("sha256").update(key).digest("hex")}`;
}

/** A bare MCP client over fetch: full control over headers and `_meta`, one session. */
export class RawMcpClient {
  private session = "";
  private nextId = 1;

  constructor(
    private readonly url: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  /** The gateway session id (after {@link initialize}). */
  get sessionId(): string {
    return this.session;
  }

  /** initialize + notifications/initialized. */
  async initialize(): Promise<void> {
    const params = {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "trace-test", version: "1" },
    };
    const reply = await this.post({ jsonrpc: "2.0", id: this.nextId++, method: "initialize", params });
    if (reply.status !== 200) throw new Error(`initialize: HTTP ${reply.status} ${reply.text}`);
    this.session = reply.sessionId ?? "";
    await this.post({ jsonrpc: "2.0", method: "notifications/initialized" });
  }

  /** Sends a request with the given params and extra headers; returns status and raw body text. */
  async request(
    method: string,
    params: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; text: string; id: number }> {
    const id = this.nextId++;
    const reply = await this.post({ jsonrpc: "2.0", id, method, params }, headers);
    return { status: reply.status, text: reply.text, id };
  }

  private async post(
    message: object,
    extra: Record<string, string> = {},
  ): Promise<{ status: number; text: string; sessionId: string | undefined }> {
    const response = await fetch(this.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": "2025-06-18",
        ...(this.session ? { "mcp-session-id": this.session } : {}),
        ...this.headers,
        ...extra,
      },
      body: JSON.stringify(message),
    });
    return {
      status: response.status,
      text: await response.text(),
      sessionId: response.headers.get("mcp-session-id") ?? undefined,
    };
  }
}
