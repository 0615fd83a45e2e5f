import { LRUCache } from "lru-cache";
import { generateApiKey, hashApiKey, isApiKeyHash } from "../auth/api-keys";
import { ConsumerError } from "./consumer-errors";
import type { ConsumerRecord, ConsumerStore } from "./consumer-store";

/** Consumer names: safe in URLs, logs, Redis keys and file names. */
export const CONSUMER_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/**
 * The form in which consumer names are compared: lower case. Names are ASCII (see {@link CONSUMER_NAME_RE}), so
 * Unicode normalization (NFKC) changes nothing and case is the only way two names can look alike: `ALICE` is refused
 * beside `alice`. Names are still stored and shown as registered.
 */
export function consumerNameKey(name: string): string {
  return name.toLowerCase();
}

/** Who an API key belongs to, as authentication needs it. */
export interface ConsumerIdentity {
  consumer: string;
  policy: string;
}

/** A consumer together with its new API key: the only moment the key exists outside the caller's hands. */
export interface IssuedConsumerKey {
  consumer: ConsumerRecord;
  apiKey: string;
}

/** A consumer after a policy change, and the policy it had just before. */
export interface PolicyChange {
  consumer: ConsumerRecord;
  previousPolicy: string;
}

/** A consumer defined in the gateway config: read-only here (its key hash never leaves the config). */
export interface ConfiguredConsumer {
  name: string;
  policy: string;
}

/** Options of {@link ConsumerRegistry}. */
export interface ConsumerRegistryOptions {
  /** True when a policy with this name is configured. */
  policyExists: (name: string) => boolean;
  /** True for names taken elsewhere (the config's own consumers), which the registry must not hand out again. */
  nameReserved?: (name: string) => boolean;
  /** The config's own consumers (current config): listed read-only, and never changed through the registry. */
  configConsumers?: () => readonly ConfiguredConsumer[];
  /** Clock for the records' timestamps. */
  now?: () => Date;
  /** How long a lookup result is trusted (ms, default 2000): the longest another process's revocation can lag. */
  cacheTtlMs?: number;
  /** How long an unknown key hash is remembered (ms, default min(500, cacheTtlMs)). */
  missTtlMs?: number;
  /** Cache size (entries, default 10000). */
  cacheMaxEntries?: number;
}

/** Cached lookup result; `identity` undefined records a miss (LRUCache values cannot be undefined). */
interface CacheEntry {
  identity: ConsumerIdentity | undefined;
}

/**
 * Issues, rotates and revokes consumers' API keys over a shared {@link ConsumerStore}, and resolves key hashes to
 * consumers for authentication with a short-lived cache.
 */
export class ConsumerRegistry {
  private readonly cache: LRUCache<string, CacheEntry>;
  private readonly inFlight = new Map<string, Promise<ConsumerIdentity | undefined>>();
  private readonly hitTtlMs: number;
  private readonly missTtlMs: number;
  private readonly now: () => Date;
  /** Bumped by every invalidation, so a lookup that started before it does not cache what it read. */
  private generation = 0;

  constructor(
    private readonly store: ConsumerStore,
    private readonly options: ConsumerRegistryOptions,
  ) {
    this.hitTtlMs = Math.max(1, options.cacheTtlMs ?? 2000);
    this.missTtlMs = Math.max(1, options.missTtlMs ?? Math.min(500, this.hitTtlMs));
    this.now = options.now ?? (() => new Date());
    this.cache = new LRUCache({ max: options.cacheMaxEntries ?? 10_000, ttl: this.hitTtlMs });
  }

  /** Creates a consumer bound to `policy` and returns it with its API key (shown once; only the hash is stored). */
  async register(name: string, policy: string): Promise<IssuedConsumerKey> {
    validateName(name);
    this.validatePolicy(policy);
    // Two consumers of one name would share sessions and rate-limit buckets: a config consumer's name stays its own.
    // Names differing only in case are one name to people reading audit logs and policies: refused alike.
    if (this.options.nameReserved?.(name) || this.configured(name)) {
      throw new ConsumerError(409, `consumer "${name}" is defined in the gateway config`, { field: "name" });
    }
    await this.refuseLookAlike(name);
    const apiKey = generateApiKey();
    const consumer: ConsumerRecord = {
      name,
      policy,
      keyHash: hashApiKey(apiKey),
      createdAt: this.now().toISOString(),
      rotatedAt: null,
      revokedAt: null,
    };
    await this.store.create(consumer);
    this.invalidate(consumer.keyHash);
    return { consumer, apiKey };
  }

  /**
   * 409 when a registered consumer (revoked ones included: names are not reused) differs from `name` only in case.
   * An exact match is left to the store's atomic create. Two processes registering `Bob` and `bob` at the same
   * instant could both pass this read; the window is one store round trip of an authenticated admin.
   */
  private async refuseLookAlike(name: string): Promise<void> {
    const key = consumerNameKey(name);
    const other = (await this.store.list()).find((c) => c.name !== name && consumerNameKey(c.name) === key);
    if (other) {
      throw new ConsumerError(409, `consumer "${name}" differs from the existing "${other.name}" only in case`, {
        field: "name",
      });
    }
  }

  private validatePolicy(policy: unknown): asserts policy is string {
    if (typeof policy !== "string" || policy === "") {
      throw new ConsumerError(400, "policy must be a non-empty string", { field: "policy" });
    }
    if (!this.options.policyExists(policy)) {
      throw new ConsumerError(400, `unknown policy "${policy}"`, { field: "policy" });
    }
  }

  /** The config consumer whose name matches `name` (case-insensitively, as names are compared), if any. */
  configured(name: string): ConfiguredConsumer | undefined {
    const key = consumerNameKey(name);
    return this.options.configConsumers?.().find((consumer) => consumerNameKey(consumer.name) === key);
  }

  /** The config's own consumers, sorted by name. */
  configConsumers(): ConfiguredConsumer[] {
    return [...(this.options.configConsumers?.() ?? [])]
      .map(({ name, policy }) => ({ name, policy }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** 409 for a consumer the config defines: the config file is its only source of truth. */
  private refuseConfigured(name: string): void {
    const configured = this.configured(name);
    if (configured) {
      throw new ConsumerError(
        409,
        `consumer "${configured.name}" is defined in the gateway config and is read-only here: edit the config file (consumers[]) to change it`,
      );
    }
  }

  /**
   * Binds the consumer to another configured policy. The store changes only the policy, atomically; this process
   * applies it to the next request, other processes sharing the store within their lookup cache TTL.
   */
  async setPolicy(name: string, policy: string): Promise<PolicyChange> {
    this.refuseConfigured(name);
    this.validatePolicy(policy);
    const current = await this.get(name);
    if (current.revokedAt !== null) throw new ConsumerError(409, `consumer "${name}" is revoked`);
    try {
      return { consumer: await this.store.setPolicy(current.name, policy), previousPolicy: current.policy };
    } finally {
      this.invalidate(current.keyHash);
    }
  }

  /** Replaces the consumer's API key; the old key stops working at once in this process. */
  async rotate(name: string): Promise<IssuedConsumerKey> {
    this.refuseConfigured(name);
    const current = await this.get(name);
    if (current.revokedAt !== null) throw new ConsumerError(409, `consumer "${name}" is revoked`);
    const apiKey = generateApiKey();
    const consumer: ConsumerRecord = { ...current, keyHash: hashApiKey(apiKey), rotatedAt: this.now().toISOString() };
    try {
      await this.store.update(consumer);
    } finally {
      this.invalidate(current.keyHash, consumer.keyHash);
    }
    return { consumer, apiKey };
  }

  /** Revokes the consumer (final: the name is not reused); revoking a revoked consumer returns it unchanged. */
  async revoke(name: string): Promise<ConsumerRecord> {
    this.refuseConfigured(name);
    const current = await this.get(name);
    if (current.revokedAt !== null) return current;
    const consumer: ConsumerRecord = { ...current, revokedAt: this.now().toISOString() };
    try {
      await this.store.update(consumer);
    } finally {
      this.invalidate(current.keyHash);
    }
    return consumer;
  }

  /** The consumer named `name`; ConsumerError 404 when there is none. */
  async get(name: string): Promise<ConsumerRecord> {
    const consumer = CONSUMER_NAME_RE.test(name) ? await this.store.get(name) : undefined;
    if (!consumer) throw new ConsumerError(404, `consumer "${name}" not found`);
    return consumer;
  }

  /** Every consumer, revoked ones included, sorted by name. */
  list(): Promise<ConsumerRecord[]> {
    return this.store.list();
  }

  /** The active consumer holding the key with this hash (hot path: cached, concurrent misses share one read). */
  lookup(keyHash: string): Promise<ConsumerIdentity | undefined> {
    if (!isApiKeyHash(keyHash)) return Promise.resolve(undefined);
    const cached = this.cache.get(keyHash);
    if (cached) return Promise.resolve(cached.identity);
    const shared = this.inFlight.get(keyHash);
    if (shared) return shared;
    const pending: Promise<ConsumerIdentity | undefined> = this.load(keyHash).finally(() => {
      if (this.inFlight.get(keyHash) === pending) this.inFlight.delete(keyHash);
    });
    this.inFlight.set(keyHash, pending);
    return pending;
  }

  private async load(keyHash: string): Promise<ConsumerIdentity | undefined> {
    const generation = this.generation;
    const record = await this.store.findByKeyHash(keyHash);
    const identity = record && { consumer: record.name, policy: record.policy };
    if (generation === this.generation) {
      this.cache.set(keyHash, { identity }, { ttl: identity ? this.hitTtlMs : this.missTtlMs });
    }
    return identity;
  }

  private invalidate(...keyHashes: string[]): void {
    this.generation += 1;
    for (const keyHash of keyHashes) {
      this.cache.delete(keyHash);
      this.inFlight.delete(keyHash);
    }
  }
}

function validateName(name: unknown): asserts name is string {
  if (typeof name !== "string" || !CONSUMER_NAME_RE.test(name)) {
    throw new ConsumerError(
      400,
      "name must be 1-63 characters: letters, digits, '.', '_' or '-', starting with a letter or digit",
      { field: "name" },
    );
  }
}
