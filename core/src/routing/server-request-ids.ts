/**
 * Ids of server-to-client requests (sampling, elicitation, roots, ping) as the client sees them. Each upstream numbers
 * its own requests, so two upstreams can both send id 0 to one client; the gateway therefore rewrites the id to
 * `mcpgw:<server>:<original id as JSON>` on the way out and decodes it when the client's response comes back, which
 * both routes the response to the upstream that asked and restores the upstream's own id. Server names contain no ':'.
 */
const PREFIX = "mcpgw:";

/** The id the client sees for request `id` of upstream `server`. */
export function encodeServerRequestId(server: string, id: string | number): string {
  return `${PREFIX}${server}:${JSON.stringify(id)}`;
}

/** The upstream and its own id behind an id the gateway issued, or undefined for any other id. */
export function decodeServerRequestId(id: unknown): { server: string; id: string | number } | undefined {
  if (typeof id !== "string" || !id.startsWith(PREFIX)) return undefined;
  const colon = id.indexOf(":", PREFIX.length);
  if (colon < 0) return undefined;
  try {
    const original = JSON.parse(id.slice(colon + 1)) as unknown;
    if (typeof original !== "string" && typeof original !== "number") return undefined;
    return { server: id.slice(PREFIX.length, colon), id: original };
  } catch {
    return undefined;
  }
}
