import type { ConsumerRecord } from "@mcp-gateway/core";

/** A consumer as the admin API shows it: never the key or its hash. */
export interface ConsumerView {
  name: string;
  policy: string;
  createdAt: string;
  rotatedAt: string | null;
  revokedAt: string | null;
}

/** The public fields of a consumer record (the key hash is left out on purpose). */
export function consumerView(record: ConsumerRecord): ConsumerView {
  return {
    name: record.name,
    policy: record.policy,
    createdAt: record.createdAt,
    rotatedAt: record.rotatedAt,
    revokedAt: record.revokedAt,
  };
}
