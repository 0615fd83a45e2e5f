import type { ConsumerStore } from "./consumer-store";
import { FileConsumerStore } from "./file-consumer-store";
import { PostgresConsumerStore } from "./postgres-consumer-store";
import { RedisConsumerStore } from "./redis-consumer-store";

/** Where the backends keep consumers when the spec does not say. */
export interface OpenConsumerStoreOptions {
  /** Key prefix for Redis (default `mcpgw:consumers:`). */
  redisPrefix?: string;
  /** Table for PostgreSQL (default `mcp_consumers`). */
  postgresTable?: string;
}

/**
 * Opens the store a spec names: `redis://` or `rediss://` → Redis, `postgres://` or `postgresql://` → PostgreSQL,
 * `file:<path>` or a plain path → a JSON file.
 */
export function openConsumerStore(spec: string, options: OpenConsumerStoreOptions = {}): Promise<ConsumerStore> {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(spec)?.[1]?.toLowerCase();
  if (scheme === "redis" || scheme === "rediss") return RedisConsumerStore.connect(spec, options.redisPrefix);
  if (scheme === "postgres" || scheme === "postgresql") {
    return PostgresConsumerStore.connect(spec, options.postgresTable);
  }
  if (scheme === "file") {
    const path = spec.startsWith("file://") ? decodeURIComponent(new URL(spec).pathname) : spec.slice("file:".length);
    if (!path) return Promise.reject(new Error("consumer store spec file: needs a path"));
    return FileConsumerStore.open(path);
  }
  // Windows drive letters (C:\...) look like a one-letter scheme; anything else with a scheme is a mistake.
  if (scheme && scheme.length > 1) {
    return Promise.reject(new Error(`unsupported consumer store scheme "${scheme}:" (use file:, redis:, postgres:)`));
  }
  return FileConsumerStore.open(spec);
}
