import { randomUUID } from "node:crypto";
import { REPLICA_ID_RE } from "@mcp-gateway/core";

/**
 * The gateway's own id of a request the legacy bridge relays to a legacy client, before `encodeServerRequestId`
 * wraps it (`mcpgw:<server>:"<replica>.<uuid>"`): it names the replica waiting for the answer.
 */
export function relayedRequestId(replica: string): string {
  return `${replica}.${randomUUID()}`;
}

/** The replica named by a relayed request's own id (see {@link relayedRequestId}); undefined for any other id. */
export function replicaOfRelayedId(id: string | number): string | undefined {
  if (typeof id !== "string") return undefined;
  const dot = id.indexOf(".");
  const replica = id.slice(0, dot);
  return dot > 0 && REPLICA_ID_RE.test(replica) ? replica : undefined;
}
