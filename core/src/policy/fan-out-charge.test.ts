import { AuditHasher, AuditLog, type AuditEvent, type AuditSink } from "../audit";
import { IdentityCodec } from "../auth/identity";
import { parseConfig } from "../config/load";
import { MemoryRateLimiter } from "../ratelimit";
import { Redactor } from "../sanitize";
import { Auditor } from "./audit-ticket";
import { SecurityGate } from "./security-gate";

// logging/setLevel is answered by the broker but sent on to every upstream session of the caller: it must spend
// the consumer's tokens like a routed call, or it would reach upstreams uncounted.
const SECRET = "fan-out-test-secret-0123456789abcdef";
const config = parseConfig(
  `version: 1
servers: [{ name: weather, url: "http://127.0.0.1:1/mcp" }]
policies: { limited: { tools: ["*"], rateLimit: { rate: 1/h, burst: 3 } } }
`,
  {},
);

function harness() {
  const events: AuditEvent[] = [];
  const sink: AuditSink = {
    name: "memory",
    write: (batch) => Promise.resolve(void events.push(...batch)),
    close: () => Promise.resolve(),
  };
  const log = new AuditLog([sink], { flushIntervalMs: 0 });
  const gate = new SecurityGate({
    config: () => config,
    authenticator: () => undefined,
    identities: new IdentityCodec(SECRET),
    limiter: new MemoryRateLimiter(),
    auditor: new Auditor(log, new AuditHasher(SECRET)),
    redactor: () => new Redactor([]),
  });
  const carol = gate.caller({ consumer: "carol", policy: "limited", method: "api-key" });
  return { gate, carol, audited: () => log.flush().then(() => events) };
}

describe("SecurityGate.chargeFanOut", () => {
  it("spends the consumer's tokens, then answers 429 with Retry-After", async () => {
    const { gate, carol } = harness();
    for (let i = 0; i < 3; i++) await gate.chargeFanOut(carol, "logging/setLevel", i, "s1");
    await expect(gate.chargeFanOut(carol, "logging/setLevel", 4, "s1")).rejects.toMatchObject({
      httpStatus: 429,
      headers: { "retry-after": expect.any(String) },
    });
  });

  it("records the refusal in the audit log", async () => {
    const { gate, carol, audited } = harness();
    for (let i = 0; i < 3; i++) await gate.chargeFanOut(carol, "logging/setLevel", i, "s1");
    await gate.chargeFanOut(carol, "logging/setLevel", 4, "s1").catch(() => undefined);
    expect(await audited()).toEqual([
      expect.objectContaining({ consumer: "carol", method: "logging/setLevel", decision: "rate_limited" }),
    ]);
  });
});
