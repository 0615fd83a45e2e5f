import fc from "fast-check";
import { createClient } from "redis";
import { startRedisServer, type RedisServer } from "../../../test/src/support/redis-server";
import { MemoryTokenBudgets } from "./memory-token-budgets";
import { RedisTokenBudgets } from "./redis-token-budgets";
import type { TokenBudgetVerdict, TokenBudgets, TokenLimits, TokenUsage } from "./token-budget";

jest.setTimeout(60_000);

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis.stop();
});

const uniquePrefix = () => `t${Math.random().toString(36).slice(2)}:`;

describe("RedisTokenBudgets on the server's clock", () => {
  let budgets: RedisTokenBudgets;
  let prefix: string;
  beforeEach(async () => {
    prefix = uniquePrefix();
    budgets = await RedisTokenBudgets.connect(redis.url, { prefix });
  });
  afterEach(async () => {
    await budgets.close();
  });

  it("admits until a cap is spent, then names it with the wait the refill needs", async () => {
    const limits = { perMinute: { total: 100 } };
    expect(await budgets.check("k", limits)).toEqual({ allowed: true });
    await budgets.charge("k", limits, { input: 100, output: 50 });
    const verdict = await budgets.check("k", limits);
    expect(verdict).toMatchObject({ allowed: false, limit: "perMinute.total" });
    // 50 tokens overdrawn at one per 600 ms: 30 s, less the real time passing between the calls.
    expect((verdict as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(25_000);
    expect((verdict as { retryAfterMs: number }).retryAfterMs).toBeLessThanOrEqual(30_001);
  });

  it("counts 150 concurrent charges exactly (each is one atomic script)", async () => {
    const limits = { perDay: { input: 1000 } };
    await Promise.all(Array.from({ length: 150 }, () => budgets.charge("hot", limits, { input: 10, output: 0 })));
    // 1500 tokens against 1000 a day: 500 overdrawn take half a day to refill; a lost update would show less.
    const verdict = await budgets.check("hot", limits);
    expect(verdict).toMatchObject({ allowed: false, limit: "perDay.input" });
    expect((verdict as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(43_200_000 - 60_000);
    expect((verdict as { retryAfterMs: number }).retryAfterMs).toBeLessThanOrEqual(43_200_001);
  });

  it("lets 30 concurrent admits reserve only what the cap covers (each admit is one atomic script)", async () => {
    const limits = { perMinute: { output: 100 } };
    const verdicts = await Promise.all(
      Array.from({ length: 30 }, () => budgets.admit("hot", limits, { input: 0, output: 30 })),
    );
    // Room while under 100: 0, 30, 60, 90 reserved before an admit; the fifth finds 120.
    expect(verdicts.filter((verdict) => verdict.allowed)).toHaveLength(4);
  });

  it("keeps keys apart, whatever characters they hold", async () => {
    const limits = { perDay: { total: 1 } };
    const keys = ["a", "a:", "A", "__proto__", "tenant/ü\n*{x}", ""];
    // Overdrawn by a whole day's cap: real time passing between the calls cannot refill it.
    for (const key of keys) await budgets.charge(key, limits, { input: 2, output: 0 });
    for (const key of keys) expect((await budgets.check(key, limits)).allowed).toBe(false);
    expect((await budgets.check("b", limits)).allowed).toBe(true);
  });

  it("expires a key once its buckets would be full again, and never sooner", async () => {
    const client = createClient({ url: redis.url });
    await client.connect();
    try {
      // 1 token of 60,000,000 per minute costs 1 µs of the window: the key lives the 1 s margin.
      await budgets.charge("short", { perMinute: { total: 60_000_000 } }, { input: 1, output: 0 });
      const short = await client.pTTL(`${prefix}short`);
      expect(short).toBeGreaterThan(0);
      expect(short).toBeLessThanOrEqual(1001);
      // A spent per-day cap keeps its key for the day it needs to refill; a later short charge does not shorten it.
      await budgets.charge("long", { perDay: { total: 10 } }, { input: 10, output: 0 });
      await budgets.charge("long", { perMinute: { total: 60_000_000 } }, { input: 1, output: 0 });
      const long = await client.pTTL(`${prefix}long`);
      expect(long).toBeGreaterThan(86_400_000 - 60_000);
      expect(long).toBeLessThanOrEqual(86_400_000 + 1000);
    } finally {
      await client.close();
    }
  });

  it("rejects invalid caps and usage before reaching Redis", async () => {
    await expect(budgets.check("k", { perMinute: { total: 0 } })).rejects.toThrow(/perMinute\.total/);
    await expect(budgets.charge("k", { perDay: { total: 5 } }, { input: -1, output: 0 })).rejects.toThrow(
      /input must be a non-negative integer/,
    );
  });

  it("fails with 503 once closed, not with a hang", async () => {
    await budgets.close();
    await expect(budgets.check("k", { perMinute: { total: 5 } })).rejects.toThrow(/LLM token budget store unavailable/);
  });
});

type Step =
  | { op: "check"; key: string }
  | { op: "charge"; key: string; usage: TokenUsage }
  | { op: "admit"; key: string; usage: TokenUsage }
  | { op: "settle"; key: string; reserved: TokenUsage; usage: TokenUsage }
  | { op: "advance"; ms: number };

// Caps dividing the windows exactly (so buckets land exactly on empty) as well as any others.
const capArb = fc.oneof(fc.constantFrom(1, 10, 100, 1000, 60_000), fc.integer({ min: 1, max: 5000 }));
const capsArb = fc.record({ input: capArb, output: capArb, total: capArb }, { requiredKeys: [] });
const limitsArb: fc.Arbitrary<TokenLimits> = fc.record({ perMinute: capsArb, perDay: capsArb }, { requiredKeys: [] });
const keyArb = fc.constantFrom("a", "b", "__proto__");
const usageArb = fc.record({ input: fc.oneof(fc.nat(10), fc.nat(3000)), output: fc.oneof(fc.nat(10), fc.nat(3000)) });
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constant("check" as const), key: keyArb }),
  fc.record({ op: fc.constant("charge" as const), key: keyArb, usage: usageArb }),
  fc.record({ op: fc.constant("admit" as const), key: keyArb, usage: usageArb }),
  fc.record({ op: fc.constant("settle" as const), key: keyArb, reserved: usageArb, usage: usageArb }),
  fc.record({
    op: fc.constant("advance" as const),
    ms: fc.oneof(fc.nat(2000), fc.constantFrom(600, 1000, 6000, 60_000), fc.nat(3 * 86_400_000)),
  }),
);

async function play(budgets: TokenBudgets, clock: { now: number }, limits: TokenLimits, steps: readonly Step[]) {
  const verdicts: TokenBudgetVerdict[] = [];
  for (const step of steps) {
    if (step.op === "advance") clock.now += step.ms;
    else if (step.op === "charge") await budgets.charge(step.key, limits, step.usage);
    else if (step.op === "settle") await budgets.settle(step.key, limits, step.reserved, step.usage);
    else if (step.op === "admit") verdicts.push(await budgets.admit(step.key, limits, step.usage));
    else verdicts.push(await budgets.check(step.key, limits));
  }
  return verdicts;
}

async function bothPlay(limits: TokenLimits, steps: readonly Step[]) {
  const memoryClock = { now: Date.now() };
  const redisClock = { now: memoryClock.now };
  const memory = new MemoryTokenBudgets({ now: () => memoryClock.now });
  const shared = await RedisTokenBudgets.connect(redis.url, { prefix: uniquePrefix(), now: () => redisClock.now });
  try {
    return [await play(memory, memoryClock, limits, steps), await play(shared, redisClock, limits, steps)];
  } finally {
    await shared.close();
  }
}

describe("memory and Redis budgets (differential)", () => {
  it("agree at the exact edges: empty is no room, 1 ms of refill is room, the overdraft bound", async () => {
    const k = (op: "check") => ({ op, key: "k" });
    const charge = (input: number, output: number): Step => ({ op: "charge", key: "k", usage: { input, output } });
    const steps: Step[] = [
      charge(60, 40),
      k("check"),
      { op: "advance", ms: 1 },
      k("check"),
      charge(10_000, 0),
      k("check"),
      { op: "advance", ms: 60_000 },
      k("check"),
      { op: "advance", ms: 1 },
      k("check"),
    ];
    const [fromMemory, fromRedis] = await bothPlay({ perMinute: { total: 100 } }, steps);
    expect(fromMemory).toEqual([
      { allowed: false, limit: "perMinute.total", retryAfterMs: 1 },
      { allowed: true },
      { allowed: false, limit: "perMinute.total", retryAfterMs: 60_001 },
      { allowed: false, limit: "perMinute.total", retryAfterMs: 1 },
      { allowed: true },
    ]);
    expect(fromRedis).toEqual(fromMemory);
  });

  it("agree on admits and settles: the reservation, the give-back, never past full", async () => {
    const out = (output: number): TokenUsage => ({ input: 0, output });
    const steps: Step[] = [
      { op: "admit", key: "k", usage: out(60) },
      { op: "admit", key: "k", usage: out(60) },
      { op: "admit", key: "k", usage: out(60) },
      { op: "settle", key: "k", reserved: out(60), usage: out(10) },
      { op: "check", key: "k" },
      { op: "settle", key: "k", reserved: out(60), usage: out(10) },
      { op: "charge", key: "k", usage: out(80) },
      { op: "check", key: "k" },
      { op: "advance", ms: 60_000 },
      { op: "settle", key: "k", reserved: out(1000), usage: out(0) },
      { op: "charge", key: "k", usage: out(100) },
      { op: "check", key: "k" },
    ];
    const [fromMemory, fromRedis] = await bothPlay({ perMinute: { output: 100 } }, steps);
    expect(fromMemory).toEqual([
      { allowed: true },
      { allowed: true },
      { allowed: false, limit: "perMinute.output", retryAfterMs: 12_001 },
      // 70 spent once one round gave back 50.
      { allowed: true },
      { allowed: false, limit: "perMinute.output", retryAfterMs: 1 },
      { allowed: false, limit: "perMinute.output", retryAfterMs: 1 },
    ]);
    expect(fromRedis).toEqual(fromMemory);
  });

  it("give the same verdicts for the same sequence of checks, admits, settles, charges and clock steps", async () => {
    // Both run on one injected clock (epoch ms), so the Redis script sees the same time as the memory store.
    const start = Date.now();
    const denials = new Set<string>();
    await fc.assert(
      fc.asyncProperty(limitsArb, fc.array(stepArb, { minLength: 1, maxLength: 30 }), async (limits, steps) => {
        const memoryClock = { now: start };
        const redisClock = { now: start };
        const memory = new MemoryTokenBudgets({ now: () => memoryClock.now });
        const shared = await RedisTokenBudgets.connect(redis.url, {
          prefix: uniquePrefix(),
          now: () => redisClock.now,
        });
        try {
          const [fromMemory, fromRedis] = [
            await play(memory, memoryClock, limits, steps),
            await play(shared, redisClock, limits, steps),
          ];
          expect(fromRedis).toEqual(fromMemory);
          for (const verdict of fromMemory) if (!verdict.allowed) denials.add(verdict.limit);
        } finally {
          await shared.close();
        }
      }),
      { numRuns: 60 },
    );
    // The sequences reached denials on both windows' caps, not only admissions.
    expect([...denials].some((limit) => limit.startsWith("perMinute."))).toBe(true);
    expect([...denials].some((limit) => limit.startsWith("perDay."))).toBe(true);
  });
});
