import { freePort, startRedisServer } from "../../../test/src/support/redis-server";
import { MemoryRateLimiter } from "./memory-rate-limiter";
import { openRateLimiter } from "./open-rate-limiter";
import { RedisRateLimiter } from "./redis-rate-limiter";

describe("openRateLimiter", () => {
  it("opens an in-process limiter for memory", async () => {
    const limiter = await openRateLimiter("memory");
    expect(limiter).toBeInstanceOf(MemoryRateLimiter);
    await limiter.close();
  });

  it("opens a Redis limiter for a redis:// URL", async () => {
    const server = await startRedisServer();
    try {
      const limiter = await openRateLimiter(server.url);
      expect(limiter).toBeInstanceOf(RedisRateLimiter);
      expect((await limiter.take("k", { ratePerSecond: 1, burst: 1 })).allowed).toBe(true);
      await limiter.close();
    } finally {
      await server.stop();
    }
  });

  it("rejects an unreachable Redis naming the URL without credentials", async () => {
    const port = await freePort();
    const opening = openRateLimiter(`redis://user:s3cret@127.0.0.1:${port}`);
    await expect(opening).rejects.toThrow(`redis://user:***@127.0.0.1:${port}`);
    await expect(opening).rejects.not.toThrow(/s3cret/);
  });

  it("rejects an unknown store without echoing credentials", async () => {
    const opening = openRateLimiter("postgres://user:s3cret@db/x");
    await expect(opening).rejects.toThrow(/unknown rate limit store "postgres:\/\/user:\*\*\*@db\/x"/);
  });
});
