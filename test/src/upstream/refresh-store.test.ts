import { redisRefreshStore } from "@mcp-gateway/core";
import { freePort, startRedisServer, type RedisServer } from "../support/redis-server";
import { expectRefreshesTakeTurns, expectUnreachableNamed } from "./refresh-store-checks";

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

describe("redisRefreshStore (real redis-server)", () => {
  it("lets replicas spend the stored refresh token one after another, each reading the one the last saved", async () => {
    const replicas = [redisRefreshStore(redis.url, "t:one"), redisRefreshStore(redis.url, "t:one")];
    await expectRefreshesTakeTurns(replicas);
  });

  it("releases the lock when a refresh fails, so the next one proceeds", async () => {
    const store = redisRefreshStore(redis.url, "t:two");
    await expect(store.exclusive(() => Promise.reject(new Error("token endpoint down")))).rejects.toThrow("down");
    await expect(store.exclusive(async (stored) => stored)).resolves.toBeUndefined();
    await store.close();
  });

  it("names the store (never the URL's password) when Redis is unreachable", async () => {
    const store = redisRefreshStore(`redis://user:hunter2@127.0.0.1:${await freePort()}`, "t:three");
    await expectUnreachableNamed(store, "cannot open redis refresh-token store");
  });
});
