import { createClient } from "redis";
import type { BackendSession, BackendSessionStore } from "./backend-store";

type Redis = ReturnType<typeof createClient>;

// Compare-and-delete: only remove the mapping if it still names the upstream session we saw fail, so a replica that
// already re-initialised is not undone by a late 404 elsewhere.
const DELETE_IF_SCRIPT = `
local v = redis.call('GET', KEYS[1])
if v and cjson.decode(v).sessionId == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

function decode(value: string | null): BackendSession | undefined {
  if (value === null) return undefined;
  const parsed = JSON.parse(value) as Partial<BackendSession>;
  if (typeof parsed.sessionId !== "string" || typeof parsed.protocolVersion !== "string") return undefined;
  return { sessionId: parsed.sessionId, protocolVersion: parsed.protocolVersion };
}

/** Redis-backed store shared by router and broker replicas. Keys: `mcpgw:bs:<server>:<session>`, `mcpgw:rv:<session>`. */
export class RedisBackendSessionStore implements BackendSessionStore {
  private constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /** Connects to `url`; rejects with a clear error when Redis is unreachable. */
  static async connect(url: string, prefix = "mcpgw:"): Promise<RedisBackendSessionStore> {
    const redis = createClient({
      url,
      socket: { connectTimeout: 5000, reconnectStrategy: (retries) => Math.min(retries * 100, 2000) },
    });
    redis.on("error", () => {
      // Connection errors surface on the commands that fail; the client reconnects on its own.
    });
    await redis.connect();
    return new RedisBackendSessionStore(redis, prefix);
  }

  private key(gatewaySession: string, server: string): string {
    return `${this.prefix}bs:${server}:${gatewaySession}`;
  }

  async get(gatewaySession: string, server: string): Promise<BackendSession | undefined> {
    return decode(await this.redis.get(this.key(gatewaySession, server)));
  }

  async lookup(
    gatewaySession: string,
    server: string,
  ): Promise<{ revoked: boolean; session: BackendSession | undefined }> {
    const [session, revoked] = await this.redis.mGet([
      this.key(gatewaySession, server),
      `${this.prefix}rv:${gatewaySession}`,
    ]);
    return { revoked: revoked !== null && revoked !== undefined, session: decode(session ?? null) };
  }

  async setIfAbsent(
    gatewaySession: string,
    server: string,
    session: BackendSession,
    ttlMs: number,
  ): Promise<BackendSession> {
    const k = this.key(gatewaySession, server);
    const stored = await this.redis.set(k, JSON.stringify(session), {
      condition: "NX",
      expiration: { type: "PX", value: ttlMs },
    });
    if (stored === "OK") return session;
    return (await this.get(gatewaySession, server)) ?? session;
  }

  async deleteIf(gatewaySession: string, server: string, upstreamSessionId: string): Promise<boolean> {
    const deleted = await this.redis.eval(DELETE_IF_SCRIPT, {
      keys: [this.key(gatewaySession, server)],
      arguments: [upstreamSessionId],
    });
    return deleted === 1;
  }

  async revoke(gatewaySession: string, ttlMs: number): Promise<void> {
    await this.redis.set(`${this.prefix}rv:${gatewaySession}`, "1", {
      expiration: { type: "PX", value: Math.max(1, ttlMs) },
    });
  }

  async isRevoked(gatewaySession: string): Promise<boolean> {
    return (await this.redis.exists(`${this.prefix}rv:${gatewaySession}`)) === 1;
  }

  async setSetting(gatewaySession: string, name: string, value: string, ttlMs: number): Promise<void> {
    await this.redis.set(`${this.prefix}set:${name}:${gatewaySession}`, value, {
      expiration: { type: "PX", value: Math.max(1, ttlMs) },
    });
  }

  async getSetting(gatewaySession: string, name: string): Promise<string | undefined> {
    return (await this.redis.get(`${this.prefix}set:${name}:${gatewaySession}`)) ?? undefined;
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}
