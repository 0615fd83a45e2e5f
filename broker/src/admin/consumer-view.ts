import type { ConfiguredConsumer, ConsumerRecord } from "@mcp-gateway/core";

/** A consumer as the admin API shows it: never the key or its hash. */
export interface ConsumerView {
  name: string;
  policy: string;
  /** `store`: managed through this API; `config`: defined in the gateway config file, read-only here. */
  source: "store" | "config";
  readOnly: boolean;
  /** ISO 8601; null for config consumers (the config file has no such dates). */
  createdAt: string | null;
  rotatedAt: string | null;
  revokedAt: string | null;
}

/** The public fields of a consumer record (the key hash is left out on purpose). */
export function consumerView(record: ConsumerRecord): ConsumerView {
  return {
    name: record.name,
    policy: record.policy,
    source: "store",
    readOnly: false,
    createdAt: record.createdAt,
    rotatedAt: record.rotatedAt,
    revokedAt: record.revokedAt,
  };
}

/** A config consumer: its name and policy only (whether it has a key, and the key's hash, stay in the config). */
export function configConsumerView(consumer: ConfiguredConsumer): ConsumerView {
  return {
    name: consumer.name,
    policy: consumer.policy,
    source: "config",
    readOnly: true,
    createdAt: null,
    rotatedAt: null,
    revokedAt: null,
  };
}
