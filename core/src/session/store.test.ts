import { startRedisServer, type RedisServer } from "../../../test/src/support/redis-server";
import type { BackendSessionStore, DroppedBackendSession } from "./backend-store";
import { pollUntil } from "../../../test/src/support/bounded-wait";
import { MemoryBackendSessionStore } from "./memory-store";
import { RedisBackendSessionStore } from "./redis-store";

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis.stop();
});

const stores: [string, () => Promise<BackendSessionStore>][] = [
  ["memory", () => Promise.resolve(new MemoryBackendSessionStore(100))],
  ["redis", () => RedisBackendSessionStore.connect(redis.url, `t${Math.random().toString(36).slice(2)}:`)],
];

describe.each(stores)("%s backend session store", (_name, create) => {
  let store: BackendSessionStore;
  beforeEach(async () => {
    store = await create();
  });
  afterEach(async () => {
    await store.close();
  });

  const a = { sessionId: "up-1", protocolVersion: "2025-06-18" };
  const b = { sessionId: "up-2", protocolVersion: "2025-06-18" };

  it("keeps the first mapping when two writers race", async () => {
    const [first, second] = await Promise.all([
      store.setIfAbsent("g", "s", a, 10_000),
      store.setIfAbsent("g", "s", b, 10_000),
    ]);
    expect(first).toEqual(a);
    expect(second).toEqual(a);
    expect(await store.get("g", "s")).toEqual(a);
  });

  it("separates servers and gateway sessions", async () => {
    await store.setIfAbsent("g", "s1", a, 10_000);
    expect(await store.get("g", "s2")).toBeUndefined();
    expect(await store.get("h", "s1")).toBeUndefined();
  });

  it("deletes only the mapping it was asked about", async () => {
    await store.setIfAbsent("g", "s", a, 10_000);
    expect(await store.deleteIf("g", "s", "up-2")).toBe(false);
    expect(await store.get("g", "s")).toEqual(a);
    expect(await store.deleteIf("g", "s", "up-1")).toBe(true);
    expect(await store.get("g", "s")).toBeUndefined();
  });

  it("expires mappings after their TTL", async () => {
    await store.setIfAbsent("g", "s", a, 50);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await store.get("g", "s")).toBeUndefined();
  });

  it("answers lookup with the mapping and the revocation in one call", async () => {
    await store.setIfAbsent("g", "s", a, 10_000);
    expect(await store.lookup("g", "s")).toEqual({ revoked: false, session: a });
    await store.revoke("g", 10_000);
    expect(await store.lookup("g", "s")).toEqual({ revoked: true, session: a });
    expect(await store.lookup("h", "s")).toEqual({ revoked: false, session: undefined });
  });

  it("reports a mapping that expired without use at the next sweep, and forgets it", async () => {
    const dropped: DroppedBackendSession[] = [];
    store.onDrop((d) => dropped.push(d));
    await store.setIfAbsent("g", "s", a, 30);
    await store.setIfAbsent("h", "s", b, 60_000);
    expect(await pollUntil(async () => (await store.sweep(), dropped.length > 0), 5_000)).toBe(true);
    expect(dropped).toEqual([{ gatewaySession: "g", server: "s", session: a, reason: "idle" }]);
    expect(store.held()).toEqual([{ gatewaySession: "h", server: "s", session: b }]);
  });

  it("does not report a mapping it deleted, nor one refreshed by lookup", async () => {
    const dropped: DroppedBackendSession[] = [];
    store.onDrop((d) => dropped.push(d));
    await store.setIfAbsent("g", "s", a, 60_000);
    await store.deleteIf("g", "s", "up-1");
    await store.setIfAbsent("h", "s", b, 60_000);
    expect((await store.lookup("h", "s", 60_000)).session).toEqual(b);
    await store.sweep();
    expect(dropped).toEqual([]);
    expect(store.held()).toEqual([{ gatewaySession: "h", server: "s", session: b }]);
  });

  it("keeps per-session settings apart", async () => {
    await store.setSetting("g", "logLevel", "debug", 10_000);
    expect(await store.getSetting("g", "logLevel")).toBe("debug");
    expect(await store.getSetting("h", "logLevel")).toBeUndefined();
  });

  it("records revoked gateway sessions", async () => {
    expect(await store.isRevoked("g")).toBe(false);
    await store.revoke("g", 10_000);
    expect(await store.isRevoked("g")).toBe(true);
  });
});

describe("memory backend session store bound", () => {
  it("reports the least recently used mapping as evicted when full", async () => {
    const store = new MemoryBackendSessionStore(2);
    const dropped: DroppedBackendSession[] = [];
    store.onDrop((d) => dropped.push(d));
    const session = (id: string) => ({ sessionId: id, protocolVersion: "2025-06-18" });
    await store.setIfAbsent("g1", "s", session("up-1"), 60_000);
    await store.setIfAbsent("g2", "s", session("up-2"), 60_000);
    await store.setIfAbsent("g3", "s", session("up-3"), 60_000);
    expect(dropped).toEqual([{ gatewaySession: "g1", server: "s", session: session("up-1"), reason: "evicted" }]);
    await store.close();
    expect(dropped).toHaveLength(1);
  });
});
