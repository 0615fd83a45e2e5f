import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startPostgresServer } from "../../../test/src/support/postgres-server";
import { freePort, startRedisServer } from "../../../test/src/support/redis-server";
import { FileConsumerStore } from "./file-consumer-store";
import { openConsumerStore } from "./open-consumer-store";
import { PostgresConsumerStore } from "./postgres-consumer-store";
import { RedisConsumerStore } from "./redis-consumer-store";

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "open-consumer-store-"));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function rejectionMessage(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(Error);
  return (error as Error).message;
}

describe("openConsumerStore", () => {
  it.each([
    ["file:", (path: string) => `file:${path}`],
    ["file://", (path: string) => `file://${path}`],
    ["a plain path", (path: string) => path],
  ])("opens a file store for %s", async (_label, spec) => {
    const store = await openConsumerStore(spec(join(directory, "x", "consumers.json")));
    expect(store).toBeInstanceOf(FileConsumerStore);
    expect((store as FileConsumerStore).path).toBe(join(directory, "x", "consumers.json"));
    await store.close();
  });

  it("rejects an unsupported scheme", async () => {
    expect(await rejectionMessage(openConsumerStore("mysql://db/consumers"))).toMatch(/unsupported.*mysql/);
  });

  it("opens a Redis store for redis:// URLs", async () => {
    const redis = await startRedisServer();
    try {
      const store = await openConsumerStore(redis.url, { redisPrefix: "open-test:" });
      expect(store).toBeInstanceOf(RedisConsumerStore);
      expect(await store.list()).toEqual([]);
      await store.close();
    } finally {
      await redis.stop();
    }
  });

  it.each(["postgres", "postgresql"])("opens a PostgreSQL store for %s:// URLs", async (scheme) => {
    const postgres = await startPostgresServer();
    try {
      const url = postgres.url.replace(/^[a-z]+:/, `${scheme}:`);
      const store = await openConsumerStore(url, { postgresTable: "open_test" });
      expect(store).toBeInstanceOf(PostgresConsumerStore);
      expect(await store.list()).toEqual([]);
      await store.close();
    } finally {
      await postgres.stop();
    }
  });

  it.each(["redis", "postgres"])("keeps the password out of %s connection errors", async (scheme) => {
    const port = await freePort();
    const message = await rejectionMessage(openConsumerStore(`${scheme}://user:s3cr%40t-pw@127.0.0.1:${port}/db`));
    expect(message).toContain(`127.0.0.1:${port}`);
    expect(message).not.toContain("s3cr");
  });

  it("rejects a PostgreSQL table name that is not a plain identifier", async () => {
    const message = await rejectionMessage(PostgresConsumerStore.connect("postgres://x@127.0.0.1/db", "x; DROP"));
    expect(message).toMatch(/invalid consumer table name/);
  });
});
