import { Client } from "pg";
import { freePort } from "../../../test/src/support/redis-server";
import { startPostgresServer, type PostgresServer } from "../../../test/src/support/postgres-server";
import type { AuditEvent } from "./audit-event";
import { AuditLog } from "./audit-log";
import { PostgresAuditSink } from "./postgres-sink";

function event(n: number): AuditEvent {
  return {
    time: new Date(Date.UTC(2025, 0, 1, 12, 0, 0, n)).toISOString(),
    consumer: n % 3 === 0 ? null : `consumer-${n % 3}`,
    session: `hs:${n.toString(16).padStart(16, "0")}`,
    method: "tools/call",
    server: "weather",
    target: "weather_forecast",
    argsDigest: `hmac-sha256:${n}`,
    decision: n % 2 === 0 ? "allowed" : "denied",
    reason: n % 2 === 0 ? null : "tool not allowed",
    upstreamStatus: n % 2 === 0 ? 200 : null,
    latencyMs: n % 2 === 0 ? n + 0.25 : null,
    requestId: String(n),
    clientAddress: n % 5 === 0 ? null : `203.0.113.${n % 250}`,
    userAgent: n % 4 === 0 ? null : `agent/${n}`,
    outcome: n % 2 === 0 ? (n % 6 === 0 ? "tool_error" : "ok") : null,
    endpoint: n % 3 === 0 ? "/mcp" : n % 3 === 1 ? "/mcp/weather" : "/mcp/virtual/team",
  };
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

let server: PostgresServer;
let client: Client;
let tables = 0;
const freshTable = (): string => `audit_${++tables}`;

beforeAll(async () => {
  server = await startPostgresServer();
  client = new Client({ connectionString: server.url });
  await client.connect();
}, 60_000);
afterAll(async () => {
  await client?.end();
  await server?.stop();
});

async function rows(table: string): Promise<Record<string, unknown>[]> {
  return (await client.query(`SELECT * FROM ${table} ORDER BY id`)).rows as Record<string, unknown>[];
}

function asEvent(row: Record<string, unknown>): AuditEvent {
  return {
    time: (row.time as Date).toISOString(),
    consumer: row.consumer as string | null,
    session: row.session as string | null,
    method: row.method as string,
    server: row.server as string | null,
    target: row.target as string | null,
    argsDigest: row.args_digest as string | null,
    decision: row.decision as AuditEvent["decision"],
    reason: row.reason as string | null,
    upstreamStatus: row.upstream_status as number | null,
    latencyMs: row.latency_ms as number | null,
    requestId: row.request_id as string | null,
    clientAddress: row.client_address as string | null,
    userAgent: row.user_agent as string | null,
    outcome: row.outcome as AuditEvent["outcome"],
    ...(row.endpoint === null ? {} : { endpoint: row.endpoint as string }),
    ...(row.llm === null || row.llm === undefined ? {} : { llm: row.llm as AuditEvent["llm"] }),
  };
}

describe("PostgresAuditSink", () => {
  it("creates the table with a column per event field, and reconnects to it", async () => {
    const table = freshTable();
    await (await PostgresAuditSink.connect({ url: server.url, table })).close();
    await (await PostgresAuditSink.connect({ url: server.url, table })).close();
    const columns = await client.query(
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position",
      [table],
    );
    expect(columns.rows.map((c: { column_name: string; data_type: string }) => [c.column_name, c.data_type])).toEqual([
      ["id", "bigint"],
      ["time", "timestamp with time zone"],
      ["consumer", "text"],
      ["session", "text"],
      ["method", "text"],
      ["server", "text"],
      ["target", "text"],
      ["args_digest", "text"],
      ["decision", "text"],
      ["reason", "text"],
      ["upstream_status", "integer"],
      ["latency_ms", "double precision"],
      ["request_id", "text"],
      ["actor", "text"],
      ["client_address", "text"],
      ["user_agent", "text"],
      ["outcome", "text"],
      ["endpoint", "text"],
      ["llm", "jsonb"],
    ]);
  });

  it("stores an admin event's actor, adding the column to a table created without it", async () => {
    const table = freshTable();
    await client.query(
      `CREATE TABLE ${table} (id bigserial PRIMARY KEY, time timestamptz NOT NULL, consumer text, session text,
        method text NOT NULL, server text, target text, args_digest text, decision text NOT NULL, reason text,
        upstream_status integer, latency_ms double precision, request_id text)`,
    );
    const sink = await PostgresAuditSink.connect({ url: server.url, table });
    const admin: AuditEvent = { ...event(1), actor: "admin:0123456789ab", method: "admin/rotate" };
    await sink.write([admin, event(2)]);
    await sink.close();
    const stored = await rows(table);
    expect(stored.map((row) => row.actor)).toEqual(["admin:0123456789ab", null]);
    expect(stored.map(asEvent)).toEqual([{ ...event(1), method: "admin/rotate" }, event(2)]);
  });

  it("adds the newer columns to a table an older gateway created, keeping its rows", async () => {
    const table = freshTable();
    await client.query(`CREATE TABLE ${table} (
      "id" bigserial PRIMARY KEY, "time" timestamptz NOT NULL, "consumer" text, "session" text, "method" text NOT NULL,
      "server" text, "target" text, "args_digest" text, "decision" text NOT NULL, "reason" text,
      "upstream_status" integer, "latency_ms" double precision, "request_id" text)`);
    await client.query(`INSERT INTO ${table} ("time", "method", "decision") VALUES (now(), 'tools/call', 'allowed')`);
    const log = new AuditLog([await PostgresAuditSink.connect({ url: server.url, table })]);
    log.record(event(2));
    await log.close();
    const stored = await rows(table);
    expect(stored).toHaveLength(2);
    expect(stored[0]).toMatchObject({ method: "tools/call", client_address: null, user_agent: null, outcome: null });
    expect(stored[0]).toMatchObject({ endpoint: null });
    expect(asEvent(stored[1]!)).toEqual(event(2));
  });

  it("stores an LLM request's provider, tokens and tool calls as jsonb", async () => {
    const table = freshTable();
    const sink = await PostgresAuditSink.connect({ url: server.url, table });
    const llm = {
      provider: "openai",
      model: "gpt-4o",
      inputTokens: 12,
      outputTokens: 5,
      totalTokens: 17,
      toolCalls: [{ name: "weather_get_forecast", outcome: "ok" }],
    };
    const request: AuditEvent = { ...event(1), method: "llm/chat.completions", llm };
    await sink.write([request]);
    await sink.close();
    expect((await rows(table)).map(asEvent)).toEqual([request]);
  });

  it("uses mcp_audit_events by default", async () => {
    await (await PostgresAuditSink.connect({ url: server.url })).close();
    expect((await client.query("SELECT to_regclass('mcp_audit_events') AS t")).rows[0]).toEqual({
      t: "mcp_audit_events",
    });
  });

  it("inserts 250 events in batches, every field intact", async () => {
    const table = freshTable();
    const log = new AuditLog([await PostgresAuditSink.connect({ url: server.url, table })], { batchSize: 100 });
    for (const n of range(1, 250)) log.record(event(n));
    await log.close();
    expect(log.stats()).toMatchObject({ written: 250, failed: 0 });
    expect((await rows(table)).map(asEvent)).toEqual(range(1, 250).map(event));
  });

  it("loses nothing on shutdown: 1000 records then close give 1000 rows", async () => {
    const table = freshTable();
    const log = new AuditLog([await PostgresAuditSink.connect({ url: server.url, table })]);
    for (const n of range(1, 1000)) log.record(event(n));
    await log.close();
    const result = await client.query(`SELECT count(*)::int AS n, count(DISTINCT request_id)::int AS d FROM ${table}`);
    expect(result.rows[0]).toEqual({ n: 1000, d: 1000 });
  });

  it.each(["Audit", "audit-events", "audit; DROP TABLE x", '"audit"', "1audit", "a".repeat(64), ""])(
    "rejects the table name %j before connecting",
    async (table) => {
      await expect(PostgresAuditSink.connect({ url: "postgres://u:pw@127.0.0.1:1/db", table })).rejects.toThrow(
        /audit table name must match/,
      );
    },
  );

  it("fails to connect to an unreachable server without showing the password", async () => {
    const url = `postgres://auditor:s3cr%40t-pw@127.0.0.1:${await freePort()}/audit`;
    const error = await PostgresAuditSink.connect({ url }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/cannot open PostgreSQL audit table .*ECONNREFUSED/);
    expect(error?.message).toContain("auditor:***@127.0.0.1");
    expect(error?.message).not.toMatch(/s3cr/);
    expect(error?.cause).toBeUndefined();
  });

  it("fails an insert the server refuses, with the reason", async () => {
    const table = freshTable();
    const sink = await PostgresAuditSink.connect({ url: server.url, table });
    await expect(sink.write([{ ...event(1), time: "not a time" }])).rejects.toThrow(/insert failed.*not a time/);
    await sink.write([event(2)]);
    await sink.close();
    expect((await rows(table)).map(asEvent)).toEqual([event(2)]);
  });
});
