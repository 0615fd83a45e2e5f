import { parseConfig } from "@mcp-gateway/core";
import { renderEnvoyConfig } from "./render-envoy";
import { TRACE_COLLECTOR_CLUSTER } from "./tracing";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const render = (tracing: string): Json =>
  JSON.parse(
    JSON.stringify(
      renderEnvoyConfig(
        parseConfig(`version: 1\nauth: none\nservers:\n  - { name: a, url: "http://a:1/mcp" }\n${tracing}\n`, {}),
      ),
    ),
  ) as Json;
const hcmOf = (c: Json): Json => c.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
const collector = (c: Json): Json | undefined =>
  (c.static_resources.clusters as Json[]).find((cluster) => cluster["name"] === TRACE_COLLECTOR_CLUSTER);

describe("Envoy tracing render", () => {
  it("renders no tracer and no collector cluster when tracing is off", () => {
    const config = render("");
    expect(hcmOf(config)["tracing"]).toBeUndefined();
    expect(collector(config)).toBeUndefined();
  });

  it("points Envoy's OpenTelemetry tracer at the gateway's collector over OTLP/HTTP", () => {
    const config = render(
      'tracing: { enabled: true, endpoint: "http://otel:4318", serviceName: gw, sampleRatio: 0.5, headers: { x-k: v } }',
    );
    const tracing = hcmOf(config)["tracing"] as Json;
    expect(tracing["random_sampling"]).toEqual({ value: 50 });
    expect(tracing["spawn_upstream_span"]).toBe(true);
    expect(tracing["provider"]["name"]).toBe("envoy.tracers.opentelemetry");
    expect(tracing["provider"]["typed_config"]).toMatchObject({
      service_name: "gw-envoy",
      http_service: {
        http_uri: { uri: "http://otel:4318/v1/traces", cluster: TRACE_COLLECTOR_CLUSTER },
        request_headers_to_add: [{ header: { key: "x-k", value: "v" } }],
      },
    });
    const address = collector(config)?.["load_assignment"]["endpoints"][0]["lb_endpoints"][0]["endpoint"]["address"];
    expect(address).toEqual({ socket_address: { address: "otel", port_value: 4318 } });
  });
});
