import type { RateLimitOutcome, RateLimitSpec } from "./rate-limiter";

/** Mutable state of one bucket: fractional tokens and when (ms, caller's clock) they were last refilled. */
export interface TokenBucket {
  tokens: number;
  refilledAtMs: number;
}

/**
 * Slack so float drift (e.g. 0.7 + 0.3 accumulated over many refills) never denies a token that has in fact refilled.
 * The Lua script in take-token-script.ts uses the same value.
 */
export const TOKEN_EPSILON = 1e-9;

/** Upper bound for waits and TTLs in ms (~31,000 years): keeps absurdly slow rates inside Redis' integer range. */
export const MAX_WAIT_MS = 1e15;

/** A full bucket as of `nowMs`. */
export function fullBucket(spec: RateLimitSpec, nowMs: number): TokenBucket {
  return { tokens: spec.burst, refilledAtMs: nowMs };
}

/**
 * Refills `bucket` up to `nowMs` under `spec` (clamped to the burst, so a lowered burst takes effect at once), then
 * takes one token if there is one. Mutates `bucket`. The Lua script in take-token-script.ts is the same algorithm.
 */
export function takeToken(bucket: TokenBucket, spec: RateLimitSpec, nowMs: number): RateLimitOutcome {
  // A clock that steps backwards adds nothing; refilling then resumes from the new reading.
  const elapsedMs = Math.max(0, nowMs - bucket.refilledAtMs);
  const tokens = Math.min(spec.burst, bucket.tokens + (elapsedMs * spec.ratePerSecond) / 1000);
  bucket.refilledAtMs = nowMs;
  if (tokens >= 1 - TOKEN_EPSILON) {
    bucket.tokens = Math.max(0, tokens - 1);
    return { allowed: true, remaining: Math.floor(bucket.tokens + TOKEN_EPSILON), retryAfterMs: 0 };
  }
  bucket.tokens = tokens;
  const retryAfterMs = Math.min(MAX_WAIT_MS, Math.ceil(((1 - tokens) * 1000) / spec.ratePerSecond));
  return { allowed: false, remaining: 0, retryAfterMs };
}
