import { redactUrl } from "../connection-url";
import { GatewayError, JsonRpcErrorCode } from "../errors";
import { MemoryTokenBudgets } from "./memory-token-budgets";
import { RedisTokenBudgets } from "./redis-token-budgets";
import type { TokenBudgets } from "./token-budget";

/** Opens the token budgets `rateLimits.store` names: `"memory"` (per process) or a `redis://` / `rediss://` URL. */
export function openTokenBudgets(store: "memory" | string): Promise<TokenBudgets> {
  if (store === "memory") return Promise.resolve(new MemoryTokenBudgets());
  if (/^rediss?:\/\//i.test(store)) return RedisTokenBudgets.connect(store);
  return Promise.reject(
    new GatewayError(
      JsonRpcErrorCode.InternalError,
      `unknown LLM token budget store ${JSON.stringify(redactUrl(store))}: expected "memory" or a redis:// or rediss:// URL`,
      { httpStatus: 500 },
    ),
  );
}
