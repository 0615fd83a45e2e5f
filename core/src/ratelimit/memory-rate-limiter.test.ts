import { MemoryRateLimiter } from "./memory-rate-limiter";

function clockedLimiter(maxKeys?: number) {
  const clock = { now: 0 };
  const limiter = new MemoryRateLimiter({ maxKeys, now: () => clock.now });
  return { clock, limiter };
}

describe("MemoryRateLimiter", () => {
  it("refills exactly on the injected clock", async () => {
    const { clock, limiter } = clockedLimiter();
    const spec = { ratePerSecond: 0.5, burst: 2 };
    await limiter.take("k", spec);
    await limiter.take("k", spec);
    clock.now = 1999;
    expect(await limiter.take("k", spec)).toEqual({ allowed: false, remaining: 0, retryAfterMs: 1 });
    clock.now = 2000;
    expect(await limiter.take("k", spec)).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
  });

  it("does not lose a token to float drift across many small refills", async () => {
    const { clock, limiter } = clockedLimiter();
    const spec = { ratePerSecond: 0.1, burst: 1 };
    await limiter.take("k", spec);
    // Ten refills of 0.1 sum to 0.9999999999999999 in floating point.
    for (let i = 1; i < 10; i++) {
      clock.now = i * 1000;
      expect((await limiter.take("k", spec)).allowed).toBe(false);
    }
    clock.now = 10_000;
    expect((await limiter.take("k", spec)).allowed).toBe(true);
  });

  it("adds no tokens when the clock steps backwards", async () => {
    const { clock, limiter } = clockedLimiter();
    const spec = { ratePerSecond: 1, burst: 1 };
    clock.now = 10_000;
    await limiter.take("k", spec);
    clock.now = 5000;
    expect((await limiter.take("k", spec)).allowed).toBe(false);
    clock.now = 6000;
    expect((await limiter.take("k", spec)).allowed).toBe(true);
  });

  it("forgets the least recently used key beyond maxKeys, which then starts full", async () => {
    const { limiter } = clockedLimiter(2);
    const spec = { ratePerSecond: 0.001, burst: 1 };
    await limiter.take("a", spec);
    await limiter.take("b", spec);
    await limiter.take("c", spec);
    expect((await limiter.take("b", spec)).allowed).toBe(false);
    expect((await limiter.take("a", spec)).allowed).toBe(true);
    expect((await limiter.take("b", spec)).allowed).toBe(false);
  });

  it("answers synchronously with already settled promises", async () => {
    const { limiter } = clockedLimiter();
    let settled = false;
    void limiter.take("k", { ratePerSecond: 1, burst: 1 }).then(() => {
      settled = true;
    });
    await Promise.resolve();
    expect(settled).toBe(true);
  });
});
