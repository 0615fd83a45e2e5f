import { postgresRefreshStore } from "@mcp-gateway/core";
import { startPostgresServer, type PostgresServer } from "../support/postgres-server";
import { freePort } from "../support/redis-server";
import { expectRefreshesTakeTurns, expectUnreachableNamed } from "./refresh-store-checks";

let postgres: PostgresServer;
beforeAll(async () => {
  postgres = await startPostgresServer();
}, 60_000);
afterAll(async () => {
  await postgres?.stop();
});

describe("postgresRefreshStore (real PostgreSQL)", () => {
  it("lets replicas spend the stored refresh token one after another, each reading the one the last saved", async () => {
    // Two stores are two pools, so two database sessions: the lock, not the process, keeps them apart.
    const replicas = [postgresRefreshStore(postgres.url, "t:one"), postgresRefreshStore(postgres.url, "t:one")];
    await expectRefreshesTakeTurns(replicas);
  });

  it("releases the lock when a refresh fails, so another replica's refresh proceeds at once", async () => {
    const [first, second] = [postgresRefreshStore(postgres.url, "t:two"), postgresRefreshStore(postgres.url, "t:two")];
    await expect(first.exclusive(() => Promise.reject(new Error("token endpoint down")))).rejects.toThrow("down");
    const started = Date.now();
    await expect(second.exclusive(async (stored) => stored)).resolves.toBeUndefined();
    // Well under the 15 s lock timeout: the lock was free, not waited out.
    expect(Date.now() - started).toBeLessThan(5_000);
    await Promise.all([first.close(), second.close()]);
  });

  it("keeps a rotated token saved before the refresh failed (an issued token is never rolled back)", async () => {
    const store = postgresRefreshStore(postgres.url, "t:three");
    const failure = store.exclusive(async (_stored, save) => {
      await save({ origin: "o", refreshToken: "rt-rotated" });
      throw new Error("failed after the save");
    });
    await expect(failure).rejects.toThrow("after the save");
    await expect(store.exclusive(async (stored) => stored)).resolves.toEqual({
      origin: "o",
      refreshToken: "rt-rotated",
    });
    await store.close();
  });

  it("names the store (never the URL's password) when PostgreSQL is unreachable", async () => {
    const store = postgresRefreshStore(`postgres://user:hunter2@127.0.0.1:${await freePort()}/db`, "t:four");
    await expectUnreachableNamed(store, "cannot open postgres refresh-token store at postgres://user:***@127.0.0.1");
  });
});
