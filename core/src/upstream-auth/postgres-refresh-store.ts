import { Pool, type PoolClient } from "pg";
import { connectionError } from "../connection-url";
import type { RefreshStore, StoredRefresh } from "./refresh-store";

/** The table every PostgreSQL refresh-token store shares, one row per key (created when missing). */
export const REFRESH_TABLE = "mcp_upstream_refresh_tokens";

// Waiting for another replica's refresh longer than a token request may take (10 s) means something is stuck: fail
// that refresh (it backs off and retries) rather than queue behind it forever.
const LOCK_TIMEOUT = "15s";
// A replica that hangs inside a refresh (not a crash: that closes its connection) loses its session and so its lock.
const IDLE_TIMEOUT = "30s";

async function createTable(pool: Pool): Promise<void> {
  const client = await pool.connect();
  try {
    // Concurrent CREATE TABLE IF NOT EXISTS can still collide in the catalog; an advisory lock serializes them.
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`mcp-gateway:${REFRESH_TABLE}`]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${REFRESH_TABLE} (
        key text PRIMARY KEY,
        origin text NOT NULL,
        refresh_token text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now())`,
    );
    await client.query("COMMIT");
  } catch (error: unknown) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Reads the row of `key` under a transaction-scoped advisory lock on it (the row may not exist yet). */
async function lockAndRead(client: PoolClient, key: string): Promise<StoredRefresh | undefined> {
  await client.query("BEGIN");
  await client.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
  await client.query(`SET LOCAL idle_in_transaction_session_timeout = '${IDLE_TIMEOUT}'`);
  await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`mcp-gateway:upstream-refresh:${key}`]);
  const result = await client.query<{ origin: string; refresh_token: string }>(
    `SELECT origin, refresh_token FROM ${REFRESH_TABLE} WHERE key = $1`,
    [key],
  );
  const row = result.rows[0];
  return row && { origin: row.origin, refreshToken: row.refresh_token };
}

/**
 * A row of a PostgreSQL table shared by replicas: each refresh runs in a transaction holding an advisory lock on the
 * key (released at its end, or by the server when a replica dies), reads the newest token and writes the rotated one,
 * so replicas spend the token one after another. The transaction is committed even when the refresh fails after its
 * save: a rotated token already issued must never be rolled back. Connects (and creates the table) lazily.
 */
export function postgresRefreshStore(url: string, key: string): RefreshStore {
  let pool: Promise<Pool> | undefined;
  const open = async (): Promise<Pool> => {
    const created = new Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 5000 });
    created.on("error", () => {
      // An idle client lost its connection; the pool replaces it and the next query reports real failures.
    });
    try {
      await createTable(created);
      return created;
    } catch (error: unknown) {
      pool = undefined;
      await created.end().catch(() => undefined);
      throw connectionError("cannot open postgres refresh-token store", url, error);
    }
  };
  return {
    async exclusive(refresh) {
      const client = await (await (pool ??= open())).connect().catch((error: unknown) => {
        throw connectionError("cannot reach postgres refresh-token store", url, error);
      });
      let broken: unknown;
      try {
        const stored = await lockAndRead(client, key).catch((error: unknown) => {
          throw connectionError("cannot lock postgres refresh-token store", url, error);
        });
        return await refresh(stored, async (next) => {
          await client.query(
            `INSERT INTO ${REFRESH_TABLE} (key, origin, refresh_token) VALUES ($1, $2, $3)
              ON CONFLICT (key) DO UPDATE SET origin = $2, refresh_token = $3, updated_at = now()`,
            [key, next.origin, next.refreshToken],
          );
        });
      } finally {
        // COMMIT after a failed statement rolls back instead; either way the lock is released with the transaction.
        await client.query("COMMIT").catch((error: unknown) => {
          broken = error;
        });
        client.release(broken instanceof Error ? broken : undefined);
      }
    },
    async close() {
      const pending = pool;
      pool = undefined;
      if (pending) await (await pending.catch(() => undefined))?.end().catch(() => undefined);
    },
  };
}
