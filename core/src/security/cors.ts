import type { GatewayConfig } from "../config/schema";

const ALLOWED_METHODS = "GET, POST, DELETE";
const BASE_REQUEST_HEADERS = [
  "content-type",
  "accept",
  "authorization",
  "mcp-session-id",
  "mcp-protocol-version",
  "last-event-id",
];
// A browser client must read these from responses: its session, why it was refused, when to retry.
const EXPOSED_HEADERS = "mcp-session-id, mcp-protocol-version, www-authenticate, retry-after";

/**
 * CORS for browser MCP clients, only for origins in `security.allowedOrigins` (no list: no CORS headers at all, so
 * browsers keep the same-origin rule). Foreign origins never get here: the host guard refuses them first with 403.
 */
export class CorsPolicy {
  private readonly origins: ReadonlySet<string>;
  private readonly allowHeaders: string;

  constructor(config: GatewayConfig) {
    this.origins = new Set((config.security.allowedOrigins ?? []).map((origin) => new URL(origin).origin));
    const apiKeyHeader = config.auth === "none" ? undefined : config.auth.apiKeys?.header;
    const headers = new Set([...BASE_REQUEST_HEADERS, ...(apiKeyHeader ? [apiKeyHeader] : [])]);
    this.allowHeaders = [...headers].join(", ");
  }

  /** The answer to a preflight (`OPTIONS` with an allowed Origin), or undefined when it is not one. */
  preflight(method: string, headers: Readonly<Record<string, string>>): Record<string, string> | undefined {
    if (method !== "OPTIONS") return undefined;
    const allowed = this.responseHeaders(headers);
    if (!("access-control-allow-origin" in allowed)) return undefined;
    return {
      ...allowed,
      "access-control-allow-methods": ALLOWED_METHODS,
      "access-control-allow-headers": this.allowHeaders,
      "access-control-max-age": "600",
    };
  }

  /** Headers every response to an allowed Origin carries (none for other requests). */
  responseHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
    const origin = headers["origin"];
    if (origin === undefined || !this.allows(origin)) return {};
    return { "access-control-allow-origin": origin, "access-control-expose-headers": EXPOSED_HEADERS, vary: "origin" };
  }

  private allows(origin: string): boolean {
    try {
      return this.origins.has(new URL(origin).origin);
    } catch {
      return false;
    }
  }
}
