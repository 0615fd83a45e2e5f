import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";
import { LRUCache } from "lru-cache";
import { decodeCanonicalBase64url } from "../base64url";

const VERSION = "g1";
const TAG_BYTES = 16;

/** How many verified (id, owner) pairs a codec remembers by default: an id per open client, with room to spare. */
export const VERIFIED_CACHE_SIZE = 16_384;

/** Why a gateway session id was refused. */
export type SessionRejection = "malformed" | "bad-signature" | "expired";

/** Result of {@link GatewaySessionCodec.verify}. */
export type SessionCheck = { ok: true; expiresAtMs: number } | { ok: false; reason: SessionRejection };

/**
 * Issues and verifies self-verifying gateway session ids: `g1.<expiry seconds, base36>.<random>.<HMAC tag>`.
 * Any router or broker replica holding the same secret verifies an id without a shared store. The HMAC key is derived
 * from the secret once, at construction, never per request.
 */
export class GatewaySessionCodec {
  private readonly key: Buffer;
  private readonly ttlMs: () => number;
  /**
   * Expiry (ms) of ids that verified, keyed by the exact id string and its owner: a client sends the same id on every
   * request, so its HMAC is computed once. Only successes are kept, so any other spelling (a tampered or re-encoded
   * id) misses and is verified in full; a hit still checks the expiry against the clock.
   */
  private readonly verified: LRUCache<string, number>;

  /**
   * `ttlMs` may be a function, read at each issue (`sessions.ttl` follows reloads; issued ids keep their expiry).
   * `cacheSize`: how many verified ids are remembered (least recently used dropped first).
   */
  constructor(
    secret: string,
    ttlMs: number | (() => number),
    private readonly now: () => number = Date.now,
    cacheSize = VERIFIED_CACHE_SIZE,
  ) {
    this.key = Buffer.from(hkdfSync("sha256", secret, "mcp-gateway", "gateway-session-id v1", 32));
    this.ttlMs = typeof ttlMs === "number" ? () => ttlMs : ttlMs;
    this.verified = new LRUCache({ max: cacheSize });
  }

  /** A new session id valid for the configured TTL, owned by `owner` (a consumer; "" when nobody authenticates). */
  issue(owner = ""): string {
    const expiry = Math.ceil((this.now() + this.ttlMs()) / 1000).toString(36);
    const body = `${VERSION}.${expiry}.${randomBytes(16).toString("base64url")}`;
    return `${body}.${this.tag(body, owner).toString("base64url")}`;
  }

  /**
   * Checks format, signature (constant time) and expiry. The owner is part of the signed data, not of the id: an id
   * presented with another consumer's credentials fails like a forged one, and the id itself names nobody.
   */
  verify(id: string, owner = ""): SessionCheck {
    // Split at the last NUL, which no consumer name contains: no two (id, owner) pairs share a key.
    const cacheKey = `${id}\u0000${owner}`;
    const cached = this.verified.get(cacheKey);
    if (cached !== undefined) {
      if (cached > this.now()) return { ok: true, expiresAtMs: cached };
      this.verified.delete(cacheKey);
      return { ok: false, reason: "expired" };
    }
    const check = this.verifyInFull(id, owner);
    if (check.ok) this.verified.set(cacheKey, check.expiresAtMs);
    return check;
  }

  private verifyInFull(id: string, owner: string): SessionCheck {
    const lastDot = id.lastIndexOf(".");
    const body = id.slice(0, lastDot);
    const parts = body.split(".");
    // Only the canonical spelling of the tag (as issued) is accepted: the decoder would also take padding, stray
    // characters and other values of the unused low bits, and each variant would be another id for the same session
    // (one that DELETE, which revokes the id as spelled, would not end).
    const given = decodeCanonicalBase64url(id.slice(lastDot + 1));
    if (lastDot < 0 || parts.length !== 3 || parts[0] !== VERSION || given === undefined) {
      return { ok: false, reason: "malformed" };
    }
    if (given.length !== TAG_BYTES || !timingSafeEqual(given, this.tag(body, owner))) {
      return { ok: false, reason: "bad-signature" };
    }
    const expiresAtMs = parseInt(parts[1] ?? "", 36) * 1000;
    if (!Number.isFinite(expiresAtMs) || expiresAtMs <= this.now()) return { ok: false, reason: "expired" };
    return { ok: true, expiresAtMs };
  }

  private tag(body: string, owner: string): Buffer {
    // The owner goes after a NUL, which neither the body nor a consumer name can contain: no two inputs collide.
    const hmac = createHmac("sha256", this.key).update(body);
    if (owner !== "") hmac.update(`\u0000${owner}`);
    return hmac.digest().subarray(0, TAG_BYTES);
  }
}

/** A random secret for a single-process gateway whose config sets none (ids then die with the process). */
export function ephemeralSessionSecret(): string {
  return randomBytes(32).toString("base64url");
}
