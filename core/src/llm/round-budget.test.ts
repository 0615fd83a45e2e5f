import { LlmError } from "./llm-error";
import { RoundBudget, tokenBudgetKey } from "./round-budget";
import type { TokenBudgets, TokenLimits, TokenUsage } from "./token-budget";

/** A budget store that refuses once `spent` reaches `cap` (enough to see RoundBudget's use of the interface). */
class FixedBudgets implements TokenBudgets {
  spent = 0;
  readonly charges: [string, TokenUsage][] = [];
  constructor(private readonly cap: number) {}
  async check(): Promise<{ allowed: true } | { allowed: false; limit: string; retryAfterMs: number }> {
    return this.spent < this.cap ? { allowed: true } : { allowed: false, limit: "perMinute.total", retryAfterMs: 1500 };
  }
  async charge(key: string, _limits: TokenLimits, usage: TokenUsage): Promise<void> {
    this.spent += usage.input + usage.output;
    this.charges.push([key, usage]);
  }
  async close(): Promise<void> {}
}

const LIMITS: TokenLimits = { perMinute: { total: 100 } };

describe("RoundBudget", () => {
  it("charges each round under the consumer's key, then refuses with 429, Retry-After and the cap", async () => {
    const budgets = new FixedBudgets(100);
    const budget = new RoundBudget(budgets, tokenBudgetKey("alice"), LIMITS);
    await budget.check();
    await budget.charge({ input: 80, output: 30 });
    expect(budgets.charges).toEqual([['c:"alice"', { input: 80, output: 30 }]]);
    const refused = await budget.check().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(LlmError);
    expect(refused).toMatchObject({
      status: 429,
      type: "tokens",
      code: "rate_limit_exceeded",
      headers: { "retry-after": "2" },
    });
    expect((refused as LlmError).message).toContain("perMinute.total");
  });

  it("needs no store without caps", async () => {
    await expect(new RoundBudget(undefined, "k", undefined).check()).resolves.toBeUndefined();
  });

  it("fails closed when caps are set and no store enforces them", async () => {
    await expect(new RoundBudget(undefined, "k", LIMITS).check()).rejects.toMatchObject({ status: 503 });
  });
});
