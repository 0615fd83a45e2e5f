import { mkdtemp, readFile, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { AuditEvent } from "./audit-event";
import { AuditLog } from "./audit-log";
import { auditLine, FileAuditSink, StdoutAuditSink } from "./json-lines-sink";

function event(n: number): AuditEvent {
  return {
    time: new Date(1_700_000_000_000 + n).toISOString(),
    consumer: "alice",
    session: null,
    method: "tools/call",
    server: "weather",
    target: "weather_forecast",
    argsDigest: "hmac-sha256:00",
    decision: n % 2 === 0 ? "allowed" : "denied",
    reason: n % 2 === 0 ? null : "tool not allowed",
    upstreamStatus: null,
    latencyMs: null,
    requestId: String(n),
    clientAddress: "203.0.113.9",
    userAgent: null,
    outcome: n % 2 === 0 ? "tool_error" : null,
  };
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const parseLines = (text: string): AuditEvent[] =>
  text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as AuditEvent);

/** A writable that accepts one small chunk at a time, slowly: writes beyond it must wait for 'drain'. */
class SlowWritable extends Writable {
  text = "";
  constructor() {
    super({ highWaterMark: 16 });
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    setTimeout(() => {
      this.text += chunk.toString();
      done();
    }, 2);
  }
}

describe("auditLine", () => {
  it("writes the event fields only, as one JSON line", () => {
    const line = auditLine({ ...event(2), extra: "not audited" } as AuditEvent);
    expect(line.endsWith("\n")).toBe(true);
    expect(line.slice(0, -1)).not.toContain("\n");
    expect(JSON.parse(line)).toEqual(event(2));
  });
});

describe("auditLine with an endpoint", () => {
  it("writes the endpoint a request came to, last", () => {
    const line = JSON.parse(auditLine({ ...event(2), endpoint: "/mcp/weather" })) as object;
    expect(Object.entries(line).at(-1)).toEqual(["endpoint", "/mcp/weather"]);
  });
});

describe("auditLine for LLM requests", () => {
  it("writes the provider, model, tokens and tool calls", () => {
    const llm = {
      provider: "openai",
      model: "gpt-4o",
      inputTokens: 3,
      outputTokens: 4,
      totalTokens: 7,
      toolCalls: [{ name: "weather_get_forecast", outcome: "ok" }],
    };
    expect(JSON.parse(auditLine({ ...event(2), endpoint: "/v1/responses", llm }))).toMatchObject({ llm });
  });
});

describe("auditLine for admin events", () => {
  it("writes the actor right after the time, and no actor field on request events", () => {
    const admin = JSON.parse(auditLine({ ...event(2), actor: "admin:0123456789ab" })) as object;
    expect(Object.keys(admin).slice(0, 3)).toEqual(["time", "actor", "consumer"]);
    expect(admin).toMatchObject({ actor: "admin:0123456789ab" });
    expect(JSON.parse(auditLine(event(2)))).not.toHaveProperty("actor");
  });
});

describe("StdoutAuditSink", () => {
  it("writes one line per event, in order, waiting for drain under backpressure", async () => {
    const stream = new SlowWritable();
    const log = new AuditLog([new StdoutAuditSink(stream)], { batchSize: 5 });
    for (const n of range(1, 40)) log.record(event(n));
    await log.close();
    expect(parseLines(stream.text).map((e) => e.requestId)).toEqual(range(1, 40).map(String));
  });

  it("fails the write that meets a stream error, and every write after it", async () => {
    const stream = new Writable({ write: (_chunk, _encoding, done) => done(new Error("EPIPE")) });
    const sink = new StdoutAuditSink(stream);
    await expect(sink.write([event(1)])).rejects.toThrow("EPIPE");
    await expect(sink.write([event(2)])).rejects.toThrow("EPIPE");
    await sink.close();
  });
});

describe("FileAuditSink", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "audit-file-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("creates the directory and a 0600 file, and appends across reopenings", async () => {
    const path = join(dir, "nested", "audit.log");
    const first = new FileAuditSink({ path });
    await first.write([event(1)]);
    await first.close();
    const second = new FileAuditSink({ path });
    await second.write([event(2), event(3)]);
    await second.close();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(parseLines(await readFile(path, "utf8"))).toEqual([event(1), event(2), event(3)]);
  });

  it("loses nothing on shutdown: 1000 records then close give 1000 lines", async () => {
    const path = join(dir, "audit.log");
    const log = new AuditLog([new FileAuditSink({ path })]);
    for (const n of range(1, 1000)) log.record(event(n));
    await log.close();
    expect(parseLines(await readFile(path, "utf8")).map((e) => e.requestId)).toEqual(range(1, 1000).map(String));
  });

  it("rotates by size and keeps every event exactly once across the files", async () => {
    const path = join(dir, "audit.log");
    const maxBytes = 1_000;
    const log = new AuditLog([new FileAuditSink({ path, maxBytes, maxFiles: 50 })], { batchSize: 7 });
    for (const n of range(1, 100)) log.record(event(n));
    await log.close();
    const files = (await readdir(dir)).sort();
    expect(files).toEqual(expect.arrayContaining(["audit.log", "audit.log.1", "audit.log.2"]));
    const seen: string[] = [];
    for (const file of files) {
      const text = await readFile(join(dir, file), "utf8");
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(maxBytes);
      seen.push(...parseLines(text).map((e) => e.requestId ?? ""));
    }
    expect(seen.sort((a, b) => Number(a) - Number(b))).toEqual(range(1, 100).map(String));
  });

  it("keeps the newest events in path.1, older in path.2", async () => {
    const path = join(dir, "audit.log");
    const same = (n: number): AuditEvent => ({ ...event(10), requestId: String(n) });
    const sink = new FileAuditSink({ path, maxBytes: Buffer.byteLength(auditLine(same(10))) * 2, maxFiles: 5 });
    await sink.write(range(10, 15).map(same));
    await sink.close();
    const idsIn = async (file: string): Promise<(string | null)[]> =>
      parseLines(await readFile(file, "utf8")).map((e) => e.requestId);
    expect(await idsIn(path)).toEqual(["14", "15"]);
    expect(await idsIn(`${path}.1`)).toEqual(["12", "13"]);
    expect(await idsIn(`${path}.2`)).toEqual(["10", "11"]);
  });

  it("keeps at most maxFiles rotated files", async () => {
    const path = join(dir, "audit.log");
    const sink = new FileAuditSink({ path, maxBytes: 300, maxFiles: 2 });
    await sink.write(range(1, 60).map(event));
    await sink.close();
    expect((await readdir(dir)).sort()).toEqual(["audit.log", "audit.log.1", "audit.log.2"]);
    const newest = parseLines(await readFile(path, "utf8")).map((e) => e.requestId);
    expect(newest[newest.length - 1]).toBe("60");
  });

  it("gives a line longer than maxBytes a file of its own", async () => {
    const path = join(dir, "audit.log");
    const sink = new FileAuditSink({ path, maxBytes: 10, maxFiles: 5 });
    await sink.write([event(1), event(2)]);
    await sink.close();
    expect(parseLines(await readFile(`${path}.1`, "utf8"))).toEqual([event(1)]);
    expect(parseLines(await readFile(path, "utf8"))).toEqual([event(2)]);
  });
});
