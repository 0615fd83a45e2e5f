import { LlmError } from "./llm-error";
import type { TokenBudgets, TokenLimits, TokenUsage } from "./token-budget";

/** A consumer's token-budget key: the same form as its call rate-limit bucket (JSON keeps any name apart). */
export function tokenBudgetKey(consumer: string): string {
  return `c:${JSON.stringify(consumer)}`;
}

/** One LLM request's view of its consumer's token budgets: checked before each provider round, charged after. */
export class RoundBudget {
  constructor(
    private readonly budgets: TokenBudgets | undefined,
    private readonly key: string,
    private readonly limits: TokenLimits | undefined,
  ) {}

  /** Throws a 429 (with Retry-After and the cap that ran out) when the consumer may not start a round now. */
  async check(): Promise<void> {
    const limits = this.limits;
    if (limits === undefined || (limits.perMinute === undefined && limits.perDay === undefined)) return;
    // Fail closed: a policy with token caps and no budget store to enforce them gets no LLM access.
    if (!this.budgets)
      throw new LlmError(503, "server_error", "token budgets are configured but not available in this process", {
        code: "token_budgets_unavailable",
      });
    const verdict = await this.budgets.check(this.key, limits);
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

  /** Charges a round's usage (nothing without caps). */
  async charge(usage: TokenUsage): Promise<void> {
    if (this.budgets && this.limits && (this.limits.perMinute || this.limits.perDay))
      await this.budgets.charge(this.key, this.limits, usage);
  }
}
