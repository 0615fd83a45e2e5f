import { z } from "zod";

/** One API-key holder as stored: only the key's hash (`sha256:<hex>`) is kept, never the key. */
export interface ConsumerRecord {
  name: string;
  policy: string;
  keyHash: string;
  /** ISO 8601 timestamps. */
  createdAt: string;
  rotatedAt: string | null;
  revokedAt: string | null;
}

/**
 * Where consumers live. Shared by every gateway process; each implementation makes `create` atomic across processes
 * and treats revocation as final (`update` of a revoked record rejects with ConsumerRevokedError).
 */
export interface ConsumerStore {
  /** Every consumer, revoked ones included, sorted by name. */
  list(): Promise<ConsumerRecord[]>;
  get(name: string): Promise<ConsumerRecord | undefined>;
  /** The active (not revoked) consumer holding this key hash. */
  findByKeyHash(keyHash: string): Promise<ConsumerRecord | undefined>;
  /** Inserts; rejects with ConsumerExistsError if the name is taken (even revoked: names are not reused silently). */
  create(record: ConsumerRecord): Promise<void>;
  /** Replaces an existing record (rotate, revoke); rejects with ConsumerNotFoundError. */
  update(record: ConsumerRecord): Promise<void>;
  /**
   * Changes only the policy, atomically (a concurrent rotation's key is kept); resolves to the changed record and
   * rejects with ConsumerNotFoundError or ConsumerRevokedError.
   */
  setPolicy(name: string, policy: string): Promise<ConsumerRecord>;
  close(): Promise<void>;
}

/** Schema of a stored {@link ConsumerRecord}, for stores that read records back from untyped storage. */
export const consumerRecordSchema = z.object({
  name: z.string().min(1),
  policy: z.string().min(1),
  keyHash: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  createdAt: z.string(),
  rotatedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});

/** A copy of the record with exactly the {@link ConsumerRecord} fields (callers may pass objects with extras). */
export function copyConsumerRecord(record: ConsumerRecord): ConsumerRecord {
  return {
    name: record.name,
    policy: record.policy,
    keyHash: record.keyHash,
    createdAt: record.createdAt,
    rotatedAt: record.rotatedAt,
    revokedAt: record.revokedAt,
  };
}

/** Orders records by name (code-unit order, the same in every store). */
export function byConsumerName(a: ConsumerRecord, b: ConsumerRecord): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
