import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpError } from "@modelcontextprotocol/sdk/types.js";
import { retryAfterOfLast429 } from "./mcp-session";
import { SessionExpiredError } from "./oidc-token";

/** An error as the console shows it: a plain headline (status and meaning) and the gateway's own words. */
export interface Refusal {
  title: string;
  detail: string;
}

/** The JSON-RPC error message inside a gateway's HTTP error body, when there is one. */
function gatewayMessage(text: string): string {
  const start = text.indexOf("{");
  if (start < 0) return text;
  try {
    const body = JSON.parse(text.slice(start)) as { error?: { message?: unknown } | string };
    const message = typeof body.error === "string" ? body.error : body.error?.message;
    return typeof message === "string" ? message : text;
  } catch {
    return text;
  }
}

const STATUS_TITLES = new Map<number, string>([
  [400, "400 Bad request"],
  [401, "401 Not signed in: the gateway did not accept this key"],
  [403, "403 Forbidden: this key may not do that"],
  [404, "404 Not found"],
  [413, "413 Too large"],
  [429, "429 Too many requests"],
  [503, "503 Unavailable"],
]);

/** Turns what a call threw into a {@link Refusal}: HTTP refusals by status (429 with its retry time), then MCP errors. */
export function describeError(error: unknown): Refusal {
  if (error instanceof SessionExpiredError) return { title: "Session expired", detail: error.message };
  if (error instanceof StreamableHTTPError && error.code !== undefined) {
    const detail = gatewayMessage(error.message);
    if (error.code === 429) {
      const retry = retryAfterOfLast429();
      return { title: `429 Too many requests${retry ? `: retry in ${retry} s` : ""}`, detail };
    }
    return { title: STATUS_TITLES.get(error.code) ?? `HTTP ${error.code}`, detail };
  }
  if (error instanceof McpError) return { title: `MCP error ${error.code}`, detail: error.message };
  if (error instanceof Error && error.name === "AbortError") return { title: "Cancelled", detail: error.message };
  return { title: "Error", detail: error instanceof Error ? error.message : String(error) };
}
