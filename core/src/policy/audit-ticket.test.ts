import { AuditHasher, AuditLog, type AuditEvent, type AuditSink } from "../audit";
import { AccessPolicy } from "./access-policy";
import type { Caller } from "./admission";
import { AUDITED_METHODS, Auditor, NO_AUDIT, type AuditSubject } from "./audit-ticket";

const SECRET = "audit-ticket-test-secret-0123456789abcdef";

/** Keeps every batch the log writes. */
class MemorySink implements AuditSink {
  readonly name = "memory";
  readonly batches: AuditEvent[][] = [];
  get events(): AuditEvent[] {
    return this.batches.flat();
  }
  write(batch: readonly AuditEvent[]): Promise<void> {
    this.batches.push([...batch]);
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const alice: Caller = {
  identity: { consumer: "alice", policy: "p", method: "api-key" },
  policy: AccessPolicy.open(),
};

const subject = (overrides: Partial<AuditSubject> = {}): AuditSubject => ({
  method: "tools/call",
  server: "weather",
  target: "weather_get_forecast",
  args: { city: "Oslo", token: "s3cr3t-argument-value" },
  session: "session-id-in-the-clear",
  id: 42,
  ...overrides,
});

function setup(): { sink: MemorySink; log: AuditLog; auditor: Auditor; hasher: AuditHasher } {
  const sink = new MemorySink();
  const log = new AuditLog([sink], { flushIntervalMs: 0 });
  const hasher = new AuditHasher(SECRET);
  return { sink, log, auditor: new Auditor(log, hasher), hasher };
}

describe("Auditor.decided", () => {
  it("records one event with the decision, the reason and the caller", async () => {
    const { sink, log, auditor } = setup();
    auditor.decided(alice, subject(), "denied", "not allowed");
    await log.flush();
    expect(sink.events).toHaveLength(1);
    expect(sink.events[0]).toMatchObject({
      consumer: "alice",
      method: "tools/call",
      server: "weather",
      target: "weather_get_forecast",
      decision: "denied",
      reason: "not allowed",
      upstreamStatus: null,
      latencyMs: null,
      requestId: "42",
    });
  });

  it("records no consumer when nobody was authenticated", async () => {
    const { sink, log, auditor } = setup();
    auditor.decided(undefined, subject({ method: "POST", server: null, target: null }), "unauthenticated", "x");
    await log.flush();
    expect(sink.events[0]?.consumer).toBeNull();
  });

  it("records a null request id as null", async () => {
    const { sink, log, auditor } = setup();
    auditor.decided(alice, subject({ id: null }), "rejected", "bad params");
    await log.flush();
    expect(sink.events[0]?.requestId).toBeNull();
  });
});

describe("Auditor event contents", () => {
  it("keeps only a keyed digest of the session id", async () => {
    const { sink, log, auditor, hasher } = setup();
    auditor.decided(alice, subject(), "denied", "x");
    await log.flush();
    expect(sink.events[0]?.session).toBe(hasher.session("session-id-in-the-clear"));
    expect(JSON.stringify(sink.events)).not.toContain("session-id-in-the-clear");
  });

  it.each(["tools/call", "prompts/get"])("digests the arguments of %s without their values", async (method) => {
    const { sink, log, auditor, hasher } = setup();
    auditor.decided(alice, subject({ method }), "denied", "x");
    await log.flush();
    expect(sink.events[0]?.argsDigest).toBe(hasher.args({ token: "s3cr3t-argument-value", city: "Oslo" }));
    expect(JSON.stringify(sink.events)).not.toMatch(/s3cr3t-argument-value|Oslo/);
  });

  it("has no argument digest for resources/read", async () => {
    const { sink, log, auditor } = setup();
    auditor.decided(alice, subject({ method: "resources/read" }), "denied", "x");
    await log.flush();
    expect(sink.events[0]?.argsDigest).toBeNull();
  });
});

describe("Auditor.start", () => {
  it("records nothing until the ticket is finished", async () => {
    const { sink, log, auditor } = setup();
    auditor.start(alice, subject());
    await log.flush();
    expect(sink.events).toEqual([]);
  });

  it("records one allowed event with the upstream status and a latency", async () => {
    const { sink, log, auditor } = setup();
    auditor.start(alice, subject()).finish(200);
    await log.flush();
    expect(sink.events).toHaveLength(1);
    expect(sink.events[0]).toMatchObject({ decision: "allowed", reason: null, upstreamStatus: 200 });
    expect(sink.events[0]?.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it("records a call that got no response with a null status", async () => {
    const { sink, log, auditor } = setup();
    auditor.start(alice, subject()).finish(null);
    await log.flush();
    expect(sink.events[0]?.upstreamStatus).toBeNull();
  });

  it("records a ticket once however often it is finished", async () => {
    const { sink, log, auditor } = setup();
    const ticket = auditor.start(alice, subject());
    ticket.finish(200);
    ticket.finish(502);
    ticket.finish(null);
    await log.flush();
    expect(sink.events.map((e) => e.upstreamStatus)).toEqual([200]);
  });

  it("stamps the event with when the call started, not when it finished", async () => {
    const { sink, log, auditor } = setup();
    const ticket = auditor.start(alice, subject());
    const startedBy = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 30));
    ticket.finish(200);
    await log.flush();
    expect(Date.parse(sink.events[0]?.time ?? "")).toBeLessThanOrEqual(startedBy);
  });
});

describe("Auditor client and outcome fields", () => {
  const client = { address: "203.0.113.9", userAgent: "probe/1.0" };

  it("records the caller's address, user agent and the outcome the ticket is finished with", async () => {
    const { sink, log, auditor } = setup();
    auditor.start({ ...alice, client }, subject()).finish(200, "tool_error");
    await log.flush();
    expect(sink.events[0]).toMatchObject({
      decision: "allowed",
      clientAddress: "203.0.113.9",
      userAgent: "probe/1.0",
      outcome: "tool_error",
    });
  });

  it("records the client of a refusal that has no caller (unauthenticated)", async () => {
    const { sink, log, auditor } = setup();
    auditor.decided(undefined, subject({ client }), "unauthenticated", "missing API key");
    await log.flush();
    expect(sink.events[0]).toMatchObject({ clientAddress: "203.0.113.9", userAgent: "probe/1.0", outcome: null });
  });

  it("records null client fields and outcome when nothing says them", async () => {
    const { sink, log, auditor } = setup();
    auditor.start(alice, subject()).finish(200);
    await log.flush();
    expect(sink.events[0]).toMatchObject({ clientAddress: null, userAgent: null, outcome: null });
  });
});

describe("audit constants", () => {
  it("audits every call of the three methods that reach upstream content", () => {
    expect([...AUDITED_METHODS].sort()).toEqual(["prompts/get", "resources/read", "tools/call"]);
  });

  it("has a no-op ticket", () => {
    expect(NO_AUDIT.finish(200)).toBeUndefined();
  });
});
