import { startRedisServer, type RedisServer } from "../../../test/src/support/redis-server";
import { AUDIT_FIELD_MAX_CHARS, AuditHasher, AuditLog, type AuditEvent, type AuditSink } from "../audit";
import { Authenticator } from "../auth/authenticator";
import { IdentityCodec } from "../auth/identity";
import { parseConfig } from "../config/load";
import { GatewayError } from "../errors";
import { MemoryRateLimiter, RedisRateLimiter, type RateLimiter } from "../ratelimit";
import { Redactor } from "../sanitize";
import type { Admission } from "./admission";
import { Auditor } from "./audit-ticket";
import { SecurityGate } from "./security-gate";

const SECRET = "refusal-budget-test-secret-0123456789abcdef";
// A refusal budget of 3 that does not refill while a test runs (1/h), and a policy that allows only weather tools.
const config = parseConfig(
  `version: 1
servers:
  - { name: weather, url: "http://127.0.0.1:1/mcp" }
  - { name: notes, url: "http://127.0.0.1:2/mcp" }
consumers: []
policies:
  weather: { tools: ["weather_*"], rateLimit: { rate: 1/h, burst: 2 } }
audit: { refusalBudget: { rate: 1/h, burst: 3 } }
`,
  {},
);

class MemorySink implements AuditSink {
  readonly name = "memory";
  readonly events: AuditEvent[] = [];
  write = (batch: readonly AuditEvent[]): Promise<void> => Promise.resolve(void this.events.push(...batch));
  close = (): Promise<void> => Promise.resolve();
}

function harness(limiter: RateLimiter, authenticator?: Authenticator) {
  const sink = new MemorySink();
  const log = new AuditLog([sink], { flushIntervalMs: 0 });
  const gate = new SecurityGate({
    config: () => config,
    authenticator: () => authenticator,
    identities: new IdentityCodec(SECRET),
    limiter,
    auditor: new Auditor(log, new AuditHasher(SECRET)),
    redactor: () => new Redactor([]),
  });
  const as = (consumer: string) => gate.caller({ consumer, policy: "weather", method: "api-key" });
  const audited = async (): Promise<AuditEvent[]> => {
    await log.flush();
    return sink.events;
  };
  return { gate, log, as, audited };
}

const call = (overrides: Partial<Admission> = {}): Admission => ({
  method: "tools/call",
  kind: "tool",
  exposed: "weather_get_forecast",
  server: "weather",
  id: 1,
  routedBytes: 200,
  args: {},
  session: "session-1",
  ...overrides,
});
const denied = (id: number | string = 1): Admission => call({ exposed: "notes_secret", server: "notes", id });

async function statusOf(run: () => Promise<unknown>): Promise<number> {
  try {
    await run();
    return 200;
  } catch (error: unknown) {
    if (error instanceof GatewayError) return error.httpStatus;
    throw error;
  }
}

describe.each<[string, () => Promise<{ limiter: RateLimiter; stop(): Promise<void> }>]>([
  ["memory limiter", () => Promise.resolve({ limiter: new MemoryRateLimiter(), stop: () => Promise.resolve() })],
  [
    "Redis limiter",
    async () => {
      const redis: RedisServer = await startRedisServer();
      const limiter = await RedisRateLimiter.connect(redis.url, `budget${Math.random().toString(36).slice(2)}:`);
      return { limiter, stop: async () => void (await limiter.close(), await redis.stop()) };
    },
  ],
])("refusal budget (%s)", (_label, open) => {
  let limiter: RateLimiter;
  let stop: () => Promise<void>;
  beforeEach(async () => {
    ({ limiter, stop } = await open());
  });
  afterEach(async () => {
    await stop();
  });

  it("answers every refusal but records only the budget and counts the rest as suppressed", async () => {
    const { gate, log, as, audited } = harness(limiter);
    const statuses = [];
    for (let i = 0; i < 10; i += 1) statuses.push(await statusOf(() => gate.admit(as("mallory"), denied(i))));
    expect(statuses).toEqual(Array(10).fill(403));
    expect((await audited()).map((e) => e.requestId)).toEqual(["0", "1", "2"]);
    expect(log.stats().suppressed).toBe(7);
  });

  it("gives each consumer its own budget and never suppresses allowed calls", async () => {
    const { gate, as, audited } = harness(limiter);
    for (let i = 0; i < 6; i += 1) await statusOf(() => gate.admit(as("mallory"), denied(`m${i}`)));
    (await gate.admit(as("mallory"), call({ id: "allowed" }))).finish(200);
    await statusOf(() => gate.admit(as("alice"), denied("a0")));
    const recorded = (await audited()).map((e) => `${e.consumer}:${e.requestId}:${e.decision}`);
    expect(recorded).toEqual([
      "mallory:m0:denied",
      "mallory:m1:denied",
      "mallory:m2:denied",
      "mallory:allowed:allowed",
      "alice:a0:denied",
    ]);
  });

  it("counts rejections (unknown names) and rate-limit refusals against the same budget", async () => {
    const { gate, log, as, audited } = harness(limiter);
    const subject = { method: "tools/call", server: null, target: null, args: undefined, session: null, id: 1 };
    for (let i = 0; i < 2; i += 1) await gate.rejected(as("mallory"), { ...subject, id: i }, "unknown tool");
    // The policy's bucket holds 2: the third and fourth calls get 429, the first of which uses the budget's last token.
    const statuses = [];
    for (let i = 0; i < 4; i += 1) statuses.push(await statusOf(() => gate.admit(as("mallory"), call({ id: 10 + i }))));
    expect(statuses).toEqual([200, 200, 429, 429]);
    const decisions = (await audited()).map((e) => e.decision);
    expect(decisions.filter((d) => d !== "allowed")).toEqual(["rejected", "rejected", "rate_limited"]);
    expect(log.stats().suppressed).toBe(1);
  });
});

describe("refusal budget of unauthenticated requests", () => {
  it("is one bucket shared by every failed authentication", async () => {
    const authenticator = new Authenticator({ apiKeys: { header: "authorization", lookup: () => undefined } });
    const { gate, log, audited } = harness(new MemoryRateLimiter(), authenticator);
    const statuses = [];
    for (let i = 0; i < 5; i += 1) {
      statuses.push(await statusOf(() => gate.authenticate("POST", { authorization: `Bearer wrong-${i}` })));
    }
    expect(statuses).toEqual(Array(5).fill(401));
    expect((await audited()).map((e) => e.decision)).toEqual(["unauthenticated", "unauthenticated", "unauthenticated"]);
    expect(log.stats().suppressed).toBe(2);
  });
});

describe("refusal budget when the limiter fails", () => {
  it("records the refusal (evidence beats a missing line)", async () => {
    const broken: RateLimiter = { take: () => Promise.reject(new Error("down")), close: () => Promise.resolve() };
    const { gate, as, audited } = harness(broken);
    expect(await statusOf(() => gate.admit(as("mallory"), denied()))).toBe(403);
    expect((await audited()).map((e) => e.decision)).toEqual(["denied"]);
  });
});

describe("audit field caps", () => {
  it("caps a 500 KB tool name, request id, reason and consumer, keeping their length and a digest", async () => {
    const { gate, as, audited } = harness(new MemoryRateLimiter());
    const huge = "n".repeat(500_000);
    const error = await statusOf(() => gate.admit(as(`c${huge}`), call({ exposed: huge, server: "notes", id: huge })));
    expect(error).toBe(403);
    const [event] = await audited();
    expect(JSON.stringify(event).length).toBeLessThan(4 * 1024);
    for (const field of [event?.target, event?.requestId, event?.consumer]) {
      expect(field?.length).toBeLessThan(AUDIT_FIELD_MAX_CHARS + 80);
      expect(field).toMatch(/…\[truncated: 50000[01] chars, sha256:[0-9a-f]{16}\]$/u);
    }
    expect(event?.reason).toMatch(/^consumer "cnnn/u);
  });

  it("keeps short values as they are", async () => {
    const { gate, as, audited } = harness(new MemoryRateLimiter());
    await statusOf(() => gate.admit(as("mallory"), denied(7)));
    expect((await audited())[0]).toMatchObject({ consumer: "mallory", target: "notes_secret", requestId: "7" });
  });
});
