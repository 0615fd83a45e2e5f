import type { MCPServer } from "./api-types";
import { desiredStatus } from "./status";

const server: MCPServer = {
  apiVersion: "mcp.gateway.example/v1alpha1",
  kind: "MCPServer",
  metadata: { name: "w", generation: 3 },
  spec: { target: { service: { name: "w", port: 80 } } },
};
const ok = { ok: true as const, entry: {}, url: "http://w/mcp", backend: { service: "w", port: 80 } };

describe("desiredStatus", () => {
  it("is Accepted=False with the reason when the server does not resolve", () => {
    const status = desiredStatus(
      server,
      { ok: false, reason: "TargetNotFound", message: "m" },
      undefined,
      undefined,
      "t",
    );
    expect(status.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ["Accepted", "False", "TargetNotFound"],
      ["Ready", "False", "NotAccepted"],
    ]);
  });

  it("copies the gateway's view: Ready, counts, protocol", () => {
    const upstream = {
      name: "w",
      state: "ready",
      protocolVersion: "2025-06-18",
      toolCount: 2,
      promptCount: 1,
      resourceCount: 0,
    };
    const status = desiredStatus(server, ok, upstream, undefined, "t");
    expect(status).toMatchObject({
      observedGeneration: 3,
      toolCount: 2,
      promptCount: 1,
      protocolVersion: "2025-06-18",
    });
    expect(status.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
  });

  it("keeps lastTransitionTime while a condition's status stays the same", () => {
    const before = { ...server, status: desiredStatus(server, ok, undefined, "down", "t1") };
    const after = desiredStatus(before, ok, undefined, "still down", "t2");
    expect(after.conditions?.map((c) => c.lastTransitionTime)).toEqual(["t1", "t1"]);
  });
});
