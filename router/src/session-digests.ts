/** Most session digests remembered; past it the oldest is forgotten (the ids are client data: the cache stays bounded). */
export const SESSION_DIGEST_CACHE_SIZE = 4_096;

/** Longest session id whose digest is remembered (real ones are about 100 characters); longer ones are hashed each time. */
export const SESSION_DIGEST_MAX_ID_CHARS = 512;

/**
 * `digest` (the audit log's keyed session hash, an HMAC) remembered per session id: a session sends many requests, and
 * hashing its id again for each one's access-log line is the same answer at the cost of an HMAC. Bounded in entries
 * and in id length, so ids a client makes up cannot grow it; the key never changes for the life of the gate.
 */
export function sessionDigests(
  digest: (id: string) => string | undefined,
  size = SESSION_DIGEST_CACHE_SIZE,
): (id: string) => string | undefined {
  const known = new Map<string, string | undefined>();
  return (id) => {
    if (id.length > SESSION_DIGEST_MAX_ID_CHARS) return digest(id);
    if (known.has(id)) return known.get(id);
    const value = digest(id);
    if (known.size >= size) known.delete(known.keys().next().value as string);
    known.set(id, value);
    return value;
  };
}
