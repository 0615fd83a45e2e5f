import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** API keys the gateway issues start with this, so leaked keys are easy to find by secret scanners. */
export const API_KEY_PREFIX = "mcpgw_";

const HASH_PREFIX = "sha256:";
const HASH_RE = /^sha256:[0-9a-f]{64}$/;

/** A new random API key: the prefix and 32 random bytes (256 bits), base64url. */
export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBytes(32).toString("base64url");
}

/**
 * The stored form of an API key: `sha256:<hex>`. Keys are random 256-bit values, so a fast hash is enough (a slow,
 * salted hash protects low-entropy passwords; it adds nothing for keys nobody can guess) and allows lookup by hash.
 */
export function hashApiKey(key: string): string {
  return HASH_PREFIX + createHash("sha256").update(key, "utf8").digest("hex");
}

/** True when the string is a hash as {@link hashApiKey} prints it. */
export function isApiKeyHash(value: string): boolean {
  return HASH_RE.test(value);
}

/** Compares two key hashes in constant time (equal length is guaranteed by the format). */
export function sameKeyHash(a: string, b: string): boolean {
  const left = Buffer.from(a, "utf8");
  const right = Buffer.from(b, "utf8");
  return left.length === right.length && timingSafeEqual(left, right);
}
