/** A real `redis-server` started for a test on a free loopback port. */
export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}
/** Finds a free TCP port on 127.0.0.1. */
export declare function freePort(): Promise<number>;
/**
 * Starts `redis-server` (installed by .ci/run from Debian when missing) without persistence. Fails loudly when the
 * binary is missing: the Redis tests are never skipped.
 */
export declare function startRedisServer(): Promise<RedisServer>;
