import { createClient } from "redis";
import type { BackendSession, BackendSessionStore, DroppedBackendSession, HeldBackendSession } from "./backend-store";

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

// Keys checked per round of a sweep: their commands are pipelined together.
const SWEEP_BATCH = 200;

/** A mapping this replica stored, and when to look at its key again. */
interface Watched extends HeldBackendSession {
  checkAt: number;
}

/**
 * Redis-backed store shared by router and broker replicas. Keys: `mcpgw:bs:<server>:<session>`, `mcpgw:rv:<session>`.
 * Redis expires an idle mapping silently, so each replica watches the mappings it stored (a local index) and reports
 * those whose key is gone, or names another upstream session, at its next `sweep`: that replica ends them upstream.
 */
export class RedisBackendSessionStore implements BackendSessionStore {
  private readonly watched = new Map<string, Watched>();
  private dropListener: ((dropped: DroppedBackendSession) => void) | undefined;

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
    refreshTtlMs?: number,
  ): Promise<{ revoked: boolean; session: BackendSession | undefined }> {
    const k = this.key(gatewaySession, server);
    // Issued in one tick, so the client pipelines them: still one round trip.
    const [session, revoked] = await Promise.all([
      refreshTtlMs === undefined ? this.redis.get(k) : this.redis.getEx(k, { type: "PX", value: refreshTtlMs }),
      this.redis.exists(`${this.prefix}rv:${gatewaySession}`),
    ]);
    const watched = this.watched.get(k);
    if (watched && refreshTtlMs !== undefined) watched.checkAt = Date.now() + refreshTtlMs;
    return { revoked: revoked === 1, session: decode(session) };
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
    if (stored === "OK") {
      this.watched.set(k, { gatewaySession, server, session, checkAt: Date.now() + ttlMs });
      return session;
    }
    return (await this.get(gatewaySession, server)) ?? session;
  }

  async deleteIf(gatewaySession: string, server: string, upstreamSessionId: string): Promise<boolean> {
    const k = this.key(gatewaySession, server);
    const deleted = await this.redis.eval(DELETE_IF_SCRIPT, { keys: [k], arguments: [upstreamSessionId] });
    if (this.watched.get(k)?.session.sessionId === upstreamSessionId) this.watched.delete(k);
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

  onDrop(listener: (dropped: DroppedBackendSession) => void): void {
    this.dropListener = listener;
  }

  async sweep(): Promise<void> {
    const now = Date.now();
    const due = [...this.watched].filter(([, watched]) => watched.checkAt <= now);
    for (let at = 0; at < due.length; at += SWEEP_BATCH) {
      await Promise.all(due.slice(at, at + SWEEP_BATCH).map(([k, watched]) => this.check(k, watched)));
    }
  }

  // Gone, or replaced (it expired and a later call made a new one): either way ours is no longer used.
  private async check(k: string, watched: Watched): Promise<void> {
    const [value, ttl] = await Promise.all([this.redis.get(k), this.redis.pTTL(k)]);
    if (this.watched.get(k) !== watched) return;
    if (decode(value)?.sessionId === watched.session.sessionId) {
      watched.checkAt = Date.now() + Math.max(1, ttl);
      return;
    }
    this.watched.delete(k);
    const { gatewaySession, server, session } = watched;
    this.dropListener?.({ gatewaySession, server, session, reason: "idle" });
  }

  held(): HeldBackendSession[] {
    return [...this.watched.values()].map(({ gatewaySession, server, session }) => ({
      gatewaySession,
      server,
      session,
    }));
  }

  async close(): Promise<void> {
    this.watched.clear();
    await this.redis.quit();
  }
}
