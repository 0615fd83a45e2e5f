import { parseConfig } from "@mcp-gateway/core";
import { BROKER_CLUSTER, renderEnvoyConfig, ROUTER_CLUSTER } from "./render-envoy";
import { EXT_PROC_SERVICE_NAME } from "../router";

type Cluster = Record<string, unknown> & { name: string };

const render = (extra = "", weather = ""): Map<string, Cluster> => {
  const yaml = `version: 1\nauth: none\n${extra}servers:\n  - { name: weather, url: "http://weather:9101/mcp"${weather} }\n  - { name: notes, url: "https://notes.example.com/mcp" }\n`;
  const { clusters } = (renderEnvoyConfig(parseConfig(yaml, {})) as { static_resources: { clusters: Cluster[] } })
    .static_resources;
  return new Map(clusters.map((c) => [c.name, c]));
};

const timing = {
  timeout: "5s",
  interval: "10s",
  no_traffic_interval: "10s",
  unhealthy_threshold: 2,
  healthy_threshold: 1,
};
const noPanic = { healthy_panic_threshold: { value: 0 } };

// Issue 10, part 5: Envoy checks every cluster actively on the gateway's `health` timing, and a cluster without a
// healthy host answers 503 at once (no panic routing to a dead single host).
describe("cluster health in the rendered config", () => {
  it("checks the router over grpc.health.v1 on the ext_proc service", () => {
    const router = render().get(ROUTER_CLUSTER);
    expect(router?.["health_checks"]).toEqual([
      { ...timing, grpc_health_check: { service_name: EXT_PROC_SERVICE_NAME } },
    ]);
    expect(router?.["common_lb_config"]).toEqual(noPanic);
  });

  it("checks the broker on /healthz (not /readyz, which fails while no upstream is ready)", () => {
    const broker = render().get(BROKER_CLUSTER);
    expect(broker?.["health_checks"]).toEqual([{ ...timing, http_health_check: { path: "/healthz" } }]);
    expect(broker?.["common_lb_config"]).toEqual(noPanic);
  });

  it("checks each upstream with a TCP connect and ejects it on connect failures, never on a plain 5xx", () => {
    for (const name of ["mcp_server_weather", "mcp_server_notes"]) {
      const upstream = render().get(name);
      expect(upstream?.["health_checks"]).toEqual([{ ...timing, tcp_health_check: {} }]);
      expect(upstream?.["outlier_detection"]).toMatchObject({
        split_external_local_origin_errors: true,
        consecutive_local_origin_failure: 3,
        enforcing_consecutive_5xx: 0,
        max_ejection_percent: 100,
      });
      expect(upstream?.["common_lb_config"]).toEqual(noPanic);
    }
  });

  it("takes interval and timeout from the gateway's health section, the broker's own upstream checks", () => {
    const router = render("health: { interval: 2s, timeout: 500ms }\n").get(ROUTER_CLUSTER);
    expect(router?.["health_checks"]).toMatchObject([{ interval: "2s", no_traffic_interval: "2s", timeout: "0.5s" }]);
  });

  it("leaves out the active check of a server with healthCheck: none, keeping outlier detection", () => {
    const clusters = render("", ", healthCheck: none");
    expect(clusters.get("mcp_server_weather")?.["health_checks"]).toBeUndefined();
    expect(clusters.get("mcp_server_weather")?.["outlier_detection"]).toBeDefined();
    expect(clusters.get("mcp_server_notes")?.["health_checks"]).toHaveLength(1);
  });

  it("refuses an unknown healthCheck kind, naming the choices", () => {
    const yaml = 'version: 1\nauth: none\nservers:\n  - { name: a, url: "http://a:1/mcp", healthCheck: http }\n';
    expect(() => parseConfig(yaml, {})).toThrow(/healthCheck.*expected "tcp" or "none"/s);
  });
});
