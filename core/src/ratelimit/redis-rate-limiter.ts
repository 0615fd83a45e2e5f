import { connectScriptClient, redisUnavailable, type ScriptClient } from "../redis/script-client";
import { traceChild } from "../tracing/request-span";
import { rateLimitSpecError, type RateLimitOutcome, type RateLimitSpec, type RateLimiter } from "./rate-limiter";
import { TAKE_TOKEN_SCRIPT } from "./take-token-script";

const SCRIPTS = { takeToken: TAKE_TOKEN_SCRIPT };

type LimiterClient = ScriptClient<typeof SCRIPTS>;

/**
 * Token buckets in Redis, shared by every replica: each take is one Lua script (atomic per key, single-key so it
 * works on Redis Cluster too). Keys are `<prefix><caller key>`; buckets expire once they would be full again.
 */
export class RedisRateLimiter implements RateLimiter {
  private constructor(
    private readonly redis: LimiterClient,
    private readonly prefix: string,
  ) {}

  /** Connects to `url`; rejects with an error naming the URL (without credentials) when Redis is unreachable. */
  static async connect(url: string, prefix = "mcpgw:rl:"): Promise<RedisRateLimiter> {
    const redis = await connectScriptClient(url, SCRIPTS, "rate limits");
    return new RedisRateLimiter(redis, prefix);
  }

  async take(key: string, spec: RateLimitSpec): Promise<RateLimitOutcome> {
    const invalid = rateLimitSpecError(spec);
    if (invalid) throw invalid;
    try {
      return await traceChild("rate limit", { "db.system.name": "redis" }, () =>
        this.redis.takeToken(this.prefix + key, spec),
      );
    } catch (error: unknown) {
      const reason = error instanceof Error ? error.message : String(error);
      throw redisUnavailable(`rate limit store unavailable: ${reason}`, error);
    }
  }

  async close(): Promise<void> {
    if (!this.redis.isOpen) return;
    // close() waits for replies in flight; while reconnecting there are none worth waiting for.
    if (this.redis.isReady) await this.redis.close();
    else this.redis.destroy();
  }
}
