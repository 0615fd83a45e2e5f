import { createHash } from "node:crypto";
import { canonicalJson } from "../../audit/audit-event";
import { nullRecord } from "../../own-keys";

/** `_meta` keys of the 2026-07-28 revision (`io.modelcontextprotocol/…`), which a 2025 upstream is not sent. */
const MODERN_META_PREFIX = "io.modelcontextprotocol/";

/** Params of a modern request that belong to the MRTR exchange with the gateway, never to the upstream. */
const MRTR_PARAMS: ReadonlySet<string> = new Set(["inputResponses", "requestState"]);

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * The backend-session key of a modern client: `modern\0<consumer>\0<16 hex of sha256(canonical capabilities)>`. It
 * stands where a gateway session id stands for legacy clients (same store, same TTL) and never leaves the gateway:
 * clients of one consumer declaring the same capabilities share the upstream sessions, whose initialize declared them.
 */
export function modernSessionKey(consumer: string, capabilities: Readonly<Record<string, unknown>>): string {
  const digest = createHash("sha256").update(canonicalJson(capabilities)).digest("hex").slice(0, 16);
  return `modern\u0000${consumer}\u0000${digest}`;
}

/**
 * The params a 2025 upstream gets: without the MRTR fields and the modern `_meta` keys (other `_meta` keys pass), and
 * with the gateway's progress token in place of the client's (several clients share one backend session, and the
 * client's token is only unique among its own requests). Names and URIs are still the client's; routing unprefixes.
 */
export function upstreamParams(
  params: Readonly<Record<string, unknown>>,
  progressToken: string,
): Record<string, unknown> {
  // Null-prototype copies: a client's own "__proto__" member stays a member, as the upstream's JSON parser reads it.
  const out = nullRecord<unknown>();
  for (const [key, value] of Object.entries(params)) {
    if (!MRTR_PARAMS.has(key) && key !== "_meta") out[key] = value;
  }
  const meta = params["_meta"];
  const kept = nullRecord<unknown>();
  if (isObject(meta)) {
    for (const [key, value] of Object.entries(meta)) {
      if (!key.startsWith(MODERN_META_PREFIX) && key !== "progressToken") kept[key] = value;
    }
    if (meta["progressToken"] !== undefined) kept["progressToken"] = progressToken;
  }
  if (Object.keys(kept).length > 0) out["_meta"] = kept;
  return out;
}

/**
 * A digest of the salient params of a request (everything but `_meta` and the MRTR fields, canonical JSON): a sealed
 * requestState is only accepted on a retry of the very request it was issued for.
 */
export function paramsDigest(params: Readonly<Record<string, unknown>>): string {
  const salient = nullRecord<unknown>();
  for (const [key, value] of Object.entries(params)) {
    if (!MRTR_PARAMS.has(key) && key !== "_meta") salient[key] = value;
  }
  return createHash("sha256").update(canonicalJson(salient)).digest("base64url").slice(0, 22);
}

/** The client's progress token, when its request asked for progress. */
export function clientProgressToken(params: Readonly<Record<string, unknown>>): string | number | undefined {
  const meta = params["_meta"];
  const token = isObject(meta) ? meta["progressToken"] : undefined;
  return typeof token === "string" || typeof token === "number" ? token : undefined;
}
