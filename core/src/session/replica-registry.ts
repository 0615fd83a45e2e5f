import { randomBytes } from "node:crypto";
import { createClient } from "redis";

type Redis = ReturnType<typeof createClient>;

/** Replica ids: 16 base64url characters (96 random bits), never a `.` (ids of relayed requests use it as separator). */
export const REPLICA_ID_RE = /^[A-Za-z0-9_-]{16}$/;

/** A fresh random replica id for this process (see {@link REPLICA_ID_RE}). */
export function newReplicaId(): string {
  return randomBytes(12).toString("base64url");
}

/**
 * Where the gateway replicas sharing one store say how to reach them: `replica id → internal base URL`, each entry
 * kept alive by its replica (it expires when the replica stops refreshing it).
 */
export interface ReplicaRegistry {
  /** Records (or refreshes) `id → url` for `ttlMs`. */
  register(id: string, url: string, ttlMs: number): Promise<void>;
  /** The URL replica `id` registered, or undefined when it is not registered (gone, or never advertised). */
  lookup(id: string): Promise<string | undefined>;
  /** Removes `id` (its replica is stopping). */
  unregister(id: string): Promise<void>;
  close(): Promise<void>;
}

/** The registry in the shared Redis store: keys `mcpgw:replica:<id>` holding the URL, with a TTL. */
export class RedisReplicaRegistry implements ReplicaRegistry {
  private constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /** Connects to `url`; rejects with a clear error when Redis is unreachable. */
  static async connect(url: string, prefix = "mcpgw:"): Promise<RedisReplicaRegistry> {
    const redis = createClient({
      url,
      socket: { connectTimeout: 5000, reconnectStrategy: (retries) => Math.min(retries * 100, 2000) },
    });
    redis.on("error", () => {
      // Connection errors surface on the commands that fail; the client reconnects on its own.
    });
    await redis.connect();
    return new RedisReplicaRegistry(redis, prefix);
  }

  private key(id: string): string {
    return `${this.prefix}replica:${id}`;
  }

  async register(id: string, url: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.key(id), url, { expiration: { type: "PX", value: Math.max(1, ttlMs) } });
  }

  async lookup(id: string): Promise<string | undefined> {
    // Only well-formed ids reach Redis: a client-chosen string never names another key.
    if (!REPLICA_ID_RE.test(id)) return undefined;
    return (await this.redis.get(this.key(id))) ?? undefined;
  }

  async unregister(id: string): Promise<void> {
    await this.redis.del(this.key(id));
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}
