import { createClient } from "redis";
import { ConsumerExistsError, ConsumerNotFoundError, ConsumerRevokedError } from "./consumer-errors";
import { byConsumerName, consumerRecordSchema, type ConsumerRecord, type ConsumerStore } from "./consumer-store";
import { connectionError } from "../connection-url";

type Redis = ReturnType<typeof createClient>;

// KEYS: record hash, names set, key-hash index. ARGV: the record's fields ('' for null). Existence check and insert
// run as one script, so of two concurrent creates of a name exactly one wins.
const CREATE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'name', ARGV[1], 'policy', ARGV[2], 'keyHash', ARGV[3],
  'createdAt', ARGV[4], 'rotatedAt', ARGV[5], 'revokedAt', ARGV[6])
redis.call('SADD', KEYS[2], ARGV[1])
if ARGV[6] == '' then redis.call('SET', KEYS[3], ARGV[1]) end
return 1`;

// KEYS: record hash, old key-hash index, new key-hash index. ARGV: the key hash the caller read (compare-and-set, so
// every key the script touches is declared), then the new fields. -1 missing, -2 revoked, -3 changed meanwhile.
const UPDATE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local current = redis.call('HMGET', KEYS[1], 'keyHash', 'revokedAt')
if current[2] and current[2] ~= '' then return -2 end
if current[1] ~= ARGV[1] then return -3 end
if redis.call('GET', KEYS[2]) == ARGV[2] then redis.call('DEL', KEYS[2]) end
redis.call('HSET', KEYS[1], 'name', ARGV[2], 'policy', ARGV[3], 'keyHash', ARGV[4],
  'createdAt', ARGV[5], 'rotatedAt', ARGV[6], 'revokedAt', ARGV[7])
if ARGV[7] == '' then redis.call('SET', KEYS[3], ARGV[2]) end
return 1`;

// KEYS: record hash. ARGV: the new policy. Only the policy field changes, so a concurrent rotation is never undone.
// -1 missing, -2 revoked.
const SET_POLICY_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local revoked = redis.call('HGET', KEYS[1], 'revokedAt')
if revoked and revoked ~= '' then return -2 end
redis.call('HSET', KEYS[1], 'policy', ARGV[1])
return 1`;

function fields(record: ConsumerRecord): string[] {
  const { name, policy, keyHash, createdAt, rotatedAt, revokedAt } = record;
  return [name, policy, keyHash, createdAt, rotatedAt ?? "", revokedAt ?? ""];
}

function decode(hash: Record<string, string>): ConsumerRecord | undefined {
  if (Object.keys(hash).length === 0) return undefined;
  const parsed = consumerRecordSchema.safeParse({
    ...hash,
    rotatedAt: hash.rotatedAt || null,
    revokedAt: hash.revokedAt || null,
  });
  return parsed.success ? parsed.data : undefined;
}

/**
 * Consumers in Redis: a hash per consumer (`<prefix>c:<name>`), a set of names (`<prefix>names`) and an index from
 * key hash to name (`<prefix>k:<hash>`, only for active consumers). In Redis Cluster, give the prefix a hash tag
 * (e.g. `{mcpgw}:consumers:`) so the scripts' keys share a slot.
 */
export class RedisConsumerStore implements ConsumerStore {
  private constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  /** Connects to `url`; rejects (without the URL's password) when Redis is unreachable. */
  static async connect(url: string, prefix = "mcpgw:consumers:"): Promise<RedisConsumerStore> {
    let ready = false;
    try {
      const redis = createClient({
        url,
        socket: {
          connectTimeout: 5000,
          // Fail the first connect instead of retrying forever; once up, reconnect with a capped backoff.
          reconnectStrategy: (retries, cause) => (ready ? Math.min(retries * 100, 2000) : cause),
        },
      });
      redis.on("error", () => {
        // Connection errors surface on the commands that fail; the client reconnects on its own.
      });
      await redis.connect();
      ready = true;
      return new RedisConsumerStore(redis, prefix);
    } catch (error: unknown) {
      throw connectionError("cannot open redis consumer store", url, error);
    }
  }

  private recordKey(name: string): string {
    return `${this.prefix}c:${name}`;
  }

  private indexKey(keyHash: string): string {
    return `${this.prefix}k:${keyHash}`;
  }

  async list(): Promise<ConsumerRecord[]> {
    const names = await this.redis.sMembers(`${this.prefix}names`);
    const records = await Promise.all(names.map((name) => this.get(name)));
    return records.filter((record): record is ConsumerRecord => record !== undefined).sort(byConsumerName);
  }

  async get(name: string): Promise<ConsumerRecord | undefined> {
    return decode((await this.redis.hGetAll(this.recordKey(name))) as Record<string, string>);
  }

  async findByKeyHash(keyHash: string): Promise<ConsumerRecord | undefined> {
    const name = await this.redis.get(this.indexKey(keyHash));
    if (name === null) return undefined;
    const record = await this.get(name);
    // The index is only a pointer: trust the record itself for the hash and the revocation.
    return record && record.keyHash === keyHash && record.revokedAt === null ? record : undefined;
  }

  async create(record: ConsumerRecord): Promise<void> {
    const created = await this.redis.eval(CREATE_SCRIPT, {
      keys: [this.recordKey(record.name), `${this.prefix}names`, this.indexKey(record.keyHash)],
      arguments: fields(record),
    });
    if (created !== 1) throw new ConsumerExistsError(record.name);
  }

  async update(record: ConsumerRecord): Promise<void> {
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const current = await this.get(record.name);
      if (!current) throw new ConsumerNotFoundError(record.name);
      const result = await this.redis.eval(UPDATE_SCRIPT, {
        keys: [this.recordKey(record.name), this.indexKey(current.keyHash), this.indexKey(record.keyHash)],
        arguments: [current.keyHash, ...fields(record)],
      });
      if (result === 1) return;
      if (result === -1) throw new ConsumerNotFoundError(record.name);
      if (result === -2) throw new ConsumerRevokedError(record.name);
    }
    throw new Error(`consumer "${record.name}" kept changing during update; try again`);
  }

  async setPolicy(name: string, policy: string): Promise<ConsumerRecord> {
    const result = await this.redis.eval(SET_POLICY_SCRIPT, { keys: [this.recordKey(name)], arguments: [policy] });
    if (result === -1) throw new ConsumerNotFoundError(name);
    if (result === -2) throw new ConsumerRevokedError(name);
    const record = await this.get(name);
    if (!record) throw new ConsumerNotFoundError(name);
    return record;
  }

  async close(): Promise<void> {
    await this.redis.close();
  }
}
