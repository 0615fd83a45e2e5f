import { parseConfig } from "@mcp-gateway/core";
import { BROKER_CLUSTER, renderEnvoyConfig, ROUTER_CLUSTER } from "./render-envoy";

type Cluster = { name: string; circuit_breakers?: { thresholds: Record<string, unknown>[] } };

const render = (limits: string): Cluster[] => {
  const yaml = `version: 1\nauth: none\n${limits}servers:\n  - { name: weather, url: "http://weather:9101/mcp" }\n  - { name: notes, url: "https://notes.example.com/mcp" }\n`;
  return (renderEnvoyConfig(parseConfig(yaml, {})) as { static_resources: { clusters: Cluster[] } }).static_resources
    .clusters;
};

// Issue 9, hole 4: Envoy's pool to each upstream is bounded like the standalone call pool, so calls past it get 503
// at once instead of hanging, and the bound is the documented `limits.maxUpstreamConnections`.
describe("upstream cluster circuit breakers", () => {
  it("bounds every upstream cluster by limits.maxUpstreamConnections (default 256)", () => {
    for (const [limits, max] of [
      ["", 256],
      ["limits: { maxUpstreamConnections: 40 }\n", 40],
    ] as const) {
      const upstreams = render(limits).filter((c) => c.name.startsWith("mcp_server_"));
      expect(upstreams).toHaveLength(2);
      for (const cluster of upstreams) {
        expect(cluster.circuit_breakers).toEqual({
          thresholds: [{ priority: "DEFAULT", max_connections: max, max_pending_requests: max, max_requests: max }],
        });
      }
    }
  });

  // Issue 10, part 5: the gateway's own clusters are bounded too (Envoy's default, 1024, would cap every client's GET
  // streams together), the broker by limits.maxBrokerRequests, the router by the sum of what it can route.
  it("bounds the broker by limits.maxBrokerRequests and the router by everything routed, twice", () => {
    for (const [limits, broker, router] of [
      ["", 8192, 2 * (8192 + 2 * 256)],
      ["limits: { maxBrokerRequests: 100, maxUpstreamConnections: 10 }\n", 100, 2 * (100 + 2 * 10)],
    ] as const) {
      const clusters = render(limits);
      const thresholds = (name: string): unknown => clusters.find((c) => c.name === name)?.circuit_breakers;
      const max = (n: number): unknown => ({
        thresholds: [{ priority: "DEFAULT", max_connections: n, max_pending_requests: n, max_requests: n }],
      });
      expect(thresholds(BROKER_CLUSTER)).toEqual(max(broker));
      expect(thresholds(ROUTER_CLUSTER)).toEqual(max(router));
    }
  });
});
