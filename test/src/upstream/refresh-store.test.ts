import { redisRefreshStore, type StoredRefresh } from "@mcp-gateway/core";
import { freePort, startRedisServer, type RedisServer } from "../support/redis-server";

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
    const spent: string[] = [];
    let inside = 0;
    let overlapped = false;
    const refresh = (store: (typeof replicas)[number]) =>
      store.exclusive(async (stored: StoredRefresh | undefined, save) => {
        inside++;
        overlapped ||= inside > 1;
        const current = stored?.refreshToken ?? "rt-0";
        spent.push(current);
        await new Promise((resolve) => setTimeout(resolve, 30));
        await save({ origin: "o", refreshToken: `rt-${spent.length}` });
        inside--;
      });
    await Promise.all([...replicas, ...replicas].map(refresh));
    expect(overlapped).toBe(false);
    expect(spent).toEqual(["rt-0", "rt-1", "rt-2", "rt-3"]);
    await Promise.all(replicas.map((store) => store.close()));
  });

  it("releases the lock when a refresh fails, so the next one proceeds", async () => {
    const store = redisRefreshStore(redis.url, "t:two");
    await expect(store.exclusive(() => Promise.reject(new Error("token endpoint down")))).rejects.toThrow("down");
    await expect(store.exclusive(async (stored) => stored)).resolves.toBeUndefined();
    await store.close();
  });

  it("names the store (never the URL's password) when Redis is unreachable", async () => {
    const store = redisRefreshStore(`redis://user:hunter2@127.0.0.1:${await freePort()}`, "t:three");
    const failure = store.exclusive(async () => undefined);
    await expect(failure).rejects.toThrow("cannot open redis refresh-token store");
    await expect(failure).rejects.not.toThrow("hunter2");
    await store.close();
  });
});
