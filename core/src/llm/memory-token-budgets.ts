import { LRUCache } from "lru-cache";
import type { TokenBudgetVerdict, TokenBudgets, TokenLimits, TokenUsage } from "./token-budget";
import { chargedFullAt, chargeUs, planBuckets, tokensFor, validateUsage, verdictAt } from "./token-bucket-plan";

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

  charge(key: string, limits: TokenLimits, usage: TokenUsage): Promise<void> {
    try {
      const buckets = planBuckets(limits);
      validateUsage(usage);
      if (buckets.length === 0) return Promise.resolve();
      const nowUs = this.nowUs();
      let state = this.keys.get(key);
      if (state === undefined) {
        state = new Map();
        this.keys.set(key, state);
      }
      for (const bucket of buckets) {
        const cost = chargeUs(bucket, tokensFor(bucket.kind, usage));
        state.set(bucket.field, chargedFullAt(state.get(bucket.field), cost, bucket.windowUs, nowUs));
      }
      return Promise.resolve();
    } catch (error: unknown) {
      return Promise.reject(error as Error);
    }
  }

  close(): Promise<void> {
    this.keys.clear();
    return Promise.resolve();
  }

  private nowUs(): number {
    return Math.floor(this.now() * 1000);
  }
}
