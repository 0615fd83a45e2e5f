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
  async admit(key: string, limits: TokenLimits, reserve: TokenUsage) {
    const verdict = await this.check();
    if (verdict.allowed) await this.charge(key, limits, reserve);
    return verdict;
  }
  async settle(key: string, limits: TokenLimits, reserved: TokenUsage, actual: TokenUsage): Promise<void> {
    await this.charge(key, limits, { input: actual.input - reserved.input, output: actual.output - reserved.output });
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

  it("reserves the round's max output (or the default), never more than the smallest output or total cap", async () => {
    const reserveFor = (limits: TokenLimits, maxOutput: number | undefined) =>
      new RoundBudget(new FixedBudgets(1e9), "k", limits).admit(7, maxOutput);
    expect(await reserveFor(LIMITS, 40)).toEqual({ input: 7, output: 40 });
    expect(await reserveFor(LIMITS, undefined)).toEqual({ input: 7, output: 100 });
    expect(await reserveFor({ perDay: { input: 10 } }, undefined)).toEqual({ input: 7, output: 4096 });
    expect(await reserveFor({ perMinute: { output: 500 }, perDay: { total: 300 } }, 1e300)).toEqual({
      input: 7,
      output: 300,
    });
    expect(await reserveFor({ perDay: { input: 10 } }, 10.5)).toEqual({ input: 7, output: 11 });
  });

  it("admits with the reservation charged, refuses with 429 once spent, and settles the difference", async () => {
    const budgets = new FixedBudgets(100);
    const budget = new RoundBudget(budgets, tokenBudgetKey("bob"), LIMITS);
    const reserved = await budget.admit(10, 60);
    expect(budgets.spent).toBe(70);
    await budget.admit(5, 60);
    await expect(budget.admit(1, 1)).rejects.toMatchObject({ status: 429, type: "tokens" });
    await budget.settle(reserved, { input: 12, output: 20 });
    expect(budgets.charges.at(-1)).toEqual(['c:"bob"', { input: 2, output: -40 }]);
  });

  it("needs no store without caps", async () => {
    await expect(new RoundBudget(undefined, "k", undefined).check()).resolves.toBeUndefined();
  });

  it("fails closed when caps are set and no store enforces them", async () => {
    await expect(new RoundBudget(undefined, "k", LIMITS).check()).rejects.toMatchObject({ status: 503 });
    await expect(new RoundBudget(undefined, "k", LIMITS).admit(1, 1)).rejects.toMatchObject({ status: 503 });
  });
});
