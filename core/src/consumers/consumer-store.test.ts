import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startPostgresServer } from "../../../test/src/support/postgres-server";
import { startRedisServer } from "../../../test/src/support/redis-server";
import { hashApiKey } from "../auth/api-keys";
import { ConsumerExistsError, ConsumerNotFoundError, ConsumerRevokedError } from "./consumer-errors";
import type { ConsumerRecord, ConsumerStore } from "./consumer-store";
import { FileConsumerStore } from "./file-consumer-store";
import { PostgresConsumerStore } from "./postgres-consumer-store";
import { RedisConsumerStore } from "./redis-consumer-store";

interface Server {
  url: string;
  stop(): Promise<void>;
}

let redis: Server;
let postgres: Server;
let directory: string;

beforeAll(async () => {
  [redis, postgres, directory] = await Promise.all([
    startRedisServer(),
    startPostgresServer(),
    mkdtemp(join(tmpdir(), "consumer-store-")),
  ]);
});
afterAll(async () => {
  await Promise.all([redis?.stop(), postgres?.stop(), rm(directory, { recursive: true, force: true })]);
});

let counter = 0;
const unique = (): string => `t${process.pid}_${Date.now()}_${(counter += 1)}`;

/** A backend: a fresh location, and how to open a store there (again and again, to test persistence). */
interface Backend {
  location(): string;
  open(location: string): Promise<ConsumerStore>;
}

const backends: [string, Backend][] = [
  ["file", { location: () => join(directory, unique(), "consumers.json"), open: (at) => FileConsumerStore.open(at) }],
  ["redis", { location: () => `${unique()}:`, open: (at) => RedisConsumerStore.connect(redis.url, at) }],
  ["postgres", { location: () => unique(), open: (at) => PostgresConsumerStore.connect(postgres.url, at) }],
];

function record(name: string, key = `key-of-${name}`, extra: Partial<ConsumerRecord> = {}): ConsumerRecord {
  return {
    name,
    policy: "default",
    keyHash: hashApiKey(key),
    createdAt: "2025-01-02T03:04:05.678Z",
    rotatedAt: null,
    revokedAt: null,
    ...extra,
  };
}

describe.each(backends)("%s consumer store", (_kind, backend) => {
  let location: string;
  let store: ConsumerStore;
  beforeEach(async () => {
    location = backend.location();
    store = await backend.open(location);
  });
  afterEach(async () => {
    await store.close();
  });

  it("returns a created consumer by name", async () => {
    await store.create(record("alice"));
    expect(await store.get("alice")).toEqual(record("alice"));
  });

  it("answers undefined for an unknown name", async () => {
    expect(await store.get("nobody")).toBeUndefined();
  });

  it("lists every consumer sorted by name", async () => {
    await store.create(record("bob"));
    await store.create(record("alice"));
    expect(await store.list()).toEqual([record("alice"), record("bob")]);
  });

  it("rejects a duplicate name", async () => {
    await store.create(record("alice"));
    await expect(store.create(record("alice", "other"))).rejects.toBeInstanceOf(ConsumerExistsError);
    expect(await store.get("alice")).toEqual(record("alice"));
  });

  it("rejects reusing the name of a revoked consumer", async () => {
    await store.create(record("alice"));
    await store.update(record("alice", undefined, { revokedAt: "2025-02-01T00:00:00.000Z" }));
    await expect(store.create(record("alice", "fresh"))).rejects.toBeInstanceOf(ConsumerExistsError);
  });

  it("replaces a record on update", async () => {
    await store.create(record("alice"));
    const changed = record("alice", undefined, { policy: "admin", rotatedAt: "2025-03-01T00:00:00.000Z" });
    await store.update(changed);
    expect(await store.get("alice")).toEqual(changed);
  });

  it("rejects updating an unknown consumer", async () => {
    await expect(store.update(record("ghost"))).rejects.toBeInstanceOf(ConsumerNotFoundError);
    expect(await store.get("ghost")).toBeUndefined();
  });

  it("rejects changing a revoked consumer (revocation is final)", async () => {
    await store.create(record("alice"));
    await store.update(record("alice", undefined, { revokedAt: "2025-02-01T00:00:00.000Z" }));
    await expect(store.update(record("alice"))).rejects.toBeInstanceOf(ConsumerRevokedError);
    expect((await store.get("alice"))?.revokedAt).toBe("2025-02-01T00:00:00.000Z");
  });

  it("changes only the policy with setPolicy and returns the record", async () => {
    await store.create(record("alice"));
    const changed = await store.setPolicy("alice", "admin");
    expect(changed).toEqual(record("alice", undefined, { policy: "admin" }));
    expect(await store.get("alice")).toEqual(changed);
    expect(await store.findByKeyHash(hashApiKey("key-of-alice"))).toEqual(changed);
  });

  it("keeps a rotation made after the record was read when setPolicy runs", async () => {
    await store.create(record("alice"));
    await store.update(record("alice", "rotated", { rotatedAt: "2025-03-01T00:00:00.000Z" }));
    await store.setPolicy("alice", "admin");
    expect((await store.get("alice"))?.keyHash).toBe(hashApiKey("rotated"));
    expect(await store.findByKeyHash(hashApiKey("key-of-alice"))).toBeUndefined();
  });

  it("rejects setPolicy on an unknown or revoked consumer", async () => {
    await expect(store.setPolicy("ghost", "admin")).rejects.toBeInstanceOf(ConsumerNotFoundError);
    expect(await store.get("ghost")).toBeUndefined();
    await store.create(record("alice"));
    await store.update(record("alice", undefined, { revokedAt: "2025-02-01T00:00:00.000Z" }));
    await expect(store.setPolicy("alice", "admin")).rejects.toBeInstanceOf(ConsumerRevokedError);
    expect((await store.get("alice"))?.policy).toBe("default");
  });

  it("finds an active consumer by key hash", async () => {
    await store.create(record("alice"));
    await store.create(record("bob"));
    expect(await store.findByKeyHash(hashApiKey("key-of-bob"))).toEqual(record("bob"));
    expect(await store.findByKeyHash(hashApiKey("unknown"))).toBeUndefined();
  });

  it("finds the new key hash after a rotation and not the old one", async () => {
    await store.create(record("alice", "old"));
    const rotated = record("alice", "new", { rotatedAt: "2025-03-01T00:00:00.000Z" });
    await store.update(rotated);
    expect(await store.findByKeyHash(hashApiKey("old"))).toBeUndefined();
    expect(await store.findByKeyHash(hashApiKey("new"))).toEqual(rotated);
  });

  it("does not find a revoked consumer by key hash", async () => {
    await store.create(record("alice"));
    await store.update(record("alice", undefined, { revokedAt: "2025-02-01T00:00:00.000Z" }));
    expect(await store.findByKeyHash(hashApiKey("key-of-alice"))).toBeUndefined();
    expect(await store.get("alice")).toBeDefined();
  });

  it("keeps its data when closed and opened again", async () => {
    await store.create(record("alice"));
    await store.update(record("alice", "new", { rotatedAt: "2025-03-01T00:00:00.000Z" }));
    await store.close();
    store = await backend.open(location);
    expect(await store.list()).toEqual([record("alice", "new", { rotatedAt: "2025-03-01T00:00:00.000Z" })]);
    expect(await store.findByKeyHash(hashApiKey("new"))).toBeDefined();
  });

  it("lets exactly one of many concurrent creates of a name win", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => store.create(record("race", `key-${i}`))),
    );
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    for (const result of results) {
      if (result.status === "rejected") expect(result.reason).toBeInstanceOf(ConsumerExistsError);
    }
    expect(await store.list()).toHaveLength(1);
  });

  it("lets exactly one create win across two store instances on the same location", async () => {
    const other = await backend.open(location);
    try {
      const results = await Promise.allSettled([
        store.create(record("race", "one")),
        other.create(record("race", "two")),
        store.create(record("race", "three")),
        other.create(record("race", "four")),
      ]);
      expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
      expect(await other.list()).toEqual(await store.list());
    } finally {
      await other.close();
    }
  });

  it("shows one instance's changes to another on the same location", async () => {
    const other = await backend.open(location);
    try {
      await store.create(record("alice"));
      expect(await other.get("alice")).toEqual(record("alice"));
      await other.update(record("alice", undefined, { revokedAt: "2025-02-01T00:00:00.000Z" }));
      expect(await store.findByKeyHash(hashApiKey("key-of-alice"))).toBeUndefined();
    } finally {
      await other.close();
    }
  });
});
