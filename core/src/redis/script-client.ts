import { createClient, type RedisScripts } from "redis";
import { describeError, redactUrl, scrubPassword } from "../connection-url";
import { GatewayError, JsonRpcErrorCode } from "../errors";

/** A 503 for a Redis-backed store that cannot serve (the message names what, never credentials). */
export function redisUnavailable(message: string, cause?: unknown): GatewayError {
  return new GatewayError(JsonRpcErrorCode.UpstreamUnavailable, message, { httpStatus: 503, cause });
}

function scriptClient<S extends RedisScripts>(url: string, scripts: S, everConnected: () => boolean) {
  return createClient({
    url,
    scripts,
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

/** A connected client of {@link connectScriptClient} with the scripts `S` as commands. */
export type ScriptClient<S extends RedisScripts> = ReturnType<typeof scriptClient<S>>;

/**
 * Connects a Redis client that runs `scripts` (the rate limits' and token budgets' stores): fails fast while Redis is
 * down, reconnects with backoff after a drop. Rejects with a 503 naming `purpose` and the URL without credentials.
 */
export async function connectScriptClient<S extends RedisScripts>(
  url: string,
  scripts: S,
  purpose: string,
): Promise<ScriptClient<S>> {
  let connected = false;
  let redis: ScriptClient<S>;
  try {
    redis = scriptClient(url, scripts, () => connected);
  } catch {
    // No cause: URL parse errors carry the raw input, credentials included.
    throw redisUnavailable(`invalid Redis URL for ${purpose}: ${redactUrl(url)}`);
  }
  redis.on("error", () => {
    // Connection errors surface on the commands that fail; the client reconnects on its own.
  });
  try {
    await redis.connect();
  } catch (error: unknown) {
    if (redis.isOpen) redis.destroy();
    const reason = scrubPassword(describeError(error), url);
    throw redisUnavailable(`cannot connect to Redis for ${purpose} at ${redactUrl(url)}: ${reason}`);
  }
  connected = true;
  return redis;
}
