import { newReplicaId } from "@mcp-gateway/core";
import { relayedRequestId, replicaOfRelayedId } from "./relayed-ids";

describe("relayed request ids", () => {
  it("name the replica that relayed the request", () => {
    const replica = newReplicaId();
    const id = relayedRequestId(replica);
    expect(id).toMatch(/^[A-Za-z0-9_-]{16}\.[0-9a-f-]{36}$/);
    expect(replicaOfRelayedId(id)).toBe(replica);
  });

  it("name no replica for ids of another shape", () => {
    for (const id of [0, 17, "", "plain-uuid", ".x", "short.x", `${"A".repeat(17)}.x`, `${"A".repeat(15)}=.x`]) {
      expect(replicaOfRelayedId(id)).toBeUndefined();
    }
  });
});
