/** Caps on LLM tokens within one window; an absent cap is unlimited. */
export interface TokenCaps {
  input?: number;
  output?: number;
  total?: number;
}

/** A consumer's LLM token limits (policies.<name>.llm.tokens): per minute and per day. */
export interface TokenLimits {
  perMinute?: TokenCaps;
  perDay?: TokenCaps;
}

/** Tokens one provider round used, as the provider reported them. */
export interface TokenUsage {
  input: number;
  output: number;
}

/** Whether a consumer may start (another) LLM round now; when not, which cap ran out and when it has room again. */
export type TokenBudgetVerdict =
  | { allowed: true }
  | {
      allowed: false;
      /** The cap that ran out, as configured: e.g. "perMinute.total" or "perDay.output". */
      limit: string;
      /** ms until that cap has room again. */
      retryAfterMs: number;
    };

/**
 * Token budgets per key (a consumer), refilled continuously over each window: a request is admitted while every cap
 * has room left, and charged what the provider reports afterwards (a charge may overdraw, down to minus the cap; the
 * overdraft delays the next request). Keys are any strings. Implementations: memory (one process) and Redis (shared by
 * replicas), like the call rate limits; `openTokenBudgets(rateLimits.store)` picks one. Caps must be positive integers
 * and usage non-negative integers, else check/charge reject with an error naming the field.
 */
export interface TokenBudgets {
  /** Whether `key` may start an LLM round now under `limits`. */
  check(key: string, limits: TokenLimits): Promise<TokenBudgetVerdict>;
  /**
   * Whether `key` may start an LLM round now under `limits` and, when it may, charges `reserve` in the same atomic
   * step, so concurrent rounds of one consumer see each other's reservations: together they overspend a cap by at
   * most one reservation.
   */
  admit(key: string, limits: TokenLimits, reserve: TokenUsage): Promise<TokenBudgetVerdict>;
  /** Settles an admitted round: charges `actual` less the `reserved` part already charged (gives back the excess). */
  settle(key: string, limits: TokenLimits, reserved: TokenUsage, actual: TokenUsage): Promise<void>;
  /** Charges `usage` to `key` under `limits`. */
  charge(key: string, limits: TokenLimits, usage: TokenUsage): Promise<void>;
  /** Releases the store; unusable afterwards. */
  close(): Promise<void>;
}
