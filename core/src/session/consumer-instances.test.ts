import type { ServerConfig } from "../config/schema";
import { ConsumerInstances, maxInstancesPerConsumer } from "./consumer-instances";

const stdio = (mode: object): ServerConfig =>
  ({ name: "mem", command: "x", url: "http://b/stdio/mem/mcp", stdio: { instances: "perSession", ...mode } }) as never;

describe("maxInstancesPerConsumer", () => {
  it.each<[string, ServerConfig, number | undefined]>([
    ["a quarter of maxInstances by default", stdio({ maxInstances: 16 }), 4],
    ["at least 1", stdio({ maxInstances: 3 }), 1],
    ["as configured", stdio({ maxInstances: 16, maxInstancesPerConsumer: 6 }), 6],
    ["never more than maxInstances", stdio({ maxInstances: 2, maxInstancesPerConsumer: 6 }), 2],
    ["none for a shared server", { ...stdio({ maxInstances: 4 }), stdio: { instances: "shared" } } as never, undefined],
    ["none for an HTTP upstream", { name: "h", url: "http://h/mcp" } as never, undefined],
  ])("is %s", (_name, server, expected) => {
    expect(maxInstancesPerConsumer(server)).toBe(expected);
  });
});

describe("ConsumerInstances", () => {
  const server = stdio({ maxInstances: 8, maxInstancesPerConsumer: 1 });

  it("refuses a consumer's second session, not its first again, another consumer's, or anonymous callers", () => {
    const held = new ConsumerInstances();
    expect(held.admit(server, "alice", "s1", 1_000, 0)).toBe(true);
    expect(held.admit(server, "alice", "s1", 1_000, 10)).toBe(false);
    expect(() => held.admit(server, "alice", "s2", 1_000, 20)).toThrow(
      'consumer "alice" already holds 1 per-session processes (stdio.maxInstancesPerConsumer)',
    );
    expect(held.admit(server, "bob", "s3", 1_000, 20)).toBe(true);
    expect(held.admit(server, "", "s4", 1_000, 20)).toBe(false);
    expect(held.admit(server, "", "s5", 1_000, 20)).toBe(false);
  });

  it("frees a slot when the session ends or idles out", () => {
    const held = new ConsumerInstances();
    held.admit(server, "alice", "s1", 1_000, 0);
    held.release("s1");
    expect(held.admit(server, "alice", "s2", 1_000, 10)).toBe(true);
    expect(held.admit(server, "alice", "s3", 1_000, 1_010)).toBe(true);
  });
});
