import { createClient } from "redis";
import { freePort, startRedisServer, type RedisServer } from "../../../test/src/support/redis-server";
import { RedisRateLimiter } from "./redis-rate-limiter";

type RawClient = ReturnType<typeof createClient>;

let redis: RedisServer;
let raw: RawClient;
beforeAll(async () => {
  redis = await startRedisServer();
  raw = createClient({ url: redis.url });
  await raw.connect();
});
afterAll(async () => {
  await raw.close();
  await redis.stop();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const freshPrefix = (): string => `t${Math.random().toString(36).slice(2)}:`;

describe("RedisRateLimiter", () => {
  let limiter: RedisRateLimiter;
  let prefix: string;
  beforeEach(async () => {
    prefix = freshPrefix();
    limiter = await RedisRateLimiter.connect(redis.url, prefix);
  });
  afterEach(async () => {
    await limiter.close();
  });

  it("allows exactly the burst to 200 concurrent takes spread over 4 connections", async () => {
    const others = await Promise.all([1, 2, 3].map(() => RedisRateLimiter.connect(redis.url, prefix)));
    const all = [limiter, ...others];
    try {
      const spec = { ratePerSecond: 0.001, burst: 50 };
      const outcomes = await Promise.all(Array.from({ length: 200 }, (_, i) => all[i % 4]!.take("hot", spec)));
      expect(outcomes.filter((o) => o.allowed)).toHaveLength(50);
    } finally {
      await Promise.all(others.map((other) => other.close()));
    }
  });

  it("stores the bucket under the prefix with decimal tokens and a TTL of the time to refill", async () => {
    await limiter.take("tenant/ü tool", { ratePerSecond: 10, burst: 5 });
    const key = `${prefix}tenant/ü tool`;
    const state = await raw.hGetAll(key);
    expect(Number(state.tokens)).toBeGreaterThanOrEqual(4);
    expect(Number(state.tokens)).toBeLessThan(4.1);
    // One token short at 10/s: 100 ms to refill, plus the 1 s margin.
    const ttl = await raw.pTTL(key);
    expect(ttl).toBeGreaterThan(1000);
    expect(ttl).toBeLessThanOrEqual(1100);
  });

  it("sets a TTL that covers a slow refill", async () => {
    await limiter.take("slow", { ratePerSecond: 0.001, burst: 50 });
    const ttl = await raw.pTTL(`${prefix}slow`);
    expect(ttl).toBeGreaterThan(990_000);
    expect(ttl).toBeLessThanOrEqual(1_001_000);
  });

  it("lets an idle bucket vanish, after which it starts full", async () => {
    const spec = { ratePerSecond: 20, burst: 1 };
    await limiter.take("idle", spec);
    await sleep(1300);
    expect(await raw.exists(`${prefix}idle`)).toBe(0);
    expect(await limiter.take("idle", spec)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
  });

  it("reconnects on its own after the connection drops", async () => {
    const spec = { ratePerSecond: 0.001, burst: 3 };
    await limiter.take("k", spec);
    await raw.sendCommand(["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"]);
    let outcome;
    for (let attempt = 0; outcome === undefined && attempt < 50; attempt++) {
      outcome = await limiter.take("k", spec).catch(() => sleep(50));
    }
    expect(outcome).toEqual({ allowed: true, remaining: 1, retryAfterMs: 0 });
  });

  it("reloads the script after the server's script cache is flushed", async () => {
    const spec = { ratePerSecond: 0.001, burst: 2 };
    await limiter.take("k", spec);
    await raw.scriptFlush();
    expect(await limiter.take("k", spec)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
  });
});

describe("RedisRateLimiter connection failures", () => {
  it("rejects at connect naming the URL without its credentials", async () => {
    const port = await freePort();
    const connecting = RedisRateLimiter.connect(`redis://admin:s3cret@127.0.0.1:${port}/0`);
    await expect(connecting).rejects.toThrow(
      `cannot connect to Redis for rate limits at redis://admin:***@127.0.0.1:${port}/0`,
    );
    await expect(connecting).rejects.not.toThrow(/s3cret/);
  });

  it("rejects an unparsable URL without echoing its credentials", async () => {
    const connecting = RedisRateLimiter.connect("redis://admin:s3/cret@127.0.0.1:notaport");
    await expect(connecting).rejects.toThrow(/Redis/);
    await expect(connecting).rejects.not.toThrow(/s3|cret|admin/);
  });

  it("fails takes fast while Redis is down, so the caller can choose to fail open or closed", async () => {
    const own = await startRedisServer();
    const limiter = await RedisRateLimiter.connect(own.url);
    try {
      await limiter.take("k", { ratePerSecond: 1, burst: 1 });
      await own.stop();
      await sleep(50);
      const started = Date.now();
      await expect(limiter.take("k", { ratePerSecond: 1, burst: 1 })).rejects.toThrow(/rate limit store unavailable/);
      expect(Date.now() - started).toBeLessThan(3_000); // vs waiting for a reconnect: generous on a loaded machine
    } finally {
      await limiter.close();
    }
  });
});
