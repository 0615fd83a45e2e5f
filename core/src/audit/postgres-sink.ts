import { connectionError } from "../connection-url";
import { Pool } from "pg";
import type { AuditEvent } from "./audit-event";
import type { AuditSink } from "./audit-log";

/** Options of {@link PostgresAuditSink.connect}. */
export interface PostgresAuditSinkOptions {
  /** postgres:// connection URL; its password never appears in an error message. */
  url: string;
  /** Table name (default `mcp_audit_events`); lower-case letters, digits and `_`, created when missing. */
  table?: string;
}

/** Table names we accept: a plain lower-case SQL identifier, so it can be interpolated (quoted) into statements. */
export const AUDIT_TABLE_NAME_RE = /^[a-z_][a-z0-9_]{0,62}$/;

const COLUMNS = [
  "actor",
  "time",
  "consumer",
  "session",
  "method",
  "server",
  "target",
  "args_digest",
  "decision",
  "reason",
  "upstream_status",
  "latency_ms",
  "request_id",
  "client_address",
  "user_agent",
  "outcome",
  "endpoint",
  "llm",
] as const;
const COLUMN_LIST = COLUMNS.map((column) => `"${column}"`).join(", ");
// PostgreSQL allows 65 535 bind parameters per statement.
const MAX_ROWS_PER_INSERT = Math.floor(65_535 / COLUMNS.length);

function createTableSql(table: string): string {
  return `CREATE TABLE IF NOT EXISTS "${table}" (
    "id" bigserial PRIMARY KEY,
    "time" timestamptz NOT NULL,
    "consumer" text,
    "session" text,
    "method" text NOT NULL,
    "server" text,
    "target" text,
    "args_digest" text,
    "decision" text NOT NULL,
    "reason" text,
    "upstream_status" integer,
    "latency_ms" double precision,
    "request_id" text,
    "actor" text,
    "client_address" text,
    "user_agent" text,
    "outcome" text,
    "endpoint" text,
    "llm" jsonb
  )`;
}

// Columns added after the first release: a table created by an older gateway gets them on start (idempotent, so
// replicas starting together may all run it). Never a rename or a drop: older rows keep their meaning.
const ADDED_COLUMNS = [
  ["actor", "text"],
  ["client_address", "text"],
  ["user_agent", "text"],
  ["outcome", "text"],
  ["endpoint", "text"],
  ["llm", "jsonb"],
] as const;

function addColumnsSql(table: string): string {
  const adds = ADDED_COLUMNS.map(([name, type]) => `ADD COLUMN IF NOT EXISTS "${name}" ${type}`);
  return `ALTER TABLE "${table}" ${adds.join(", ")}`;
}

// Replicas starting together race on CREATE TABLE / ADD COLUMN IF NOT EXISTS; the loser sees a duplicate type, table
// or column, which is fine: it exists.
const ALREADY_THERE = new Set(["23505", "42P07", "42701"]);

async function ensure(pool: Pool, sql: string): Promise<void> {
  try {
    await pool.query(sql);
  } catch (error) {
    if (!ALREADY_THERE.has(String((error as { code?: unknown }).code))) throw error;
  }
}

async function createTable(pool: Pool, table: string): Promise<void> {
  await ensure(pool, createTableSql(table));
  await ensure(pool, addColumnsSql(table));
}

function insertSql(table: string, rows: number): string {
  const tuples: string[] = [];
  for (let row = 0; row < rows; row++) {
    const base = row * COLUMNS.length;
    tuples.push(`(${COLUMNS.map((_, column) => `$${base + column + 1}`).join(", ")})`);
  }
  return `INSERT INTO "${table}" (${COLUMN_LIST}) VALUES ${tuples.join(", ")}`;
}

function insertValues(events: readonly AuditEvent[]): unknown[] {
  const values: unknown[] = [];
  for (const e of events) {
    values.push(e.actor ?? null);
    values.push(e.time, e.consumer, e.session, e.method, e.server, e.target, e.argsDigest, e.decision, e.reason);
    values.push(e.upstreamStatus, e.latencyMs, e.requestId, e.clientAddress ?? null, e.userAgent ?? null);
    values.push(e.outcome ?? null, e.endpoint ?? null, e.llm === undefined ? null : JSON.stringify(e.llm));
  }
  return values;
}

/** Audit sink inserting each batch into a PostgreSQL table with one multi-row parameterized INSERT. */
export class PostgresAuditSink implements AuditSink {
  readonly name = "postgres";

  private constructor(
    private readonly pool: Pool,
    private readonly table: string,
    private readonly url: string,
  ) {}

  /** Validates the table name, connects and creates the table when missing; rejects without leaking the password. */
  static async connect(options: PostgresAuditSinkOptions): Promise<PostgresAuditSink> {
    const table = options.table ?? "mcp_audit_events";
    if (!AUDIT_TABLE_NAME_RE.test(table)) {
      throw new Error(`audit table name must match ${String(AUDIT_TABLE_NAME_RE)}: ${JSON.stringify(table)}`);
    }
    let pool: Pool | undefined;
    try {
      // One connection: writes are sequential. The query timeout bounds a write stuck on a dead network path, so the
      // sink fails (and is retried) instead of hanging while its queue overflows.
      pool = new Pool({
        connectionString: options.url,
        max: 1,
        connectionTimeoutMillis: 5_000,
        query_timeout: 10_000,
        application_name: "mcp-gateway-audit",
      });
      pool.on("error", () => {
        // An idle connection that dies is dropped by the pool; the next write reconnects or fails and is retried.
      });
      await createTable(pool, table);
      return new PostgresAuditSink(pool, table, options.url);
    } catch (error) {
      await pool?.end().catch(() => undefined);
      throw connectionError("cannot open PostgreSQL audit table", options.url, error);
    }
  }

  /** Inserts the batch (split only past PostgreSQL's bind-parameter limit). */
  async write(batch: readonly AuditEvent[]): Promise<void> {
    try {
      for (let start = 0; start < batch.length; start += MAX_ROWS_PER_INSERT) {
        const rows = batch.slice(start, start + MAX_ROWS_PER_INSERT);
        await this.pool.query(insertSql(this.table, rows.length), insertValues(rows));
      }
    } catch (error) {
      throw connectionError("PostgreSQL audit insert failed", this.url, error);
    }
  }

  /** Ends the pool. */
  async close(): Promise<void> {
    await this.pool.end();
  }
}
