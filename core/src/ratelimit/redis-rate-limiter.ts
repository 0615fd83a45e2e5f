import { createClient } from "redis";
import { traceChild } from "../tracing/request-span";
import { GatewayError, JsonRpcErrorCode } from "../errors";
import { rateLimitSpecError, type RateLimitOutcome, type RateLimitSpec, type RateLimiter } from "./rate-limiter";
import { describeError, redactUrl, scrubPassword } from "../connection-url";
import { TAKE_TOKEN_SCRIPT } from "./take-token-script";

function createLimiterClient(url: string, everConnected: () => boolean) {
  return createClient({
    url,
    scripts: { takeToken: TAKE_TOKEN_SCRIPT },
    // Fail fast while Redis is down instead of queueing: the caller chooses to fail open or closed on a rejection.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 5000,
      // The first connect fails at once (connect() rejects with the socket error instead of retrying forever);
      // drops after that reconnect with backoff.
      reconnectStrategy: (retries) => (everConnected() ? Math.min(retries * 100, 2000) : false),
    },
  });
}

type LimiterClient = ReturnType<typeof createLimiterClient>;

function unavailable(message: string, cause?: unknown): GatewayError {
  return new GatewayError(JsonRpcErrorCode.UpstreamUnavailable, message, { httpStatus: 503, cause });
}

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
    let connected = false;
    let redis: LimiterClient;
    try {
      redis = createLimiterClient(url, () => connected);
    } catch {
      // No cause: URL parse errors carry the raw input, credentials included.
      throw unavailable(`invalid Redis URL for rate limits: ${redactUrl(url)}`);
    }
    redis.on("error", () => {
      // Connection errors surface on the commands that fail; the client reconnects on its own.
    });
    try {
      await redis.connect();
    } catch (error: unknown) {
      if (redis.isOpen) redis.destroy();
      const reason = scrubPassword(describeError(error), url);
      throw unavailable(`cannot connect to Redis for rate limits at ${redactUrl(url)}: ${reason}`);
    }
    connected = true;
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
      throw unavailable(`rate limit store unavailable: ${reason}`, error);
    }
  }

  async close(): Promise<void> {
    if (!this.redis.isOpen) return;
    // close() waits for replies in flight; while reconnecting there are none worth waiting for.
    if (this.redis.isReady) await this.redis.close();
    else this.redis.destroy();
  }
}
