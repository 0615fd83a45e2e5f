import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "redis";
import { connectionError } from "../connection-url";
import { writeFileAtomic } from "../consumers/atomic-write";

/** What a refresh-token store holds: the newest refresh token, and (by hash) the configured one it descends from. */
export interface StoredRefresh {
  origin: string;
  refreshToken: string;
}

/** Where rotated refresh tokens of one server are kept between refreshes and restarts. */
export interface RefreshStore {
  /**
   * Runs one refresh with exclusive use of the stored token: reads it, lets `refresh` spend it and saves the rotated
   * one before anyone else may read (a refresh token is single-use: two replicas spending it at once lose the grant).
   */
  exclusive<T>(
    refresh: (stored: StoredRefresh | undefined, save: (next: StoredRefresh) => Promise<void>) => Promise<T>,
  ): Promise<T>;
  close(): Promise<void>;
}

function parseStored(text: string | null | undefined): StoredRefresh | undefined {
  if (!text) return undefined;
  const parsed = JSON.parse(text) as Partial<StoredRefresh>;
  return typeof parsed.origin === "string" && typeof parsed.refreshToken === "string"
    ? { origin: parsed.origin, refreshToken: parsed.refreshToken }
    : undefined;
}

/** A JSON file written atomically with mode 0600; one gateway process per file (no cross-process lock). */
export function fileRefreshStore(path: string): RefreshStore {
  const load = async (): Promise<StoredRefresh | undefined> => {
    try {
      return parseStored(await readFile(path, "utf8"));
    } catch (error: unknown) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  };
  return {
    exclusive: async (refresh) => refresh(await load(), (next) => writeFileAtomic(path, JSON.stringify(next))),
    close: () => Promise.resolve(),
  };
}

// Longer than a token request may take (10 s): a lock left by a crashed replica frees itself.
const LOCK_MS = 15_000;
const LOCK_POLL_MS = 50;
// Deletes the lock only if it is still ours (it may have expired and been taken by another replica).
const UNLOCK_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * A Redis key shared by replicas: each refresh holds `<key>:lock` (SET NX PX), reads the newest token under it and
 * writes the rotated one before releasing it, so replicas spend the token one after another. Connects lazily.
 */
export function redisRefreshStore(url: string, key: string): RefreshStore {
  let client: Promise<ReturnType<typeof createClient>> | undefined;
  const connect = async (): Promise<ReturnType<typeof createClient>> => {
    let ready = false;
    // Fail the first connect (the refresh fails, naming the store, and backs off); once up, reconnect on its own.
    const reconnectStrategy = (retries: number): number | false => (ready ? Math.min(retries * 100, 2000) : false);
    const redis = createClient({ url, socket: { connectTimeout: 5000, reconnectStrategy } });
    redis.on("error", () => undefined);
    try {
      await redis.connect();
      ready = true;
      return redis;
    } catch (error: unknown) {
      client = undefined;
      throw connectionError("cannot open redis refresh-token store", url, error);
    }
  };
  const lock = `${key}:lock`;
  return {
    async exclusive(refresh) {
      const redis = await (client ??= connect());
      const owner = randomUUID();
      const deadline = Date.now() + LOCK_MS;
      while ((await redis.set(lock, owner, { NX: true, PX: LOCK_MS })) === null) {
        if (Date.now() > deadline) throw new Error(`refresh-token lock ${lock} held too long`);
        await sleep(LOCK_POLL_MS);
      }
      try {
        return await refresh(parseStored(await redis.get(key)), async (next) => {
          await redis.set(key, JSON.stringify(next));
        });
      } finally {
        await redis.eval(UNLOCK_SCRIPT, { keys: [lock], arguments: [owner] }).catch(() => undefined);
      }
    },
    async close() {
      const pending = client;
      client = undefined;
      if (pending) await (await pending.catch(() => undefined))?.quit().catch(() => undefined);
    },
  };
}
