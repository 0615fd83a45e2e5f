import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../../test/src/support/redis-server";
import type { AuditEvent } from "./audit-event";
import { AuditLog } from "./audit-log";
import { openAuditLog } from "./open-audit-log";

const event: AuditEvent = {
  time: "2025-01-01T00:00:00.000Z",
  consumer: null,
  session: null,
  method: "tools/list",
  server: null,
  target: null,
  argsDigest: null,
  decision: "unauthenticated",
  reason: "missing API key",
  upstreamStatus: null,
  latencyMs: null,
  requestId: "1",
  clientAddress: "127.0.0.1",
  userAgent: "probe/1.0",
  outcome: null,
};

describe("openAuditLog", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "audit-open-"));
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await rm(dir, { recursive: true, force: true });
  });

  it("returns undefined when no sink is configured", async () => {
    await expect(openAuditLog({ stdout: false, maxQueue: 10 })).resolves.toBeUndefined();
  });

  it("opens the stdout and file sinks with the batching options", async () => {
    const written: string[] = [];
    jest.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const path = join(dir, "audit.log");
    const log = await openAuditLog({ stdout: true, file: { path }, maxQueue: 1, flushIntervalMs: 60_000 });
    expect(log).toBeInstanceOf(AuditLog);
    log?.record({ ...event, requestId: "dropped" });
    log?.record(event);
    await log?.close();
    expect(log?.stats().sinks.map((s) => [s.name, s.written, s.dropped])).toEqual([
      ["stdout", 1, 1],
      ["file", 1, 1],
    ]);
    expect(written.join("")).toBe(`${JSON.stringify(event)}\n`);
    expect(await readFile(path, "utf8")).toBe(`${JSON.stringify(event)}\n`);
  });

  it("rejects when PostgreSQL is unreachable, closing the sinks it already opened", async () => {
    const url = `postgres://audit:pw@127.0.0.1:${await freePort()}/audit`;
    await expect(openAuditLog({ file: { path: join(dir, "audit.log") }, postgres: { url } })).rejects.toThrow(
      /ECONNREFUSED/,
    );
  });
});
