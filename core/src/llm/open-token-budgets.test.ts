import { freePort, startRedisServer } from "../../../test/src/support/redis-server";
import { MemoryTokenBudgets } from "./memory-token-budgets";
import { openTokenBudgets } from "./open-token-budgets";
import { RedisTokenBudgets } from "./redis-token-budgets";

describe("openTokenBudgets", () => {
  it("opens in-process budgets for memory", async () => {
    const budgets = await openTokenBudgets("memory");
    expect(budgets).toBeInstanceOf(MemoryTokenBudgets);
    await budgets.close();
  });

  it("opens Redis budgets for a redis:// URL", async () => {
    const server = await startRedisServer();
    try {
      const budgets = await openTokenBudgets(server.url);
      expect(budgets).toBeInstanceOf(RedisTokenBudgets);
      expect(await budgets.check("k", { perMinute: { total: 1 } })).toEqual({ allowed: true });
      await budgets.close();
    } finally {
      await server.stop();
    }
  });

  it("rejects an unreachable Redis naming the URL without credentials", async () => {
    const port = await freePort();
    const opening = openTokenBudgets(`redis://user:s3cret@127.0.0.1:${port}`);
    await expect(opening).rejects.toThrow(`LLM token budgets at redis://user:***@127.0.0.1:${port}`);
    await expect(opening).rejects.not.toThrow(/s3cret/);
  });

  it("rejects an unknown store without echoing credentials", async () => {
    const opening = openTokenBudgets("postgres://user:s3cret@db/x");
    await expect(opening).rejects.toThrow(/unknown LLM token budget store "postgres:\/\/user:\*\*\*@db\/x"/);
  });
});
