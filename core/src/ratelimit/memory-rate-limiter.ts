import { LRUCache } from "lru-cache";
import { rateLimitSpecError, type RateLimitOutcome, type RateLimitSpec, type RateLimiter } from "./rate-limiter";
import { fullBucket, takeToken, type TokenBucket } from "./token-bucket";

/** Options for {@link MemoryRateLimiter}. */
export interface MemoryRateLimiterOptions {
  /** Most buckets kept; the least recently used is dropped (and comes back full). Default 100,000. */
  maxKeys?: number;
  /** Clock in ms; defaults to the monotonic `performance.now()`, so wall-clock steps do not refill buckets. */
  now?: () => number;
}

const DEFAULT_MAX_KEYS = 100_000;

/**
 * In-process token buckets: exact within one process (the math is synchronous, so concurrent callers cannot
 * interleave), but each replica counts on its own. Bounded in keys by an LRU.
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly buckets: LRUCache<string, TokenBucket>;
  private readonly now: () => number;

  constructor(options: MemoryRateLimiterOptions = {}) {
    this.buckets = new LRUCache({ max: options.maxKeys ?? DEFAULT_MAX_KEYS });
    this.now = options.now ?? (() => performance.now());
  }

  take(key: string, spec: RateLimitSpec): Promise<RateLimitOutcome> {
    const invalid = rateLimitSpecError(spec);
    if (invalid) return Promise.reject(invalid);
    const nowMs = this.now();
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = fullBucket(spec, nowMs);
      this.buckets.set(key, bucket);
    }
    return Promise.resolve(takeToken(bucket, spec, nowMs));
  }

  close(): Promise<void> {
    this.buckets.clear();
    return Promise.resolve();
  }
}
