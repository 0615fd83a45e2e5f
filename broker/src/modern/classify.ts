import { classifyInboundRequest, type InboundClassificationOutcome } from "@modelcontextprotocol/server";

/**
 * The era of one POST, decided by the SDK's own classifier (parse as the peer parses): `legacy` keeps today's session
 * path, `modern` goes to the 2026-07-28 handler, `reject` is answered with exactly the SDK's status, code and data.
 * `headers` are lower-cased (see lowerHeaders). Kept to this one function so the lead can swap in core's shared
 * wrapper (core/src/modern/classify.ts) and the router and the broker decide identically.
 */
export function classifyPost(headers: Readonly<Record<string, string>>, body: unknown): InboundClassificationOutcome {
  const optional = (name: string): string | undefined => headers[name];
  return classifyInboundRequest({
    httpMethod: "POST",
    protocolVersionHeader: optional("mcp-protocol-version"),
    mcpMethodHeader: optional("mcp-method"),
    mcpNameHeader: optional("mcp-name"),
    body,
  });
}

/** The JSON-RPC id to echo: the body's own id when it is a string or a number. */
export function requestIdOf(body: unknown): string | number | null {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return null;
  const id = (body as Record<string, unknown>)["id"];
  return typeof id === "string" || (typeof id === "number" && Number.isFinite(id)) ? id : null;
}
