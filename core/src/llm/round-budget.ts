import { LlmError } from "./llm-error";
import type { TokenBudgetVerdict, TokenBudgets, TokenLimits, TokenUsage } from "./token-budget";

/** A consumer's token-budget key: the same form as its call rate-limit bucket (JSON keeps any name apart). */
export function tokenBudgetKey(consumer: string): string {
  return `c:${JSON.stringify(consumer)}`;
}

/**
 * Output tokens a round reserves when its maximum is unknown (neither the client nor the provider's `maxTokens` set
 * one); a reservation is never more than the smallest output or total cap.
 */
export const DEFAULT_OUTPUT_RESERVATION = 4096;

/**
 * One LLM request's view of its consumer's token budgets: each provider round is admitted with a reservation (its
 * input's low estimate and its maximum output), charged atomically with the check, and settled when it ends.
 */
export class RoundBudget {
  constructor(
    private readonly budgets: TokenBudgets | undefined,
    private readonly key: string,
    private readonly limits: TokenLimits | undefined,
  ) {}

  /** Throws a 429 (with Retry-After and the cap that ran out) when the consumer may not start a round now. */
  async check(): Promise<void> {
    const enforced = this.enforced();
    if (enforced) refuseUnless(await enforced.budgets.check(this.key, enforced.limits));
  }

  /**
   * Admits a round (as check) and reserves `input` tokens and its output: `maxOutput` (the max_tokens the gateway
   * sends) or {@link DEFAULT_OUTPUT_RESERVATION}, at most the smallest output or total cap. Returns what it reserved.
   */
  async admit(input: number, maxOutput: number | undefined): Promise<TokenUsage> {
    const enforced = this.enforced();
    const outputCaps = [this.limits?.perMinute, this.limits?.perDay].flatMap((caps) => [caps?.output, caps?.total]);
    // A client's max_tokens is any positive number: whole tokens, bounded as readUsage bounds a provider's counts.
    const wanted = maxOutput === undefined ? DEFAULT_OUTPUT_RESERVATION : Math.min(Math.ceil(maxOutput), 2 ** 40);
    const output = Math.min(wanted, ...outputCaps.map((cap) => cap ?? Infinity));
    const reserved = { input, output };
    if (enforced) refuseUnless(await enforced.budgets.admit(this.key, enforced.limits, reserved));
    return reserved;
  }

  /** Settles an admitted round: charges its `actual` usage less what was `reserved` (gives back the excess). */
  async settle(reserved: TokenUsage, actual: TokenUsage): Promise<void> {
    const enforced = this.enforced();
    if (enforced) await enforced.budgets.settle(this.key, enforced.limits, reserved, actual);
  }

  /** Charges a round's usage (nothing without caps). */
  async charge(usage: TokenUsage): Promise<void> {
    if (this.budgets && this.limits && (this.limits.perMinute || this.limits.perDay))
      await this.budgets.charge(this.key, this.limits, usage);
  }

  /** The store and caps when caps are set; throws a 503 when caps are set and no store enforces them. */
  private enforced(): { budgets: TokenBudgets; limits: TokenLimits } | undefined {
    const limits = this.limits;
    if (limits === undefined || (limits.perMinute === undefined && limits.perDay === undefined)) return undefined;
    // Fail closed: a policy with token caps and no budget store to enforce them gets no LLM access.
    if (!this.budgets)
      throw new LlmError(503, "server_error", "token budgets are configured but not available in this process", {
        code: "token_budgets_unavailable",
      });
    return { budgets: this.budgets, limits };
  }
}

/** Throws the 429 for a refusing verdict. */
function refuseUnless(verdict: TokenBudgetVerdict): void {
  if (verdict.allowed) return;
  const retryAfter = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
  throw new LlmError(
    429,
    // As OpenAI's own token rate limits: type "tokens", code "rate_limit_exceeded".
    "tokens",
    `token limit ${verdict.limit} exceeded for this consumer; retry in ${retryAfter} s`,
    { code: "rate_limit_exceeded", headers: { "retry-after": String(retryAfter) } },
  );
}
