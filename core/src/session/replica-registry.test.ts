import { startRedisServer, type RedisServer } from "../../../test/src/support/redis-server";
import { newReplicaId, RedisReplicaRegistry, REPLICA_ID_RE } from "./replica-registry";

let redis: RedisServer;
let registry: RedisReplicaRegistry;
beforeAll(async () => {
  redis = await startRedisServer();
  registry = await RedisReplicaRegistry.connect(redis.url, `t${Math.random().toString(36).slice(2)}:`);
});
afterAll(async () => {
  await registry.close();
  await redis.stop();
});

describe("RedisReplicaRegistry (real Redis)", () => {
  it("gives random ids of the documented shape", () => {
    const ids = new Set(Array.from({ length: 50 }, () => newReplicaId()));
    expect(ids.size).toBe(50);
    for (const id of ids) expect(id).toMatch(REPLICA_ID_RE);
  });

  it("finds a registered replica until it unregisters", async () => {
    const id = newReplicaId();
    expect(await registry.lookup(id)).toBeUndefined();
    await registry.register(id, "http://10.0.0.5:8080", 10_000);
    expect(await registry.lookup(id)).toBe("http://10.0.0.5:8080");
    await registry.unregister(id);
    expect(await registry.lookup(id)).toBeUndefined();
  });

  it("forgets a replica that stops refreshing its registration", async () => {
    const id = newReplicaId();
    await registry.register(id, "http://10.0.0.6:8080", 100);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await registry.lookup(id)).toBeUndefined();
  });

  it("looks up only well-formed ids (a client's string never names another key)", async () => {
    await registry.register("x", "http://10.0.0.7:8080", 10_000);
    expect(await registry.lookup("x")).toBeUndefined();
  });
});
