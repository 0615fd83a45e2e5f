import { LRUCache } from "lru-cache";
import type { TokenBudgetVerdict, TokenBudgets, TokenLimits, TokenUsage } from "./token-budget";
import {
  chargedFullAt,
  chargeUs,
  planBuckets,
  settleUs,
  tokensFor,
  validateUsage,
  verdictAt,
  type PlannedBucket,
} from "./token-bucket-plan";

/** Options for {@link MemoryTokenBudgets}. */
export interface MemoryTokenBudgetsOptions {
  /** Most keys kept; the least recently used is dropped (and comes back with full budgets). Default 100,000. */
  maxKeys?: number;
  /** Clock in ms; defaults to the monotonic `performance.now()`, so wall-clock steps do not refill budgets. */
  now?: () => number;
}

const DEFAULT_MAX_KEYS = 100_000;

/**
 * Token budgets in this process (see token-bucket-plan.ts for the math): exact within one process, but each replica
 * counts on its own. Keys are any strings (held in a Map-backed LRU, so no key reaches an object prototype).
 */
export class MemoryTokenBudgets implements TokenBudgets {
  /** Per key: bucket field → the µs at which that bucket is full again. */
  private readonly keys: LRUCache<string, Map<string, number>>;
  private readonly now: () => number;

  constructor(options: MemoryTokenBudgetsOptions = {}) {
    this.keys = new LRUCache({ max: options.maxKeys ?? DEFAULT_MAX_KEYS });
    this.now = options.now ?? (() => performance.now());
  }

  check(key: string, limits: TokenLimits): Promise<TokenBudgetVerdict> {
    try {
      const buckets = planBuckets(limits);
      const state = this.keys.get(key);
      return Promise.resolve(verdictAt(buckets, (field) => state?.get(field), this.nowUs()));
    } catch (error: unknown) {
      return Promise.reject(error as Error);
    }
  }

  admit(key: string, limits: TokenLimits, reserve: TokenUsage): Promise<TokenBudgetVerdict> {
    try {
      const buckets = planBuckets(limits);
      validateUsage(reserve);
      const nowUs = this.nowUs();
      const state = this.keys.get(key);
      const verdict = verdictAt(buckets, (field) => state?.get(field), nowUs);
      if (verdict.allowed)
        this.move(key, buckets, (bucket) => chargeUs(bucket, tokensFor(bucket.kind, reserve)), nowUs);
      return Promise.resolve(verdict);
    } catch (error: unknown) {
      return Promise.reject(error as Error);
    }
  }

  settle(key: string, limits: TokenLimits, reserved: TokenUsage, actual: TokenUsage): Promise<void> {
    try {
      const buckets = planBuckets(limits);
      validateUsage(reserved);
      validateUsage(actual);
      this.move(key, buckets, (bucket) => settleUs(bucket, reserved, actual), this.nowUs());
      return Promise.resolve();
    } catch (error: unknown) {
      return Promise.reject(error as Error);
    }
  }

  charge(key: string, limits: TokenLimits, usage: TokenUsage): Promise<void> {
    try {
      const buckets = planBuckets(limits);
      validateUsage(usage);
      this.move(key, buckets, (bucket) => chargeUs(bucket, tokensFor(bucket.kind, usage)), this.nowUs());
      return Promise.resolve();
    } catch (error: unknown) {
      return Promise.reject(error as Error);
    }
  }

  close(): Promise<void> {
    this.keys.clear();
    return Promise.resolve();
  }

  /** Moves each bucket's fullAt by `costUs(bucket)` (negative: a refund). */
  private move(
    key: string,
    buckets: readonly PlannedBucket[],
    costUs: (bucket: PlannedBucket) => number,
    nowUs: number,
  ) {
    if (buckets.length === 0) return;
    let state = this.keys.get(key);
    if (state === undefined) {
      state = new Map();
      this.keys.set(key, state);
    }
    for (const bucket of buckets) {
      state.set(bucket.field, chargedFullAt(state.get(bucket.field), costUs(bucket), bucket.windowUs, nowUs));
    }
  }

  private nowUs(): number {
    return Math.floor(this.now() * 1000);
  }
}
