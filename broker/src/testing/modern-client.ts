// test support
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { postMcp, type RawReply } from "./broker-fixture";

/** The 2026-07-28 revision (test support). */
export const MODERN = "2026-07-28";

/** The `_meta` envelope a 2026-07-28 request carries (test support). */
export function envelope(capabilities: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientInfo": { name: "modern-test", version: "1.0.0" },
    "io.modelcontextprotocol/clientCapabilities": capabilities,
  };
}

/**
 * POSTs one modern request over raw HTTP (test support): the envelope in `params._meta`, the standard headers
 * (`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name` from params.name/uri) unless `headers` overrides them.
 */
export function modernPost(
  url: string,
  method: string,
  params: Record<string, unknown> = {},
  headers: Record<string, string> = {},
  id: string | number = 7,
): Promise<RawReply> {
  const name = params["name"] ?? params["uri"];
  const standard: Record<string, string> = {
    "mcp-protocol-version": MODERN,
    "mcp-method": method,
    ...(typeof name === "string" ? { "mcp-name": name } : {}),
  };
  const body = { jsonrpc: "2.0", id, method, params: { ...params, _meta: envelope() } };
  return postMcp(url, body, { ...standard, ...headers });
}

/** A real SDK v2 client pinned to 2026-07-28, connected to `url` (test support). */
export async function connectModernClient(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client(
    { name: "modern-test", version: "1.0.0" },
    { versionNegotiation: { mode: { pin: MODERN } } },
  );
  client.onerror = () => undefined;
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}
