import { createHmac, hkdfSync } from "node:crypto";
import { nullRecord } from "../own-keys";

/**
 * Longest value of a field taken from client data (consumer, method, target, request id) in an audit event; longer
 * values are cut with a marker naming their length and a SHA-256 prefix (see `capText`).
 */
export const AUDIT_FIELD_MAX_CHARS = 256;

/** Longest `reason` in an audit event (reasons quote client-chosen names). */
export const AUDIT_REASON_MAX_CHARS = 512;

/** What the gateway decided for an audited request. */
export type AuditDecision = "allowed" | "denied" | "rate_limited" | "unauthenticated" | "rejected";

/**
 * How an allowed call ended, read from the reply: `ok` (a result), `tool_error` (a result with `isError: true`: the
 * tool ran and failed), `jsonrpc_error` (a JSON-RPC error). Null when no reply was read (none came, it was cut, or it
 * was neither JSON nor SSE).
 */
export type AuditOutcome = "ok" | "tool_error" | "jsonrpc_error";

/** One audited request: plain data, no secrets (session ids and arguments arrive already keyed-hashed). */
export interface AuditEvent {
  /** ISO 8601, when the request arrived. */
  time: string;
  /** Admin API events only: who acted (`admin:<token fingerprint>`, never the token); absent on request events. */
  actor?: string;
  consumer: string | null;
  /** Already hashed by the caller ({@link AuditHasher.session}). */
  session: string | null;
  /** tools/call, prompts/get, resources/read, or the method that was denied. */
  method: string;
  server: string | null;
  /** Prefixed tool / prompt name or resource URI. */
  target: string | null;
  /** {@link AuditHasher.args} of the request's arguments. */
  argsDigest: string | null;
  decision: AuditDecision;
  /** Why the request was denied or rejected; never secrets. */
  reason: string | null;
  upstreamStatus: number | null;
  /** Milliseconds from the request's admission to the end of the reply (its last byte, or the client leaving). */
  latencyMs: number | null;
  /** JSON-RPC id as a string. */
  requestId: string | null;
  /** The client's IP address (past trusted proxies, see `standalone.trustedProxies` and `envoy.xffTrustedHops`). */
  clientAddress?: string | null;
  /** The client's `user-agent` header, capped. */
  userAgent?: string | null;
  /** How an allowed call ended ({@link AuditOutcome}); null for refusals and replies not read. */
  outcome?: AuditOutcome | null;
  /** The endpoint's path the request came to (`/mcp`, `/mcp/<server>`, a virtual server's path). */
  endpoint?: string;
  /** LLM requests (`/v1/chat/completions`, `/v1/responses`) only: tokens and the tool calls the gateway made. */
  llm?: AuditLlm;
}

/** What an audit event of an LLM request adds: provider, model, tokens over all rounds, the tool calls made. */
export interface AuditLlm {
  provider: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  /** Each call's exposed tool name (capped) and how it ended: ok, tool_error or refused. */
  toolCalls: { name: string; outcome: string }[];
}

// Domain tags keep a session id and an argument document from ever producing the same MAC input.
const SESSION_TAG = "session\0";
const ARGS_TAG = "args\0";

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

// Sorted keys at every depth: the same arguments in any key order give the same digest. Integer-like keys come out in
// numeric order whatever we do (that is how objects enumerate), which is still independent of the input order. The
// copy has no prototype, so an own "__proto__" member (JSON.parse makes one, and the upstream receives it) stays a
// member instead of becoming the copy's prototype and vanishing from the digest.
function canonicalReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (!isPlainObject(value)) return value;
  const sorted = nullRecord<unknown>();
  for (const key of Object.keys(value).sort()) sorted[key] = value[key];
  return sorted;
}

/** Canonical JSON of `value`: object keys sorted recursively, `undefined` as `null`. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value, canonicalReplacer) ?? "null";
}

/**
 * Keyed digests for the audit log. A keyed HMAC (not a bare hash) so that low-entropy values (a session id from a small
 * space, `{"confirm": true}`) cannot be recovered from the log by hashing guesses; the key never leaves the gateway.
 */
export class AuditHasher {
  private readonly key: Buffer;

  /** Derives the MAC key from `secret` (HKDF-SHA256, fixed salt and info, 32 bytes). */
  constructor(secret: string) {
    if (secret.length === 0) throw new Error("audit hasher secret must not be empty");
    this.key = Buffer.from(hkdfSync("sha256", secret, "mcp-gateway", "audit v1", 32));
  }

  /** `hs:` and 16 hex digits of the HMAC of a session id: enough to correlate lines, useless to replay. */
  session(id: string): string {
    return `hs:${createHmac("sha256", this.key).update(SESSION_TAG).update(id).digest("hex").slice(0, 16)}`;
  }

  /** `hmac-sha256:` and the hex HMAC of the canonical JSON of `value` (absent arguments digest as `null`). */
  args(value: unknown): string {
    const mac = createHmac("sha256", this.key).update(ARGS_TAG).update(canonicalJson(value));
    return `hmac-sha256:${mac.digest("hex")}`;
  }
}
