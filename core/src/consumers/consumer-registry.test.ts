import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { API_KEY_PREFIX, hashApiKey } from "../auth/api-keys";
import { ConsumerError } from "./consumer-errors";
import { ConsumerRegistry } from "./consumer-registry";
import type { ConsumerStore } from "./consumer-store";
import { FileConsumerStore } from "./file-consumer-store";

const policies = new Set(["default", "admin"]);
const policyExists = (name: string): boolean => policies.has(name);

let directory: string;
let path: string;
let store: FileConsumerStore;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), "consumer-registry-"));
  path = join(directory, "consumers.json");
  store = await FileConsumerStore.open(path);
});
afterEach(async () => {
  await store.close();
  await rm(directory, { recursive: true, force: true });
});

/** Wraps a store counting findByKeyHash calls. */
function counting(inner: ConsumerStore): { store: ConsumerStore; finds: () => number } {
  let finds = 0;
  const wrapped: ConsumerStore = {
    list: () => inner.list(),
    get: (name) => inner.get(name),
    findByKeyHash: (hash) => {
      finds += 1;
      return inner.findByKeyHash(hash);
    },
    create: (record) => inner.create(record),
    update: (record) => inner.update(record),
    setPolicy: (name, policy) => inner.setPolicy(name, policy),
    close: () => inner.close(),
  };
  return { store: wrapped, finds: () => finds };
}

async function rejection(promise: Promise<unknown>): Promise<ConsumerError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ConsumerError);
  return error as ConsumerError;
}

describe("ConsumerRegistry", () => {
  it("returns a new key once and stores only its hash", async () => {
    const registry = new ConsumerRegistry(store, { policyExists });
    const { consumer, apiKey } = await registry.register("alice", "default");
    expect(apiKey.startsWith(API_KEY_PREFIX)).toBe(true);
    expect(consumer.keyHash).toBe(hashApiKey(apiKey));
    const stored = await readFile(path, "utf8");
    expect(stored).toContain(hashApiKey(apiKey));
    expect(stored).not.toContain(apiKey);
    expect(stored).not.toContain(apiKey.slice(API_KEY_PREFIX.length));
  });

  it("resolves the new key's hash to the consumer and its policy", async () => {
    const registry = new ConsumerRegistry(store, { policyExists });
    const { apiKey } = await registry.register("alice", "admin");
    expect(await registry.lookup(hashApiKey(apiKey))).toEqual({ consumer: "alice", policy: "admin" });
  });

  it("stamps records with the injected clock", async () => {
    const registry = new ConsumerRegistry(store, { policyExists, now: () => new Date("2030-01-01T00:00:00Z") });
    const { consumer } = await registry.register("alice", "default");
    expect(consumer).toMatchObject({ createdAt: "2030-01-01T00:00:00.000Z", rotatedAt: null, revokedAt: null });
  });

  it("rejects an unknown policy naming the field", async () => {
    const registry = new ConsumerRegistry(store, { policyExists });
    const error = await rejection(registry.register("alice", "nope"));
    expect(error).toMatchObject({ status: 400, field: "policy", message: 'unknown policy "nope"' });
    expect(await store.list()).toEqual([]);
  });

  it("refuses a name the gateway config already gives a consumer (409), storing nothing", async () => {
    const registry = new ConsumerRegistry(store, { policyExists, nameReserved: (name) => name === "alice" });
    expect(await rejection(registry.register("alice", "default"))).toMatchObject({ status: 409, field: "name" });
    expect(await store.list()).toEqual([]);
  });

  it.each(["ALICE", "Alice", "aLiCe"])(
    "refuses %j beside a registered alice (409: names differ only in case), storing nothing",
    async (lookAlike) => {
      const registry = new ConsumerRegistry(store, { policyExists });
      await registry.register("alice", "default");
      const error = await rejection(registry.register(lookAlike, "default"));
      expect(error).toMatchObject({ status: 409, field: "name", message: expect.stringContaining('"alice"') });
      expect((await store.list()).map((c) => c.name)).toEqual(["alice"]);
    },
  );

  it("refuses a look-alike of a revoked consumer too (names are not reused)", async () => {
    const registry = new ConsumerRegistry(store, { policyExists });
    await registry.register("bob", "default");
    await registry.revoke("bob");
    expect(await rejection(registry.register("BOB", "default"))).toMatchObject({ status: 409 });
  });

  it.each(["", "-starts-with-dash", "has space", "a/b", "x".repeat(64), "ünïcode", "../etc"])(
    "rejects the invalid name %j",
    async (name) => {
      const registry = new ConsumerRegistry(store, { policyExists });
      expect(await rejection(registry.register(name, "default"))).toMatchObject({ status: 400, field: "name" });
    },
  );

  it.each(["a", "Alice.Team_1-prod", "9lives", "x".repeat(63)])("accepts the name %j", async (name) => {
    const registry = new ConsumerRegistry(store, { policyExists });
    await expect(registry.register(name, "default")).resolves.toBeDefined();
  });

  it("rejects a taken name with 409", async () => {
    const registry = new ConsumerRegistry(store, { policyExists });
    await registry.register("alice", "default");
    expect(await rejection(registry.register("alice", "default"))).toMatchObject({ status: 409 });
  });

  it("stops the old key and starts the new one at once on rotate", async () => {
    const registry = new ConsumerRegistry(store, { policyExists, cacheTtlMs: 60_000 });
    const first = await registry.register("alice", "default");
    expect(await registry.lookup(hashApiKey(first.apiKey))).toBeDefined();
    const second = await registry.rotate("alice");
    expect(second.apiKey).not.toBe(first.apiKey);
    expect(second.consumer.rotatedAt).not.toBeNull();
    expect(await registry.lookup(hashApiKey(first.apiKey))).toBeUndefined();
    expect(await registry.lookup(hashApiKey(second.apiKey))).toEqual({ consumer: "alice", policy: "default" });
  });

  it("stops a key at once when this process revokes it, despite a long cache TTL", async () => {
    const registry = new ConsumerRegistry(store, { policyExists, cacheTtlMs: 60_000 });
    const { apiKey } = await registry.register("alice", "default");
    expect(await registry.lookup(hashApiKey(apiKey))).toBeDefined();
    const revoked = await registry.revoke("alice");
    expect(revoked.revokedAt).not.toBeNull();
    expect(await registry.lookup(hashApiKey(apiKey))).toBeUndefined();
  });

  it("stops a key revoked by another process within the cache TTL", async () => {
    const here = new ConsumerRegistry(store, { policyExists, cacheTtlMs: 100 });
    const elsewhereStore = await FileConsumerStore.open(path);
    const elsewhere = new ConsumerRegistry(elsewhereStore, { policyExists, cacheTtlMs: 100 });
    try {
      const { apiKey } = await here.register("alice", "default");
      expect(await here.lookup(hashApiKey(apiKey))).toBeDefined();
      await elsewhere.revoke("alice");
      await sleep(150);
      expect(await here.lookup(hashApiKey(apiKey))).toBeUndefined();
    } finally {
      await elsewhereStore.close();
    }
  });

  it("serves repeated lookups from the cache and shares concurrent ones", async () => {
    const spy = counting(store);
    const registry = new ConsumerRegistry(spy.store, { policyExists });
    const { apiKey } = await registry.register("alice", "default");
    const hash = hashApiKey(apiKey);
    await Promise.all([registry.lookup(hash), registry.lookup(hash), registry.lookup(hash)]);
    await registry.lookup(hash);
    expect(spy.finds()).toBe(1);
  });

  it("remembers unknown keys for a shorter time", async () => {
    const spy = counting(store);
    const registry = new ConsumerRegistry(spy.store, { policyExists, cacheTtlMs: 10_000, missTtlMs: 50 });
    const hash = hashApiKey("unknown");
    expect(await registry.lookup(hash)).toBeUndefined();
    expect(await registry.lookup(hash)).toBeUndefined();
    expect(spy.finds()).toBe(1);
    await sleep(80);
    await registry.lookup(hash);
    expect(spy.finds()).toBe(2);
  });

  it("answers undefined for something that is not a key hash without reading the store", async () => {
    const spy = counting(store);
    const registry = new ConsumerRegistry(spy.store, { policyExists });
    expect(await registry.lookup("mcpgw_raw-key-instead-of-hash")).toBeUndefined();
    expect(spy.finds()).toBe(0);
  });

  it("refuses to rotate a revoked consumer", async () => {
    const registry = new ConsumerRegistry(store, { policyExists });
    await registry.register("alice", "default");
    await registry.revoke("alice");
    expect(await rejection(registry.rotate("alice"))).toMatchObject({ status: 409 });
  });

  it("answers 404 for rotating, revoking or getting an unknown consumer", async () => {
    const registry = new ConsumerRegistry(store, { policyExists });
    expect(await rejection(registry.rotate("ghost"))).toMatchObject({ status: 404 });
    expect(await rejection(registry.revoke("ghost"))).toMatchObject({ status: 404 });
    expect(await rejection(registry.get("ghost"))).toMatchObject({ status: 404 });
  });

  it("returns a revoked consumer unchanged when revoked again", async () => {
    const registry = new ConsumerRegistry(store, { policyExists });
    await registry.register("alice", "default");
    const first = await registry.revoke("alice");
    expect(await registry.revoke("alice")).toEqual(first);
  });

  it("lists consumers including revoked ones", async () => {
    const registry = new ConsumerRegistry(store, { policyExists });
    await registry.register("bob", "default");
    await registry.register("alice", "admin");
    await registry.revoke("bob");
    const names = (await registry.list()).map((consumer) => [consumer.name, consumer.revokedAt !== null]);
    expect(names).toEqual([
      ["alice", false],
      ["bob", true],
    ]);
  });

  it("changes the policy: the next lookup here has it at once, the key is unchanged", async () => {
    const registry = new ConsumerRegistry(store, { policyExists, cacheTtlMs: 60_000 });
    const { apiKey } = await registry.register("alice", "default");
    expect(await registry.lookup(hashApiKey(apiKey))).toEqual({ consumer: "alice", policy: "default" });
    const { consumer, previousPolicy } = await registry.setPolicy("alice", "admin");
    expect(consumer).toMatchObject({ name: "alice", policy: "admin", keyHash: hashApiKey(apiKey), revokedAt: null });
    expect(previousPolicy).toBe("default");
    expect(await registry.lookup(hashApiKey(apiKey))).toEqual({ consumer: "alice", policy: "admin" });
  });

  it("applies a policy changed by another process within the cache TTL", async () => {
    const here = new ConsumerRegistry(store, { policyExists, cacheTtlMs: 100 });
    const elsewhereStore = await FileConsumerStore.open(path);
    const elsewhere = new ConsumerRegistry(elsewhereStore, { policyExists, cacheTtlMs: 100 });
    try {
      const { apiKey } = await here.register("alice", "default");
      expect(await here.lookup(hashApiKey(apiKey))).toMatchObject({ policy: "default" });
      await elsewhere.setPolicy("alice", "admin");
      await sleep(150);
      expect(await here.lookup(hashApiKey(apiKey))).toEqual({ consumer: "alice", policy: "admin" });
    } finally {
      await elsewhereStore.close();
    }
  });

  it.each([
    ["an unknown policy", "root", 400],
    ["an empty policy", "", 400],
  ])("refuses %s when changing a policy, naming the field", async (_label, policy, status) => {
    const registry = new ConsumerRegistry(store, { policyExists });
    await registry.register("alice", "default");
    const error = await rejection(registry.setPolicy("alice", policy));
    expect(error).toMatchObject({ status, field: "policy" });
    expect((await registry.get("alice")).policy).toBe("default");
  });

  it("answers 404 for an unknown consumer and 409 for a revoked one when changing a policy", async () => {
    const registry = new ConsumerRegistry(store, { policyExists });
    expect(await rejection(registry.setPolicy("ghost", "admin"))).toMatchObject({ status: 404 });
    await registry.register("alice", "default");
    await registry.revoke("alice");
    expect(await rejection(registry.setPolicy("alice", "admin"))).toMatchObject({ status: 409 });
  });

  it("lists config consumers apart and refuses to change them (409 saying to edit the config)", async () => {
    const configConsumers = (): { name: string; policy: string; keyHash: string }[] => [
      { name: "ops", policy: "admin", keyHash: hashApiKey("config-key") },
    ];
    const registry = new ConsumerRegistry(store, { policyExists, configConsumers });
    expect(registry.configConsumers()).toEqual([{ name: "ops", policy: "admin" }]);
    expect(registry.configured("OPS")).toMatchObject({ name: "ops" });
    const attempts = [
      () => registry.rotate("ops"),
      () => registry.revoke("OPS"),
      () => registry.setPolicy("ops", "default"),
    ];
    for (const attempt of attempts) {
      const error = await rejection(attempt());
      expect(error.status).toBe(409);
      expect(error.message).toMatch(/"ops" is defined in the gateway config .*edit the config file/);
    }
    expect(await rejection(registry.register("Ops", "default"))).toMatchObject({ status: 409, field: "name" });
    expect(await registry.list()).toEqual([]);
  });
});
