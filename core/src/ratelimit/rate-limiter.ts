import { GatewayError, JsonRpcErrorCode } from "../errors";

/** rate: tokens added per second (may be fractional, e.g. 0.5); burst: bucket capacity (integer >= 1). */
export interface RateLimitSpec {
  ratePerSecond: number;
  burst: number;
}

/** The answer to one {@link RateLimiter.take}: plain data the edges turn into a 429 and a `Retry-After` header. */
export interface RateLimitOutcome {
  allowed: boolean;
  /** Whole tokens left in the bucket after this call. */
  remaining: number;
  /** ms until one token is available (0 when allowed) */
  retryAfterMs: number;
}

/** A set of token buckets addressed by caller-chosen keys (any characters). */
export interface RateLimiter {
  /** Takes one token from the bucket `key` (created full). */
  take(key: string, spec: RateLimitSpec): Promise<RateLimitOutcome>;
  /** Releases the store (connections, memory); the limiter is unusable afterwards. */
  close(): Promise<void>;
}

/** The error a limiter rejects with for a spec the bucket math cannot honour, or undefined when `spec` is valid. */
export function rateLimitSpecError(spec: RateLimitSpec): GatewayError | undefined {
  const { ratePerSecond, burst } = spec;
  if (Number.isFinite(ratePerSecond) && ratePerSecond > 0 && Number.isInteger(burst) && burst >= 1) return undefined;
  return new GatewayError(
    JsonRpcErrorCode.InternalError,
    `invalid rate limit: ratePerSecond must be a finite number > 0 and burst an integer >= 1 ` +
      `(got ratePerSecond=${String(ratePerSecond)}, burst=${String(burst)})`,
    { httpStatus: 500 },
  );
}

/** Seconds for the HTTP `Retry-After` header: the wait rounded up, at least 1 (the header cannot say "less than 1s"). */
export function retryAfterSeconds(outcome: RateLimitOutcome): number {
  return Math.max(1, Math.ceil(outcome.retryAfterMs / 1000));
}
