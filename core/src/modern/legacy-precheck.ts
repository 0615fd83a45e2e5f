/** The first protocol revision of the modern era: the SDK's classifier compares revisions as strings against it. */
const FIRST_MODERN_REVISION = "2026-07-28";

/** The only keys a JSON-RPC request may have (the SDK's request schema is strict). */
const REQUEST_KEYS: ReadonlySet<string> = new Set(["jsonrpc", "id", "method", "params"]);

/** A parsed JSON object (not an array, not null, not a class instance). */
const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype;

/** The value with HTTP optional whitespace (spaces, tabs) trimmed at both ends, as the SDK's classifier does. */
function stripOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && (value[start] === " " || value[start] === "\t")) start += 1;
  while (end > start && (value[end - 1] === " " || value[end - 1] === "\t")) end -= 1;
  return value.slice(start, end);
}

/**
 * True when the SDK's era classifier (`classifyInboundRequest`) is sure to answer "legacy" for this POST, proved
 * without its schema parses: a well-formed JSON-RPC request (exactly the SDK's shape: `jsonrpc` "2.0", a string or
 * safe-integer id, a string method, params absent or an object) that is not `initialize`, carries no `_meta` (hence
 * no envelope claim) and names no modern revision in `mcp-protocol-version`. Every session-era call of a 2025 client
 * is such a request. False means "ask the SDK", never "not legacy". Kept differential-exact with the SDK by
 * legacy-precheck.test.ts.
 */
export function provablyLegacyRequest(protocolVersionHeader: string | undefined, body: unknown): boolean {
  if (!isJsonObject(body)) return false;
  for (const key of Object.keys(body)) if (!REQUEST_KEYS.has(key)) return false;
  const { id, method, params } = body;
  if (body["jsonrpc"] !== "2.0" || typeof method !== "string" || method === "initialize") return false;
  if (typeof id !== "string" && !Number.isSafeInteger(id)) return false;
  if (Object.hasOwn(body, "params") && (!isJsonObject(params) || Object.hasOwn(params, "_meta"))) return false;
  return protocolVersionHeader === undefined || stripOws(protocolVersionHeader) < FIRST_MODERN_REVISION;
}
