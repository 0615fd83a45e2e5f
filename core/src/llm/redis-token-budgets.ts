import { connectScriptClient, redisUnavailable, type ScriptClient } from "../redis/script-client";
import { traceChild } from "../tracing/request-span";
import type { TokenBudgetVerdict, TokenBudgets, TokenLimits, TokenUsage } from "./token-budget";
import { TOKEN_BUDGET_SCRIPT, verdictFromReply, type TokenBudgetCall } from "./token-budget-script";
import { chargeUs, planBuckets, settleUs, tokensFor, validateUsage } from "./token-bucket-plan";

/** Options for {@link RedisTokenBudgets.connect}. */
export interface RedisTokenBudgetsOptions {
  /** Prepended to every caller key. Default "mcpgw:tok:". */
  prefix?: string;
  /** Clock in epoch ms for tests; by default the Redis server's TIME, one timeline for every replica. */
  now?: () => number;
}

const SCRIPTS = { tokenBudget: TOKEN_BUDGET_SCRIPT };

type BudgetClient = ScriptClient<typeof SCRIPTS>;

/**
 * Token budgets in Redis, shared by every replica: each check, admit, settle or charge is one Lua script on one hash per key
 * (`<prefix><caller key>`, atomic, single-key so it works on Redis Cluster too); see token-budget-script.ts.
 */
export class RedisTokenBudgets implements TokenBudgets {
  private constructor(
    private readonly redis: BudgetClient,
    private readonly prefix: string,
    private readonly now: (() => number) | undefined,
  ) {}

  /** Connects to `url`; rejects with an error naming the URL (without credentials) when Redis is unreachable. */
  static async connect(url: string, options: RedisTokenBudgetsOptions = {}): Promise<RedisTokenBudgets> {
    const redis = await connectScriptClient(url, SCRIPTS, "LLM token budgets");
    return new RedisTokenBudgets(redis, options.prefix ?? "mcpgw:tok:", options.now);
  }

  async check(key: string, limits: TokenLimits): Promise<TokenBudgetVerdict> {
    const buckets = planBuckets(limits);
    if (buckets.length === 0) return { allowed: true };
    const reply = await this.run(key, { op: "check", buckets, nowUs: this.nowUs() });
    return verdictFromReply(reply, buckets);
  }

  async admit(key: string, limits: TokenLimits, reserve: TokenUsage): Promise<TokenBudgetVerdict> {
    const buckets = planBuckets(limits);
    validateUsage(reserve);
    if (buckets.length === 0) return { allowed: true };
    const costsUs = buckets.map((bucket) => chargeUs(bucket, tokensFor(bucket.kind, reserve)));
    const reply = await this.run(key, { op: "admit", buckets, costsUs, nowUs: this.nowUs() });
    return verdictFromReply(reply, buckets);
  }

  async settle(key: string, limits: TokenLimits, reserved: TokenUsage, actual: TokenUsage): Promise<void> {
    const buckets = planBuckets(limits);
    validateUsage(reserved);
    validateUsage(actual);
    if (buckets.length === 0) return;
    const costsUs = buckets.map((bucket) => settleUs(bucket, reserved, actual));
    await this.run(key, { op: "charge", buckets, costsUs, nowUs: this.nowUs() });
  }

  async charge(key: string, limits: TokenLimits, usage: TokenUsage): Promise<void> {
    const buckets = planBuckets(limits);
    validateUsage(usage);
    if (buckets.length === 0) return;
    const costsUs = buckets.map((bucket) => chargeUs(bucket, tokensFor(bucket.kind, usage)));
    await this.run(key, { op: "charge", buckets, costsUs, nowUs: this.nowUs() });
  }

  async close(): Promise<void> {
    if (!this.redis.isOpen) return;
    // close() waits for replies in flight; while reconnecting there are none worth waiting for.
    if (this.redis.isReady) await this.redis.close();
    else this.redis.destroy();
  }

  private async run(key: string, call: TokenBudgetCall): Promise<readonly number[]> {
    try {
      return await traceChild("token budget", { "db.system.name": "redis" }, () =>
        this.redis.tokenBudget(this.prefix + key, call),
      );
    } catch (error: unknown) {
      const reason = error instanceof Error ? error.message : String(error);
      throw redisUnavailable(`LLM token budget store unavailable: ${reason}`, error);
    }
  }

  private nowUs(): number | undefined {
    return this.now === undefined ? undefined : Math.floor(this.now() * 1000);
  }
}
