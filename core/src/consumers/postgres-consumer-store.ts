import { Pool } from "pg";
import { ConsumerExistsError, ConsumerNotFoundError, ConsumerRevokedError } from "./consumer-errors";
import { byConsumerName, type ConsumerRecord, type ConsumerStore } from "./consumer-store";
import { connectionError } from "../connection-url";

/** Table names are interpolated into SQL, so only plain lower-case identifiers are accepted. */
const TABLE_RE = /^[a-z_][a-z0-9_]{0,62}$/;

interface ConsumerRow {
  name: string;
  policy: string;
  key_hash: string;
  created_at: Date;
  rotated_at: Date | null;
  revoked_at: Date | null;
}

function toRecord(row: ConsumerRow): ConsumerRecord {
  return {
    name: row.name,
    policy: row.policy,
    keyHash: row.key_hash,
    createdAt: row.created_at.toISOString(),
    rotatedAt: row.rotated_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
  };
}

function values(record: ConsumerRecord): unknown[] {
  return [record.name, record.policy, record.keyHash, record.createdAt, record.rotatedAt, record.revokedAt];
}

/** Consumers in a PostgreSQL table (created when missing): unique name, indexed key hash, timestamptz columns. */
export class PostgresConsumerStore implements ConsumerStore {
  private readonly columns = "name, policy, key_hash, created_at, rotated_at, revoked_at";

  private constructor(
    private readonly pool: Pool,
    private readonly table: string,
  ) {}

  /** Connects to `url` and creates `table` when missing; rejects (without the URL's password) on failure. */
  static async connect(url: string, table = "mcp_consumers"): Promise<PostgresConsumerStore> {
    if (!TABLE_RE.test(table)) throw new Error(`invalid consumer table name "${table}": use [a-z_][a-z0-9_]*`);
    const pool = new Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 5000 });
    pool.on("error", () => {
      // An idle client lost its connection; the pool replaces it and the next query reports real failures.
    });
    const store = new PostgresConsumerStore(pool, table);
    try {
      await store.createTable();
    } catch (error: unknown) {
      await pool.end().catch(() => undefined);
      throw connectionError("cannot open postgres consumer store", url, error);
    }
    return store;
  }

  private async createTable(): Promise<void> {
    const client = await this.pool.connect();
    try {
      // Concurrent CREATE TABLE IF NOT EXISTS can still collide in the catalog; an advisory lock serializes them.
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`mcp-gateway:${this.table}`]);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${this.table} (
          name text PRIMARY KEY,
          policy text NOT NULL,
          key_hash text NOT NULL,
          created_at timestamptz NOT NULL,
          rotated_at timestamptz,
          revoked_at timestamptz)`,
      );
      await client.query(`CREATE INDEX IF NOT EXISTS ${this.table}_key_hash_idx ON ${this.table} (key_hash)`);
      await client.query("COMMIT");
    } catch (error: unknown) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async list(): Promise<ConsumerRecord[]> {
    const result = await this.pool.query<ConsumerRow>(`SELECT ${this.columns} FROM ${this.table}`);
    return result.rows.map(toRecord).sort(byConsumerName);
  }

  async get(name: string): Promise<ConsumerRecord | undefined> {
    const result = await this.pool.query<ConsumerRow>(`SELECT ${this.columns} FROM ${this.table} WHERE name = $1`, [
      name,
    ]);
    return result.rows[0] && toRecord(result.rows[0]);
  }

  async findByKeyHash(keyHash: string): Promise<ConsumerRecord | undefined> {
    const result = await this.pool.query<ConsumerRow>(
      `SELECT ${this.columns} FROM ${this.table} WHERE key_hash = $1 AND revoked_at IS NULL LIMIT 1`,
      [keyHash],
    );
    return result.rows[0] && toRecord(result.rows[0]);
  }

  async create(record: ConsumerRecord): Promise<void> {
    const result = await this.pool.query(
      `INSERT INTO ${this.table} (${this.columns}) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO NOTHING`,
      values(record),
    );
    if (result.rowCount !== 1) throw new ConsumerExistsError(record.name);
  }

  async update(record: ConsumerRecord): Promise<void> {
    const result = await this.pool.query(
      `UPDATE ${this.table} SET policy = $2, key_hash = $3, created_at = $4, rotated_at = $5, revoked_at = $6
        WHERE name = $1 AND revoked_at IS NULL`,
      values(record),
    );
    if (result.rowCount === 1) return;
    if (await this.get(record.name)) throw new ConsumerRevokedError(record.name);
    throw new ConsumerNotFoundError(record.name);
  }

  async setPolicy(name: string, policy: string): Promise<ConsumerRecord> {
    const result = await this.pool.query<ConsumerRow>(
      `UPDATE ${this.table} SET policy = $2 WHERE name = $1 AND revoked_at IS NULL RETURNING ${this.columns}`,
      [name, policy],
    );
    if (result.rows[0]) return toRecord(result.rows[0]);
    if (await this.get(name)) throw new ConsumerRevokedError(name);
    throw new ConsumerNotFoundError(name);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
