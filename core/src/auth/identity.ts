import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import { decodeCanonicalBase64url } from "../base64url";

/** Who a request is from, as the gateway established it. */
export interface Identity {
  /** The consumer's name (API key owner or the token's consumer claim). */
  consumer: string;
  /** The name of the policy that governs what the consumer may do. */
  policy: string;
  /** Tools the credential itself grants, narrowing the policy; undefined when it does not narrow it. */
  tools?: readonly string[];
  /** How the identity was established. */
  method: "api-key" | "jwt" | "anonymous";
}

/**
 * The header the ext_proc router sets, signed, for the broker. The router strips any client-sent copy; the broker
 * trusts only a value that {@link IdentityCodec.verify} accepts.
 */
export const IDENTITY_HEADER = "x-mcp-identity";

const VERSION = "i1";
const SEGMENT_RE = /^[A-Za-z0-9_-]+$/;
const METHODS: ReadonlySet<string> = new Set(["api-key", "jwt", "anonymous"]);
const PAYLOAD_KEYS: ReadonlySet<string> = new Set(["consumer", "policy", "tools", "method", "exp", "cred"]);
const MIN_SECRET_BYTES = 32;
/** Far above any real identity; bounds the work an attacker's header can cause before the tag check. */
const MAX_VALUE_LENGTH = 64 * 1024;
const TAG_BYTES = 32;

function isNonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value !== "";
}

/** A verified header's payload: the identity, its expiry and the binding of the caller's bearer token, if any. */
type Payload = Identity & { exp: number; cred?: string };

/** Strict shape check: exactly the known fields, with the right types; nothing else is accepted. */
function parsePayload(json: string): Payload | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  if (!Object.keys(record).every((key) => PAYLOAD_KEYS.has(key))) return undefined;
  const { consumer, policy, tools, method, exp, cred } = record;
  if (!isNonEmptyString(consumer) || !isNonEmptyString(policy)) return undefined;
  if (typeof method !== "string" || !METHODS.has(method)) return undefined;
  if (typeof exp !== "number" || !Number.isSafeInteger(exp)) return undefined;
  if (tools !== undefined && !(Array.isArray(tools) && tools.every(isNonEmptyString))) return undefined;
  if (cred !== undefined && !(typeof cred === "string" && SEGMENT_RE.test(cred))) return undefined;
  const identity: Payload = { consumer, policy, method: method as Identity["method"], exp };
  if (tools !== undefined) identity.tools = Object.freeze([...(tools as string[])]);
  if (cred !== undefined) identity.cred = cred;
  return identity;
}

function checkIdentity(identity: Identity): void {
  const { consumer, policy, tools, method } = identity;
  if (!isNonEmptyString(consumer) || !isNonEmptyString(policy) || !METHODS.has(method)) {
    throw new TypeError("identity needs a non-empty consumer and policy and a known method");
  }
  if (tools !== undefined && !(Array.isArray(tools) && tools.every(isNonEmptyString))) {
    throw new TypeError("identity tools must be a list of non-empty strings");
  }
}

/**
 * Signs and verifies the {@link IDENTITY_HEADER} value: `i1.<base64url JSON>.<base64url HMAC-SHA256>`, the payload
 * carrying an `exp` (seconds) so a captured header is useless soon after, and for a caller who authenticated with a
 * bearer token a `cred`: an HMAC of that token, so the broker uses (exchanges, forwards) only the very token the router
 * checked, never another one sent beside a valid header. The MAC keys are derived from the shared secret with HKDF,
 * so the secret itself is never used directly as a key and the derivation can be versioned.
 */
export class IdentityCodec {
  private readonly key: Buffer;
  private readonly credentialKey: Buffer;

  /** `secret` is shared by router and broker, at least 32 bytes; `ttlMs` is how long a signed value is valid. */
  constructor(
    secret: string,
    private readonly ttlMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {
    if (typeof secret !== "string" || Buffer.byteLength(secret, "utf8") < MIN_SECRET_BYTES) {
      throw new Error(`identity secret must be at least ${MIN_SECRET_BYTES} bytes`);
    }
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new Error("identity ttlMs must be a positive number");
    this.key = Buffer.from(hkdfSync("sha256", secret, "mcp-gateway", "identity-header v1", 32));
    this.credentialKey = Buffer.from(hkdfSync("sha256", secret, "mcp-gateway", "identity-credential v1", 32));
  }

  private tag(signed: string): Buffer {
    return createHmac("sha256", this.key).update(signed, "utf8").digest();
  }

  private credentialTag(bearer: string): Buffer {
    return createHmac("sha256", this.credentialKey).update(bearer, "utf8").digest();
  }

  /**
   * The header value for an identity, valid for the codec's TTL from now; `bearer` (the token the caller
   * authenticated with) is bound to it, only as an HMAC.
   */
  sign(identity: Identity, bearer?: string): string {
    checkIdentity(identity);
    const exp = Math.ceil((this.now() + this.ttlMs) / 1000);
    const { consumer, policy, tools, method } = identity;
    const base = tools === undefined ? { consumer, policy, method, exp } : { consumer, policy, tools, method, exp };
    const payload = bearer === undefined ? base : { ...base, cred: this.credentialTag(bearer).toString("base64url") };
    const signed = `${VERSION}.${Buffer.from(JSON.stringify(payload), "utf8").toString("base64url")}`;
    return `${signed}.${this.tag(signed).toString("base64url")}`;
  }

  /** The identity in a header value, or undefined when it is malformed, forged, tampered with or expired. */
  verify(value: string): Identity | undefined {
    return this.verifyFor(value, undefined)?.identity;
  }

  /**
   * As {@link verify}, and whether the header binds `bearer` (the bearer token the request carries): false when it
   * binds another token, none, or `bearer` is undefined.
   */
  verifyFor(value: string, bearer: string | undefined): { identity: Identity; bound: boolean } | undefined {
    const payload = this.payloadOf(value);
    if (payload === undefined) return undefined;
    const { exp: _exp, cred, ...identity } = payload;
    const bound = cred !== undefined && bearer !== undefined && this.binds(cred, bearer);
    return { identity, bound };
  }

  private binds(cred: string, bearer: string): boolean {
    const bound = decodeCanonicalBase64url(cred);
    return bound !== undefined && bound.length === TAG_BYTES && timingSafeEqual(bound, this.credentialTag(bearer));
  }

  private payloadOf(value: string): Payload | undefined {
    if (typeof value !== "string" || value.length > MAX_VALUE_LENGTH) return undefined;
    const parts = value.split(".");
    if (parts.length !== 3 || parts[0] !== VERSION) return undefined;
    const [, body = "", tagText = ""] = parts;
    if (!SEGMENT_RE.test(body)) return undefined;
    // Only the canonical encoding is accepted, so each identity has exactly one valid header value.
    const tag = decodeCanonicalBase64url(tagText);
    if (tag === undefined || tag.length !== TAG_BYTES) return undefined;
    if (!timingSafeEqual(tag, this.tag(`${VERSION}.${body}`))) return undefined;
    const payload = parsePayload(Buffer.from(body, "base64url").toString("utf8"));
    if (payload === undefined || payload.exp * 1000 <= this.now()) return undefined;
    return payload;
  }
}
