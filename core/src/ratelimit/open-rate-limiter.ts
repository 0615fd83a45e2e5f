import { GatewayError, JsonRpcErrorCode } from "../errors";
import { MemoryRateLimiter } from "./memory-rate-limiter";
import type { RateLimiter } from "./rate-limiter";
import { redactUrl } from "../connection-url";
import { RedisRateLimiter } from "./redis-rate-limiter";

/** Opens the limiter a config names: `"memory"` (per process) or a `redis://` / `rediss://` URL (shared). */
export function openRateLimiter(store: "memory" | string): Promise<RateLimiter> {
  if (store === "memory") return Promise.resolve(new MemoryRateLimiter());
  if (/^rediss?:\/\//i.test(store)) return RedisRateLimiter.connect(store);
  return Promise.reject(
    new GatewayError(
      JsonRpcErrorCode.InternalError,
      `unknown rate limit store ${JSON.stringify(redactUrl(store))}: expected "memory" or a redis:// or rediss:// URL`,
      { httpStatus: 500 },
    ),
  );
}
