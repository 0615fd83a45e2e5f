import fc from "fast-check";
import { MemoryTokenBudgets } from "./memory-token-budgets";
import type { TokenCaps, TokenLimits } from "./token-budget";

const MINUTE = 60_000;
const DAY = 86_400_000;

function clocked() {
  const clock = { now: 1_000_000 };
  return { clock, budgets: new MemoryTokenBudgets({ now: () => clock.now }) };
}

describe("MemoryTokenBudgets", () => {
  it("admits while a cap has room, then names the exhausted cap and when it has room again", async () => {
    const { clock, budgets } = clocked();
    const limits = { perMinute: { total: 600 } };
    expect(await budgets.check("k", limits)).toEqual({ allowed: true });
    await budgets.charge("k", limits, { input: 500, output: 99 });
    expect(await budgets.check("k", limits)).toEqual({ allowed: true });
    await budgets.charge("k", limits, { input: 1, output: 0 });
    // 600 tokens per 60 s refill one token per 100 ms; room means more than zero, so 1 ms past that.
    expect(await budgets.check("k", limits)).toEqual({ allowed: false, limit: "perMinute.total", retryAfterMs: 1 });
    clock.now += 1;
    expect(await budgets.check("k", limits)).toEqual({ allowed: true });
  });

  it("charges input to input caps, output to output caps and both to total caps", async () => {
    const { budgets } = clocked();
    const limits = { perMinute: { input: 100, output: 100 }, perDay: { total: 150 } };
    await budgets.charge("k", limits, { input: 100, output: 0 });
    expect(await budgets.check("k", limits)).toMatchObject({ allowed: false, limit: "perMinute.input" });
    await budgets.charge("j", limits, { input: 0, output: 100 });
    expect(await budgets.check("j", limits)).toMatchObject({ allowed: false, limit: "perMinute.output" });
    await budgets.charge("i", limits, { input: 75, output: 75 });
    expect(await budgets.check("i", limits)).toMatchObject({ allowed: false, limit: "perDay.total" });
  });

  it("lets a charge overdraw down to minus the cap, so a huge reply blocks for at most one more window", async () => {
    const { clock, budgets } = clocked();
    const limits = { perMinute: { output: 1000 } };
    await budgets.charge("k", limits, { input: 0, output: 1_000_000 });
    expect(await budgets.check("k", limits)).toEqual({
      allowed: false,
      limit: "perMinute.output",
      retryAfterMs: MINUTE + 1,
    });
    clock.now += MINUTE + 1;
    expect(await budgets.check("k", limits)).toEqual({ allowed: true });
  });

  it("keeps keys apart, whatever characters they hold (prototype names included)", async () => {
    const { budgets } = clocked();
    const limits = { perDay: { total: 1 } };
    const keys = ["a", "a:", "__proto__", "constructor", "toString", "tenant/ü\n*{x}", ""];
    for (const key of keys) {
      expect(await budgets.check(key, limits)).toEqual({ allowed: true });
      await budgets.charge(key, limits, { input: 1, output: 0 });
    }
    for (const key of keys) expect((await budgets.check(key, limits)).allowed).toBe(false);
    expect((await budgets.check("b", limits)).allowed).toBe(true);
  });

  it("answers every key as allowed when no cap is configured, and charges nothing", async () => {
    const { budgets } = clocked();
    await budgets.charge("k", {}, { input: 10 ** 9, output: 10 ** 9 });
    expect(await budgets.check("k", { perMinute: {} })).toEqual({ allowed: true });
  });

  it.each([
    [{ perMinute: { total: 0 } }, /perMinute\.total: must be a positive integer \(got 0\)/],
    [{ perDay: { input: -5 } }, /perDay\.input: must be a positive integer \(got -5\)/],
    [{ perDay: { output: 1.5 } }, /perDay\.output: must be a positive integer \(got 1\.5\)/],
    [{ perMinute: { input: Number.NaN } }, /perMinute\.input: must be a positive integer \(got NaN\)/],
    [{ perMinute: { input: Number.POSITIVE_INFINITY } }, /perMinute\.input: must be a positive integer/],
  ])("rejects the invalid limits %p naming the cap", async (limits, message) => {
    const { budgets } = clocked();
    await expect(budgets.check("k", limits)).rejects.toThrow(message);
    await expect(budgets.charge("k", limits, { input: 1, output: 1 })).rejects.toThrow(message);
  });

  it.each([
    [{ input: -1, output: 0 }, /input must be a non-negative integer \(got -1\)/],
    [{ input: 0, output: 2.5 }, /output must be a non-negative integer \(got 2\.5\)/],
    [{ input: Number.NaN, output: 0 }, /input must be a non-negative integer \(got NaN\)/],
  ])("rejects the invalid usage %p", async (usage, message) => {
    const { budgets } = clocked();
    await expect(budgets.charge("k", { perMinute: { total: 5 } }, usage)).rejects.toThrow(message);
  });

  it("admits with the reservation charged in the same step, and settles giving back the unused part", async () => {
    const { clock, budgets } = clocked();
    const limits = { perMinute: { output: 100 } };
    expect(await budgets.admit("k", limits, { input: 0, output: 60 })).toEqual({ allowed: true });
    expect(await budgets.admit("k", limits, { input: 0, output: 60 })).toEqual({ allowed: true });
    // 120 reserved: no room, and a refused admit reserves nothing.
    expect(await budgets.admit("k", limits, { input: 0, output: 60 })).toMatchObject({ allowed: false });
    expect(await budgets.check("k", limits)).toEqual({
      allowed: false,
      limit: "perMinute.output",
      retryAfterMs: 12_001,
    });
    // Both rounds used 10 of their 60: 20 spent, room again.
    await budgets.settle("k", limits, { input: 0, output: 60 }, { input: 0, output: 10 });
    await budgets.settle("k", limits, { input: 0, output: 60 }, { input: 0, output: 10 });
    await budgets.charge("k", limits, { input: 0, output: 80 });
    expect(await budgets.check("k", limits)).toEqual({ allowed: false, limit: "perMinute.output", retryAfterMs: 1 });
    // A give-back never fills a bucket past full: after a minute it is full, and a refund cannot add to it.
    clock.now += MINUTE;
    await budgets.settle("k", limits, { input: 0, output: 1000 }, { input: 0, output: 0 });
    await budgets.charge("k", limits, { input: 0, output: 100 });
    expect(await budgets.check("k", limits)).toMatchObject({ allowed: false });
  });

  it("forgets the least recently used key beyond maxKeys, which then has full budgets", async () => {
    const budgets = new MemoryTokenBudgets({ maxKeys: 1, now: () => 0 });
    const limits = { perDay: { total: 1 } };
    await budgets.charge("a", limits, { input: 1, output: 0 });
    await budgets.charge("b", limits, { input: 1, output: 0 });
    expect(await budgets.check("a", limits)).toEqual({ allowed: true });
  });
});

// Caps that divide both windows in µs exactly, so a charge costs exactly its share of the window (no rounding).
const exactCap = fc.constantFrom(1, 2, 3, 5, 10, 100, 1000, 60_000, 1_000_000, 60_000_000);
const caps: fc.Arbitrary<TokenCaps> = fc.record(
  { input: exactCap, output: exactCap, total: exactCap },
  { requiredKeys: [] },
);
const limitsArb: fc.Arbitrary<TokenLimits> = fc.record({ perMinute: caps, perDay: caps }, { requiredKeys: [] });
const usageArb = fc.record({ input: fc.nat(2_000_000), output: fc.nat(2_000_000) });

describe("the bucket math (properties)", () => {
  it("with no time passing, admits exactly while fewer tokens than the cap were charged", async () => {
    await fc.assert(
      fc.asyncProperty(exactCap, fc.array(fc.nat(100), { maxLength: 20 }), async (cap, charges) => {
        const { budgets } = clocked();
        const limits = { perMinute: { total: cap } };
        let spent = 0;
        for (const tokens of charges) {
          expect((await budgets.check("k", limits)).allowed).toBe(spent < cap);
          await budgets.charge("k", limits, { input: tokens, output: 0 });
          spent += tokens;
        }
        expect((await budgets.check("k", limits)).allowed).toBe(spent < cap);
      }),
    );
  });

  it("concurrent admits never let reserved plus charged exceed the cap and one reservation", async () => {
    const step = fc.oneof(
      fc.record({ op: fc.constant("admit" as const), output: fc.integer({ min: 1, max: 200 }) }),
      fc.record({
        op: fc.constant("settle" as const),
        pick: fc.nat(),
        used: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(exactCap, fc.array(step, { maxLength: 40 }), async (cap, steps) => {
        const { budgets } = clocked();
        const limits = { perMinute: { output: cap } };
        const open: number[] = [];
        let spent = 0;
        let largest = 0;
        for (const s of steps) {
          if (s.op === "admit") {
            const reserve = Math.min(s.output, cap);
            largest = Math.max(largest, reserve);
            if ((await budgets.admit("k", limits, { input: 0, output: reserve })).allowed) {
              open.push(reserve);
              spent += reserve;
            }
          } else if (open.length > 0) {
            const [reserved = 0] = open.splice(s.pick % open.length, 1);
            const used = Math.floor(reserved * s.used);
            await budgets.settle("k", limits, { input: 0, output: reserved }, { input: 0, output: used });
            spent -= reserved - used;
          }
          expect(spent).toBeLessThan(cap + largest);
          expect((await budgets.check("k", limits)).allowed).toBe(spent < cap);
        }
      }),
    );
  });

  it("a denial's cap still has no room 1 ms before retryAfterMs and has room at it", async () => {
    await fc.assert(
      fc.asyncProperty(limitsArb, fc.array(usageArb, { minLength: 1, maxLength: 5 }), async (limits, usages) => {
        const { clock, budgets } = clocked();
        for (const usage of usages) await budgets.charge("k", limits, usage);
        const verdict = await budgets.check("k", limits);
        if (verdict.allowed) return;
        expect(verdict.retryAfterMs).toBeGreaterThanOrEqual(1);
        const start = clock.now;
        clock.now = start + verdict.retryAfterMs - 1;
        expect(await budgets.check("k", limits)).toEqual({ ...verdict, retryAfterMs: 1 });
        clock.now = start + verdict.retryAfterMs;
        const after = await budgets.check("k", limits);
        // Caps earlier in the order had room and only refilled since; the one named has room now.
        if (!after.allowed) expect(after.limit).not.toBe(verdict.limit);
      }),
    );
  });

  it("never holds more than the cap: after any idle time, a full cap's worth more exhausts it", async () => {
    await fc.assert(
      fc.asyncProperty(exactCap, usageArb, fc.nat(10 * DAY), async (cap, usage, idleMs) => {
        const { clock, budgets } = clocked();
        const limits = { perDay: { output: cap } };
        await budgets.charge("k", limits, usage);
        clock.now += idleMs;
        await budgets.charge("k", limits, { input: 0, output: cap });
        expect(await budgets.check("k", limits)).toMatchObject({ allowed: false, limit: "perDay.output" });
      }),
    );
  });

  it("is whole again two windows after any charges (the overdraft is bounded)", async () => {
    await fc.assert(
      fc.asyncProperty(limitsArb, fc.array(usageArb, { maxLength: 5 }), async (limits, usages) => {
        const { clock, budgets } = clocked();
        for (const usage of usages) await budgets.charge("k", limits, usage);
        clock.now += 2 * DAY + 1;
        expect(await budgets.check("k", limits)).toEqual({ allowed: true });
      }),
    );
  });

  it("refills at cap per window: the wait for a deficit of d tokens is d/cap of the window", async () => {
    await fc.assert(
      fc.asyncProperty(exactCap, fc.integer({ min: 0, max: 1000 }), async (cap, extra) => {
        const { budgets } = clocked();
        const limits = { perMinute: { input: cap } };
        await budgets.charge("k", limits, { input: cap + extra, output: 0 });
        const deficitUs = (Math.min(extra, cap) * MINUTE * 1000) / cap;
        expect(await budgets.check("k", limits)).toEqual({
          allowed: false,
          limit: "perMinute.input",
          retryAfterMs: Math.floor(deficitUs / 1000) + 1,
        });
      }),
    );
  });
});
