import { parseEnvoyConfig } from "./envoy-config";
import { HeaderMap } from "./header-map";
import { envoyYaml } from "./test-bed";

const base = {
  processorPort: 9000,
  clusters: { mcp_broker: 8081, mcp_server_weather: 9001 },
  routes: [
    { prefix: "/mcp", headers: { "x-destination-mcp": "weather" }, cluster: "mcp_server_weather" },
    { prefix: "/", cluster: "mcp_broker" },
  ],
};

describe("parseEnvoyConfig", () => {
  it("reads the ext_proc settings, clusters and route table of a gateway-shaped config", () => {
    const config = parseEnvoyConfig(envoyYaml({ ...base, messageTimeout: "0.2s" }));
    expect(config.extProc).toMatchObject({
      clusterName: "mcp_router",
      messageTimeoutMs: 200,
      allowModeOverride: true,
      routeCacheAction: "DEFAULT",
      processingMode: { requestBody: "BUFFERED", responseHeaders: "SEND" },
    });
    expect(config.extProc.mutationRules.allowAllRouting).toBe(true);
    expect(config.clusters.get("mcp_server_weather")).toEqual({
      name: "mcp_server_weather",
      address: "127.0.0.1",
      port: 9001,
      tls: false,
      sni: undefined,
    });
    expect(config.bufferLimitBytes).toBe(1024 * 1024);
    const weather = new HeaderMap([
      [":path", "/mcp"],
      [":authority", "gw"],
      ["x-destination-mcp", "weather"],
    ]);
    expect(config.routes.match(weather)?.cluster).toBe("mcp_server_weather");
  });

  it("defaults message_timeout to Envoy's 200 ms", () => {
    const yaml = envoyYaml(base).replace(/ *message_timeout: .*\n/, "");
    expect(parseEnvoyConfig(yaml).extProc.messageTimeoutMs).toBe(200);
  });

  it.each([
    ["request_body_mode: BUFFERED", "request_body_mode: STREAMED", /processing_mode\.request_body_mode: STREAMED/],
    ["response_body_mode: NONE", "response_body_mode: BUFFERED", /processing_mode\.response_body_mode: BUFFERED/],
    ["request_header_mode: SEND", "request_header_mode: SKIP", /processing_mode\.request_header_mode: SKIP/],
    ["response_header_mode: SEND", "response_header_mode: SKIP", /processing_mode\.response_header_mode: SKIP/],
    ["request_trailer_mode: SKIP", "request_trailer_mode: SEND", /processing_mode\.request_trailer_mode: SEND/],
    ["response_trailer_mode: SKIP", "response_trailer_mode: SEND", /processing_mode\.response_trailer_mode: SEND/],
    ["failure_mode_allow: false", "failure_mode_allow: true", /failure_mode_allow: true is not supported/],
    ["message_timeout: 2s", "message_timeout: 2m", /message_timeout: invalid duration "2m"/],
    ["stat_prefix: mcp", "stat_prefix: mcp\n                rds: {}", /\.rds: only an inline route_config/],
  ])("rejects %s changed to %s", (from, to, error) => {
    const yaml = envoyYaml(base).replace(from, to);
    expect(yaml).not.toBe(envoyYaml(base));
    expect(() => parseEnvoyConfig(yaml)).toThrow(error);
  });

  it("rejects ext_proc placed after the router", () => {
    const yaml = envoyYaml(base);
    const extProcStart = yaml.indexOf("                  - name: envoy.filters.http.ext_proc");
    const routerStart = yaml.indexOf("                  - name: envoy.filters.http.router");
    const clustersStart = yaml.indexOf("  clusters:");
    const swapped =
      yaml.slice(0, extProcStart) +
      yaml.slice(routerStart, clustersStart) +
      yaml.slice(extProcStart, routerStart) +
      yaml.slice(clustersStart);
    expect(() => parseEnvoyConfig(swapped)).toThrow(/router must be the last http filter/);
  });

  it("rejects a route to an unknown cluster unless validate_clusters is false", () => {
    const routes = [{ prefix: "/", cluster: "nowhere" }];
    expect(() => parseEnvoyConfig(envoyYaml({ ...base, routes }))).toThrow(/unknown cluster nowhere/);
    expect(() => parseEnvoyConfig(envoyYaml({ ...base, routes, validateClusters: false }))).not.toThrow();
  });

  it("rejects an ext_proc cluster that does not exist", () => {
    const yaml = envoyYaml(base).replace("cluster_name: mcp_router }", "cluster_name: elsewhere }");
    expect(() => parseEnvoyConfig(yaml)).toThrow(/grpc_service\.envoy_grpc\.cluster_name: unknown cluster elsewhere/);
  });

  it("rejects route features it does not emulate, naming the field", () => {
    const yaml = envoyYaml(base).replace(
      "route: { cluster: mcp_broker,",
      "route: { weighted_clusters: {}, cluster: mcp_broker,",
    );
    expect(() => parseEnvoyConfig(yaml)).toThrow(/routes\[1\]\.route\.weighted_clusters: not supported/);
  });

  it("marks a cluster with a transport_socket as TLS", () => {
    const yaml = envoyYaml(base).replace(
      "    - name: mcp_broker\n      type: STATIC\n",
      "    - name: mcp_broker\n      type: STATIC\n      transport_socket: { name: envoy.transport_sockets.tls, typed_config: { sni: broker.example } }\n",
    );
    expect(parseEnvoyConfig(yaml).clusters.get("mcp_broker")).toMatchObject({ tls: true, sni: "broker.example" });
  });
});
