import type { AuditEvent } from "./audit-event";
import { AuditTap, AuditTapFullError } from "./audit-tap";

function event(consumer: string, server: string, decision: AuditEvent["decision"]): AuditEvent {
  return {
    time: "2026-01-01T00:00:00.000Z",
    consumer,
    session: null,
    method: "tools/call",
    server,
    target: `${server}_tool`,
    argsDigest: null,
    decision,
    reason: null,
    upstreamStatus: null,
    latencyMs: null,
    requestId: null,
  };
}

const EVENTS = [
  event("alice", "weather", "allowed"),
  event("bob", "weather", "denied"),
  event("alice", "kit", "denied"),
];

describe("AuditTap", () => {
  it.each([
    [{}, ["alice/weather/allowed", "bob/weather/denied", "alice/kit/denied"]],
    [{ consumer: "alice" }, ["alice/weather/allowed", "alice/kit/denied"]],
    [{ server: "weather" }, ["alice/weather/allowed", "bob/weather/denied"]],
    [{ decision: "denied" as const }, ["bob/weather/denied", "alice/kit/denied"]],
    [{ consumer: "alice", decision: "denied" as const }, ["alice/kit/denied"]],
    [{ consumer: "carol" }, []],
  ])("hands a tail filtered by %j only the events matching every field", async (filter, expected) => {
    const tap = new AuditTap(2);
    const seen: string[] = [];
    tap.subscribe(filter, (e) => seen.push(`${e.consumer}/${e.server}/${e.decision}`));
    await tap.write(EVENTS);
    expect(seen).toEqual(expected);
  });

  it("refuses a tail past maxTails and admits one again after another closes", () => {
    const tap = new AuditTap(1);
    const first = tap.subscribe({}, () => undefined);
    expect(() => tap.subscribe({}, () => undefined)).toThrow(AuditTapFullError);
    first.close();
    expect(() => tap.subscribe({}, () => undefined)).not.toThrow();
    expect(tap.size).toBe(1);
  });

  it("detaches a tail that throws and keeps serving the others", async () => {
    const tap = new AuditTap(2);
    const seen: AuditEvent[] = [];
    tap.subscribe({}, () => {
      throw new Error("broken tail");
    });
    tap.subscribe({}, (e) => seen.push(e));
    await tap.write(EVENTS);
    expect(seen).toHaveLength(3);
    expect(tap.size).toBe(1);
  });
});
