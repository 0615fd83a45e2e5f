import { startRedisServer, type RedisServer } from "../../../test/src/support/redis-server";
import { MemoryRateLimiter } from "./memory-rate-limiter";
import { retryAfterSeconds, type RateLimitOutcome, type RateLimiter } from "./rate-limiter";
import { RedisRateLimiter } from "./redis-rate-limiter";

/** A limiter under test and a way to let time pass: a fake clock for memory, real waits for Redis. */
interface Harness {
  limiter: RateLimiter;
  advance(ms: number): Promise<void>;
}

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis.stop();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function memoryHarness(): Promise<Harness> {
  let now = 1_000_000;
  const limiter = new MemoryRateLimiter({ now: () => now });
  return Promise.resolve({
    limiter,
    advance: (ms) => {
      now += ms;
      return Promise.resolve();
    },
  });
}

async function redisHarness(): Promise<Harness> {
  const limiter = await RedisRateLimiter.connect(redis.url, `t${Math.random().toString(36).slice(2)}:`);
  return { limiter, advance: sleep };
}

async function takeMany(limiter: RateLimiter, key: string, n: number, rate: number, burst: number) {
  const outcomes: RateLimitOutcome[] = [];
  for (let i = 0; i < n; i++) outcomes.push(await limiter.take(key, { ratePerSecond: rate, burst }));
  return outcomes;
}

const implementations: [string, () => Promise<Harness>][] = [
  ["memory", memoryHarness],
  ["redis", redisHarness],
];

// Assertions are ranges wide enough for real time passing between Redis calls, and exact where the burst clamps.
describe.each(implementations)("%s rate limiter", (_name, createHarness) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(async () => {
    await h.limiter.close();
  });

  it("allows a full burst, then denies with the time one token takes", async () => {
    // One token per 100 s: the refill during the six takes (even on a loaded machine) cannot move the wait far.
    const outcomes = await takeMany(h.limiter, "k", 6, 0.01, 5);
    expect(outcomes.slice(0, 5)).toEqual(
      [4, 3, 2, 1, 0].map((remaining) => ({ allowed: true, remaining, retryAfterMs: 0 })),
    );
    expect(outcomes[5]).toMatchObject({ allowed: false, remaining: 0 });
    expect(outcomes[5]?.retryAfterMs).toBeGreaterThanOrEqual(90_000);
    expect(outcomes[5]?.retryAfterMs).toBeLessThanOrEqual(100_000);
  });

  it("refills over time, never above the burst", async () => {
    const spec = { ratePerSecond: 20, burst: 2 };
    await takeMany(h.limiter, "k", 2, spec.ratePerSecond, spec.burst);
    const denied = await h.limiter.take("k", spec);
    expect(denied.allowed).toBe(false);
    expect(denied.retryAfterMs).toBeGreaterThanOrEqual(1);
    expect(denied.retryAfterMs).toBeLessThanOrEqual(50);
    await h.advance(250);
    const after = await takeMany(h.limiter, "k", 3, spec.ratePerSecond, spec.burst);
    expect(after.map((o) => o.allowed)).toEqual([true, true, false]);
  });

  it.each([
    [0.5, 2000],
    [2.5, 400],
    [0.001, 1_000_000],
  ])("waits 1/rate for a token at a fractional rate of %p/s", async (rate, expectedMs) => {
    const [first, second] = await takeMany(h.limiter, "k", 2, rate, 1);
    expect(first?.allowed).toBe(true);
    expect(second?.allowed).toBe(false);
    expect(second?.retryAfterMs).toBeGreaterThanOrEqual(expectedMs * 0.9);
    expect(second?.retryAfterMs).toBeLessThanOrEqual(expectedMs);
  });

  it("refills a fractional token once enough time has passed", async () => {
    const spec = { ratePerSecond: 2.5, burst: 1 };
    expect((await h.limiter.take("k", spec)).allowed).toBe(true);
    await h.advance(450);
    expect((await h.limiter.take("k", spec)).allowed).toBe(true);
    expect((await h.limiter.take("k", spec)).allowed).toBe(false);
  });

  it("keeps keys independent, whatever characters they hold", async () => {
    const keys = ["a", "a:", "A", "tenant/ü tool name\n*{x}", ""];
    const spec = { ratePerSecond: 0.001, burst: 1 };
    const first = await Promise.all(keys.map((key) => h.limiter.take(key, spec)));
    expect(first.every((o) => o.allowed)).toBe(true);
    const second = await Promise.all(keys.map((key) => h.limiter.take(key, spec)));
    expect(second.some((o) => o.allowed)).toBe(false);
  });

  it("allows exactly the burst under 200 concurrent takes", async () => {
    const spec = { ratePerSecond: 0.001, burst: 50 };
    const outcomes = await Promise.all(Array.from({ length: 200 }, () => h.limiter.take("hot", spec)));
    const allowed = outcomes.filter((o) => o.allowed);
    expect(allowed).toHaveLength(50);
    expect(allowed.map((o) => o.remaining).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(outcomes.filter((o) => !o.allowed).every((o) => o.retryAfterMs > 0)).toBe(true);
  });

  it("clamps the tokens to a lowered burst and does not restore them when it is raised again", async () => {
    const rate = 0.001;
    expect((await h.limiter.take("k", { ratePerSecond: rate, burst: 10 })).remaining).toBe(9);
    expect((await h.limiter.take("k", { ratePerSecond: rate, burst: 3 })).remaining).toBe(2);
    expect((await h.limiter.take("k", { ratePerSecond: rate, burst: 10 })).remaining).toBe(1);
  });

  it("applies a changed rate to the wait at once", async () => {
    await h.limiter.take("k", { ratePerSecond: 0.001, burst: 1 });
    const slow = await h.limiter.take("k", { ratePerSecond: 0.001, burst: 1 });
    expect(slow.retryAfterMs).toBeGreaterThan(900_000);
    const fast = await h.limiter.take("k", { ratePerSecond: 0.5, burst: 1 });
    expect(fast.allowed).toBe(false);
    expect(fast.retryAfterMs).toBeGreaterThanOrEqual(1900);
    expect(fast.retryAfterMs).toBeLessThanOrEqual(2000);
  });

  it.each([
    [{ ratePerSecond: 0, burst: 1 }],
    [{ ratePerSecond: -1, burst: 1 }],
    [{ ratePerSecond: Number.NaN, burst: 1 }],
    [{ ratePerSecond: Number.POSITIVE_INFINITY, burst: 1 }],
    [{ ratePerSecond: 1, burst: 0 }],
    [{ ratePerSecond: 1, burst: 1.5 }],
  ])("rejects the invalid spec %p", async (spec) => {
    await expect(h.limiter.take("k", spec)).rejects.toThrow(/invalid rate limit/);
  });
});

describe("retryAfterSeconds", () => {
  it.each([
    [0, 1],
    [1, 1],
    [999, 1],
    [1000, 1],
    [1001, 2],
    [2500, 3],
    [60_000, 60],
  ])("turns %p ms into %p s", (retryAfterMs, seconds) => {
    expect(retryAfterSeconds({ allowed: false, remaining: 0, retryAfterMs })).toBe(seconds);
  });
});
